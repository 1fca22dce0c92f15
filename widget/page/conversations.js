// Which conversation the full-page chat shows. On load it restores the current one
// (POST history); "New chat" starts another under a fresh key; "Clear" empties the pane only
// (the conversation stays stored and current: a reload or "Past chats" brings it back, and the
// next message continues it); "Past chats" lists this browser's keys (POST sessions) to switch
// back to one. Both requests are plain fetches (HX-Request, so errors come back as fragments);
// the fragments are server-escaped and go in through htmx.swap, so that open event streams in
// the bubbles they replace are closed.

/* global htmx */

import { KEY_PATTERN } from "../common/session-store.js";
import { uuid } from "../common/util.js";
import { loadErrorText, parseFragment, post, sessionField, showError } from "./dom.js";

export function installConversations(ctx) {
  const { messages, textarea, store } = ctx;
  const sessions = document.getElementById("sessions");
  const sessionList = document.getElementById("session-list");
  let history = null; // the history load in flight: { controller }

  ctx.historyLoading = () => history !== null;

  /** Empties the pane: no answer keeps streaming or rendering into it, no history arrives. */
  function empty() {
    cancelHistory();
    ctx.markdown.stopAll();
    ctx.answers.stopAll();
    // Through htmx, so that open event streams in the removed bubbles are closed too.
    htmx.swap(messages, "", { swapStyle: "innerHTML" });
  }

  /** Shows `key`'s conversation: empties the pane now, restores its history unless `fresh`. */
  function show(key, fresh) {
    empty();
    ctx.current = key;
    store.setCurrent(key);
    sessionField().value = key;
    ctx.pendingKey = null; // an idempotency key belongs to one conversation
    if (!fresh) loadHistory(key);
    else sendDeferred();
  }

  function loadHistory(key) {
    cancelHistory();
    const request = (history = { controller: new AbortController() });
    messages.setAttribute("aria-busy", "true");
    if (ctx.loadProfile) ctx.loadProfile(key); // the profile card's data (verify.js), alongside
    post(ctx.base + "history", { session_key: key }, request.controller.signal)
      .then((response) => response.text().then((body) => {
        if (request !== history) return;
        if (!response.ok) {
          showError(messages, loadErrorText("This conversation could not be loaded", response, body));
          return;
        }
        htmx.swap(messages, body, { swapStyle: "innerHTML" });
        // Restored answers: markdown like a streamed one, then their stored sources linked.
        ctx.markdown.renderStored(messages).then(() => {
          messages.querySelectorAll(".sources-slot").forEach(ctx.answers.linkSources);
        });
        if (messages.querySelector(".msg")) store.keep(key); // e.g. a key from before the list
        messages.scrollTo({ top: messages.scrollHeight, behavior: "instant" }); // no glide on arrival
        if (ctx.historyShown) ctx.historyShown(key); // a handoff to follow (handoff.js)
      }))
      .catch(() => {
        if (request !== history) return; // cancelled: another conversation is shown now
        showError(messages, "This conversation could not be loaded. Check your connection and reload the page.");
      })
      .then(() => {
        if (request !== history) return;
        history = null;
        messages.removeAttribute("aria-busy");
        sendDeferred();
      });
  }

  function cancelHistory() {
    if (!history) return;
    history.controller.abort();
    history = null;
    messages.removeAttribute("aria-busy");
  }

  function sendDeferred() {
    if (!ctx.sendAfterHistory) return;
    ctx.sendAfterHistory = false;
    ctx.submitDeferred();
  }

  const newChatButton = document.getElementById("new-chat");
  if (newChatButton) {
    newChatButton.addEventListener("click", () => {
      // The conversation left behind stays reachable under "Past chats" (a key restored
      // from before the list existed is added to it here).
      if (messages.querySelector(".msg.user")) store.keep(ctx.current);
      show(uuid(), true);
      if (sessions) sessions.open = false;
      textarea.focus(); // the typed draft stays
    });
  }

  clearButton(newChatButton).addEventListener("click", () => {
    if (messages.querySelector(".msg.user")) store.keep(ctx.current); // listed under "Past chats"
    empty();
    sendDeferred();
    if (sessions) sessions.open = false;
    textarea.focus(); // the typed draft stays
  });

  if (sessions && sessionList) installSessionList(ctx, sessions, sessionList, show);

  ctx.loadHistory = loadHistory;
}

/** The page's button#clear-chat, or one made beside New chat (or Send) when the markup has none. */
function clearButton(newChatButton) {
  let button = document.getElementById("clear-chat");
  if (button) return button;
  button = document.createElement("button");
  button.id = "clear-chat";
  button.type = "button";
  button.className = "btn";
  button.setAttribute("data-variant", "outline");
  button.setAttribute("data-size", "sm");
  button.title = "Empty this pane; the conversation stays saved";
  button.textContent = "Clear";
  const beside = newChatButton || document.getElementById("send");
  if (beside) beside.after(button);
  return button;
}

/** "Past chats": the list of this browser's conversations the server knows, to switch to one. */
function installSessionList(ctx, sessions, sessionList, show) {
  let listRequest = 0; // only the newest answer is shown

  sessions.addEventListener("toggle", () => {
    if (sessions.open) loadSessions();
  });

  function loadSessions() {
    const ticket = ++listRequest;
    const keys = [ctx.current].concat(ctx.store.keys().filter((key) => key !== ctx.current));
    setListMessage("Loading…");
    sessionList.setAttribute("aria-busy", "true");
    post(ctx.base + "sessions", { session_keys: keys.slice(0, 50).join(",") })
      .then((response) => response.text().then((body) => {
        if (ticket !== listRequest) return;
        if (!response.ok) {
          setListMessage(loadErrorText("Earlier chats could not be loaded", response, body), true);
          return;
        }
        sessionList.replaceChildren(...parseFragment(body));
        markCurrent();
      }))
      .catch(() => {
        if (ticket === listRequest) setListMessage("Earlier chats could not be loaded. Check your connection.", true);
      })
      .then(() => {
        if (ticket === listRequest) sessionList.removeAttribute("aria-busy");
      });
  }

  function setListMessage(text, isError) {
    const p = document.createElement("p");
    p.className = isError ? "session-empty session-error" : "session-empty";
    if (isError) p.setAttribute("role", "alert");
    p.textContent = text;
    sessionList.replaceChildren(p);
  }

  function markCurrent() {
    sessionList.querySelectorAll("button.session").forEach((button) => {
      if (button.dataset.sessionKey === ctx.current) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
  }

  sessionList.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button.session");
    if (!button || !sessionList.contains(button)) return;
    const key = button.dataset.sessionKey;
    if (!KEY_PATTERN.test(key || "")) return;
    show(key, false);
    sessions.open = false;
    ctx.textarea.focus();
  });

  // Escape closes the list and gives focus back to its summary; so does a click elsewhere.
  sessions.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !sessions.open) return;
    event.preventDefault();
    sessions.open = false;
    const summary = sessions.querySelector("summary");
    if (summary) summary.focus();
  });
  document.addEventListener("click", (event) => {
    if (sessions.open && !sessions.contains(event.target)) sessions.open = false;
  });
}
