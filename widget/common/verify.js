// "Verify your email", shared by the widget's pane and the full-page chat: the one-time-code
// requests (POST /otp/request and /otp/verify, purpose link_session), the code input's clean-up,
// the resend countdown, the form itself and the profile card shown after verification.
//
// No request is made here: the caller hands in `post(path, body)` (path "request" | "verify"),
// its own server module's JSON POST, which resolves { ok, status, json, retryAfter } or throws on
// a network error. Every server or visitor string goes in with textContent.

import { errorMessageOf } from "./util.js";

export const CODE_LENGTH = 6;
const CONSENT_BEFORE = "By verifying, you agree that we keep this address with your conversations so that our team can reply. You can erase it at any time on the ";
const CONSENT_LINK = "privacy page";

/** The digits of what was typed or pasted ("123 456", "123-456"), at most six. */
export function normalizeCode(text) {
  return String(text == null ? "" : text).replace(/\D+/g, "").slice(0, CODE_LENGTH);
}

/** A paste into a code input: the digits go in whole. Without this the input's maxlength would
 *  cut a pasted "123 456" to "123 45" before any input event could strip the space. */
export function pasteCode(event, input) {
  const data = event.clipboardData ? event.clipboardData.getData("text") : null;
  if (data == null) return;
  event.preventDefault();
  const digits = data.replace(/\D+/g, "");
  const start = input.selectionStart == null ? input.value.length : input.selectionStart;
  const end = input.selectionEnd == null ? start : input.selectionEnd;
  // A whole code replaces what was there; a few digits are inserted at the caret.
  const value = digits.length >= CODE_LENGTH ? digits : input.value.slice(0, start) + digits + input.value.slice(end);
  input.value = normalizeCode(value);
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

/** Typed or autofilled text: digits only (the caret stays at the end, where codes are typed). */
export function cleanCodeInput(input) {
  const clean = normalizeCode(input.value);
  if (clean !== input.value) input.value = clean;
}

/** Calls `onTick(secondsLeft)` each second for `seconds`, then `onDone()`. Counted from the clock,
 *  not from the ticks, so a throttled background tab still ends on time. Returns { stop }. */
export function countdown(seconds, onTick, onDone) {
  const end = Date.now() + Math.max(0, seconds) * 1000;
  let timer = null;
  const tick = () => {
    const left = Math.ceil((end - Date.now()) / 1000);
    if (left <= 0) {
      timer = null;
      onDone();
      return;
    }
    onTick(left);
    timer = setTimeout(tick, (end - Date.now()) % 1000 || 1000);
  };
  tick();
  return { stop: () => clearTimeout(timer) };
}

/** A wait in words: "45 s", "3 min", "2 h". */
export function waitText(seconds) {
  if (seconds < 90) return seconds + " s";
  if (seconds < 7200) return Math.ceil(seconds / 60) + " min";
  return Math.ceil(seconds / 3600) + " h";
}

/** Seconds from a Retry-After header (delta-seconds only), or 0. */
export function retryAfterSeconds(value) {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.ceil(n) : 0;
}

/** The two requests, bound to the agent and the conversation shown when each is made. */
export function verifyClient(post, agent, sessionKey) {
  async function call(path, fields) {
    try {
      return await post(path, Object.assign({ purpose: "link_session", session_key: sessionKey(), agent: agent }, fields));
    } catch (error) {
      return { ok: false, status: 0, json: null, retryAfter: null };
    }
  }
  return {
    request: (email) => call("request", { email: email }),
    verify: (email, code) => call("verify", { email: email, code: code }),
  };
}

/** Why a request failed, in words for the visitor (the server's own message when it sent one). */
export function replyErrorText(reply) {
  const code = reply.json && reply.json.error && reply.json.error.code;
  const message = errorMessageOf(reply.json);
  if (reply.status === 0) return "Could not reach the server. Check your connection and try again.";
  if (code === "no_conversation") return "Send a message first, then verify your email.";
  if (code === "send_failed") return "The email could not be sent. Please try again in a moment.";
  if (message) return message.charAt(0).toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? "" : ".");
  if (reply.status === 429) return "Too many attempts. Please wait a moment and try again.";
  return "Something went wrong (error " + reply.status + "). Please try again.";
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function button(className, text, type) {
  const node = el("button", className, text);
  node.type = type || "button";
  return node;
}

/**
 * The form, drawn into `container` (emptied first). opts:
 *   client          verifyClient(…)
 *   privacyUrl      the agent's privacy page (the consent line links to it)
 *   idPrefix        unique ids within the document or shadow root
 *   email           to prefill (the verified address, or identify()'s)
 *   unverifiedEmail identify()'s address: said to be unverified when it is the prefill
 *   onVerified({ email, sessionKeys, profile })  after a 200 from /otp/verify
 * Returns { focus() }.
 */
export function mountVerifyForm(container, opts) {
  const id = (name) => opts.idPrefix + name;
  let email = "";
  let resendTimer = null;
  const waits = new Map(); // button → countdown of a Retry-After

  // Step 1: the address.
  const emailForm = el("form", "verify-step verify-email");
  emailForm.noValidate = true; // the server checks the address; its message shows in the alert
  const emailLabel = el("label", "verify-label", "Your email address");
  emailLabel.htmlFor = id("email");
  const emailInput = el("input", "verify-input");
  Object.assign(emailInput, { id: id("email"), type: "email", name: "email", autocomplete: "email", maxLength: 254, required: true });
  const fromSite = el("p", "verify-note", "This address came from this site and is not verified yet.");
  fromSite.id = id("from-site");
  const consent = el("p", "verify-consent", CONSENT_BEFORE);
  const link = el("a", "", CONSENT_LINK);
  link.href = opts.privacyUrl;
  link.target = "_blank";
  link.rel = "noopener";
  consent.append(link, ".");
  consent.id = id("consent");
  emailInput.setAttribute("aria-describedby", id("consent"));
  const emailError = el("p", "verify-error");
  emailError.setAttribute("role", "alert");
  const sendButton = button("verify-submit", "Send code", "submit");
  emailForm.append(emailLabel, emailInput, fromSite, consent, emailError, el("div", "verify-actions"));
  emailForm.lastChild.append(sendButton);

  // Step 2: the code.
  const codeForm = el("form", "verify-step verify-code");
  codeForm.noValidate = true;
  codeForm.hidden = true;
  const sentTo = el("p", "verify-sent");
  const codeLabel = el("label", "verify-label", "The 6-digit code from the email");
  codeLabel.htmlFor = id("code");
  const codeInput = el("input", "verify-input verify-code-input");
  Object.assign(codeInput, { id: id("code"), type: "text", name: "code", autocomplete: "one-time-code", inputMode: "numeric", maxLength: CODE_LENGTH });
  codeInput.setAttribute("pattern", "[0-9]{6}");
  const codeError = el("p", "verify-error");
  codeError.setAttribute("role", "alert");
  const verifyButton = button("verify-submit", "Verify", "submit");
  const resendButton = button("verify-resend", "Send a new code");
  const otherButton = button("verify-other", "Use another address");
  const actions = el("div", "verify-actions");
  actions.append(verifyButton, resendButton, otherButton);
  codeForm.append(sentTo, codeLabel, codeInput, codeError, actions);

  container.replaceChildren(emailForm, codeForm);
  emailInput.value = opts.email || "";
  const showFromSite = () => {
    fromSite.hidden = !opts.unverifiedEmail || emailInput.value.trim().toLowerCase() !== opts.unverifiedEmail.toLowerCase();
  };
  showFromSite();
  emailInput.addEventListener("input", () => {
    showFromSite();
    // A wait (Retry-After) may have been this address's: another one may be tried at once.
    if (waits.has(sendButton)) {
      waits.get(sendButton).stop();
      waits.delete(sendButton);
      sendButton.textContent = sendButton.dataset.label;
      sendButton.disabled = emailForm.getAttribute("aria-busy") === "true";
    }
  });

  codeInput.addEventListener("paste", (event) => pasteCode(event, codeInput));
  codeInput.addEventListener("input", () => cleanCodeInput(codeInput));

  /** A request under way: its button disabled (and the form marked busy) until the answer. */
  async function busy(form, btn, run) {
    if (form.getAttribute("aria-busy") === "true") return;
    form.setAttribute("aria-busy", "true");
    btn.disabled = true;
    try {
      await run();
    } finally {
      form.removeAttribute("aria-busy");
      if (!waits.has(btn) && !(btn === resendButton && resendTimer)) btn.disabled = false;
    }
  }

  /** Retry-After: the button stays disabled, its label counting down the wait. */
  function waitOn(btn, seconds) {
    const label = btn.dataset.label || (btn.dataset.label = btn.textContent);
    if (waits.has(btn)) waits.get(btn).stop();
    btn.disabled = true;
    waits.set(btn, countdown(seconds, (left) => (btn.textContent = label + " (wait " + waitText(left) + ")"), () => {
      waits.delete(btn);
      btn.textContent = label;
      btn.disabled = false;
    }));
  }

  function failed(reply, slot, btn) {
    slot.textContent = replyErrorText(reply);
    const wait = retryAfterSeconds(reply.retryAfter);
    if (wait && btn) waitOn(btn, wait);
  }

  function startResendCountdown(seconds) {
    if (resendTimer) resendTimer.stop();
    resendButton.disabled = true;
    resendTimer = countdown(seconds, (left) => (resendButton.textContent = "Send a new code (" + waitText(left) + ")"), () => {
      resendTimer = null;
      resendButton.textContent = "Send a new code";
      resendButton.disabled = waits.has(resendButton);
    });
  }

  function stopResendCountdown() {
    if (resendTimer) resendTimer.stop();
    resendTimer = null;
    resendButton.textContent = "Send a new code";
    resendButton.disabled = waits.has(resendButton);
  }

  function codeSent(json) {
    email = typeof json.email === "string" ? json.email : email;
    sentTo.textContent = "We sent a code to ";
    sentTo.append(el("strong", "", email), ". It is valid for " + Math.round((Number(json.expires_in_s) || 600) / 60) + " minutes.");
    codeInput.value = "";
    codeError.textContent = "";
    emailForm.hidden = true;
    codeForm.hidden = false;
    const after = Number(json.resend_after_s);
    startResendCountdown(Number.isFinite(after) && after > 0 ? after : 60);
    codeInput.focus();
  }

  async function requestCode(address, slot, btn) {
    const reply = await opts.client.request(address);
    if (reply.ok && reply.json && reply.json.status === "sent") codeSent(reply.json);
    else failed(reply, slot, btn);
  }

  emailForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const address = emailInput.value.trim();
    if (!address) {
      emailError.textContent = "Please enter your email address.";
      emailInput.focus();
      return;
    }
    emailError.textContent = "";
    email = address;
    busy(emailForm, sendButton, () => requestCode(address, emailError, sendButton));
  });

  codeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = normalizeCode(codeInput.value);
    if (code.length !== CODE_LENGTH) {
      codeError.textContent = "Enter the 6 digits from the email.";
      codeInput.focus();
      return;
    }
    codeError.textContent = "";
    busy(codeForm, verifyButton, async () => {
      const reply = await opts.client.verify(email, code);
      if (reply.ok && reply.json && reply.json.status === "verified") {
        stopResendCountdown();
        const keys = Array.isArray(reply.json.session_keys) ? reply.json.session_keys.filter((k) => typeof k === "string") : [];
        const profile = reply.json.profile && typeof reply.json.profile === "object" ? reply.json.profile : { email: email, verified: true };
        opts.onVerified({ email: reply.json.email || email, sessionKeys: keys, profile: profile });
        return;
      }
      failed(reply, codeError, verifyButton);
      const why = reply.json && reply.json.error && reply.json.error.code;
      // This code can no longer work: a new one may be asked for at once.
      if (why === "expired" || (why === "too_many_tries" && !retryAfterSeconds(reply.retryAfter))) stopResendCountdown();
      codeInput.select();
    });
  });

  resendButton.addEventListener("click", () => {
    codeError.textContent = "";
    busy(codeForm, resendButton, () => requestCode(email, codeError, resendButton));
  });

  otherButton.addEventListener("click", () => {
    stopResendCountdown();
    codeForm.hidden = true;
    emailForm.hidden = false;
    emailError.textContent = "";
    emailInput.value = email;
    showFromSite();
    emailInput.select();
  });

  return { focus: () => (emailForm.hidden ? codeInput : emailInput).focus() };
}

/**
 * The visitor's profile (common/profile.js): name, email, phone, products and services of
 * interest; empty fields left out. The email is marked verified only when `profile.verified` is
 * true (a one-time code proved it), else "not verified" (identify()'s word). `unverifiedEmail`
 * (identify()'s in this tab) is listed apart, marked "not verified", unless it is the same address.
 */
export function profileCard(profile, unverifiedEmail) {
  const card = el("section", "profile-card");
  card.setAttribute("aria-label", "Your profile"); // its panel is titled so: no heading of its own
  const list = el("dl", "profile-fields");
  const text = (v) => (typeof v === "string" ? v.trim() : "");
  const joined = (v) => (Array.isArray(v) ? v.map(text).filter(Boolean).join(", ") : "");
  const add = (label, value, mark, markClass) => {
    if (!value) return;
    const dd = el("dd", "", value);
    if (mark) dd.append(" ", el("span", markClass, mark));
    list.append(el("dt", "", label), dd);
  };
  const address = text(profile.email);
  add("Name", text(profile.customer_name));
  const proven = profile.verified === true; // never "verified" on anything less
  add("Email", address, proven ? "✓ verified" : "not verified", proven ? "verified" : "unverified");
  const other = text(unverifiedEmail);
  if (other && other.toLowerCase() !== address.toLowerCase()) add("Email from this site", other, "not verified", "unverified");
  add("Phone", text(profile.phone));
  add("Products of interest", joined(profile.products_of_interest));
  add("Services of interest", joined(profile.services_of_interest));
  card.append(list);
  return card;
}
