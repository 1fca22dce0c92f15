// The one-time-code fragments' behaviour (the privacy page /a/{agent}/privacy, and any page that
// swaps in shared/render/templates/otp_code_form.html.mustache). The CSP forbids inline scripts,
// so the fragments' contract (shared/include/salient/render/templates.h) is kept here:
//   [data-otp-code]      a code input: a pasted "123 456" or "123-456" goes in as its 6 digits
//                        (before its maxlength would cut it), typed non-digits are dropped
//   [data-resend-after]  "Send a new code": disabled for that many seconds with the wait shown in
//                        its label (and in the .otp-resend-hint under it), then enabled
// Listeners are on the document, so fragments htmx swaps in later work too; a page without these
// elements gets nothing but two idle listeners.

import { cleanCodeInput, countdown, pasteCode, waitText } from "../common/verify.js";

const started = new WeakSet(); // resend buttons whose countdown has begun

export function installOtpFragments() {
  document.addEventListener("paste", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.hasAttribute("data-otp-code")) pasteCode(event, input);
  });
  document.addEventListener("input", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.hasAttribute("data-otp-code")) cleanCodeInput(input);
  });
  startCountdowns(document);
  // htmx:load fires for each piece of content htmx swaps in (the code form after "Send me a code").
  document.addEventListener("htmx:load", (event) => startCountdowns(event.detail && event.detail.elt));
}

function startCountdowns(root) {
  if (!root || !root.querySelectorAll) return;
  const buttons = Array.from(root.querySelectorAll("[data-resend-after]"));
  if (root.matches && root.matches("[data-resend-after]")) buttons.push(root);
  for (const button of buttons) {
    if (started.has(button)) continue;
    started.add(button);
    const seconds = Number(button.getAttribute("data-resend-after"));
    const label = button.textContent;
    const form = button.closest("form");
    const hint = form && form.querySelector(".otp-resend-hint");
    button.disabled = true;
    countdown(Number.isFinite(seconds) ? seconds : 0, (left) => {
      button.textContent = label + " (" + waitText(left) + ")";
      if (hint) hint.textContent = "You can ask for a new code in " + waitText(left) + ".";
    }, () => {
      button.textContent = label;
      button.disabled = false;
      if (hint) hint.textContent = "Didn't get it? You can ask for a new code now.";
    });
  }
}
