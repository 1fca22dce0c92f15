// Behaviour of the full-page HTMX chat at /a/{agent}/. The page's CSP is `script-src 'self'`, so
// everything htmx cannot do declaratively without eval (hx-on, trigger filters) lives here.
// The HTML contract (rendered by the chat module): form#chat-form[data-agent] with
// textarea#message, input#session-key, input#idempotency-key, button#send, button#clear; and
// div#messages, where each POST appends a user bubble and an assistant bubble that streams its
// answer over SSE (htmx-ext-sse: sse-swap="meta" | "token" | "error", sse-close="done").
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("chat-form");
    var messages = document.getElementById("messages");
    if (!form || !messages) return;
    var textarea = document.getElementById("message");
    var sessionInput = document.getElementById("session-key");
    var idempotencyInput = document.getElementById("idempotency-key");
    var clearButton = document.getElementById("clear");
    var agent = form.dataset.agent || "sales";

    // One key per unsent message: a retry of the same text after a failure reuses it, so a POST
    // that did reach the server is not stored twice; editing the text or a success starts anew.
    var pendingKey = null;

    sessionInput.value = sessionKey(agent);

    // chat.input.submit_shortcut: "ctrl+enter" (default: Ctrl/Cmd+Enter sends, Enter is a new
    // line) or "enter" (Enter sends, Shift+Enter is a new line).
    var enterSends = form.dataset.submitShortcut === "enter";

    textarea.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) return;
      var sends = enterSends ? !event.shiftKey : event.ctrlKey || event.metaKey;
      if (sends) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    textarea.addEventListener("input", function () {
      pendingKey = null;
    });

    document.addEventListener("htmx:configRequest", function (event) {
      if (event.detail.elt !== form) return;
      if (!textarea.value.trim()) {
        event.preventDefault(); // nothing to send
        textarea.focus();
        return;
      }
      pendingKey = pendingKey || uuid();
      sessionInput.value = sessionKey(agent);
      idempotencyInput.value = pendingKey;
      event.detail.parameters.set("session_key", sessionInput.value);
      event.detail.parameters.set("idempotency_key", pendingKey);
      form.setAttribute("aria-busy", "true");
    });

    document.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt !== form) return;
      form.removeAttribute("aria-busy");
      if (!event.detail.successful) return; // the error handlers below keep the typed text
      pendingKey = null;
      textarea.value = "";
      textarea.focus();
    });

    // A failed POST. The chat module answers htmx with an HTML error bubble, which htmx swaps in
    // (see responseHandling in the page's htmx-config); anything else (a JSON or empty error from
    // a proxy or the host) is not swapped raw: a readable bubble is shown instead.
    document.addEventListener("htmx:beforeSwap", function (event) {
      var detail = event.detail;
      if (!detail.isError || !detail.requestConfig || detail.requestConfig.elt !== form) return;
      var type = detail.xhr.getResponseHeader("content-type") || "";
      if (detail.shouldSwap && type.indexOf("text/html") === 0 && detail.serverResponse.trim()) return;
      detail.shouldSwap = false;
      showError(messages, postErrorText(detail.xhr.status, detail.xhr.responseText));
    });

    document.addEventListener("htmx:sendError", function (event) {
      if (event.detail.elt !== form) return;
      showError(messages, "Could not reach the server. Check your connection and try again.");
    });

    // New content: keep the newest message in view.
    document.addEventListener("htmx:afterSwap", function (event) {
      if (messages.contains(event.detail.target) || event.detail.target === messages) scrollDown(messages);
    });

    document.addEventListener("htmx:sseOpen", function (event) {
      event.detail.elt.classList.add("streaming");
    });
    document.addEventListener("htmx:sseClose", function (event) {
      event.detail.elt.classList.remove("streaming");
    });

    // An SSE event named `error` shares its type with EventSource's own connection `error`
    // Event: the source's onerror (so htmx:sseError) fires for both, and an element with
    // `sse-swap="error"` would receive both (htmx fails swapping the data-less one). So htmx
    // never swaps it: both kinds are shown as text by htmx:sseError below.
    document.addEventListener("htmx:sseBeforeMessage", function (event) {
      var message = event.detail;
      if (!message || message.type !== "error") return;
      event.preventDefault();
    });

    // A server `error` event, or the stream could not be opened (expired or used link, network):
    // stream links are single-use, so a reconnect cannot succeed. Say so, and stop the
    // extension from retrying.
    document.addEventListener("htmx:sseError", function (event) {
      var bubble = event.detail.elt;
      if (!bubble || !bubble.hasAttribute("sse-connect")) return;
      var cause = event.detail.error;
      var serverEvent = cause && typeof cause.data === "string";
      setBubbleError(bubble, serverEvent
        ? errorEventText(cause.data)
        : "The answer could not be loaded. Please send your message again.");
      stopStream(bubble, event.detail.source);
    });

    clearButton.addEventListener("click", function () {
      // Through htmx, so that open event streams in the removed bubbles are closed too.
      htmx.swap(messages, "", { swapStyle: "innerHTML" });
      textarea.focus();
    });
  }

  function sessionKey(agent) {
    var name = "salient.session." + agent;
    var key = null;
    try {
      key = localStorage.getItem(name);
      if (!key) localStorage.setItem(name, (key = uuid()));
    } catch (e) {
      // storage blocked (privacy mode): a key for this page view only
      key = key || window.__salientSessionKey || (window.__salientSessionKey = uuid());
    }
    return key;
  }

  function uuid() {
    return crypto.randomUUID();
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  function postErrorText(status, body) {
    var parsed = parseJson(body || "");
    var detail = parsed && parsed.error && parsed.error.message;
    if (status === 413) return "That message is too long. Please shorten it and send again.";
    if (status === 429) return "Too many messages at once. Please wait a moment and try again.";
    if (status >= 500) return "The assistant is unavailable right now. Please try again in a moment.";
    return detail ? "Your message was not sent: " + detail : "Your message was not sent (error " + status + ").";
  }

  /** An SSE `error` event's data: JSON {code, message, retryable} or an HTML fragment. */
  function errorEventText(data) {
    var parsed = parseJson(data);
    if (parsed && typeof parsed.message === "string") return parsed.message;
    var text = new DOMParser().parseFromString(data, "text/html").body.textContent.trim();
    return text || "The answer was interrupted. Please try again.";
  }

  function showError(messages, text) {
    var bubble = document.createElement("div");
    bubble.className = "msg error";
    bubble.setAttribute("role", "alert");
    bubble.textContent = text;
    messages.appendChild(bubble);
    scrollDown(messages);
  }

  function setBubbleError(bubble, text) {
    if (!bubble) return;
    var slot = bubble.querySelector(".error");
    if (!slot) {
      slot = document.createElement("div");
      slot.className = "error";
      bubble.appendChild(slot);
    }
    slot.setAttribute("role", "alert");
    slot.hidden = false;
    slot.textContent = text;
  }

  function stopStream(bubble, source) {
    if (source && source.close) source.close();
    if (!bubble) return;
    bubble.removeAttribute("sse-connect"); // the extension's retry timer then finds nothing to open
    bubble.classList.remove("streaming");
  }

  function scrollDown(messages) {
    messages.scrollTop = messages.scrollHeight;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
