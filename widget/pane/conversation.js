// Which conversation the pane shows, and what is in it: restoring it from the history (a team
// member's replies after a handoff among its messages; with it the profile card's data, handed
// to verify.js, and a remembered handoff to follow, handed to handoff.js), starting a new one
// (New chat), emptying the pane (Clear), and following another tab that switched the current
// conversation (the `storage` event on the shared session store).
//
// Clear empties the pane only: the conversation stays stored and current, so the next message
// continues it and a reload shows it all again. New chat starts another conversation under a
// fresh key (the one left behind stays in this browser's list).

import { handoffRemembered } from "../common/handoff.js";
import { KEY_PATTERN } from "../common/session-store.js";
import { uuid } from "../common/util.js";
import { errorCode } from "./server.js";

export function installConversation(p) {
  const { view, store } = p;

  /** Shows `key`'s conversation: restores its history unless `fresh`. */
  function show(key, fresh) {
    stopShowing();
    p.current = key;
    p.after = null;
    store.setCurrent(key);
    p.pendingKey = null; // an idempotency key belongs to one conversation
    view.clearLog();
    if (fresh) {
      p.historyWanted = false;
      view.showGreeting();
    } else if (p.isOpen) loadHistory();
    else p.historyWanted = true;
    view.setStatus("online", "");
  }

  /** Stops what would still fill the pane: the answer streaming in, a history on its way. */
  function stopShowing() {
    if (p.turn) p.turn.controller.abort(); // the server keeps storing an answer it has begun
    p.turn = null;
    p.historyLoad = null;
    p.historyTicket++;
  }

  function clear() {
    stopShowing();
    p.historyWanted = false;
    view.clearLog();
    view.showGreeting();
    view.setStatus("online", "");
  }

  function loadHistory() {
    p.historyWanted = false;
    const ticket = ++p.historyTicket;
    const key = p.current;
    view.clearLog();
    view.showGreeting();
    view.log.setAttribute("aria-busy", "true");
    const load = (p.historyLoad = (async () => {
      try {
        const [reply, c] = await Promise.all([p.server.postJson("history", { session_key: key }), p.core()]);
        if (ticket !== p.historyTicket) return;
        if (!reply.ok || !reply.json || !Array.isArray(reply.json.messages)) {
          const message = "This conversation could not be loaded (error " + reply.status + "). You can still send a message.";
          view.showError(message);
          p.emit("error", { code: errorCode(reply.json, reply.status), message: message });
          return;
        }
        if (typeof reply.json.allow_basic_html === "boolean") p.render.allowBasicHtml = reply.json.allow_basic_html;
        for (const m of reply.json.messages) {
          if (!m || typeof m.content !== "string") continue;
          p.after = m.created_at; // oldest first: the last is the newest
          if (m.role === "user") view.addUser(m.content);
          else if (m.role === "team") view.addTeam(c.renderMarkdown(m.content, p.render), m.name, m.id);
          else if (m.role === "assistant") {
            const bubble = view.addAssistant();
            view.finished(bubble);
            if (m.mode === "offline") view.setLabel(bubble, "Offline answer");
            bubble.querySelector(".text").innerHTML = c.renderMarkdown(m.content, p.render);
            if (Array.isArray(m.citations)) view.renderSources(bubble, m.citations);
          }
        }
        if (view.log.querySelector(".msg.user")) store.keep(key);
        view.keepScrolled();
        // A handoff this browser knows of (common/handoff.js): follow it for the team's replies.
        if (handoffRemembered(p.config.agent, key)) p.onHandoff("follow");
        if (p.historyShown) p.historyShown(key, reply.json); // its profile (verify.js)
      } catch (error) {
        if (ticket !== p.historyTicket) return;
        const message = "This conversation could not be loaded. Check your connection and try again.";
        view.showError(message);
        p.emit("error", { code: "network", message: message });
      } finally {
        if (ticket === p.historyTicket) {
          view.log.removeAttribute("aria-busy");
          p.historyLoad = null;
        }
      }
    })());
    return load;
  }

  view.newButton.addEventListener("click", () => {
    if (view.log.querySelector(".msg.user")) store.keep(p.current);
    show(uuid(), true);
    view.textarea.focus(); // the typed draft stays
  });
  view.clearButton.addEventListener("click", () => {
    clear();
    view.textarea.focus(); // the typed draft stays
  });

  // Another tab started or switched a conversation: follow it (after the turn under way here).
  window.addEventListener("storage", (event) => {
    if (event.key !== store.currentName || !KEY_PATTERN.test(event.newValue || "") || event.newValue === p.current) return;
    if (p.busy) p.switchTo = event.newValue;
    else show(event.newValue, false);
  });
  window.addEventListener("online", () => view.setStatus("online", ""));
  window.addEventListener("offline", () => view.setStatus("offline", "Offline"));

  p.show = show;
  p.loadHistory = loadHistory;
}
