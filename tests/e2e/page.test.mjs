// The full-page HTMX chat in headless Chromium against the Node dev server: the real page,
// htmx + the SSE extension, widget/page/page.js and the modules' streamed answers.
// Needs Debian's chromium at /usr/bin/chromium (skipped, saying so, when it is absent).

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing as skip, openPage } from "../support/chromium.mjs";
import { REPO } from "../support/workerd.mjs";

const SCREENSHOT = path.join(REPO, "test-results", "page.png");

describe("full-page chat in Chromium", { skip }, () => {
  let server, browser, page;
  let problems; // console errors, page errors, CSP violations
  let firstKey, firstAnswer; // the "hello" conversation, for the history tests

  const storage = () => page.evaluate(() => ({
    current: localStorage.getItem("salient.session.sales"),
    keys: JSON.parse(localStorage.getItem("salient.sessions.sales") || "null"),
    field: document.getElementById("session-key").value,
  }));
  // A history load is over (or none was started): nothing is busy in the message pane.
  const historyLoaded = () => page.waitForFunction(() => {
    const messages = document.getElementById("messages");
    return window.htmx && !messages.hasAttribute("aria-busy");
  });
  const bubbles = () => page.evaluate(() => [...document.querySelectorAll("#messages > .msg")].map((b) => ({
    kind: b.classList.contains("user") ? "user" : b.classList.contains("assistant") ? "assistant" : b.className,
    label: b.querySelector(".label")?.textContent.trim() ?? null,
    text: b.querySelector(".text")?.textContent.trim() ?? b.textContent.trim(),
    streaming: b.hasAttribute("sse-connect"),
  })));
  // The answer to the `users`-th message is complete: that many user bubbles, the last bubble an
  // assistant one, done streaming, labelled. (Counting matters: right after a send, the previous
  // answer is the last bubble until the POST's partial arrives.)
  const answerDone = (users) => page.waitForFunction((n) => {
    const all = [...document.querySelectorAll("#messages .msg.user, #messages .msg.assistant")];
    const b = all.at(-1);
    return document.querySelectorAll("#messages .msg.user").length >= n && b?.classList.contains("assistant") &&
      !b.classList.contains("streaming") && b.querySelector(".label").textContent.trim();
  }, users);

  before(async () => {
    server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} });
    ({ browser, page, problems } = await openPage());
    await page.goto(`${server.url}/a/sales/`);
    await page.waitForFunction(() => window.htmx && document.getElementById("session-key").value);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test("a session key per agent is kept in localStorage", async () => {
    const { stored, field } = await page.evaluate(() => ({
      stored: localStorage.getItem("salient.session.sales"),
      field: document.getElementById("session-key").value,
    }));
    assert.match(stored, /^[0-9a-f-]{36}$/);
    assert.equal(field, stored);
  });

  test("Ctrl+Enter sends; the offline answer streams into the assistant bubble with its label", async () => {
    await page.fill("#message", "hello");
    await page.press("#message", "Control+Enter");
    const bubble = page.locator(".msg.assistant").last();
    await bubble.locator(".text").filter({ hasText: /\S/ }).waitFor();
    // The stream is over when the extension closed it on `done` (no reconnect, no error).
    await page.waitForFunction(() => {
      const b = [...document.querySelectorAll(".msg.assistant")].pop();
      return b && !b.classList.contains("streaming") && b.querySelector(".label").textContent.trim();
    });
    assert.match(await bubble.locator(".label").textContent(), /Offline answer/);
    const answer = (await bubble.locator(".text").textContent()).trim();
    assert.ok(answer.length > 20, answer);
    assert.equal((await bubble.locator(".error").textContent()).trim(), "");
    assert.equal(await page.locator(".msg.user").last().textContent(), "hello");
    assert.equal(await page.inputValue("#message"), "", "the textarea is cleared after a successful send");
    assert.equal(await page.evaluate(() => document.activeElement.id), "message", "focus stays in the textarea");
    const { current, keys } = await storage();
    assert.deepEqual(keys, [current], "a sent-to session is listed in salient.sessions.sales");
    firstKey = current;
    firstAnswer = answer;
  });

  test("plain Enter inserts a new line and sends nothing", async () => {
    const before = await page.locator(".msg.user").count();
    await page.click("#message");
    await page.keyboard.type("first line");
    await page.keyboard.press("Enter");
    await page.keyboard.type("second line");
    assert.equal(await page.inputValue("#message"), "first line\nsecond line");
    await page.waitForTimeout(300);
    assert.equal(await page.locator(".msg.user").count(), before);
  });

  test("a whitespace-only message is not sent", async () => {
    const before = await page.locator(".msg.user").count();
    await page.fill("#message", "   \n  ");
    await page.press("#message", "Control+Enter");
    await page.click("#send");
    await page.waitForTimeout(300);
    assert.equal(await page.locator(".msg.user").count(), before);
  });

  test("a reload restores the conversation: both bubbles, the same text, the label kept", async () => {
    assert.ok(firstKey, "needs the conversation sent above");
    await page.reload();
    await page.locator(".msg.assistant").first().waitFor();
    await historyLoaded();
    assert.deepEqual(await bubbles(), [
      { kind: "user", label: null, text: "hello", streaming: false },
      { kind: "assistant", label: "Offline answer", text: firstAnswer, streaming: false },
    ]);
    assert.equal(await page.locator(".msg.assistant .badge.offline").count(), 1);
    const { current, field } = await storage();
    assert.equal(current, firstKey, "the same conversation stays current");
    assert.equal(field, firstKey);
    // The old button#clear, which started over, stays gone: Clear is now #clear-chat and empties
    // the pane only (tests/e2e/page-input.test.mjs).
    assert.equal(await page.locator("#clear").count(), 0, "no button#clear");
    await page.screenshot({ path: SCREENSHOT }); // look at it: test-results/page.png
  });

  test("a message sent while the history loads is sent after it, below the restored bubbles", async () => {
    // The history answer is held back until the send has been asked for.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    await page.route("**/a/sales/history", async (route) => {
      await held;
      await route.continue();
    });
    try {
      await page.reload();
      await page.waitForFunction(() => document.getElementById("messages").getAttribute("aria-busy") === "true");
      await page.fill("#message", "are you there?");
      await page.press("#message", "Control+Enter");
      await page.waitForTimeout(200);
      assert.equal(await page.locator(".msg").count(), 0, "nothing is sent before the history is in");
      release();
      await page.waitForFunction(() => document.querySelectorAll(".msg.user").length === 2);
      await answerDone(2);
    } finally {
      release();
      await page.unroute("**/a/sales/history");
    }
    const shown = await bubbles();
    assert.deepEqual(shown.map((b) => b.kind), ["user", "assistant", "user", "assistant"]);
    assert.equal(shown[0].text, "hello");
    assert.equal(shown[2].text, "are you there?");
    assert.equal(await page.inputValue("#message"), "");
    assert.equal((await storage()).current, firstKey);
  });

  test("New chat empties the pane, keeps the draft and starts a new session; the old one stays listed", async () => {
    await page.fill("#message", "draft");
    await page.click("#new-chat");
    assert.equal(await page.locator("#messages > *").count(), 0);
    assert.equal(await page.inputValue("#message"), "draft");
    assert.equal(await page.evaluate(() => document.activeElement.id), "message", "focus goes back to the textarea");
    const { current, keys, field } = await storage();
    assert.match(current, /^[0-9a-f-]{36}$/);
    assert.notEqual(current, firstKey);
    assert.equal(field, current, "the next message goes to the new session");
    assert.deepEqual(keys, [firstKey], "the earlier session is kept; the new one is listed once something is sent");
  });

  test("Past chats lists the earlier chat (not keys the server does not know) and switches back to it", async () => {
    const newKey = (await storage()).current;
    const unknown = "0f0f0f0f-0000-4000-8000-00000000dead"; // never sent: the server has no such session
    await page.evaluate((key) => {
      const keys = JSON.parse(localStorage.getItem("salient.sessions.sales"));
      localStorage.setItem("salient.sessions.sales", JSON.stringify([...keys, key]));
    }, unknown);

    // By keyboard: the summary opens the list, Tab reaches its entries, Enter picks one.
    await page.focus("#sessions > summary");
    await page.keyboard.press("Enter");
    const entries = page.locator("#session-list button.session");
    await entries.first().waitFor();
    await page.waitForFunction(() => !document.getElementById("session-list").hasAttribute("aria-busy"));
    assert.equal(await entries.count(), 1, "only the chat the server knows is listed");
    const entry = entries.first();
    assert.equal(await entry.getAttribute("data-session-key"), firstKey);
    assert.match((await entry.locator(".title").textContent()).trim(), /^hello/);
    assert.match(await entry.locator("time").getAttribute("datetime"), /^\d{4}-\d\d-\d\dT/);
    assert.match(await entry.locator(".count").textContent(), /\d+ messages?/);
    assert.equal(await entry.getAttribute("aria-current"), null, "the new chat is current, not this one");
    await page.screenshot({ path: path.join(REPO, "test-results", "page-sessions.png") });

    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.dataset.sessionKey), firstKey);
    await page.keyboard.press("Enter");
    await page.locator(".msg.assistant").first().waitFor();
    await historyLoaded();

    const shown = await bubbles();
    assert.deepEqual(shown.map((b) => b.kind), ["user", "assistant", "user", "assistant"]);
    assert.deepEqual(shown.slice(0, 2), [
      { kind: "user", label: null, text: "hello", streaming: false },
      { kind: "assistant", label: "Offline answer", text: firstAnswer, streaming: false },
    ]);
    assert.equal(await page.evaluate(() => document.getElementById("sessions").open), false, "the list closes");
    assert.equal(await page.evaluate(() => document.activeElement.id), "message");
    assert.equal(await page.inputValue("#message"), "draft", "the draft survives switching");
    const { current, field, keys } = await storage();
    assert.equal(current, firstKey, "the chosen chat is current again");
    assert.equal(field, firstKey);
    assert.ok(!keys.includes(newKey), "the empty new chat is not listed: nothing was sent to it");

    // Opened again, the list marks the current chat; Escape closes it.
    await page.click("#sessions > summary");
    await page.locator('#session-list button.session[aria-current="true"]').waitFor();
    assert.equal(await page.locator('#session-list [aria-current="true"]').getAttribute("data-session-key"), firstKey);
    await page.keyboard.press("Escape");
    assert.equal(await page.evaluate(() => document.getElementById("sessions").open), false);
    assert.equal(await page.evaluate(() => document.activeElement.tagName), "SUMMARY");
    await page.fill("#message", "");
  });

  test("an answer from the knowledge base links its [n] markers to the sources listed under it", async () => {
    const users = await page.locator(".msg.user").count();
    await page.fill("#message", "how much deposit do you take?");
    await page.press("#message", "Control+Enter");
    await answerDone(users + 1);
    const bubble = page.locator(".msg.assistant").last();
    await bubble.locator(".sources li").first().waitFor();
    const links = await bubble.locator(".text a.cite").evaluateAll((as) => as.map((a) => ({ href: a.getAttribute("href"), text: a.textContent })));
    assert.ok(links.length >= 1, "the [n] markers became links");
    for (const { href, text } of links) {
      assert.match(text, /^\[\d+\]$/);
      const target = await page.evaluate((id) => {
        const el = document.getElementById(id);
        return el ? { tag: el.tagName, n: el.getAttribute("data-n") } : null;
      }, href.slice(1));
      assert.ok(target && target.tag === "LI" && `[${target.n}]` === text, `${href} → ${JSON.stringify(target)}`);
    }
    assert.match(await bubble.locator(".label").textContent(), /excerpts/);

    // After a reload the stored answer comes back with the same sources, its [n] linked again.
    const titles = await bubble.locator(".sources li").evaluateAll((lis) => lis.map((li) => li.textContent));
    await page.reload();
    const restored = page.locator(".msg.assistant").last();
    await restored.locator(".sources li").first().waitFor();
    assert.deepEqual(await restored.locator(".sources li").evaluateAll((lis) => lis.map((li) => li.textContent)), titles);
    const again = await restored.locator(".text a.cite").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    assert.equal(again.length, links.length);
    for (const href of again) assert.ok(await page.evaluate((id) => !!document.getElementById(id), href.slice(1)), href);
  });

  test("no console errors and no CSP violations", () => {
    assert.deepEqual(problems, []);
  });

  // Last: the browser and htmx log failed requests to the console, by design.
  test("a rejected POST shows an error bubble and keeps the typed text", async () => {
    const sent = await page.locator(".msg.user").count();
    const tooLong = "x".repeat(5000); // over chat.max_message_chars: the server answers 400
    await page.evaluate(() => document.getElementById("message").removeAttribute("maxlength"));
    await page.fill("#message", tooLong);
    await page.press("#message", "Control+Enter");
    const error = page.locator("#messages .msg.error");
    await error.waitFor();
    assert.ok((await error.textContent()).trim().length > 0);
    assert.equal(await error.getAttribute("role"), "alert");
    assert.equal(await page.inputValue("#message"), tooLong);
    assert.equal(await page.locator(".msg.user").count(), sent);
  });

  test("a history the server cannot give shows an error bubble, and sending still works", async () => {
    await page.route("**/a/sales/history", (route) =>
      route.fulfill({ status: 500, contentType: "text/plain", body: "internal error\n" }));
    try {
      await page.reload();
      const error = page.locator("#messages .msg.error");
      await error.waitFor();
      await historyLoaded();
      assert.match(await error.textContent(), /could not be loaded/i);
      assert.equal(await error.getAttribute("role"), "alert");
      await page.fill("#message", "still there?");
      await page.press("#message", "Control+Enter");
      await page.locator(".msg.user").waitFor();
      await answerDone(1);
      assert.equal(await page.locator(".msg.user").textContent(), "still there?");
      assert.equal((await storage()).current, firstKey);
    } finally {
      await page.unroute("**/a/sales/history");
    }
  });
});

// The page renders answers with the widget's core, as the widget does: the same markdown makes
// the same HTML, streamed or restored, and its [n] still link to the sources.
describe("full-page chat: answers as markdown, like the widget", { skip }, () => {
  const MARKDOWN = "Our services:\n\n- **Design** plans\n- Planting & care\n\n```sh\necho <hello>\n```\n\n" +
    "| size | price |\n|---|--:|\n| small | €90 |\n\nSee [our guide](https://example.com/guide), " +
    "[not this](javascript:alert(1)) and <b>bold</b><script>alert(2)</script>.";
  let fake, server, browser, page, problems;

  before(async () => {
    const { startFakeOpenRouter } = await import("../support/fake-openrouter.mjs");
    fake = await startFakeOpenRouter({ port: 0 });
    server = await startServer({
      port: 0, log: () => {},
      env: { SALIENT_STATE: "memory", OPENROUTER_API_KEY: "sk-or-page-md", OPENROUTER_BASE_URL: fake.url },
    });
    ({ browser, page, problems } = await openPage());
    await page.exposeFunction("__xss", () => problems.push("a script in an answer ran"));
    await page.addInitScript(() => { window.alert = () => window.__xss(); });
    await page.goto(`${server.url}/a/sales/`);
    await page.waitForFunction(() => window.htmx && document.getElementById("session-key").value);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await fake?.close();
  });

  const answerHtml = () => page.evaluate(() => {
    const text = [...document.querySelectorAll("#messages .msg.assistant .text")].at(-1);
    return { html: text.innerHTML, done: !text.closest(".msg").classList.contains("streaming") };
  });

  test("a streamed answer is rendered as markdown, sanitized, the same as the widget's core renders it", async () => {
    fake.enqueue({ kind: "ok", text: MARKDOWN, delayMs: 20 });
    await page.fill("#message", "what do you offer?");
    await page.press("#message", "Control+Enter");
    await page.waitForFunction(() => {
      const b = document.querySelector("#messages .msg.assistant");
      return b && !b.classList.contains("streaming") && b.querySelector(".text li");
    });
    const streamed = await page.evaluate(() => {
      const text = document.querySelector("#messages .msg.assistant .text");
      return {
        items: [...text.querySelectorAll("ul > li")].map((li) => li.textContent),
        strong: text.querySelector("li strong")?.textContent,
        code: text.querySelector(".code pre code")?.textContent,
        copy: !!text.querySelector(".code button[data-copy]"),
        cells: [...text.querySelectorAll("td")].map((td) => td.textContent),
        links: [...text.querySelectorAll("a")].map((a) => ({ href: a.getAttribute("href"), rel: a.rel })),
        scripts: text.querySelectorAll("script").length,
        bold: text.querySelector("b")?.textContent ?? null,
        visible: text.textContent,
      };
    });
    assert.deepEqual(streamed.items, ["Design plans", "Planting & care"]);
    assert.equal(streamed.strong, "Design");
    assert.equal(streamed.code, "echo <hello>\n");
    assert.ok(streamed.copy, "code blocks get a Copy button");
    assert.deepEqual(streamed.cells, ["small", "€90"]);
    assert.deepEqual(streamed.links, [{ href: "https://example.com/guide", rel: "noopener noreferrer" }],
      "only the http(s) link is a link");
    assert.equal(streamed.scripts, 0);
    assert.equal(streamed.bold, "bold", "ui.allow_basic_html (on in salient.yaml) lets <b> through");
    assert.match(streamed.visible, /<script>alert\(2\)<\/script>/, "other raw HTML is shown as text");

    // Exactly what the core renders from the whole text in one go, and the same after a reload.
    const { html } = await answerHtml();
    const oneShot = await page.evaluate(async (md) => {
      const { loadWidgetCore } = await import("/widget/widget-core-api.js");
      const template = document.createElement("template"); // serialised by the DOM, as innerHTML is
      template.innerHTML = (await loadWidgetCore()).renderMarkdown(md, { allowBasicHtml: true });
      return template.innerHTML;
    }, MARKDOWN);
    const normalise = (h) => h.replace(/<div class="md-tail"><\/div>/g, "").replace(/^<div>|<\/div>$/g, "");
    assert.equal(normalise(html), oneShot);
    await page.reload();
    await page.locator("#messages .msg.assistant .text li").first().waitFor();
    assert.equal((await answerHtml()).html, oneShot, "restored from history: the same HTML");
  });

  test("no script ran, no console errors, no CSP violations (the core compiles under 'wasm-unsafe-eval')", () => {
    assert.deepEqual(problems, []);
  });
});
