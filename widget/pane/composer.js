// The message box and one turn's send: the keys salient.yaml's chat.input gives it
// (common/input-keys.js; from GET settings, the defaults until it has answered), the debounce,
// and the POST chat whose answer stream.js then reads.
//
// The typed text stays in the textarea until the server has accepted it; a failure shows an
// error with Retry, and the retry reuses the idempotency key, so a POST that did reach the server
// is not stored twice. Editing the text makes it a new message (a new key).

import { debounceGate, enterAction, hintText } from "../common/input-keys.js";
import { postErrorText, uuid } from "../common/util.js";
import { errorCode } from "./server.js";
import { streamAnswer } from "./stream.js";

export function installComposer(p) {
  const { view } = p;
  const { textarea } = view;
  const gate = debounceGate(() => p.settings.keys.debounceMs);

  /** The keys as they are now (the settings may arrive after the pane is drawn). */
  p.applyKeys = () => {
    view.hint.textContent = hintText(p.settings.keys);
  };
  p.applyKeys();

  textarea.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    if (!p.settings.ready) {
      // Enter before the settings are in: held, then done as the agent's keys say (they
      // usually arrive within milliseconds of the first open).
      event.preventDefault();
      const pressed = { key: "Enter", shiftKey: event.shiftKey, ctrlKey: event.ctrlKey, metaKey: event.metaKey };
      p.settingsLoad.then(() => {
        const action = enterAction(pressed, p.settings.keys);
        if (action === "send") userSubmit();
        else if (action === "newline") {
          // The browser's own insertion was prevented above: insert it here.
          textarea.setRangeText("\n", textarea.selectionStart, textarea.selectionEnd, "end");
          textarea.dispatchEvent(new Event("input"));
        }
      });
      return;
    }
    const action = enterAction(event, p.settings.keys);
    if (action !== "newline") event.preventDefault(); // "none": Enter adds nothing
    if (action === "send") userSubmit();
  });

  textarea.addEventListener("input", () => {
    p.pendingKey = null; // edited: a new message, not a retry
    autosize();
  });
  view.form.addEventListener("submit", (event) => {
    event.preventDefault();
    userSubmit();
  });

  /** A submission by the visitor (the shortcut or Send): subject to chat.input.debounce_ms. */
  function userSubmit() {
    if (!textarea.value.trim()) return Promise.resolve();
    if (!gate.accept()) return Promise.resolve();
    return submit();
  }

  function autosize() {
    textarea.style.height = "auto";
    textarea.style.height = Math.min(textarea.scrollHeight, 140) + "px";
  }

  function setBusy(value) {
    p.busy = value;
    view.sendButton.setAttribute("aria-disabled", String(value));
    if (!value && p.switchTo) {
      const key = p.switchTo;
      p.switchTo = null;
      if (key !== p.current) p.show(key, false);
    }
  }

  /** Sends the textarea's text. */
  async function submit() {
    const text = textarea.value;
    if (!text.trim() || p.busy) return;
    setBusy(true);
    view.clearErrors();
    try {
      if (p.historyLoad) await p.historyLoad; // the restored conversation goes above the new message
      p.pendingKey = p.pendingKey || uuid();
      const key = p.current;
      view.setStatus("sending", "Sending…");
      let reply;
      try {
        reply = await p.server.postJson("chat", { message: text, session_key: key, idempotency_key: p.pendingKey });
      } catch (error) {
        return sendFailed("network", "Could not reach the server. Check your connection and try again.");
      }
      if (!reply.ok || !reply.json || typeof reply.json.stream_url !== "string") {
        return sendFailed(errorCode(reply.json, reply.status), postErrorText(reply.status, reply.json, reply.retryAfter));
      }
      p.store.remember(key);
      p.pendingKey = null;
      p.storeIdentity(key); // details given before this conversation existed, or in another one
      if (textarea.value === text) textarea.value = "";
      autosize();
      // Switched conversations meanwhile: the message is stored in its own (and shows there).
      if (key !== p.current) return;
      view.addUser(text);
      p.emit("message", { role: "user", text: text, id: reply.json.message_id, sessionKey: key });
      await streamAnswer(p, reply.json.stream_url, reply.json.message_id, key);
    } finally {
      setBusy(false);
    }
  }

  function sendFailed(code, message) {
    view.setStatus("error", "Not sent");
    const bubble = view.showError(message);
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => {
      textarea.focus();
      submit(); // not debounced: it answers a failure, and a send in flight makes a second click wait
    });
    bubble.appendChild(retry);
    p.emit("error", { code: code, message: message });
  }

  /** Salient.send(text): the page's own call, not a visitor's submission (no debounce). */
  p.sendText = (text) => {
    if (typeof text === "string" && text) {
      textarea.value = text;
      p.pendingKey = null;
      autosize();
    }
    return submit();
  };
}
