// The embeddable widget (widget/loader.js → /widget/salient.js, widget/pane/ → /widget/pane.js,
// the WASM core) in headless Chromium against the Node dev server, with the fake OpenRouter
// answering: the demo home page embeds it with the site owner's snippet. Screenshots:
// build/test-results/widget/.
// Needs Debian's chromium at /usr/bin/chromium and a built tree (./scripts/build).
//
//   node --test tests/e2e/widget.test.mjs

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing, openPage } from "../support/chromium.mjs";
import { answerFor, startFakeOpenRouter } from "../support/fake-openrouter.mjs";
import { REPO } from "../support/workerd.mjs";
import { readXssVectors, XSS_VECTORS } from "../support/widget-xss.mjs";

const SHOTS = path.join(REPO, "build", "test-results", "widget");
const LOADER_BUDGET = 5 * 1024; // gzip bytes on page load (the widget's budget)
const FIRST_OPEN_BUDGET = 50 * 1024; // gzip bytes fetched by the first open
const missingBuild = ["build/public/widget/salient.js", "build/public/widget/pane.js", "build/public/widget/widget-core-api.js"]
  .filter((f) => !existsSync(path.join(REPO, f)));
const skip = chromiumMissing || (missingBuild.length ? `missing ${missingBuild.join(", ")}: run ./scripts/build` : false);

// Markdown the fake model answers with: a list, a code block, a link and a citation marker.
const MARKDOWN = "Here is what we offer:\n\n- **Design** plans\n- Planting\n\n```sh\necho hello\n```\n\n" +
  "Read [our guide](https://example.com/guide) and the deposit terms [1].";

/**
 * `fn(root, arg)` run in the page on the widget's shadow root (salient-widget's, open). Function
 * form, not strings: string evaluation is eval, which the strict-CSP test page forbids.
 */
async function evalIn(target, fn, arg) {
  const root = await target.evaluateHandle(() => document.querySelector("salient-widget").shadowRoot);
  try {
    return await root.evaluate(fn, arg);
  } finally {
    await root.dispose();
  }
}

/** Polls `fn(root, arg)` until it returns something truthy. */
async function until(target, fn, arg, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await evalIn(target, fn, arg).catch(() => null);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the widget in Chromium", { skip }, () => {
  let fake, server, browser, page, problems, origin;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    fake = await startFakeOpenRouter({ port: 0 });
    // The demo's salient.yaml sends with Ctrl+Enter; these tests are written for an agent whose
    // chat sends with Enter (chat.input.submit_shortcut), which the pane learns from GET settings,
    // and they send faster than anyone types (no debounce_ms). tests/e2e/widget-input.test.mjs
    // has the other keys and the debounce.
    const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
    Object.assign(config.chat.input, { submit_shortcut: "enter", enter_inserts_newline: false, debounce_ms: 0 });
    server = await startServer({
      port: 0,
      env: { SALIENT_STATE: "memory", OPENROUTER_API_KEY: "sk-or-widget-test", OPENROUTER_BASE_URL: fake.url },
      log: () => {},
      config,
    });
    origin = server.url;
    ({ browser, page, problems } = await openPage());
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await fake?.close();
  });

  const launcher = (target = page) => target.locator("salient-widget button.launcher");
  const pane = (target = page) => target.locator("salient-widget .pane");
  const textarea = (target = page) => target.locator("salient-widget textarea");
  const focused = (target = page) => evalIn(target, (root) => {
    const a = root.activeElement;
    return a ? a.tagName.toLowerCase() + (a.className ? "." + a.className : "") : null;
  });
  const bubbles = (target = page) => evalIn(target, (root) => [...root.querySelectorAll(".log > .msg")].map((b) => ({
    kind: b.className.replace(/^msg /, ""),
    text: (b.querySelector(".text") ?? b).textContent.trim(),
  })));
  const answers = (target = page) => evalIn(target, (root) => root.querySelectorAll(".msg.assistant:not(.greeting)").length);
  /** Waits until there are at least `count` answers and the last one is complete. */
  const answerDone = (target = page, count = 1) => until(target, ((root, count) => {
    const all = root.querySelectorAll(".msg.assistant:not(.greeting)");
    return all.length >= count && !all[all.length - 1].classList.contains("streaming");
  }), count);
  const paneOpen = (target = page) => until(target, ((root) => {
    const pane = root.querySelector(".pane.open");
    return pane && getComputedStyle(pane).visibility === "visible" && root.activeElement?.tagName === "TEXTAREA";
  }));
  const historyLoaded = (target = page) => until(target, ((root) => {
    const log = root.querySelector(".log");
    return log && !log.hasAttribute("aria-busy") && log.children.length > 0;
  }));
  const shot = (name, target = page) => target.screenshot({ path: path.join(SHOTS, `${name}.png`) });

  /** Requests the page makes while `fn` runs (and `settleMs` after). */
  async function recording(target, fn, settleMs = 300) {
    const seen = [];
    const onResponse = (response) => seen.push(response);
    target.on("response", onResponse);
    try {
      await fn();
      await target.waitForTimeout(settleMs);
    } finally {
      target.off("response", onResponse);
    }
    return Promise.all(seen.map(async (response) => {
      const url = new URL(response.url());
      const sizes = await response.request().sizes().catch(() => ({ responseBodySize: 0 }));
      return { path: url.pathname, host: url.host, status: response.status(), bytes: sizes.responseBodySize,
        encoding: (await response.allHeaders())["content-encoding"] ?? null };
    }));
  }

  test("page load fetches only the loader: gzip, within 5 KB; the launcher is drawn with a name", async () => {
    const loaded = await recording(page, async () => {
      await page.goto(`${origin}/`);
      await launcher().waitFor();
      await page.waitForLoadState("networkidle");
    });
    const widget = loaded.filter((r) => r.path.startsWith("/widget/"));
    assert.deepEqual(widget.map((r) => r.path), ["/widget/salient.js"], "nothing but the loader before the first open");
    assert.deepEqual(loaded.filter((r) => r.path.startsWith("/a/")), [], "no API request before the first open");
    assert.equal(widget[0].encoding, "gzip");
    assert.ok(widget[0].bytes > 0 && widget[0].bytes <= LOADER_BUDGET, `loader: ${widget[0].bytes} bytes gzip`);
    assert.equal(await launcher().getAttribute("aria-label"), "Chat with us");
    assert.equal(await launcher().getAttribute("aria-expanded"), "false");
    assert.equal(await page.evaluate(() => typeof window.Salient.open), "function");
    await shot("page-load");
  });

  test("the first open (a click) loads pane + core within 50 KB gzip; pane visible, focus in the textarea, greeting shown", async () => {
    const fetched = await recording(page, async () => {
      await launcher().click();
      await paneOpen();
      await page.waitForResponse((r) => r.url().endsWith(".wasm")).catch(() => {});
      await page.waitForLoadState("networkidle");
    });
    const widget = fetched.filter((r) => r.path.startsWith("/widget/"));
    const paths = widget.map((r) => r.path).sort();
    for (const file of ["/widget/pane.js", "/widget/widget-core-api.js", "/widget/salient-widget-core.js", "/widget/salient-widget-core.wasm"]) {
      assert.ok(paths.includes(file), `${file} fetched on first open: ${paths}`);
    }
    const total = widget.reduce((sum, r) => sum + r.bytes, 0);
    assert.ok(total <= FIRST_OPEN_BUDGET, `first open: ${total} bytes gzip (${JSON.stringify(widget)})`);
    for (const r of widget) assert.equal(r.encoding, "gzip", r.path);
    assert.equal(await launcher().getAttribute("aria-expanded"), "true");
    assert.equal(await focused(), "textarea");
    const box = await pane().boundingBox();
    assert.ok(box && box.width >= 300 && box.height >= 300, JSON.stringify(box));
    assert.deepEqual(await bubbles(), [{ kind: "assistant greeting", text: "Hi! How can we help you today?" }]);
    const roles = await evalIn(page, (root) => ({
      dialog: root.querySelector(".pane").getAttribute("role"),
      log: root.querySelector(".log").getAttribute("role"),
      live: root.querySelector(".log").getAttribute("aria-live"),
      hint: root.querySelector("#" + root.querySelector("textarea").getAttribute("aria-describedby")).textContent,
    }));
    assert.deepEqual(roles, { dialog: "dialog", log: "log", live: "polite", hint: "Enter sends, Shift+Enter adds a new line." });
  });

  let firstKey, firstAnswerText;
  test("Enter sends; the answer streams in as markdown with a typing indicator, then sources; events fire", async () => {
    await page.evaluate(() => {
      window.__events = [];
      for (const name of ["message", "error", "open", "close"]) {
        window.Salient.on(name, (detail) => window.__events.push({ via: "on", name, role: detail.role ?? null }));
        window.addEventListener(`salient:${name}`, (e) => window.__events.push({ via: "dom", name, role: e.detail.role ?? null }));
      }
    });
    fake.reset();
    fake.enqueue({ kind: "ok", text: MARKDOWN, delayMs: 60 });
    await textarea().fill("how much deposit do you take?");
    await textarea().press("Enter");
    await until(page, ((root) => {
      const typing = root.querySelector(".msg.assistant.streaming .typing");
      return typing && getComputedStyle(typing).display !== "none";
    }));
    assert.match(await evalIn(page, (root) => root.querySelector(".status").textContent), /Typing/);
    await shot("streaming");
    await answerDone();
    const answer = await evalIn(page, (root) => {
      const b = [...root.querySelectorAll(".msg.assistant")].pop();
      return {
        items: [...b.querySelectorAll(".text ul > li")].map((li) => li.textContent),
        strong: b.querySelector(".text li strong")?.textContent,
        code: b.querySelector(".text pre code")?.textContent,
        copy: !!b.querySelector(".text [data-copy]"),
        link: b.querySelector(".text a")?.getAttribute("href"),
        typingShown: getComputedStyle(b.querySelector(".typing")).display !== "none",
        busy: b.getAttribute("aria-busy"),
        sources: [...b.querySelectorAll(".sources a")].map((a) => ({ href: a.href, target: a.target, rel: a.rel })),
        cite: b.querySelector(".text button.cite")?.textContent,
      };
    });
    assert.deepEqual(answer.items, ["Design plans", "Planting"]);
    assert.equal(answer.strong, "Design");
    assert.equal(answer.code.trim(), "echo hello");
    assert.ok(answer.copy, "code blocks have a Copy button");
    assert.equal(answer.link, "https://example.com/guide");
    assert.equal(answer.typingShown, false, "the typing indicator is gone once the answer is done");
    assert.equal(answer.busy, null);
    assert.ok(answer.sources.length >= 1, "the citations arrive as a sources list");
    for (const s of answer.sources) {
      assert.match(s.href, /^https?:\/\//);
      assert.equal(s.target, "_blank");
      assert.equal(s.rel, "noopener noreferrer");
    }
    assert.equal(answer.cite, "[1]", "the [1] marker links to its source");
    assert.equal(await textarea().inputValue(), "", "the textarea is cleared once sent");
    assert.equal(await focused(), "textarea");
    const events = await page.evaluate(() => window.__events);
    for (const via of ["on", "dom"]) {
      assert.deepEqual(events.filter((e) => e.via === via && e.name === "message").map((e) => e.role), ["user", "assistant"], via);
    }
    firstKey = await page.evaluate(() => localStorage.getItem("salient.session.sales"));
    assert.match(firstKey, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem("salient.sessions.sales"))), [firstKey]);
    firstAnswerText = (await bubbles()).at(-1).text;
    await shot("answer");

    // The Copy button copies the code block's text.
    await page.locator("salient-widget .msg.assistant [data-copy]").last().click();
    await until(page, ((root) => [...root.querySelectorAll("[data-copy]")].pop().textContent === "Copied"));
    assert.equal((await page.evaluate(() => navigator.clipboard.readText())).trim(), "echo hello");
  });

  test("a reload restores the conversation on open (same session key)", async () => {
    assert.ok(firstKey, "needs the conversation above");
    await page.reload();
    await launcher().click();
    await paneOpen();
    await historyLoaded();
    await until(page, ((root) => root.querySelectorAll(".msg").length >= 3));
    const shown = await bubbles();
    assert.deepEqual(shown.map((b) => b.kind), ["assistant greeting", "user", "assistant"]);
    assert.equal(shown[1].text, "how much deposit do you take?");
    assert.equal(shown[2].text, firstAnswerText);
    assert.equal(await evalIn(page, (root) => root.querySelectorAll(".msg.assistant .sources a").length > 0), true);
    assert.equal(await page.evaluate(() => localStorage.getItem("salient.session.sales")), firstKey);
    await shot("restored");
  });

  test("New chat empties the pane (greeting only), keeps the draft, and starts a new session", async () => {
    await textarea().fill("draft");
    await page.locator("salient-widget button.new").click();
    assert.deepEqual(await bubbles(), [{ kind: "assistant greeting", text: "Hi! How can we help you today?" }]);
    assert.equal(await textarea().inputValue(), "draft");
    assert.equal(await focused(), "textarea");
    const key = await page.evaluate(() => localStorage.getItem("salient.session.sales"));
    assert.notEqual(key, firstKey);
    assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem("salient.sessions.sales"))), [firstKey]);
    await textarea().fill("");
  });

  test("another tab switching the conversation switches this pane too (storage event)", async () => {
    const context = await browser.newContext(); // two tabs of one browser profile
    try {
      const [tab, other] = [await context.newPage(), await context.newPage()];
      await tab.goto(`${origin}/`);
      await launcher(tab).click();
      await paneOpen(tab);
      await historyLoaded(tab);
      assert.deepEqual((await bubbles(tab)).map((b) => b.kind), ["assistant greeting"]);
      await other.goto(`${origin}/`);
      // The other tab goes back to the first conversation, as its "Past chats" would.
      await other.evaluate((key) => localStorage.setItem("salient.session.sales", key), firstKey);
      await until(tab, (root) => root.querySelectorAll(".msg.user").length === 1);
      await historyLoaded(tab);
      assert.deepEqual((await bubbles(tab)).map((b) => b.kind), ["assistant greeting", "user", "assistant"]);
    } finally {
      await context.close();
    }
  });

  test("keyboard only: Tab to the launcher, Enter opens, Enter sends, Tab stays in the pane, Escape closes", async () => {
    await page.reload();
    await launcher().waitFor();
    let onLauncher = false;
    for (let i = 0; i < 40 && !onLauncher; i++) {
      await page.keyboard.press("Tab");
      onLauncher = await page.evaluate(() => document.activeElement?.tagName === "SALIENT-WIDGET") &&
        (await focused()) === "button.launcher";
    }
    assert.ok(onLauncher, "the launcher is reachable with Tab");
    await page.keyboard.press("Enter");
    await paneOpen();
    await historyLoaded();
    // Shift+Enter is a new line, not a send.
    await page.keyboard.type("first");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("second");
    assert.equal(await textarea().inputValue(), "first\nsecond");
    await textarea().fill("");
    fake.reset();
    await page.keyboard.type("Do you deliver?");
    await page.keyboard.press("Enter");
    await until(page, ((root) => [...root.querySelectorAll(".msg.user")].some((b) => b.textContent === "Do you deliver?")));
    await answerDone();
    assert.equal((await bubbles()).at(-1).text, answerFor({ messages: [{ role: "user", content: "Do you deliver?" }] }).trim());
    // Tab cycles inside the open pane: textarea → Send → (wraps to) New chat.
    assert.equal(await focused(), "textarea");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "button.send");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "button.new");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(), "button.send");
    await page.keyboard.press("Escape");
    await until(page, ((root) => getComputedStyle(root.querySelector(".pane")).visibility === "hidden"));
    assert.equal(await focused(), "button.launcher");
    assert.equal(await launcher().getAttribute("aria-expanded"), "false");
  });

  test("a failed send keeps the typed text; Retry sends it", async () => {
    await launcher().click();
    await paneOpen();
    await page.route("**/a/sales/chat", (route) => route.fulfill({
      status: 503, contentType: "application/json",
      body: JSON.stringify({ error: { code: "unavailable", message: "try later" } }),
    }));
    const before = (await bubbles()).filter((b) => b.kind === "user").length;
    await page.evaluate(() => {
      window.__errors = [];
      window.Salient.on("error", (detail) => window.__errors.push(detail));
    });
    try {
      await textarea().fill("please keep me");
      await textarea().press("Enter");
      const error = page.locator("salient-widget .msg.error");
      await error.waitFor();
      assert.equal(await error.getAttribute("role"), "alert");
      assert.match(await error.textContent(), /unavailable/);
      assert.equal(await textarea().inputValue(), "please keep me");
      assert.equal((await bubbles()).filter((b) => b.kind === "user").length, before);
      assert.deepEqual(await page.evaluate(() => window.__errors.map((e) => e.code)), ["unavailable"], "an error event");
      await shot("send-failed");
    } finally {
      await page.unroute("**/a/sales/chat");
    }
    await page.locator("salient-widget .msg.error button.retry").click();
    await until(page, ((root) => [...root.querySelectorAll(".msg.user")].some((b) => b.textContent === "please keep me")));
    await answerDone();
    assert.equal(await page.locator("salient-widget .msg.error").count(), 0);
    assert.equal(await textarea().inputValue(), "");
  });

  // The second connection: passed to the server (which resumes after Last-Event-ID), or refused
  // with 410 as a server that cannot resume does (the widget then shows the stored answer).
  for (const [mode, name] of [["resume", "is resumed with Last-Event-ID"], ["gone", "that cannot be resumed (410) is restored from the history"]]) test(`a dropped event stream ${name}: the full answer, once`, async () => {
    fake.reset();
    fake.enqueue({ kind: "ok", text: MARKDOWN });
    const gets = [];
    let cut = true;
    let lastKept = null; // the id of the last event the first connection delivers
    await page.route("**/events/stream**", async (route) => {
      gets.push(route.request().headers()["last-event-id"] ?? null);
      if (!cut && mode === "resume") return route.continue();
      if (!cut) {
        return route.fulfill({ status: 410, headers: { "content-type": "text/event-stream" },
          body: 'id: 1\nevent: error\ndata: {"code":"gone","message":"this answer was already streamed","retryable":false}\n\n' });
      }
      cut = false;
      // The first connection ends after five events, as if the network dropped.
      const response = await route.fetch();
      const body = await response.text();
      const events = body.split("\n\n").filter((e) => e.trim());
      lastKept = /^id: *(.*)$/m.exec(events[4])[1];
      await route.fulfill({ status: 200, headers: { "content-type": "text/event-stream" }, body: events.slice(0, 5).join("\n\n") + "\n\n" });
    });
    await evalIn(page, (root) => {
      window.__statuses = [];
      new MutationObserver(() => window.__statuses.push(root.querySelector(".status").textContent))
        .observe(root.querySelector(".status"), { childList: true, characterData: true, subtree: true });
    });
    try {
      const before = await answers();
      await textarea().fill(`tell me everything (${mode})`);
      await textarea().press("Enter");
      await answerDone(page, before + 1);
    } finally {
      await page.unroute("**/events/stream**");
    }
    assert.equal(gets.length >= 2, true, `reconnected: ${JSON.stringify(gets)}`);
    assert.deepEqual(gets.slice(0, 2), [null, lastKept], "the second GET resumes after the last event received");
    assert.ok((await page.evaluate(() => window.__statuses)).includes("Reconnecting…"));
    if (mode === "gone") assert.equal(gets.length, 2, "no more tries after a 410");
    const last = await evalIn(page, (root) => {
      const b = [...root.querySelectorAll(".msg.assistant")].pop();
      return { items: b.querySelectorAll(".text ul > li").length, code: b.querySelector(".text pre code")?.textContent.trim(),
        text: b.querySelector(".text").textContent, error: b.querySelector(".error")?.textContent ?? null };
    });
    assert.equal(last.error, null);
    assert.equal(last.items, 2);
    assert.equal(last.code, "echo hello");
    assert.match(last.text, /deposit terms/);
    assert.equal((last.text.match(/Here is what we offer/g) ?? []).length, 1, "nothing shown twice");
    await shot(`dropped-${mode}`);
  });

  test("host page CSS cannot break the widget, and the widget adds no styles to the page", async () => {
    const hostile = "body *:not(script) { display: none !important; color: red !important; font: 40px/1 serif !important; " +
      "position: static !important; visibility: hidden !important; } button, textarea { all: unset !important; } " +
      "salient-widget { display: none !important; }";
    const view = await browser.newPage({ viewport: { width: 900, height: 720 } });
    try {
      await view.route(`${origin}/`, async (route) => {
        const response = await route.fetch();
        const html = (await response.text()).replace("</head>", `<style id="hostile">${hostile}</style></head>`);
        const headers = { ...response.headers() };
        delete headers["content-encoding"]; // route.fetch() gave the decoded body
        delete headers["content-length"];
        await route.fulfill({ status: 200, body: html, headers });
      });
      await view.goto(`${origin}/`);
      await launcher(view).waitFor();
      const before = await view.evaluate(() => ({ sheets: document.styleSheets.length, styles: document.querySelectorAll("style, link").length }));
      await launcher(view).click();
      await paneOpen(view);
      const box = await pane(view).boundingBox();
      assert.ok(box && box.width >= 300 && box.height >= 300, `pane laid out: ${JSON.stringify(box)}`);
      const looks = await evalIn(view, (root) => {
        const style = (el) => getComputedStyle(el);
        return {
          textareaColor: style(root.querySelector("textarea")).color,
          textareaDisplay: style(root.querySelector("textarea")).display,
          launcherVisible: style(root.querySelector(".launcher")).visibility,
          fontSize: style(root.querySelector(".log")).fontSize,
        };
      });
      assert.notEqual(looks.textareaColor, "rgb(255, 0, 0)");
      assert.notEqual(looks.textareaDisplay, "none");
      assert.equal(looks.launcherVisible, "visible");
      assert.equal(looks.fontSize, "15px");
      const after = await view.evaluate(() => ({ sheets: document.styleSheets.length, styles: document.querySelectorAll("style, link").length }));
      assert.deepEqual(after, before, "no style sheets added to the host page");
      assert.equal(await view.evaluate(() => document.adoptedStyleSheets.length), 0);
      await shot("hostile-css", view);
    } finally {
      await view.close();
    }
  });

  test("mobile 390×844: the open pane fills the screen; the API queues calls made before the pane loads (identify, send)", async () => {
    const phone = await openPage({ viewport: { width: 390, height: 844 } });
    try {
      await phone.page.goto(`${origin}/`);
      await launcher(phone.page).waitFor();
      // Salient.send before anything was loaded: opens the pane and sends once it is there.
      fake.reset();
      await phone.page.evaluate(() => {
        window.__identified = null;
        window.addEventListener("salient:identify", (e) => (window.__identified = e.detail));
        window.Salient.identify({ email: " ada@example.com ", name: "Ada", phone: "ignored" });
        window.Salient.send("Do you have roses?");
      });
      await paneOpen(phone.page);
      await answerDone(phone.page);
      const visitor = { email: "ada@example.com", name: "Ada" };
      assert.deepEqual(await phone.page.evaluate(() => window.__identified), visitor, "identify: kept, announced");
      assert.deepEqual(await phone.page.evaluate(() => JSON.parse(sessionStorage.getItem("salient.visitor.sales"))), visitor);
      // Stored with the conversation once it exists (after the first message): the next answer's
      // prompt has them, so the assistant does not ask again.
      await phone.page.evaluate(() => window.Salient.send("And tulips?"));
      await until(phone.page, (root) => root.querySelectorAll(".msg.user").length === 2);
      await answerDone(phone.page);
      const system = fake.requests.filter((r) => r.path.endsWith("/chat/completions")).at(-1).body.messages[0].content;
      assert.match(system, /name "Ada"; email "ada@example\.com" \(not verified\); do not ask for them again/);
      const box = await pane(phone.page).boundingBox();
      assert.deepEqual(box, { x: 0, y: 0, width: 390, height: 844 });
      assert.equal(await launcher(phone.page).isVisible(), false, "the launcher hides under the full-screen pane");
      const input = await textarea(phone.page).boundingBox();
      assert.ok(input.y + input.height <= 844, "the input is on screen");
      await shot("mobile", phone.page);
      // The on-screen keyboard shrinks the visual viewport (headless has none: its resize is
      // played here): the pane follows, so the input stays above the keyboard.
      await phone.page.evaluate(() => {
        Object.defineProperty(window.visualViewport, "height", { value: 500, configurable: true });
        window.visualViewport.dispatchEvent(new Event("resize"));
      });
      const squeezed = await textarea(phone.page).boundingBox();
      assert.ok(squeezed.y + squeezed.height <= 500, `input above the keyboard: ${JSON.stringify(squeezed)}`);
      assert.equal((await pane(phone.page).boundingBox()).height, 500);
      await phone.page.keyboard.press("Escape");
      await until(phone.page, ((root) => getComputedStyle(root.querySelector(".pane")).visibility === "hidden"));
      assert.equal(await launcher(phone.page).isVisible(), true);
      assert.deepEqual(phone.problems, []);
    } finally {
      await phone.browser.close();
    }
  });

  test("the loader in <head>, API called before <body> exists: the pane opens once the page is there", async () => {
    const view = await browser.newPage();
    try {
      await view.route(`${origin}/head.html`, (route) => route.fulfill({
        status: 200,
        headers: { "content-type": "text/html; charset=utf-8" },
        body: '<!doctype html><html lang="en"><head><title>head</title>' +
          '<script src="/widget/salient.js" data-agent="sales" data-position="left"></script>' +
          "<script>window.Salient.open();</script></head><body><h1>Script in the head</h1></body></html>",
      }));
      await view.goto(`${origin}/head.html`);
      await paneOpen(view);
      const box = await pane(view).boundingBox();
      assert.ok(box.x < 100, `data-position=left: ${JSON.stringify(box)}`);
    } finally {
      await view.close();
    }
  });

  test("dark mode and reduced motion: dark colours, no slide-in", async () => {
    const view = await browser.newPage();
    try {
      await view.emulateMedia({ colorScheme: "dark", reducedMotion: "reduce" });
      await view.goto(`${origin}/`);
      await launcher(view).click();
      await paneOpen(view);
      const looks = await evalIn(view, (root) => {
        const style = getComputedStyle(root.querySelector(".pane"));
        return { background: style.backgroundColor, transition: style.transitionDuration, transform: style.transform };
      });
      assert.deepEqual(looks, { background: "rgb(25, 28, 26)", transition: "0s", transform: "none" });
      await shot("dark", view);
    } finally {
      await view.close();
    }
  });

  test("under a strict CSP (script-src 'self' 'wasm-unsafe-eval', style-src 'none') the widget works, themed by its attributes", async () => {
    const strict = await browser.newPage();
    const violations = [];
    strict.on("console", (m) => m.type() === "error" && violations.push(m.text()));
    await strict.addInitScript(() => document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    }));
    try {
      await strict.route(`${origin}/strict.html`, (route) => route.fulfill({
        status: 200,
        headers: {
          "content-type": "text/html; charset=utf-8",
          "content-security-policy": "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; style-src 'none'",
        },
        body: '<!doctype html><html lang="en"><title>strict</title><h1>Strict CSP</h1>' +
          '<script src="/widget/salient.js" data-agent="sales" data-color="#7a2e8a" data-title="Ask us" data-greeting="Hello from the strict page" async></script>',
      }));
      await strict.goto(`${origin}/strict.html`);
      await launcher(strict).click();
      await paneOpen(strict);
      fake.reset();
      await textarea(strict).fill("hello");
      await textarea(strict).press("Enter");
      await answerDone(strict);
      assert.deepEqual(violations, []);
      const themed = await evalIn(strict, (root) => ({
        title: root.querySelector("h2").textContent,
        greeting: root.querySelector(".greeting").textContent,
        header: getComputedStyle(root.querySelector("header")).backgroundColor,
        label: root.querySelector(".launcher").getAttribute("aria-label"),
      }));
      assert.deepEqual(themed, { title: "Ask us", greeting: "Hello from the strict page", header: "rgb(122, 46, 138)", label: "Ask us" });
      await shot("strict-csp", strict);
    } finally {
      await strict.close();
    }
  });

  test("XSS corpus through the real core: no script runs, no request leaves the dev host", async (t) => {
    const vectors = readXssVectors();
    if (!vectors) return t.skip(`${path.relative(REPO, XSS_VECTORS)} is missing (the core's XSS corpus)`);
    assert.ok(vectors.length >= 100, `${vectors.length} vectors`);
    const view = await browser.newPage();
    const offHost = [];
    view.on("request", (request) => {
      const url = new URL(request.url());
      if (!(url.protocol === "data:" || url.host === new URL(origin).host)) offHost.push(request.url());
    });
    await view.route((url) => new URL(url).host !== new URL(origin).host, (route) => route.abort());
    await view.addInitScript(() => {
      window.__pwned = [];
      const trap = (name) => (...args) => window.__pwned.push(`${name}(${args.map(String).join(",")})`);
      window.alert = trap("alert");
      window.confirm = trap("confirm");
      window.prompt = trap("prompt");
      window.print = trap("print");
      window.__xss = trap("__xss");
    });
    try {
      await view.goto(`${origin}/`);
      await launcher(view).click();
      await paneOpen(view);
      // Every vector through renderMarkdown, inserted into the widget's shadow root.
      const rendered = await view.evaluate(async (list) => {
        const { loadWidgetCore } = await import("/widget/widget-core-api.js");
        const core = await loadWidgetCore();
        const root = document.querySelector("salient-widget").shadowRoot;
        const box = document.createElement("div");
        box.className = "xss-box";
        root.querySelector(".log").appendChild(box);
        let count = 0;
        for (const vector of list) {
          for (const allowBasicHtml of [false, true]) {
            const div = document.createElement("div");
            div.className = "msg assistant";
            div.insertAdjacentHTML("beforeend", core.renderMarkdown(vector, { allowBasicHtml }));
            // And streamed: in pieces through the renderer, commit + tail as the pane does it.
            const streamed = document.createElement("div");
            const renderer = core.createRenderer({ allowBasicHtml });
            const tail = document.createElement("div");
            streamed.appendChild(tail);
            for (let i = 0; i < vector.length; i += 3) {
              const step = renderer.append(vector.slice(i, i + 3));
              if (step.commit) tail.insertAdjacentHTML("beforebegin", step.commit);
              tail.innerHTML = step.tail;
            }
            const end = renderer.finish();
            if (end.commit) tail.insertAdjacentHTML("beforebegin", end.commit);
            tail.innerHTML = end.tail;
            renderer.free();
            box.append(div, streamed);
            count++;
          }
        }
        // Fire what a user would: click links, hover and focus everything.
        for (const el of box.querySelectorAll("*")) {
          el.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
          el.dispatchEvent(new FocusEvent("focus"));
        }
        // URLs as the browser resolves them (a relative "&#106;avascript:x" is a harmless path).
        const hrefs = [...box.querySelectorAll("[href], [src], [action], [formaction], [srcdoc]")].map((el) => {
          const raw = el.getAttribute("href") ?? el.getAttribute("src") ?? el.getAttribute("action") ?? el.getAttribute("formaction");
          return raw === null ? "srcdoc" : new URL(raw, location.href).protocol + " " + raw;
        });
        const handlers = [...box.querySelectorAll("*")].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name));
        const tags = [...new Set([...box.querySelectorAll("script, iframe, object, embed, style, link, meta, form, svg, math, base")].map((e) => e.tagName))];
        return { count, hrefs, handlers, tags };
      }, vectors);
      assert.equal(rendered.count, vectors.length * 2);
      assert.deepEqual(rendered.handlers, [], "no event handler attributes");
      assert.deepEqual(rendered.tags, [], "no active or styling elements");
      for (const href of rendered.hrefs) assert.match(href, /^(https?:|mailto:) /, `unsafe URL kept: ${href}`);

      // A handful streamed from the (fake) model through the pane itself.
      for (const vector of vectors.slice(0, 6)) {
        fake.enqueue({ kind: "ok", text: vector });
        const before = await answers(view);
        await textarea(view).fill("show me");
        await textarea(view).press("Enter");
        await answerDone(view, before + 1);
      }
      await view.waitForTimeout(500); // let anything deferred (timers, image errors) run
      assert.deepEqual(await view.evaluate(() => window.__pwned), [], "no payload ran");
      assert.deepEqual(offHost, [], "no request to another host");
      await shot("xss", view);
    } finally {
      await view.close();
    }
  });

  test("no console errors and no CSP violations (the deliberate 503 and 410 aside)", () => {
    assert.deepEqual(problems.filter((p) => !/status of (503|410)/.test(p)), []);
  });
});
