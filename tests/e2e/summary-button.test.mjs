// "Email summary" in headless Chromium against the Node dev server (in this process, state in
// memory, its own Mailgun: the summaries are read from /dev/outbox.json), in the full-page chat
// (widget/page/summary.js) and the widget's pane (widget/pane/summary.js), both through
// common/summary.js; and Salient.emailSummary(). Offline answers (no OpenRouter key), so the
// summaries come from the rules path. One browser. Screenshots: build/test-results/summary/.
//
// For each side: a message with the lead's address in it, the button → exactly one email to the
// configured sales recipient with the message and the address in its text; again → "Already sent"
// and still one; another message, the button → a second email. The states the live server does
// not give on demand (202, 429 with Retry-After, 501, offline, the button while in flight) are
// answered by the browser's request interception.
//
//   node --test tests/e2e/summary-button.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing, openPage } from "../support/chromium.mjs";
import { REPO } from "../support/workerd.mjs";

const SHOTS = path.join(REPO, "build", "test-results", "summary");
const RECIPIENT = "sales-team@example.com";
const missingBuild = ["build/public/widget/salient.js", "build/public/widget/pane.js", "build/public/assets/page.js"]
  .filter((f) => !existsSync(path.join(REPO, f)));
const skip = chromiumMissing || (missingBuild.length ? `missing ${missingBuild.join(", ")}: run ./scripts/build` : false);

const address = (name) => `${name}.${crypto.randomUUID().slice(0, 8)}@example.com`;

describe("the Email summary button in Chromium", { skip }, () => {
  let server, browser, page, problems, origin;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
    // Summaries go to one known address (whatever salient.yaml says), and the per-conversation
    // cap leaves room for every press here.
    config.email = { ...config.email, sales_recipient: RECIPIENT };
    delete config.email.mock_sales_recipient;
    for (const agent of Object.values(config.agents ?? {})) delete agent.sales_recipient;
    config.summary = { ...config.summary, per_session_per_day: 50 };
    server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {}, config });
    origin = server.url;
    ({ browser, page, problems } = await openPage());
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function summaries() {
    const { messages } = await (await fetch(`${origin}/dev/outbox.json`)).json();
    return messages.filter((m) => [].concat(m.to).some((to) => String(to).includes(RECIPIENT))); // newest first
  }
  /** The summaries once there are `count` (a send is done before its answer, but allow a moment). */
  async function summariesAfter(count) {
    let mails = [];
    for (let end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      mails = await summaries();
      if (mails.length >= count) break;
    }
    return mails;
  }
  /** Text with its line breaks and runs of spaces as single spaces (a text part may wrap lines). */
  const flat = (text) => String(text ?? "").replace(/\s+/g, " ");
  /** HH:MM of an ISO time in the browser's own time zone, as the status line shows it. */
  const localTime = (iso) => page.evaluate((iso) => {
    const at = new Date(iso);
    return String(at.getHours()).padStart(2, "0") + ":" + String(at.getMinutes()).padStart(2, "0");
  }, iso);
  /** Clicks `button`; resolves the summary route's status and JSON. */
  async function press(button) {
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/summary")), button.click()]);
    return { status: response.status(), json: await response.json().catch(() => null) };
  }
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  const w = (selector) => page.locator(`salient-widget ${selector}`);
  /** The widget's answer to its `users`-th message is complete. */
  const widgetAnswered = (users) => page.waitForFunction((n) => {
    const log = document.querySelector("salient-widget").shadowRoot.querySelector(".log");
    const last = log.lastElementChild;
    return log.querySelectorAll(".msg.user").length >= n && last?.matches(".msg.assistant:not(.greeting)") &&
      !last.classList.contains("streaming");
  }, users);
  const pageAnswered = (users) => page.waitForFunction((n) => {
    const all = [...document.querySelectorAll("#messages .msg.user, #messages .msg.assistant")];
    const b = all.at(-1);
    return document.querySelectorAll("#messages .msg.user").length >= n && b?.classList.contains("assistant") &&
      !b.classList.contains("streaming") && b.querySelector(".label").textContent.trim();
  }, users);
  /** Whether the button can be pressed: not disabled (nothing to summarize) nor aria-disabled (in
   *  flight, or a 429's wait). */
  const usable = (button) => button.evaluate((b) => !b.disabled && b.getAttribute("aria-disabled") !== "true");
  /** The browser's problems, less the error statuses these tests provoke on purpose. */
  const unexpected = () => problems.filter((p) => !/Failed to load resource: (the server responded with a status of (4\d\d|5\d\d)|net::ERR_FAILED)/.test(p));

  /**
   * The button's whole story on one side. `ui` = { button, line, send(text), answered(n) }.
   * Returns the last reply (JSON).
   */
  async function story(ui, name) {
    const lead = address(name);
    const first = `Hello, we would like a quote for a cedar deck of about 20 square metres. Reach me at ${lead}`;
    assert.equal(await ui.button.isDisabled(), true, "nothing to summarize before the first message");
    const seen = (await summaries()).length;
    await ui.send(first);
    await ui.answered(1);
    await page.waitForFunction((b) => !b.disabled, await ui.button.elementHandle());
    assert.equal(await usable(ui.button), true);

    // The first press: sent, one email with the message and the lead's address.
    const sent = await press(ui.button);
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    assert.equal(sent.json.status, "sent");
    await ui.line.filter({ hasText: `Summary sent to the team at ${await localTime(sent.json.sent_at)}` }).waitFor();
    assert.equal(await ui.line.getAttribute("role"), "status");
    assert.equal(await usable(ui.button), true, "usable again once answered");
    let mails = await summariesAfter(seen + 1);
    assert.equal(mails.length, seen + 1, "exactly one summary email");
    assert.ok(flat(mails[0].text).includes(first), `the visitor's message in:\n${mails[0].text}`);
    assert.ok(mails[0].text.includes(lead), `the lead's email in:\n${mails[0].text}`);
    await shot(`${name}-sent`);

    // Again, nothing new: "already sent", no second email.
    const again = await press(ui.button);
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.equal(again.json.status, "already_sent");
    await ui.line.filter({ hasText: `Already sent at ${await localTime(again.json.sent_at)} — no new messages since` }).waitFor();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await summaries()).length, seen + 1, "still one summary email");
    await shot(`${name}-already-sent`);

    // A new message: the next press sends a second summary.
    const second = "Could you also build a pergola over it?";
    await ui.send(second);
    await ui.answered(2);
    const resent = await press(ui.button);
    assert.equal(resent.json.status, "sent", JSON.stringify(resent.json));
    await ui.line.filter({ hasText: `Summary sent to the team at ${await localTime(resent.json.sent_at)}` }).waitFor();
    mails = await summariesAfter(seen + 2);
    assert.equal(mails.length, seen + 2, "a second summary email");
    assert.ok(mails[0].text.includes(lead), `the lead's email in the second summary:\n${mails[0].text}`);
    assert.ok(flat(mails[0].text).includes(second), `the new message in the second summary:\n${mails[0].text}`);
    return resent.json;
  }

  /** The states the server does not give on demand, answered by request interception. */
  async function mockedStates(ui, name) {
    const route = "**/a/sales/summary";
    const json = (status, body, headers = {}) => (r) => r.fulfill({ status, contentType: "application/json", headers, body: JSON.stringify(body) });
    try {
      // In flight: aria-disabled (focus stays) and busy; a second click sends nothing; the answer.
      let posts = 0;
      let release;
      const held = new Promise((resolve) => (release = resolve));
      await page.route(route, async (r) => {
        posts += 1;
        await held;
        await json(202, { status: "sending" })(r);
      });
      await ui.button.click();
      await page.waitForFunction((b) => b.getAttribute("aria-disabled") === "true" && b.getAttribute("aria-busy") === "true", await ui.button.elementHandle());
      await ui.line.filter({ hasText: /^Sending the summary…$/ }).waitFor();
      await ui.button.click({ force: true }); // aria-disabled: Playwright would wait for it to be enabled
      release();
      await ui.line.filter({ hasText: /^Being sent…$/ }).waitFor();
      assert.equal(posts, 1, "one request for two clicks");
      assert.equal(await usable(ui.button), true);
      assert.equal(await ui.button.getAttribute("aria-busy"), null);
      await page.unroute(route);

      // Not built yet (the core's 501): the server's message.
      await page.route(route, json(501, { error: { code: "not_implemented", message: "conversation summaries are not available yet" } }));
      await ui.button.click();
      await ui.line.filter({ hasText: /^Conversation summaries are not available yet\.$/ }).waitFor();
      assert.match(await ui.line.getAttribute("class"), /\berror\b/);
      await page.unroute(route);

      // Too many: the message and the Retry-After wait; the button rests meanwhile.
      await page.route(route, json(429, { error: { code: "too_many_summaries", message: "too many summaries for this conversation today" } }, { "Retry-After": "120" }));
      await ui.button.click();
      await ui.line.filter({ hasText: /^Too many summaries for this conversation today\. Try again in 2 min\.$/ }).waitFor();
      assert.equal(await ui.button.getAttribute("aria-disabled"), "true", "no press before the wait is over");
      const line = await ui.line.textContent();
      const [more] = await Promise.all([
        page.waitForRequest((r) => r.url().endsWith("/summary"), { timeout: 500 }).catch(() => null),
        ui.button.click({ force: true }),
      ]);
      assert.equal(more, null, "a click during the wait sends nothing");
      assert.equal(await ui.line.textContent(), line);
      await shot(`${name}-too-many`);
      await page.unroute(route);
    } finally {
      await page.unrouteAll({ behavior: "ignoreErrors" });
    }
  }

  test("the full-page chat: sent, already sent, sent again after a new message; other answers", async () => {
    await page.goto(`${origin}/a/sales/`);
    await page.waitForFunction(() => window.htmx && document.getElementById("session-key").value);
    const ui = {
      button: page.locator("#email-summary"),
      line: page.locator("#summary-status"),
      send: async (text) => {
        await page.fill("#message", text);
        await page.click("#send");
      },
      answered: pageAnswered,
    };
    assert.equal(await ui.button.textContent(), "Email summary");
    assert.equal(await ui.line.getAttribute("aria-live"), "polite");
    await story(ui, "page");

    // New chat: nothing to summarize there, and the line spoke of the other conversation.
    await page.click("#new-chat");
    await page.waitForFunction(() => document.getElementById("email-summary").disabled);
    assert.equal((await ui.line.textContent()).trim(), "");
    await ui.send("Do you deliver mulch?");
    await ui.answered(1);
    await page.waitForFunction(() => !document.getElementById("email-summary").disabled);
    await mockedStates(ui, "page");

    // By keyboard: Tab reaches the button (after a reload, the wait of the 429 is over).
    await page.reload();
    await page.waitForFunction(() => !document.getElementById("email-summary").disabled);
    await page.focus("#clear-chat");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "email-summary");
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/summary")), page.keyboard.press("Enter")]);
    assert.equal(response.status(), 200);
    await ui.line.filter({ hasText: /^Summary sent to the team at \d\d:\d\d$/ }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), "email-summary", "focus stays on the button");
    assert.deepEqual(unexpected(), []);
  });

  test("the widget: the same in the pane, by keyboard too; Salient.emailSummary()", async () => {
    await page.goto(`${origin}/`);
    await page.evaluate(() => localStorage.clear()); // a conversation of its own, not the page's
    await page.reload();
    await w("button.launcher").click();
    await w(".pane.open").waitFor();
    const ui = {
      button: w(".tools .summary"),
      line: w(".tools .summary-note"),
      send: async (text) => {
        await w("textarea").fill(text);
        await w(".send").click();
      },
      answered: widgetAnswered,
    };
    assert.equal(await ui.button.textContent(), "Email summary");
    assert.equal(await ui.line.getAttribute("aria-live"), "polite");
    await story(ui, "widget");

    // The API: the server's JSON answer (nothing new since the button's summary).
    const count = (await summaries()).length;
    const answer = await page.evaluate(() => window.Salient.emailSummary());
    assert.equal(answer.status, "already_sent", JSON.stringify(answer));
    assert.match(answer.sent_at, /^\d{4}-\d\d-\d\dT/);
    await ui.line.filter({ hasText: /^Already sent at \d\d:\d\d — no new messages since$/ }).waitFor();
    assert.equal((await summaries()).length, count);

    // Called before the pane has loaded: queued, the pane loads (unopened), the promise resolves.
    await page.reload();
    const early = await page.evaluate(() => window.Salient.emailSummary());
    assert.equal(early.status, "already_sent", JSON.stringify(early));
    assert.equal(await w(".pane.open").count(), 0, "the API does not open the pane");

    // By keyboard inside the shadow root: the button is a real button, Enter presses it.
    await w("button.launcher").click();
    await w(".pane.open").waitFor();
    await w(".tools .verify").focus(); // the tool before it
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.querySelector("salient-widget").shadowRoot.activeElement.className), "summary");
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/summary")), page.keyboard.press("Enter")]);
    assert.equal((await response.json()).status, "already_sent");
    await ui.line.filter({ hasText: /^Already sent at \d\d:\d\d — no new messages since$/ }).waitFor();
    assert.equal(await page.evaluate(() => document.querySelector("salient-widget").shadowRoot.activeElement?.className), "summary", "focus stays on the button");

    // A new chat: disabled until its first message; then the states the server does not give.
    await w(".new").click();
    await page.waitForFunction(() => document.querySelector("salient-widget").shadowRoot.querySelector(".tools .summary").disabled);
    assert.equal((await ui.line.textContent()).trim(), "");
    await ui.send("Do you deliver mulch?");
    await ui.answered(1);
    await page.waitForFunction(() => !document.querySelector("salient-widget").shadowRoot.querySelector(".tools .summary").disabled);
    await mockedStates(ui, "widget");

    // Offline: said so, and the API rejects.
    await page.route("**/a/sales/summary", (r) => r.abort("failed"));
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    const rejected = await page.evaluate(() => window.Salient.emailSummary().then(() => "resolved", (e) => "rejected: " + e.message));
    assert.match(rejected, /^rejected: Could not reach the server/);
    assert.match(await ui.line.textContent(), /^Could not reach the server/);
    await page.unrouteAll({ behavior: "ignoreErrors" });
    assert.deepEqual(unexpected(), []);
  });
});
