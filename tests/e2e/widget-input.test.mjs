// The widget's message box under the agent's UI settings (salient.yaml chat.input and
// ui.sse_enabled, which the pane reads from GET /a/{agent}/settings on the first open), and its
// Clear button, in headless Chromium against the Node dev server (offline answers). The first
// suite gives settings other than the demo's by routing the pane's settings request; the last
// runs a server whose config has them, end to end.
//
//   node --test tests/e2e/widget-input.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing, openPage } from "../support/chromium.mjs";
import { startServerWithOtherKeys } from "../support/other-keys-server.mjs";

const skip = chromiumMissing;
const DEMO = { submit_shortcut: "ctrl+enter", enter_inserts_newline: true, debounce_ms: 250, sse_enabled: true };

/** `fn(root, arg)` run in the page on the widget's (open) shadow root. */
async function inWidget(page, fn, arg) {
  const root = await page.evaluateHandle(() => document.querySelector("salient-widget").shadowRoot);
  try {
    return await root.evaluate(fn, arg);
  } finally {
    await root.dispose();
  }
}

/** Polls `fn(root, arg)` until it returns something truthy. */
async function untilWidget(page, fn, arg, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await inWidget(page, fn, arg).catch(() => null);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The widget's parts, read in its shadow root. */
const widget = {
  users: (page) => inWidget(page, (root) => [...root.querySelectorAll(".msg.user")].map((b) => b.textContent)),
  kinds: (page) => inWidget(page, (root) => [...root.querySelectorAll(".log > .msg")].map((b) => b.className.replace(/^msg /, ""))),
  hint: (page) => inWidget(page, (root) => root.querySelector("#salient-hint").textContent),
  /** Waits until there are `count` answers and the last one is complete. */
  answerDone: (page, count) => untilWidget(page, (root, n) => {
    const all = root.querySelectorAll(".msg.assistant:not(.greeting)");
    return all.length >= n && !all[all.length - 1].classList.contains("streaming");
  }, count),
  focused: (page) => inWidget(page, (root) => root.activeElement?.className || root.activeElement?.tagName || null),
};

/**
 * The demo home page with the pane open. `settings`: what GET settings answers (over the demo's;
 * null: the server's own answer; a number: that HTTP status). Resolves { page, browser, problems,
 * textarea, requests, responses }, once the pane shows the hint `hint` when given.
 */
async function openWidget(origin, settings = null, { hint = null } = {}) {
  const opened = await openPage();
  try {
    return await readyWidget(opened, origin, settings, hint);
  } catch (err) {
    await opened.browser.close(); // a test that fails here must not leave its Chromium running
    throw err;
  }
}

async function readyWidget(opened, origin, settings, hint) {
  const { page } = opened;
  const requests = []; // "METHOD path accept"
  const responses = []; // "path status content-type"
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/a/")) requests.push(`${r.method()} ${url.pathname} ${r.headers().accept ?? ""}`);
  });
  page.on("response", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/a/")) responses.push(`${url.pathname} ${r.status()} ${r.headers()["content-type"] ?? ""}`);
  });
  if (settings !== null) {
    await page.route("**/a/sales/settings", (route) => typeof settings === "number"
      ? route.fulfill({ status: settings, contentType: "text/plain", body: "unavailable" })
      : route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ agent: "sales", ...DEMO, ...settings }) }));
  }
  await page.goto(`${origin}/`);
  await page.locator("salient-widget button.launcher").click();
  const textarea = page.locator("salient-widget .pane textarea");
  await textarea.waitFor({ state: "visible" });
  if (hint) await untilWidget(page, (root, text) => root.querySelector("#salient-hint").textContent === text, hint);
  return { ...opened, textarea, requests, responses };
}

describe("the widget's message box under the agent's settings, and Clear", { skip }, () => {
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
  const widgetWith = async (...args) => {
    const w = await openWidget(origin, ...args);
    open.push(w.browser);
    return w;
  };

  test("settings are fetched once, on the first open; the demo's keys: Enter adds a new line, Ctrl+Enter sends", async () => {
    const { page, textarea, requests, problems } = await widgetWith(null, { hint: "Ctrl+Enter sends, Enter adds a new line." });
    assert.deepEqual(requests.filter((r) => r.includes("/settings")), ["GET /a/sales/settings application/json"]);
    await textarea.type("first");
    await textarea.press("Enter");
    await textarea.type("second");
    assert.equal(await textarea.inputValue(), "first\nsecond");
    await page.waitForTimeout(300);
    assert.deepEqual(await widget.users(page), [], "Enter sent nothing");
    await textarea.press("Control+Enter");
    await widget.answerDone(page, 1);
    assert.deepEqual(await widget.users(page), ["first\nsecond"]);
    assert.equal(await textarea.inputValue(), "");
    // Closed and opened again: no second settings request.
    await page.keyboard.press("Escape");
    await page.locator("salient-widget button.launcher").click();
    await textarea.waitFor({ state: "visible" });
    assert.equal(requests.filter((r) => r.includes("/settings")).length, 1);
    assert.deepEqual(problems, []);
  });

  test('submit_shortcut "enter": Shift+Enter adds a line, Enter sends', async () => {
    const { page, textarea } = await widgetWith({ submit_shortcut: "enter", enter_inserts_newline: false }, { hint: "Enter sends, Shift+Enter adds a new line." });
    await textarea.type("a");
    await textarea.press("Shift+Enter");
    await textarea.type("b");
    await textarea.press("Enter");
    await widget.answerDone(page, 1);
    assert.deepEqual(await widget.users(page), ["a\nb"]);
  });

  test('"ctrl+enter" with enter_inserts_newline false: Enter does nothing, Shift+Enter adds a line, Ctrl+Enter sends', async () => {
    const { page, textarea } = await widgetWith({ enter_inserts_newline: false }, { hint: "Ctrl+Enter sends, Shift+Enter adds a new line." });
    await textarea.type("x");
    await textarea.press("Enter");
    await textarea.type("y");
    await textarea.press("Shift+Enter");
    await textarea.type("z");
    assert.equal(await textarea.inputValue(), "xy\nz");
    await page.waitForTimeout(300);
    assert.deepEqual(await widget.users(page), []);
    await textarea.press("Control+Enter");
    await widget.answerDone(page, 1);
    assert.deepEqual(await widget.users(page), ["xy\nz"]);
  });

  test("settings that cannot be loaded: the defaults hold (Ctrl+Enter sends), and the chat works", async () => {
    const { page, textarea } = await widgetWith(503);
    await page.waitForResponse((r) => r.url().endsWith("/a/sales/settings")).catch(() => {});
    assert.equal(await widget.hint(page), "Ctrl+Enter sends, Enter adds a new line.");
    await textarea.type("hello");
    await textarea.press("Control+Enter");
    await widget.answerDone(page, 1);
    assert.deepEqual(await widget.users(page), ["hello"]);
  });

  test("an Enter pressed before the settings are in is done as they say, once they arrive", async () => {
    const { page, browser } = await openPage();
    open.push(browser);
    let release;
    const held = new Promise((resolve) => (release = resolve));
    await page.route("**/a/sales/settings", async (route) => {
      await held;
      await route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ ...DEMO, submit_shortcut: "enter" }) });
    });
    await page.goto(`${origin}/`);
    await page.locator("salient-widget button.launcher").click();
    const textarea = page.locator("salient-widget .pane textarea");
    await textarea.waitFor({ state: "visible" });
    await textarea.type("early");
    await textarea.press("Enter");
    await page.waitForTimeout(200);
    assert.equal(await textarea.inputValue(), "early", "held: neither a new line nor a send yet");
    assert.deepEqual(await widget.users(page), []);
    release();
    await widget.answerDone(page, 1);
    assert.deepEqual(await widget.users(page), ["early"], "sent once the keys said Enter sends");
  });

  test("debounce_ms: a submission within the window after the last one is ignored; after it, sent", async () => {
    const { page, textarea, requests } = await widgetWith({ submit_shortcut: "enter", debounce_ms: 1500 }, { hint: "Enter sends, Shift+Enter adds a new line." });
    const posts = () => requests.filter((r) => r.startsWith("POST /a/sales/chat")).length;
    await textarea.fill("one");
    const first = Date.now();
    await textarea.press("Enter");
    await widget.answerDone(page, 1);
    assert.ok(Date.now() - first < 1200, "the answer came well inside the window");
    await textarea.fill("two");
    await textarea.press("Enter"); // within 1.5 s of "one": ignored, and the window starts again
    const ignored = Date.now();
    await page.waitForTimeout(300);
    assert.equal(posts(), 1, "not sent");
    assert.equal(await textarea.inputValue(), "two", "the text stays");
    await page.waitForTimeout(Math.max(0, 1600 - (Date.now() - ignored)));
    await textarea.press("Enter");
    await widget.answerDone(page, 2);
    assert.deepEqual(await widget.users(page), ["one", "two"]);
    assert.equal(posts(), 2);

    // A double click on Send posts once.
    await page.waitForTimeout(1600);
    await textarea.fill("three");
    await page.locator("salient-widget .pane .send").dblclick();
    await widget.answerDone(page, 3);
    await page.waitForTimeout(300);
    assert.equal(posts(), 3);
    assert.deepEqual(await widget.users(page), ["one", "two", "three"]);
  });

  test("Clear empties the pane only: same conversation, a reload brings it back, the next message continues it", async () => {
    const { page, textarea, problems } = await widgetWith(null, { hint: "Ctrl+Enter sends, Enter adds a new line." });
    await textarea.fill("hello");
    await textarea.press("Control+Enter");
    await widget.answerDone(page, 1);
    const before = await page.evaluate(() => ({ current: localStorage.getItem("salient.session.sales"), keys: localStorage.getItem("salient.sessions.sales") }));
    const clear = page.getByRole("button", { name: "Clear", exact: true });
    assert.equal(await clear.count(), 1, "a real button named Clear");
    await textarea.fill("draft");
    // By keyboard: Clear is the control after New chat.
    await page.locator("salient-widget .pane button.new").focus();
    await page.keyboard.press("Tab");
    assert.equal(await widget.focused(page), "clear");
    await page.keyboard.press("Enter");
    assert.deepEqual(await widget.kinds(page), ["assistant greeting"], "the pane is empty but for the greeting");
    assert.equal(await textarea.inputValue(), "draft", "the typed draft stays");
    assert.equal(await widget.focused(page), "TEXTAREA");
    const afterClear = await page.evaluate(() => ({ current: localStorage.getItem("salient.session.sales"), keys: localStorage.getItem("salient.sessions.sales") }));
    assert.deepEqual(afterClear, before, "no new session; the stored list is as it was");

    await textarea.fill("and again");
    // Past chat.input.debounce_ms (250 ms) since the first send: the offline answer comes back
    // fast enough that this send could otherwise land inside it and be ignored, as designed.
    await page.waitForTimeout(300);
    await textarea.press("Control+Enter");
    await widget.answerDone(page, 1);
    assert.deepEqual(await widget.users(page), ["and again"]);
    await page.reload();
    await page.locator("salient-widget button.launcher").click();
    await untilWidget(page, (root) => root.querySelectorAll(".msg.user").length === 2);
    assert.deepEqual(await widget.users(page), ["hello", "and again"], "the whole conversation, in one session");
    assert.deepEqual(problems, []);
  });
});

// End to end: a server whose salient.yaml has other keys; GET settings tells the pane.
describe("the widget under a config with other keys (GET settings from the server)", { skip }, () => {
  let server;
  before(async () => {
    server = await startServerWithOtherKeys();
  });
  after(async () => server?.close());

  test("the settings route answers the config's keys; the pane acts on them and reads the answer as ONE JSON document", async () => {
    const response = await fetch(`${server.url}/a/sales/settings`, { headers: { accept: "application/json" } });
    assert.equal(response.status, 200);
    const settings = await response.json();
    assert.equal(settings.agent, "sales");
    assert.deepEqual(
      [settings.submit_shortcut, settings.enter_inserts_newline, settings.debounce_ms, settings.sse_enabled],
      ["enter", false, 1000, false]);
    const { page, browser, textarea, requests, responses, problems } = await openWidget(server.url, null, { hint: "Enter sends, Shift+Enter adds a new line." });
    try {
      await page.evaluate(() => {
        window.__messages = [];
        window.Salient.on("message", (m) => window.__messages.push(m.role));
      });
      await textarea.type("how much");
      await textarea.press("Shift+Enter");
      await textarea.type("deposit do you take?");
      await textarea.press("Enter");
      await widget.answerDone(page, 1);
      assert.deepEqual(await widget.users(page), ["how much\ndeposit do you take?"]);
      assert.deepEqual(requests.filter((r) => r.includes("/events/stream")), ["GET /a/sales/events/stream application/json"]);
      assert.deepEqual(responses.filter((r) => r.includes("/events/stream")).map((r) => r.replace(/;.*/, "")),
        ["/a/sales/events/stream 200 application/json"], "answered with one JSON document");
      assert.equal(requests.filter((r) => r.includes("/history")).length, 0, "not restored from the history instead");
      const shown = await inWidget(page, (root) => {
        const b = root.querySelector(".msg.assistant:not(.greeting)");
        return { label: b.querySelector(".label")?.textContent, text: b.querySelector(".text").textContent,
          tail: b.querySelectorAll(".tail").length, sources: b.querySelectorAll(".sources li").length,
          cites: [...b.querySelectorAll(".text button.cite")].map((c) => root.getElementById(c.dataset.target) !== null),
          id: b.dataset.id ?? null, error: b.querySelector(".error")?.textContent ?? null };
      });
      assert.match(shown.label, /excerpts/);
      assert.match(shown.text, /deposit/i);
      assert.equal(shown.tail, 0, "rendered at once, not by the streaming renderer");
      assert.ok(shown.sources >= 1);
      assert.ok(shown.cites.length >= 1 && shown.cites.every(Boolean), "the [n] markers link to their sources");
      assert.match(shown.id ?? "", /\S/, "the message id from the document");
      assert.equal(shown.error, null);
      assert.deepEqual(await page.evaluate(() => window.__messages), ["user", "assistant"]);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
