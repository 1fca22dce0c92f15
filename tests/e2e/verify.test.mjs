// "Verify your email" in headless Chromium against the Node dev server (in this process, state in
// memory, its own Mailgun: codes are read from /dev/outbox.json): the widget's pane and the
// full-page chat (common/verify.js), and the privacy page's erasure with the scripts its htmx
// fragments need (widget/page/privacy.js). Offline answers (no OpenRouter key). One browser.
// Screenshots: build/test-results/verify/.
//
//   node --test tests/e2e/verify.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing, openPage } from "../support/chromium.mjs";
import { REPO } from "../support/workerd.mjs";

const SHOTS = path.join(REPO, "build", "test-results", "verify");
const missingBuild = ["build/public/widget/salient.js", "build/public/widget/pane.js", "build/public/assets/page.js"]
  .filter((f) => !existsSync(path.join(REPO, f)));
const skip = chromiumMissing || (missingBuild.length ? `missing ${missingBuild.join(", ")}: run ./scripts/build` : false);

const address = (name) => `${name}.${crypto.randomUUID().slice(0, 8)}@example.com`;
const spaced = (code) => `${code.slice(0, 3)} ${code.slice(3)}`; // as a visitor pastes it
const wrongOf = (code) => (code === "000000" ? "111111" : "000000");

describe("verify your email in Chromium", { skip }, () => {
  let server, browser, page, problems, origin;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Room for every code this file asks for from one address (127.0.0.1): 10 an hour by default.
    const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
    config.otp = { ...config.otp, codes_per_ip_per_hour: 100 };
    server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {}, config });
    origin = server.url;
    ({ browser, page, problems } = await openPage());
    // Time runs as usual, but the resend countdown can be skipped (clock.fastForward).
    await page.clock.install();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  // --- The server, as the tests' own client ------------------------------------------------------
  const postJson = (p, body) => fetch(origin + p, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  async function mailsTo(email) {
    const { messages } = await (await fetch(`${origin}/dev/outbox.json`)).json();
    return messages.filter((m) => m.to === email); // newest first
  }
  /** The code of the first email to `email` after `seen` of them had arrived. */
  async function codeAfter(email, seen) {
    for (let end = Date.now() + 10000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      const mails = await mailsTo(email);
      if (mails.length > seen) return /(?<!\d)(\d{6})(?!\d)/.exec(mails[0].text)?.[1] ?? assert.fail(mails[0].text);
    }
    assert.fail(`no email to ${email}`);
  }
  /** A conversation linked to `email` through the JSON API: its session key. */
  async function linkedConversation(email, message) {
    const key = `s-${crypto.randomUUID()}`;
    const chat = await postJson("/a/sales/chat", { message, session_key: key, idempotency_key: crypto.randomUUID() });
    assert.equal(chat.status, 200, await chat.text());
    const seen = (await mailsTo(email)).length;
    const fields = { email, purpose: "link_session", session_key: key, agent: "sales" };
    assert.equal((await postJson("/otp/request", fields)).status, 200);
    const ok = await postJson("/otp/verify", { ...fields, code: await codeAfter(email, seen) });
    assert.equal(ok.status, 200, await ok.text());
    return key;
  }
  async function historyOf(key) {
    const r = await postJson("/a/sales/history", { session_key: key });
    return r.ok ? (await r.json()).messages : [];
  }

  /** A paste as the browser delivers it: the handler must take the text (maxlength would cut it). */
  const paste = (locator, text) => locator.evaluate((input, text) => {
    input.focus();
    const data = new DataTransfer();
    data.setData("text/plain", text);
    input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
  const secondsIn = async (locator) => Number(/\((\d+) s\)/.exec(await locator.textContent())?.[1] ?? NaN);
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  const verifiedLine = (email) => new RegExp(`${email.replace(/\./g, "\\.")} ✓ verified`);
  const w = (selector) => page.locator(`salient-widget ${selector}`);
  /** The widget's last answer is complete. */
  const widgetAnswered = () => page.waitForFunction(() => {
    const all = document.querySelector("salient-widget").shadowRoot.querySelectorAll(".msg.assistant:not(.greeting)");
    return all.length && !all[all.length - 1].classList.contains("streaming");
  });
  /** A reload, then the widget opened on `message`'s conversation (its history restored). */
  async function reopenWidget(message) {
    await page.reload();
    await w("button.launcher").click();
    await w(".log .msg.user").filter({ hasText: message }).waitFor();
  }
  /** The browser's problems, less the 4xx the error paths provoke on purpose (Chromium's line,
   *  and htmx's console.error for an error response it swaps). */
  const unexpected = () => problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d|Response Status Error Code 4\d\d from \/otp\//.test(p));

  /**
   * The code step, in the widget or on the page (`$` finds inside it): the resend countdown, a
   * wrong code, then (after the countdown) a new code, pasted with a separator. Returns the code.
   */
  async function codeStep($, email, seen, separator, name) {
    const resend = $(".verify-resend");
    await $(".verify-code").waitFor();
    assert.match(await $(".verify-sent").textContent(), new RegExp(`We sent a code to ${email.replace(/\./g, "\\.")}`));
    const first = await codeAfter(email, seen);
    assert.equal(await resend.isDisabled(), true, "no new code at once");
    const before = await secondsIn(resend);
    assert.ok(before > 55 && before <= 60, `countdown starts at resend_after_s: ${before}`);
    await page.waitForTimeout(1300);
    assert.ok((await secondsIn(resend)) < before, "the countdown runs");

    await $(".verify-code-input").fill(wrongOf(first));
    await $(".verify-code .verify-submit").click();
    await $(".verify-code .verify-error").filter({ hasText: /not right; 4 tries left/ }).waitFor();
    assert.equal(await $(".verify-code .verify-error").getAttribute("role"), "alert");
    assert.equal(await $(".verify-code .verify-submit").isDisabled(), false, "the form still works");
    await shot(`${name}-wrong-code`);

    await page.clock.fastForward(61_000);
    await resend.filter({ hasText: /^Send a new code$/ }).waitFor();
    assert.equal(await resend.isDisabled(), false, "enabled after the countdown");
    const mails = (await mailsTo(email)).length;
    await resend.click();
    const code = await codeAfter(email, mails);
    await resend.filter({ hasText: /\(\d+ s\)/ }).waitFor(); // counting down again
    await paste($(".verify-code-input"), code.slice(0, 3) + separator + code.slice(3));
    assert.equal(await $(".verify-code-input").inputValue(), code, "the pasted code, its digits only");
    await $(".verify-code .verify-submit").click();
    return code;
  }

  test("the widget: verify after a message; the profile card; Past chats lists the profile's conversations", async () => {
    const email = address("wen");
    const earlier = await linkedConversation(email, "Earlier: do you build pergolas?");
    await page.goto(`${origin}/`);
    await w("button.launcher").click();
    await w(".pane.open").waitFor();
    assert.equal(await w(".tools .verify").isHidden(), true, "nothing to link before the first message");

    await page.evaluate(() => window.Salient.identify({ email: "host-said@example.com", name: "Wen <b>x</b>" }));
    await w("textarea").fill("Do you build decks?");
    await w(".send").click();
    await widgetAnswered();
    await w(".tools .verify").click();
    const emailInput = w(".verify-email .verify-input");
    await emailInput.waitFor();
    assert.equal(await emailInput.getAttribute("autocomplete"), "email");
    assert.equal(await emailInput.inputValue(), "host-said@example.com", "identify()'s address prefilled");
    assert.match(await w(".verify-note").textContent(), /not verified/);
    assert.match(await w(".verify-consent").textContent(), /By verifying, you agree .* on the privacy page\./);
    assert.equal(await w(".verify-consent a").getAttribute("href"), `${origin}/a/sales/privacy`);
    const codeInput = w(".verify-code-input");
    assert.equal(await codeInput.getAttribute("autocomplete"), "one-time-code");
    assert.equal(await codeInput.getAttribute("inputmode"), "numeric");

    // A bad address: the server's words, and the form can be sent again.
    await emailInput.fill("not an address");
    await w(".verify-email .verify-submit").click();
    await w(".verify-email .verify-error").filter({ hasText: /valid email/ }).waitFor();
    assert.equal(await w(".verify-email .verify-submit").isDisabled(), false);

    const seen = (await mailsTo(email)).length;
    await emailInput.fill(email);
    await w(".verify-email .verify-submit").click();
    await codeStep(w, email, seen, " ", "widget");

    const card = w(".profile-card");
    await card.waitFor();
    await shot("widget-profile");
    const text = await card.textContent();
    assert.match(text, verifiedLine(email));
    assert.match(text, /host-said@example\.com not verified/, "identify()'s address is marked unverified");
    assert.match(text, /Wen <b>x<\/b>/, "server strings go in as text");
    assert.equal(await card.locator("b").count(), 0);
    assert.equal(await w(".tools .verify").textContent(), "Your profile");
    const current = await page.evaluate(() => localStorage.getItem("salient.session.sales"));
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("salient.sessions.sales")));
    assert.ok(stored.includes(earlier) && stored.includes(current), "the profile's conversations are this browser's");

    await w(".tools .past").click();
    const earlierButton = w(`.past-list button[data-session-key="${earlier}"]`);
    await earlierButton.waitFor();
    assert.match(await earlierButton.textContent(), /do you build pergolas/);
    assert.equal(await w(`.past-list button[data-session-key="${current}"]`).getAttribute("aria-current"), "true");
    await earlierButton.click();
    await w(".log .msg.user").filter({ hasText: "Earlier: do you build pergolas?" }).waitFor();
    assert.equal(await w(".tools .verify").textContent(), "Your profile", "that conversation is linked too");

    // A reload: the conversation verified in the pane brings its profile with its history.
    await page.evaluate((key) => localStorage.setItem("salient.session.sales", key), current);
    await reopenWidget("Do you build decks?");
    await w(".tools .verify").filter({ hasText: /^Your profile$/ }).waitFor();
    await w(".tools .verify").click();
    assert.equal(await w(".sheet-head h3").textContent(), "Your profile");
    const reloaded = await w(".profile-card").textContent();
    assert.match(reloaded, verifiedLine(email), "still verified after a reload");
    assert.match(reloaded, /host-said@example\.com not verified/, "this tab's identify() address, still unverified");
    await shot("widget-profile-reloaded");

    // A conversation that has only identify()'s address: after a reload (and without this tab's
    // own copy of it) the server's profile shows it "not verified", never as verified.
    await w(".new").click();
    await w("textarea").fill("Can you quote a fence?");
    await w(".send").click();
    await widgetAnswered();
    await page.evaluate(() => window.Salient.identify({ email: "host-said@example.com", name: "Wen <b>x</b>" }));
    await page.evaluate(() => sessionStorage.clear());
    await reopenWidget("Can you quote a fence?");
    await w(".tools .verify").click();
    const card2 = w(".sheet-body .profile-card");
    await card2.waitFor(); // drawn when the history's profile is in, above the form
    const unverified = await card2.textContent();
    assert.match(unverified, /host-said@example\.com not verified/);
    assert.doesNotMatch(unverified, /✓ verified/);
    assert.match(unverified, /Wen <b>x<\/b>/, "the name as text");
    assert.equal(await card2.locator("b").count(), 0);
    assert.equal(await w(".tools .verify").textContent(), "Verify your email");
    assert.equal(await w(".verify-email .verify-input").inputValue(), "host-said@example.com", "prefilled from the profile");
    assert.equal(await w(".verify-note").isVisible(), true, "and said to be unverified");
    await shot("widget-profile-unverified");
    assert.deepEqual(unexpected(), []);
  });

  test("the full-page chat: the same flow, and Past chats lists the profile's conversations", async () => {
    await page.evaluate(() => {
      localStorage.clear(); // a browser that has not chatted yet
      sessionStorage.clear();
    });
    const email = address("ada");
    const earlier = await linkedConversation(email, "Earlier: what does a patio cost?");
    await page.goto(`${origin}/a/sales/`);
    await page.waitForFunction(() => window.htmx && document.getElementById("session-key").value);
    assert.equal(await page.locator("#verify-email").isHidden(), true, "nothing to link before the first message");
    await page.fill("#message", "Do you plant hedges?");
    await page.click("#send");
    await page.waitForFunction(() => {
      const b = [...document.querySelectorAll("#messages .msg.assistant")].pop();
      return b && !b.classList.contains("streaming") && b.querySelector(".label").textContent.trim();
    });
    await page.click("#verify-email");
    assert.equal(await page.getAttribute("#verify-email", "aria-expanded"), "true");
    const $ = (selector) => page.locator(`#verify-panel ${selector}`);
    assert.equal(await $(".verify-consent a").getAttribute("href"), "/a/sales/privacy");
    const seen = (await mailsTo(email)).length;
    await $("#verify-form-email").fill(email);
    await $(".verify-email .verify-submit").click();
    await codeStep($, email, seen, "-", "page");

    await $(".profile-card").waitFor();
    await shot("page-profile");
    assert.match(await $(".profile-card").textContent(), verifiedLine(email));
    assert.doesNotMatch(await $(".profile-card").textContent(), /not verified/, "no identify() address here");
    assert.equal(await page.locator("#verify-email").textContent(), "Your profile");

    // A reload: the profile comes back with the conversation (POST history's JSON profile).
    await page.reload();
    await page.locator("#messages .msg.user").filter({ hasText: "Do you plant hedges?" }).waitFor();
    await page.locator("#verify-email").filter({ hasText: /^Your profile$/ }).waitFor();
    await page.click("#verify-email");
    assert.equal(await $("#verify-title").textContent(), "Your profile");
    assert.match(await $(".profile-card").textContent(), verifiedLine(email), "still verified after a reload");
    await shot("page-profile-reloaded");
    await page.click("#sessions > summary");
    const earlierButton = page.locator(`#session-list button.session[data-session-key="${earlier}"]`);
    await earlierButton.waitFor();
    assert.match(await earlierButton.textContent(), /what does a patio cost/);

    // A new chat links anew: a 4th code for the address in 15 minutes is refused (Retry-After),
    // shown as a wait on the button; another address may be tried at once.
    await page.click("#new-chat");
    await page.fill("#message", "And lawns?");
    await page.click("#send");
    await page.locator("#verify-email").filter({ hasText: "Verify your email" }).waitFor();
    await page.click("#verify-email");
    assert.equal(await $("#verify-form-email").inputValue(), email, "prefilled with the verified address");
    await $(".verify-email .verify-submit").click();
    await $(".verify-email .verify-error").filter({ hasText: /please wait/i }).waitFor();
    assert.match(await $(".verify-email .verify-submit").textContent(), /^Send code \(wait \d+ (s|min)\)$/);
    assert.equal(await $(".verify-email .verify-submit").isDisabled(), true);
    await $("#verify-form-email").fill(address("other"));
    assert.equal(await $(".verify-email .verify-submit").isDisabled(), false, "another address: no wait");
    assert.deepEqual(unexpected(), []);
  });

  test("the privacy page: email, code form (htmx), a pasted code, erased; the conversation is gone", async () => {
    const email = address("bo");
    const key = await linkedConversation(email, "Please call me about a fence");
    assert.ok((await historyOf(key)).length > 0);
    await page.goto(`${origin}/a/sales/privacy`);
    await page.waitForFunction(() => window.htmx);
    const seen = (await mailsTo(email)).length;
    await page.fill("#otp-email", email);
    await page.click("#otp-request button[type=submit]");
    const resend = page.locator("#otp-verify button.otp-resend");
    await resend.filter({ hasText: /\(\d+ s\)/ }).waitFor(); // privacy.js started its countdown
    assert.equal(await resend.isDisabled(), true);
    assert.match(await page.locator(".otp-resend-hint").textContent(), /new code in \d+ s/);
    const code = await codeAfter(email, seen);

    const input = page.locator("#otp-verify [data-otp-code]");
    await input.fill(wrongOf(code));
    await page.click("#otp-verify button[type=submit]");
    await page.locator("#otp-error").filter({ hasText: /not right/ }).waitFor();
    await shot("privacy-wrong-code");
    await input.fill("");
    await paste(input, spaced(code));
    assert.equal(await input.inputValue(), code, "the space is gone and no digit was cut");
    await page.click("#otp-verify button[type=submit]");
    await page.locator(".otp-done").filter({ hasText: /Your data has been deleted/ }).waitFor();
    await shot("privacy-erased");
    assert.deepEqual(await historyOf(key), [], "the conversation is gone");
    assert.equal(await page.locator("#verify-email, #verify-panel").count(), 0, "no chat here: page.js adds no verify button");
    assert.deepEqual(unexpected(), []);
  });
});
