// Rate limits across two instances sharing one store (issue 19): the Node dev server (its
// embedded PGlite store) and workerd pointed at that store (SUPABASE_URL = the dev server), with
// one compiled config of strict limits and one SALIENT_STREAM_SECRET (the address is counted by a
// keyed hash of it). The counts hold across both instances; a refused message is 429 with
// Retry-After and `rate_limited`, and stores nothing; the emails of a visitor's actions share
// their own hourly limit. Then, in Chromium against a dev server of its own, the full-page chat
// and the widget show the server's sentence when a message is refused.
//
//   node --test tests/e2e/rate-limits.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing, openPage } from "../support/chromium.mjs";
import { DOMAIN, KEY, startFakeMailgun } from "../support/fake-mailgun.mjs";
import { REPO, startWorkerd } from "../support/workerd.mjs";

const SECRET = "e2e-rate-limits-stream-secret-0123456789abc";
const baseConfig = () => JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
const limited = (rateLimits) => {
  const config = baseConfig();
  config.rate_limits = rateLimits;
  config.email = { ...config.email, sales_recipient: "sales@example.com" };
  config.handoff = { ...config.handoff, team: [{ email: "ana@example.com", name: "Ana" }] };
  // Every agent inherits nothing: the compiled config carries each agent's resolved limits.
  for (const agent of Object.values(config.agents ?? {})) {
    agent.rate_limits = rateLimits;
    delete agent.sales_recipient;
    delete agent.handoff;
  }
  return config;
};
const off = { ip: 0, session: 0, tenant: 0 };

describe("rate limits across the dev server and workerd on one store", () => {
  let mailgun, devServer, worker;
  const config = limited({
    messages_per_minute: { ip: 4, session: 3, tenant: 1000 },
    tokens_per_day: off,
    emails_per_hour: { ip: 0, session: 1, tenant: 0 },
  });

  before(async () => {
    mailgun = await startFakeMailgun();
    const mail = { MAILGUN_API_KEY: KEY, MAILGUN_DOMAIN: DOMAIN, MAILGUN_BASE_URL: mailgun.url };
    devServer = await startServer({ port: 0, config, log: () => {},
      env: { SALIENT_STATE: "memory", SALIENT_STREAM_SECRET: SECRET, SALIENT_SWEEP_SECONDS: "0", ...mail } });
    worker = await startWorkerd({ salientConfig: config, verbose: false,
      env: { SALIENT_STREAM_SECRET: SECRET, SUPABASE_URL: devServer.url, SUPABASE_KEY: "", ...mail } });
  });
  after(async () => {
    await worker?.stop();
    await devServer?.close();
    await mailgun?.close();
  });

  // The dev server sees the socket's 127.0.0.1; workerd trusts Cloudflare's cf-connecting-ip only.
  const hosts = () => ({ dev: { url: devServer.url, headers: {} },
    worker: { url: worker.url, headers: { "cf-connecting-ip": "127.0.0.1" } } });
  let n = 0;
  async function post(host, route, body) {
    const res = await fetch(`${host.url}/a/sales/${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...host.headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get("retry-after"), json: await res.json() };
  }
  const chat = (host, session, message = `message ${++n}`) =>
    post(host, "chat", { message, session_key: session, idempotency_key: `idem-${session}-${++n}` });
  const stored = async (session) => (await devServer.state.query(
    `select count(*)::int as n from messages m join sessions s on s.id = m.session_id
      where s.session_key = $1 and m.role = 'user'`, [session]))[0].n;

  test("messages per minute: a conversation's and an address's counts hold across both instances", async () => {
    const { dev, worker: wk } = hosts();
    assert.equal((await chat(dev, "rl-e2e-one-aaaa")).status, 200);
    assert.equal((await chat(wk, "rl-e2e-one-aaaa")).status, 200);
    assert.equal((await chat(dev, "rl-e2e-one-aaaa")).status, 200);
    const refused = await chat(wk, "rl-e2e-one-aaaa", "one too many");
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.retryAfter) >= 1 && Number(refused.retryAfter) <= 60, `Retry-After ${refused.retryAfter}`);
    assert.equal(refused.json.error.code, "rate_limited");
    assert.match(refused.json.error.message, /^You're sending messages faster than we can answer\. Please wait \d+ seconds? and try again\.$/);
    assert.equal(await stored("rl-e2e-one-aaaa"), 3, "the refused message is not stored");

    // The same address: 3 taken above, the 4th in a new conversation, then the address is full.
    assert.equal((await chat(wk, "rl-e2e-two-aaaa")).status, 200);
    const byAddress = await chat(dev, "rl-e2e-three-aa");
    assert.equal(byAddress.status, 429);
    assert.equal(byAddress.json.error.code, "rate_limited");
    assert.equal(await stored("rl-e2e-three-aa"), 0);
    // Another address (workerd's cf-connecting-ip) is not affected.
    const other = { ...wk, headers: { "cf-connecting-ip": "198.51.100.23" } };
    assert.equal((await chat(other, "rl-e2e-four-aaa")).status, 200);
  });

  test("emails per hour: the summary on one instance uses the conversation's hour; a handoff on the other is refused", async () => {
    const { dev, worker: wk } = hosts();
    const other = { ...wk, headers: { "cf-connecting-ip": "198.51.100.24" } };
    assert.equal((await chat(other, "rl-e2e-mail-aaa")).status, 200);
    const summary = await post({ ...dev }, "summary", { session_key: "rl-e2e-mail-aaa" });
    assert.equal(summary.status, 200, JSON.stringify(summary.json));
    const handoff = await post(other, "handoff", { session_key: "rl-e2e-mail-aaa" });
    assert.equal(handoff.status, 429, JSON.stringify(handoff.json));
    assert.equal(handoff.json.error.code, "rate_limited");
    assert.match(handoff.json.error.message, /^Too many emails were asked for\. Please try again in \d+ minutes?\.$/);
    assert.ok(Number(handoff.retryAfter) > 3000);
    const [handoffs] = await devServer.state.query("select count(*)::int as n from handoffs");
    assert.equal(handoffs.n, 0, "no handoff was made");
  });
});

const missingBuild = ["build/public/widget/salient.js", "build/public/assets/page.js"].filter((f) => !existsSync(path.join(REPO, f)));
describe("a refused message in Chromium", { skip: chromiumMissing || (missingBuild.length ? `missing ${missingBuild}` : false) }, () => {
  let server, browser, page;
  before(async () => {
    const config = limited({ messages_per_minute: { ip: 0, session: 1, tenant: 0 }, tokens_per_day: off, emails_per_hour: off });
    // The offline answer can be done within chat.input.debounce_ms of the first send, and the
    // widget would then ignore the second click as a double click.
    config.chat.input.debounce_ms = 0;
    server = await startServer({ port: 0, config, log: () => {}, env: { SALIENT_STATE: "memory", SALIENT_SWEEP_SECONDS: "0" } });
    ({ browser, page } = await openPage());
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  const refusal = /You're sending messages faster than we can answer\. Please wait \d+ seconds? and try again\./;

  test("the full-page chat shows the server's sentence and keeps the conversation", async () => {
    await page.goto(`${server.url}/a/sales/`);
    await page.waitForFunction(() => window.htmx && document.getElementById("session-key").value);
    await page.fill("#message", "first");
    await page.click("#send");
    await page.locator("#messages .msg.assistant:not(.streaming)").first().waitFor();
    await page.fill("#message", "second");
    await page.click("#send");
    await page.locator("#messages .msg.error", { hasText: refusal }).waitFor({ timeout: 10000 });
    assert.equal(await page.locator("#messages .msg.user").count(), 1, "the refused message is not shown as sent");
  });

  test("the widget shows it in its pane, with Retry", async () => {
    await page.goto(`${server.url}/`);
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    const w = (selector) => page.locator(`salient-widget ${selector}`);
    await w("button.launcher").click();
    await w(".pane.open").waitFor();
    await w("textarea").fill("first");
    await w(".send").click();
    // The first answer complete (its bubble last and no longer streaming), so the pane sends again.
    await page.waitForFunction(() => {
      const log = document.querySelector("salient-widget").shadowRoot.querySelector(".log");
      const last = log.lastElementChild;
      return log.querySelectorAll(".msg.user").length === 1 && last?.matches(".msg.assistant:not(.greeting)") &&
        !last.classList.contains("streaming");
    });
    await w("textarea").fill("second");
    await w(".send").click();
    try {
      await page.locator("salient-widget .msg.error").filter({ hasText: refusal }).waitFor({ timeout: 10000 });
    } catch (err) {
      const log = await page.evaluate(() => document.querySelector("salient-widget").shadowRoot.querySelector(".log").outerHTML);
      throw new Error(`${err.message}\n${log}`);
    }
    assert.equal(await page.locator("salient-widget button.retry").count(), 1);
  });
});
