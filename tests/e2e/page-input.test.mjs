// The full-page chat's message box under the agent's UI settings (salient.yaml chat.input, which
// the page gets as data attributes on its form, and ui.sse_enabled, which decides how the chat
// partial's answer comes), and its Clear button, in headless Chromium against the Node dev server
// (offline answers). The first suite gives keys other than the demo's by rewriting the form's
// attributes as the page arrives; the last runs a server whose config has them, end to end.
//
//   node --test tests/e2e/page-input.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing as skip, openPage } from "../support/chromium.mjs";
import { startServerWithOtherKeys } from "../support/other-keys-server.mjs";

/**
 * The chat page with `attrs` set on form#chat-form (replacing what the server wrote). Resolves
 * { page, browser, problems, posts() (chat POSTs so far), requests }.
 */
async function openChat(origin, attrs = {}) {
  const opened = await openPage();
  const { page } = opened;
  const requests = []; // "METHOD path accept"
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/a/")) requests.push(`${r.method()} ${url.pathname} ${r.headers().accept ?? ""}`);
  });
  if (Object.keys(attrs).length) {
    await page.route(`${origin}/a/sales/`, async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace(/<form id="chat-form"[^>]*>/, (tag) => {
        for (const [name, value] of Object.entries(attrs)) {
          tag = tag.replace(new RegExp(` ${name}="[^"]*"`), "").replace(/>$/, ` ${name}="${value}">`);
        }
        return tag;
      });
      const headers = { ...response.headers() };
      delete headers["content-encoding"]; // route.fetch() gave the decoded body
      delete headers["content-length"];
      await route.fulfill({ status: response.status(), headers, body: html });
    });
  }
  await page.goto(`${origin}/a/sales/`);
  await page.waitForFunction(() => window.htmx && document.getElementById("session-key").value);
  const posts = () => requests.filter((r) => r.startsWith("POST /a/sales/chat")).length;
  return { ...opened, requests, posts };
}

const users = (page) => page.evaluate(() => [...document.querySelectorAll("#messages .msg.user")].map((b) => b.textContent));
/** The answer to the `n`-th message is complete (labelled: these are offline answers). */
const answerDone = (page, n) => page.waitForFunction((count) => {
  const all = [...document.querySelectorAll("#messages .msg.user, #messages .msg.assistant")];
  const b = all.at(-1);
  return document.querySelectorAll("#messages .msg.user").length >= count && b?.classList.contains("assistant") &&
    !b.classList.contains("streaming") && b.querySelector(".label").textContent.trim();
}, n);
const storage = (page) => page.evaluate(() => ({
  current: localStorage.getItem("salient.session.sales"),
  keys: localStorage.getItem("salient.sessions.sales"),
}));

describe("the chat page's message box under the agent's settings, and Clear", { skip }, () => {
  let server, origin;
  const open = [];

  before(async () => {
    server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} });
    origin = server.url;
  });
  after(async () => {
    for (const b of open) await b.close();
    await server?.close();
  });
  const chatWith = async (attrs) => {
    const c = await openChat(origin, attrs);
    open.push(c.browser);
    return c;
  };

  test('data-submit-shortcut "enter": Shift+Enter adds a line, Enter sends', async () => {
    const { page } = await chatWith({ "data-submit-shortcut": "enter", "data-enter-inserts-newline": "false" });
    await page.click("#message");
    await page.keyboard.type("a");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("b");
    await page.keyboard.press("Enter");
    await answerDone(page, 1);
    assert.deepEqual(await users(page), ["a\nb"]);
  });

  test('"ctrl+enter" with enter_inserts_newline false: Enter does nothing, Shift+Enter adds a line, Ctrl+Enter sends', async () => {
    const { page, posts } = await chatWith({ "data-submit-shortcut": "ctrl+enter", "data-enter-inserts-newline": "false" });
    await page.click("#message");
    await page.keyboard.type("x");
    await page.keyboard.press("Enter");
    await page.keyboard.type("y");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("z");
    assert.equal(await page.inputValue("#message"), "xy\nz");
    await page.waitForTimeout(300);
    assert.equal(posts(), 0);
    await page.keyboard.press("Control+Enter");
    await answerDone(page, 1);
    assert.deepEqual(await users(page), ["xy\nz"]);
  });

  test("data-debounce-ms: a submission within the window after the last one is ignored; after it, sent; a double click posts once", async () => {
    const { page, posts } = await chatWith({ "data-debounce-ms": "1500" });
    await page.fill("#message", "one");
    const first = Date.now();
    await page.press("#message", "Control+Enter");
    await answerDone(page, 1);
    assert.ok(Date.now() - first < 1200, "the answer came well inside the window");
    await page.fill("#message", "two");
    await page.press("#message", "Control+Enter"); // within 1.5 s of "one": ignored, the window starts again
    const ignored = Date.now();
    await page.waitForTimeout(300);
    assert.equal(posts(), 1, "not sent");
    assert.equal(await page.inputValue("#message"), "two", "the text stays");
    await page.waitForTimeout(Math.max(0, 1600 - (Date.now() - ignored)));
    await page.press("#message", "Control+Enter");
    await answerDone(page, 2);
    assert.deepEqual(await users(page), ["one", "two"]);

    await page.waitForTimeout(1600);
    await page.fill("#message", "three");
    await page.dblclick("#send");
    await answerDone(page, 3);
    await page.waitForTimeout(300);
    assert.equal(posts(), 3, "the double click sent once");
    assert.deepEqual(await users(page), ["one", "two", "three"]);
  });

  test("Clear empties the pane only: same conversation, Past chats and a reload bring it back", async () => {
    const { page, problems } = await chatWith({});
    await page.fill("#message", "hello");
    await page.press("#message", "Control+Enter");
    await answerDone(page, 1);
    const before = await storage(page);
    const clear = page.getByRole("button", { name: "Clear", exact: true });
    assert.equal(await clear.count(), 1, "a real button named Clear");
    assert.equal(await clear.getAttribute("type"), "button");
    await page.fill("#message", "draft");
    // By keyboard: Clear is the control after New chat.
    await page.focus("#new-chat");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "Clear");
    await page.keyboard.press("Enter");
    assert.equal(await page.locator("#messages > *").count(), 0, "the pane is empty");
    assert.equal(await page.inputValue("#message"), "draft", "the typed draft stays");
    assert.equal(await page.evaluate(() => document.activeElement.id), "message");
    assert.deepEqual(await storage(page), before, "no new session; the stored list is as it was");
    assert.equal(await page.inputValue("#session-key"), before.current);

    // Past chats lists it as the current chat; choosing it brings it back.
    await page.click("#sessions > summary");
    const entry = page.locator('#session-list button.session[aria-current="true"]');
    await entry.waitFor();
    assert.equal(await entry.getAttribute("data-session-key"), before.current);
    await entry.click();
    await page.locator("#messages .msg.assistant").waitFor();
    assert.deepEqual(await users(page), ["hello"]);

    // Cleared again, the next message continues the same conversation.
    await clear.click();
    await page.fill("#message", "and again");
    await page.press("#message", "Control+Enter");
    await answerDone(page, 1);
    assert.deepEqual(await users(page), ["and again"]);
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll("#messages .msg.user").length === 2);
    assert.deepEqual(await users(page), ["hello", "and again"]);
    assert.equal((await storage(page)).current, before.current);
    assert.deepEqual(problems, []);
  });
});

// End to end: a server whose salient.yaml has other keys; the page's form carries them.
describe("the chat page under a config with other keys (the form's data attributes)", { skip }, () => {
  let server;
  before(async () => {
    server = await startServerWithOtherKeys();
  });
  after(async () => server?.close());

  test("the form carries the keys; Enter sends, Shift+Enter adds a line, the answer comes as ONE JSON document", async () => {
    const { page, browser, requests, problems } = await openChat(server.url);
    try {
      const form = await page.evaluate(() => ({ ...document.getElementById("chat-form").dataset }));
      assert.deepEqual(
        [form.submitShortcut, form.enterInsertsNewline, form.debounceMs, form.sse],
        ["enter", "false", "1000", "false"]);
      const types = [];
      page.on("response", (r) => r.url().includes("/events/stream") && types.push(r.headers()["content-type"]));
      await page.click("#message");
      await page.keyboard.type("how much");
      await page.keyboard.press("Shift+Enter");
      await page.keyboard.type("deposit do you take?");
      await page.keyboard.press("Enter");
      await answerDone(page, 1);
      assert.deepEqual(await users(page), ["how much\ndeposit do you take?"]);
      assert.deepEqual(requests.filter((r) => r.includes("/events/stream")), ["GET /a/sales/events/stream application/json"]);
      assert.match(types.join(), /^application\/json/);

      const bubble = page.locator("#messages .msg.assistant").last();
      assert.equal(await bubble.getAttribute("sse-connect"), null, "no event stream was opened");
      assert.match(await bubble.locator(".label .badge.offline").textContent(), /excerpts/);
      assert.match(await bubble.locator(".text").textContent(), /deposit/i);
      assert.equal(await bubble.locator(".text .md-tail").count(), 0, "rendered at once, not token by token");
      assert.match(await bubble.getAttribute("data-message-id") ?? "", /\S/);
      const links = await bubble.locator(".text a.cite").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      assert.ok(links.length >= 1, "the [n] markers became links");
      for (const href of links) {
        assert.ok(await page.evaluate((id) => document.getElementById(id)?.closest(".sources-slot") !== null, href.slice(1)), href);
      }
      assert.ok(await bubble.locator(".sources li a[target=_blank]").count() > 0, "sources link to their pages");
      assert.equal(await bubble.locator(".error").isHidden(), true);

      // Restored after a reload: the same answer from the history, its sources linked again.
      await page.reload();
      await page.locator("#messages .msg.assistant .text a.cite").first().waitFor();
      assert.deepEqual(await users(page), ["how much\ndeposit do you take?"]);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
