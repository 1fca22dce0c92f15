// The full-page HTMX chat in headless Chromium against the Node dev server: the real page,
// htmx + the SSE extension, widget/page/page.js and the modules' streamed answers.
// Needs Debian's chromium at /usr/bin/chromium (skipped, saying so, when it is absent).

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { REPO } from "../support/workerd.mjs";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = path.join(REPO, "test-results", "page.png");
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`;

describe("full-page chat in Chromium", { skip }, () => {
  let server, browser, page;
  const problems = []; // console errors, page errors, CSP violations

  before(async () => {
    const { chromium } = await import("playwright-core");
    server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"],
    });
    page = await browser.newPage({ viewport: { width: 900, height: 720 } });
    page.on("console", (message) => {
      // The browser asks for /favicon.ico on its own; its 404 is not the page's doing.
      if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) {
        problems.push(`console: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });
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
    await page.screenshot({ path: SCREENSHOT }); // look at it: test-results/page.png
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

  test("Clear empties the message pane only", async () => {
    await page.fill("#message", "draft");
    await page.click("#clear");
    assert.equal(await page.locator("#messages > *").count(), 0);
    assert.equal(await page.inputValue("#message"), "draft");
  });

  test("no console errors and no CSP violations", () => {
    assert.deepEqual(problems, []);
  });

  // Last: htmx logs failed requests to the console, by design.
  test("a rejected POST shows an error bubble and keeps the typed text", async () => {
    const tooLong = "x".repeat(5000); // over chat.max_message_chars: the server answers 400
    await page.evaluate(() => document.getElementById("message").removeAttribute("maxlength"));
    await page.fill("#message", tooLong);
    await page.press("#message", "Control+Enter");
    const error = page.locator("#messages .msg.error");
    await error.waitFor();
    assert.ok((await error.textContent()).trim().length > 0);
    assert.equal(await error.getAttribute("role"), "alert");
    assert.equal(await page.inputValue("#message"), tooLong);
    assert.equal(await page.locator(".msg.user").count(), 0);
  });
});
