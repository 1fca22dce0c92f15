// Helpers for tests/e2e/admin.test.mjs: the Node dev server with an operator listed in
// admin.emails and secrets of the test's own (so that the pages can be searched for them), the
// visitor traffic the admin pages then show, the outbox, and the two viewports' screenshots.

import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { startServer } from "../../hosts/node-dev/server.js";
import { REPO } from "../support/workerd.mjs";

export const OPERATOR = "owner@brightleaf.example";
export const SALES = "sales-team@example.com"; // where the summaries go
export const SHOTS = path.join(REPO, "test-results", "admin");
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** The secrets the server runs with: none of these values may appear on any admin page. */
export const SECRETS = {
  SALIENT_STREAM_SECRET: "e2e-admin-stream-secret-7f3c9a1d0b5e4f2a8c6d",
  SALIENT_OTP_SECRET: "e2e-admin-code-secret-4b8e2d6f1a3c5e7d9b0f",
  SALIENT_METRICS_TOKEN: "e2e-admin-metrics-token-9d2f4b6a8c0e1f3a",
  MAILGUN_WEBHOOK_SIGNING_KEY: "e2e-admin-webhook-key-1c3e5a7b9d2f4a6c8e0b",
};

/** The dev server (state in memory, its own outbox) with `OPERATOR` listed as an admin. */
export async function startAdminServer() {
  mkdirSync(SHOTS, { recursive: true });
  const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  config.admin = { ...config.admin, emails: [OPERATOR], codes_per_ip_per_hour: 20 };
  config.email = { ...config.email, sales_recipient: SALES };
  delete config.email.mock_sales_recipient;
  for (const agent of Object.values(config.agents ?? {})) delete agent.sales_recipient;
  config.summary = { ...config.summary, per_session_per_day: 50 };
  const logs = [];
  const server = await startServer({
    port: 0, host: "127.0.0.1", config, log: (line) => logs.push(line),
    env: { SALIENT_STATE: "memory", ...SECRETS },
  });
  return { server, logs };
}

/** A visitor's side of the conversation, over the real routes (JSON, as the widget's API does). */
export function visitor(origin) {
  let chats = 0;
  const post = (p, body) => fetch(origin + p, {
    method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body),
  });
  return {
    get chats() {
      return chats;
    },
    /** Sends `message` in conversation `session` and reads its whole answer from the stream. */
    async say(session, message) {
      const r = await post("/a/sales/chat", { message, session_key: session, idempotency_key: crypto.randomUUID() });
      chats += 1;
      assert.equal(r.status, 200, await r.clone().text());
      const { stream_url } = await r.json();
      const answer = await fetch(origin + stream_url + (stream_url.includes("format=json") ? "" : "&format=json"));
      assert.equal(answer.status, 200);
      const text = await answer.text();
      assert.ok(text.length > 0, "an answer");
      return text;
    },
    /** The "Email summary" button's request. */
    async emailSummary(session) {
      const r = await post("/a/sales/summary", { session_key: session });
      assert.equal(r.status, 200, await r.clone().text());
      return r.json();
    },
  };
}

/** The dev server's outbox, newest first. */
export async function outbox(origin) {
  const r = await fetch(`${origin}/dev/outbox.json`);
  assert.equal(r.status, 200);
  return (await r.json()).messages;
}

export const mailsTo = async (origin, to) => (await outbox(origin)).filter((m) => [].concat(m.to).includes(to));

/** The 6-digit code in the newest email to `to`, or null. */
export async function codeFor(origin, to) {
  const [mail] = await mailsTo(origin, to);
  return /(?<!\d)(\d{6})(?!\d)/.exec(mail?.text ?? "")?.[1] ?? null;
}

/** A new browser context at `viewport` (the phone's with a phone's layout rules). */
export async function newContext(browser, viewport) {
  const phone = viewport.width < 600;
  return browser.newContext(phone ? { viewport, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : { viewport });
}

/** The page's own horizontal overflow in CSS pixels (0 when it fits; tables scroll in their wrappers). */
export const overflow = (page) => page.evaluate((screen) => {
  const wide = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
  return Math.max(0, wide - Math.min(window.innerWidth, document.documentElement.clientWidth, screen) - 1);
}, page.viewportSize().width);

/**
 * Saves `page` as test-results/admin/<name>-<desktop|phone>.png (full page); on a phone, first
 * asserts that the body is no wider than the screen.
 */
export async function shoot(page, name) {
  const { width } = page.viewportSize();
  const kind = width < 600 ? "phone" : "desktop";
  if (kind === "phone") assert.equal(await overflow(page), 0, `${name} on a phone: the page is wider than the screen`);
  await page.screenshot({ path: path.join(SHOTS, `${name}-${kind}.png`), fullPage: true });
}

/** The page's text with runs of white space as one space. */
export const textOf = async (page, selector = "body") => (await page.locator(selector).first().innerText()).replace(/\s+/g, " ");

/** Parses CSV (RFC 4180: quoted fields, "" inside, line breaks inside quotes) into rows of fields. */
export function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field), rows.push(row), (row = []), (field = ""), i++;
    } else field += c;
  }
  if (field !== "" || row.length) row.push(field), rows.push(row);
  return rows;
}
