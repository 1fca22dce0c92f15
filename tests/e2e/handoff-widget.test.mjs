// "Talk to a person" (issue 18) in headless Chromium against the Node dev server (in this
// process, state in memory, its own Mailgun: the team's email is read from /dev/outbox.json and
// answered with the outbox's "Reply as the team", POST /dev/outbox/reply, which signs the inbound
// post as Mailgun would and hands it to the server's own POST /mail/inbound). Offline answers (no
// OpenRouter key). Widget: widget/pane/handoff.js (its own file, /widget/handoff.js) and the
// loader's unread badge; page: widget/page/handoff.js; both over widget/common/handoff.js.
// Screenshots: build/test-results/handoff/.
//
// The first describe needs no browser: the polls' schedule (2 → 3 → 5 → 8 s, back to 2 s after a
// reply, nothing while the document is hidden, stopped when the handoff is over) with mocked timers.
//
//   node --test tests/e2e/handoff-widget.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, mock, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { handoffPoller, handoffText, laterTime, teamLabel } from "../../widget/common/handoff.js";
import { chromiumMissing, openPage } from "../support/chromium.mjs";
import { REPO } from "../support/workerd.mjs";

const SHOTS = path.join(REPO, "build", "test-results", "handoff");
const TEAM = "ana.team@example.com";
const NAME = "Ana";
const missingBuild = ["build/public/widget/salient.js", "build/public/widget/pane.js", "build/public/widget/handoff.js", "build/public/assets/page.js"]
  .filter((f) => !existsSync(path.join(REPO, f)));
const skip = chromiumMissing || (missingBuild.length ? `missing ${missingBuild.join(", ")}: run ./scripts/build` : false);

describe("the handoff polls' schedule (common/handoff.js, mocked timers)", () => {
  test("2, 3, 5, 8 s then 8 s; back to 2 s after a reply; paused while hidden; stopped when over", async () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
    const listeners = {};
    globalThis.document = { hidden: false, addEventListener: (n, f) => (listeners[n] = f), removeEventListener: (n) => delete listeners[n] };
    try {
      const asked = [];
      let answer = { handoff: { active: true }, messages: [], unread: 0 };
      const shown = [];
      let ended = 0;
      const poller = handoffPoller({
        after: "2026-01-01T10:00:00Z",
        post: async (after) => {
          asked.push({ at: Date.now(), after });
          return { ok: true, status: 200, json: answer };
        },
        visible: () => true,
        show: (list) => shown.push(...list),
        ended: () => ended++,
      });
      const start = Date.now();
      const settle = async (ms) => {
        mock.timers.tick(ms);
        for (let i = 0; i < 5; i++) await Promise.resolve();
      };
      await settle(0);
      for (const gap of [2000, 3000, 5000, 8000, 8000]) await settle(gap);
      assert.deepEqual(asked.map((a) => a.at - start), [0, 2000, 5000, 10000, 18000, 26000], "at once, then +2, +3, +5, +8, +8 s");
      assert.equal(asked[0].after, "2026-01-01T10:00:00Z");

      // A team reply: shown, `after` moves to it, the next poll is 2 s later.
      answer = { handoff: { active: true }, unread: 1, messages: [
        { id: "m1", role: "user", content: "hi", created_at: "2026-01-01T10:05:00Z" },
        { id: "m2", role: "team", content: "Hello", name: NAME, created_at: "2026-01-01T10:06:00.5Z" },
      ] };
      await settle(8000);
      assert.deepEqual(shown.map((m) => m.id), ["m2"], "team messages only");
      answer = { handoff: { active: true }, messages: [], unread: 0 };
      const before = asked.length;
      await settle(1999);
      assert.equal(asked.length, before);
      await settle(1);
      assert.equal(asked.length, before + 1, "2 s after the reply");
      assert.equal(asked.at(-1).after, "2026-01-01T10:06:00.5Z", "after = the newest message time held");

      // Hidden: no poll however long; visible again: at once.
      globalThis.document.hidden = true;
      const paused = asked.length;
      await settle(60000);
      assert.equal(asked.length, paused, "no poll while the document is hidden");
      globalThis.document.hidden = false;
      listeners.visibilitychange();
      await settle(0);
      assert.equal(asked.length, paused + 1, "resumed on visibilitychange");

      // Over: stopped, and said so.
      answer = { handoff: null, messages: [], unread: 0 };
      await settle(2000);
      assert.equal(ended, 1);
      const last = asked.length;
      await settle(60000);
      assert.equal(asked.length, last, "no poll after the handoff ended");
      poller.stop();
    } finally {
      mock.timers.reset();
      delete globalThis.document;
    }
  });

  test("the words: the server's message, a 429 with its wait, no conversation, labels, times", () => {
    assert.deepEqual(handoffText({ ok: true, status: 200, json: { status: "started", message: "Ana will answer within the hour." } }),
      { text: "Ana will answer within the hour.", error: false, active: true });
    const limited = handoffText({ ok: false, status: 429, retryAfter: "120", json: { error: { code: "rate_limited", message: "too many requests for a person today" } } });
    assert.equal(limited.text, "Too many requests for a person today. Try again in 2 min.");
    assert.equal(limited.error, true);
    assert.match(handoffText({ ok: false, status: 400, json: { error: { code: "no_conversation", message: "x" } } }).text, /^Write your question first/);
    assert.equal(handoffText({ ok: false, status: 404, json: { error: { code: "handoff_off", message: "no team" } } }).off, true);
    assert.match(handoffText({ ok: false, status: 0, json: null }).text, /^Could not reach the server/);
    assert.equal(teamLabel("Ana"), "Ana · team");
    assert.equal(teamLabel(""), "team");
    assert.equal(laterTime("2026-01-01T10:00:00Z", "2026-01-01T09:00:00Z"), "2026-01-01T10:00:00Z");
    assert.equal(laterTime(null, "2026-01-01T09:00:00+00:00"), "2026-01-01T09:00:00+00:00");
    assert.equal(laterTime("2026-01-01T10:00:00Z", "garbage"), "2026-01-01T10:00:00Z");
  });
});

describe("Talk to a person in Chromium", { skip }, () => {
  let server, browser, page, problems, origin;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
    // One team member for every agent (whatever salient.yaml says), and room for every request here.
    config.handoff = { ...config.handoff, team: [{ email: TEAM, name: NAME }], response_time: "within the hour", per_session_per_day: 50 };
    for (const agent of Object.values(config.agents ?? {})) delete agent.handoff;
    server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {}, config });
    origin = server.url;
    ({ browser, page, problems } = await openPage());
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const w = (selector) => page.locator(`salient-widget ${selector}`);
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  /** `fn(root, arg)` run in the page on the widget's shadow root (a function: no eval under a CSP). */
  async function shadow(fn, arg) {
    const root = await page.evaluateHandle(() => document.querySelector("salient-widget").shadowRoot);
    try {
      return await root.evaluate(fn, arg);
    } finally {
      await root.dispose();
    }
  }
  /** The browser's problems, less the error statuses these tests provoke on purpose. */
  const unexpected = () => problems.filter((p) => !/Failed to load resource: the server responded with a status of 429/.test(p));

  /** The team's handoff emails (newest first), once there are `count`. */
  async function teamEmails(count) {
    let mails = [];
    for (let end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      const { messages } = await (await fetch(`${origin}/dev/outbox.json`)).json();
      mails = messages.filter((m) => String(m.to).includes(TEAM) && /^reply\+[a-z2-7]{26}@/.test(String(m.replyTo).replace(/^.*</, "")));
      if (mails.length >= count) break;
    }
    return mails;
  }
  /** "Reply as the team" in the dev outbox: signed, posted to /mail/inbound; resolves its outcome. */
  async function teamReply(mail, text) {
    const response = await fetch(`${origin}/dev/outbox/reply`, {
      method: "POST",
      headers: { accept: "application/json", origin },
      body: new URLSearchParams({ key: mail.key, from: TEAM, text }),
    });
    const json = await response.json();
    assert.deepEqual([json.status, json.outcome], [200, "stored"], JSON.stringify(json));
    return Date.now();
  }
  /** Requests to the API made while `fn` runs and `settleMs` after: [{method, path, body}]. */
  async function apiRequests(fn, settleMs = 500) {
    const seen = [];
    const onRequest = (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith("/a/") || url.pathname.startsWith("/widget/")) seen.push({ method: r.method(), path: url.pathname, body: r.postData() });
    };
    page.on("request", onRequest);
    try {
      await fn();
      await page.waitForTimeout(settleMs);
    } finally {
      page.off("request", onRequest);
    }
    return seen;
  }
  const widgetAnswered = (users) => page.waitForFunction((n) => {
    const log = document.querySelector("salient-widget").shadowRoot.querySelector(".log");
    const last = [...log.querySelectorAll(".msg.user, .msg.assistant:not(.greeting)")].at(-1);
    return log.querySelectorAll(".msg.user").length >= n && last?.matches(".msg.assistant") && !last.classList.contains("streaming");
  }, users);

  test("no handoff remembered: the closed widget fetches nothing but the loader, and shows no badge", async () => {
    await page.goto(`${origin}/`);
    await page.evaluate(() => {
      localStorage.clear();
      localStorage.setItem("salient.session.sales", "k-current-0001");
      localStorage.setItem("salient.handoff.sales", "k-another-0002"); // another conversation's
    });
    const seen = await apiRequests(async () => {
      await page.reload();
      await w("button.launcher").waitFor();
      await page.waitForLoadState("networkidle");
    });
    assert.deepEqual(seen.map((r) => r.path), ["/widget/salient.js"]);
    assert.equal(await w(".launcher .badge").textContent(), "");
    assert.equal(await w("button.launcher").getAttribute("aria-label"), "Chat with us");
    assert.deepEqual(unexpected(), []);
  });

  test("the widget: the button posts /handoff and shows the message; the team's reply within 10 s, labelled; the badge after a reload", async () => {
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    const opened = await apiRequests(async () => {
      await w("button.launcher").click();
      await w(".pane.open").waitFor();
      await w(".tools .talk").waitFor({ state: "visible" }); // settings: handoff.enabled
    });
    assert.ok(!opened.some((r) => r.path === "/widget/handoff.js"), "the handoff part is not part of the first open");
    // (No words the offline classifier reads as asking for a person: the button starts this one.)
    const question = "We need a retaining wall rebuilt before winter; could you quote it?";
    const asked = await apiRequests(async () => {
      await w("textarea").fill(question);
      await w(".send").click();
      await widgetAnswered(1);
    });
    assert.ok(!asked.some((r) => r.path.endsWith("/handoff")), "no handoff requested by the question");

    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/a/sales/handoff")), w(".tools .talk").click()]);
    const started = { status: response.status(), json: await response.json() };
    assert.equal(started.status, 200, JSON.stringify(started.json));
    assert.equal(started.json.status, "started");
    await w(".log .msg.note").filter({ hasText: started.json.message }).waitFor();
    const key = await page.evaluate(() => localStorage.getItem("salient.session.sales"));
    assert.equal(await page.evaluate(() => localStorage.getItem("salient.handoff.sales")), key, "remembered for the badge");
    const [mail] = await teamEmails(1);
    assert.ok(mail, "the team's email is in the outbox");
    assert.ok(String(mail.text).replace(/\s+/g, " ").includes(question), "the conversation in the team's email");
    await shot("widget-requested");

    // The reply, markdown with an attempt at script: rendered sanitized, labelled, within 10 s.
    const sent = await teamReply(mail, "Hi, this is **Ana**. <img src=x onerror=\"window.pwned=1\"> We can come on Tuesday.");
    await page.waitForFunction(() => document.querySelector("salient-widget").shadowRoot.querySelector(".log .msg.team"), null, { timeout: 10000 });
    assert.ok(Date.now() - sent < 10000, `shown ${Date.now() - sent} ms after the reply`);
    const team = await shadow((root) => [...root.querySelectorAll(".log .msg.team")].map((b) => ({
      label: b.querySelector(".label").textContent, strong: b.querySelector("strong")?.textContent ?? null,
      img: b.querySelectorAll("img[onerror]").length, text: b.textContent,
    })));
    assert.equal(team.length, 1);
    assert.deepEqual([team[0].label, team[0].strong, team[0].img], ["Ana · team", "Ana", 0]);
    assert.match(team[0].text, /We can come on Tuesday\./);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    await page.waitForTimeout(4000); // more polls: still one bubble (by id)
    assert.equal(await w(".log .msg.team").count(), 1);
    await shot("widget-team-reply");

    // Closed, another reply (unseen), a reload: one POST updates with seen=0, the badge says 1.
    await page.keyboard.press("Escape");
    await w(".pane.open").waitFor({ state: "detached" });
    await page.waitForTimeout(500); // a poll under way when it closed has answered
    await teamReply(mail, "Also: bring photos of the site if you can.");
    const reloaded = await apiRequests(async () => {
      await page.reload();
      await w(".launcher .badge").filter({ hasText: "1" }).waitFor({ timeout: 5000 });
      await page.waitForLoadState("networkidle");
    });
    const api = reloaded.filter((r) => r.path.startsWith("/a/"));
    assert.deepEqual(api.map((r) => `${r.method} ${r.path}`), ["POST /a/sales/updates"], "the closed widget's one request");
    assert.deepEqual(JSON.parse(api[0].body), { session_key: key, seen: "0" });
    assert.ok(!reloaded.some((r) => r.path === "/widget/pane.js"), "the pane is not loaded for the badge");
    assert.equal(await w("button.launcher").getAttribute("aria-label"), "Chat with us (1 unread)");
    await shot("widget-badge");

    // Opened: the badge goes, both replies are in the history, labelled.
    await w("button.launcher").click();
    await w(".log .msg.team").nth(1).waitFor();
    assert.equal(await w(".launcher .badge").textContent(), "");
    assert.deepEqual(await shadow((root) => [...root.querySelectorAll(".log .msg.team .label")].map((l) => l.textContent)), ["Ana · team", "Ana · team"]);
    assert.deepEqual(unexpected(), []);
  });

  test("the widget: asking in words posts /handoff at once; a 429 shows its wait and keeps the draft; Salient.talkToPerson()", async () => {
    await w(".new").click();
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/a/sales/handoff"), { timeout: 15000 }),
      (async () => {
        await w("textarea").fill("Can I talk to a person please?");
        await w(".send").click();
      })(),
    ]);
    assert.equal(response.status(), 200, "done.handoff = requested: posted without a click");
    await w(".log .msg.note").last().waitFor();

    await page.route("**/a/sales/handoff", (r) => r.fulfill({ status: 429, contentType: "application/json", headers: { "Retry-After": "120" },
      body: JSON.stringify({ error: { code: "rate_limited", message: "too many requests for a person today" } }) }));
    await w("textarea").fill("a draft that must stay");
    await w(".tools .talk").click();
    await w(".log .msg.error").filter({ hasText: "Too many requests for a person today. Try again in 2 min." }).waitFor();
    assert.equal(await w("textarea").inputValue(), "a draft that must stay");
    const api = await page.evaluate(() => window.Salient.talkToPerson());
    assert.equal(api.error.code, "rate_limited");
    await page.unrouteAll({ behavior: "ignoreErrors" });
    const answer = await page.evaluate(() => window.Salient.talkToPerson());
    assert.equal(answer.status, "open", JSON.stringify(answer));
    assert.equal(typeof answer.message, "string");
    assert.deepEqual(unexpected(), []);
  });

  test("the full-page chat: the button (data-handoff), the message as a note, the reply within 10 s labelled, in the history after a reload", async () => {
    await page.goto(`${origin}/a/sales/`);
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await page.waitForFunction(() => window.htmx && document.getElementById("session-key").value);
    await page.locator("#talk-to-person").waitFor({ state: "visible" });
    const seen = (await teamEmails(0)).length;
    await page.fill("#message", "Do you plant hedges in autumn?");
    await page.click("#send");
    await page.waitForFunction(() => {
      const last = [...document.querySelectorAll("#messages .msg.assistant")].at(-1);
      return last && !last.classList.contains("streaming") && last.querySelector(".text").textContent.trim();
    });
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/a/sales/handoff")), page.click("#talk-to-person")]);
    const json = await response.json();
    assert.ok(response.status() === 200 || response.status() === 202, JSON.stringify(json));
    await page.locator("#messages .msg.note").filter({ hasText: json.message }).waitFor();
    const [mail] = await teamEmails(seen + 1);

    const sent = await teamReply(mail, "Yes, *October* is ideal. — Ana");
    await page.locator("#messages .msg.team").waitFor({ timeout: 10000 });
    assert.ok(Date.now() - sent < 10000, `shown ${Date.now() - sent} ms after the reply`);
    assert.equal(await page.locator("#messages .msg.team .label").textContent(), "Ana · team");
    assert.equal(await page.locator("#messages .msg.team em").textContent(), "October");
    await shot("page-team-reply");

    await page.reload();
    await page.locator("#messages .msg.team em").waitFor(); // the history, rendered the same way
    assert.equal((await page.locator("#messages .msg.team .label").textContent()).trim(), "Ana · team");
    await page.waitForTimeout(3000); // the remembered handoff is followed: no second copy
    assert.equal(await page.locator("#messages .msg.team").count(), 1);

    // Ana replied: for handoff.quiet_minutes the assistant stays quiet and says who has the chat.
    const answers = await page.locator("#messages .msg.assistant").count();
    await page.fill("#message", "Great, and what does a hedge cost?");
    await page.click("#send");
    await page.waitForFunction((n) => {
      const all = [...document.querySelectorAll("#messages .msg.assistant")];
      const last = all.at(-1);
      return all.length > n && !last.classList.contains("streaming") && last.querySelector(".text").textContent.trim();
    }, answers);
    const note = page.locator("#messages .msg.assistant").last();
    assert.equal((await note.locator(".text").textContent()).trim(), `Your message is with ${NAME}. They'll reply here.`);
    assert.equal(await note.locator(".badge").count(), 0, "no 'Offline answer' badge on the holding note");
    assert.deepEqual(unexpected(), []);
  });
});
