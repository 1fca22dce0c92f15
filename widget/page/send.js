// Sending on the full-page chat: the message box's keys and debounce (salient.yaml chat.input,
// from the form's data attributes; common/input-keys.js), and htmx's POST of the form with the
// session and idempotency keys, its success and its failures.
//
// One idempotency key per unsent message: a retry of the same text after a failure reuses it,
// so a POST that did reach the server is not stored twice; editing the text or a success starts
// anew.

import { debounceGate, enterAction } from "../common/input-keys.js";
import { parseJson, postErrorText, uuid } from "../common/util.js";
import { scrollDown, sessionField, showError } from "./dom.js";

export function installSend(ctx) {
  const { form, messages, textarea } = ctx;
  const idempotencyInput = document.getElementById("idempotency-key");
  const gate = debounceGate(() => ctx.keys.debounceMs);
  let internal = false; // a send the page makes itself (deferred), not the visitor's
  let sendingKey = null; // the session of the POST in flight

  textarea.addEventListener("keydown", (event) => {
    const action = enterAction(event, ctx.keys);
    if (!action || action === "newline") return;
    event.preventDefault(); // "none": Enter adds nothing
    if (action === "send") form.requestSubmit();
  });
  textarea.addEventListener("input", () => {
    ctx.pendingKey = null;
  });

  // chat.input.debounce_ms, before htmx sees the submission (its listener is on the form; this
  // one runs first, in the capture phase on the document). Empty text is left to the check in
  // htmx:configRequest below and does not count.
  document.addEventListener("submit", (event) => {
    if (event.target !== form || internal || !textarea.value.trim()) return;
    if (gate.accept()) return;
    event.preventDefault();
    event.stopPropagation();
  }, true);

  /** Sends the form now, past the debounce: a send the visitor asked for earlier. */
  ctx.submitDeferred = () => {
    internal = true;
    try {
      form.requestSubmit();
    } finally {
      internal = false;
    }
  };

  // Only the form's own POST: the history and session list are fetched without htmx.
  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt !== form) return;
    if (!textarea.value.trim()) {
      event.preventDefault(); // nothing to send
      textarea.focus();
      return;
    }
    if (ctx.historyLoading()) {
      // The restored conversation would replace the new bubbles: send once it is in.
      event.preventDefault();
      ctx.sendAfterHistory = true;
      return;
    }
    ctx.pendingKey = ctx.pendingKey || uuid();
    sendingKey = ctx.current;
    sessionField().value = ctx.current;
    idempotencyInput.value = ctx.pendingKey;
    event.detail.parameters.set("session_key", ctx.current);
    event.detail.parameters.set("idempotency_key", ctx.pendingKey);
    form.setAttribute("aria-busy", "true");
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt !== form) return;
    form.removeAttribute("aria-busy");
    if (!event.detail.successful) return; // the error handlers below keep the typed text
    if (sendingKey) ctx.store.remember(sendingKey);
    ctx.pendingKey = null;
    textarea.value = "";
    textarea.focus();
  });

  // A failed POST. The chat module answers htmx with an HTML error bubble, which htmx swaps in
  // (see responseHandling in the page's htmx-config); anything else (a JSON or empty error from
  // a proxy or the host) is not swapped raw: a readable bubble is shown instead.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const detail = event.detail;
    if (!detail.requestConfig || detail.requestConfig.elt !== form) return;
    if (!detail.isError) {
      // Sent, but the visitor has switched conversations since: the message is stored in its
      // own conversation (and shows there), not in the one now on screen.
      if (sendingKey !== ctx.current) detail.shouldSwap = false;
      return;
    }
    const type = detail.xhr.getResponseHeader("content-type") || "";
    if (detail.shouldSwap && type.indexOf("text/html") === 0 && detail.serverResponse.trim()) return;
    detail.shouldSwap = false;
    // A refusal sent as the core's error fragment (htmx asks for HTML): its text is the server's
    // message (a 429 names the limit and the wait), read as text, never inserted as markup. Any
    // other page (a proxy's) is not shown: the words for its status are.
    const body = detail.xhr.responseText || "";
    const fragment = type.indexOf("text/html") === 0 &&
      new DOMParser().parseFromString(body, "text/html").querySelector(".msg.error[data-code]");
    const said = fragment ? fragment.textContent.trim().slice(0, 500) : "";
    const json = parseJson(body) || (said ? { error: { message: said } } : null);
    showError(messages, postErrorText(detail.xhr.status, json, detail.xhr.getResponseHeader("retry-after")));
  });

  document.addEventListener("htmx:sendError", (event) => {
    if (event.detail.elt !== form) return;
    showError(messages, "Could not reach the server. Check your connection and try again.");
  });

  // New content: keep the newest message in view.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (messages.contains(event.detail.target) || event.detail.target === messages) scrollDown(messages);
  });
}
