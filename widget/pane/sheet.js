// The pane's one panel (view.sheet, over the foot of the log) and its first use, "Past chats":
// this browser's conversations (common/session-store.js, which verifying an address adds the
// profile's conversations to) with their titles from POST sessions, to switch to one.
//
// The panel belongs to one tools button at a time (aria-expanded on it); Escape inside the panel
// closes the panel, not the pane.

import { errorMessageOf } from "../common/util.js";

export function installSheet(p) {
  const { view } = p;
  let owner = null; // the tools button whose panel is open
  let listTicket = 0; // only the newest list answer is shown

  p.sheetOwner = () => owner;

  /** Opens the panel for `button` under `title`; returns its body, emptied, to fill. */
  p.openSheet = (button, title) => {
    setOwner(button);
    view.sheetTitle.textContent = title;
    view.sheetBody.replaceChildren();
    view.sheet.hidden = false;
    return view.sheetBody;
  };

  p.closeSheet = (refocus) => {
    if (!owner) return;
    const button = owner;
    setOwner(null);
    listTicket++;
    view.sheet.hidden = true;
    view.sheetBody.replaceChildren();
    if (refocus) button.focus();
  };

  function setOwner(button) {
    if (owner) owner.setAttribute("aria-expanded", "false");
    owner = button;
    if (owner) owner.setAttribute("aria-expanded", "true");
  }

  view.sheetClose.addEventListener("click", () => p.closeSheet(true));
  view.sheet.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    event.stopPropagation(); // the pane's own Escape would close the pane
    p.closeSheet(true);
  });

  // --- Past chats -----------------------------------------------------------------------------
  view.pastButton.addEventListener("click", () => {
    if (owner === view.pastButton) return p.closeSheet();
    loadSessions(p.openSheet(view.pastButton, "Past chats"));
  });

  async function loadSessions(body) {
    const ticket = ++listTicket;
    const keys = [p.current].concat(p.store.keys().filter((key) => key !== p.current)).slice(0, 50);
    message(body, "Loading…");
    body.setAttribute("aria-busy", "true");
    let reply = null;
    try {
      reply = await p.server.postJson("sessions", { session_keys: keys.join(",") });
    } catch (error) {
      reply = null;
    }
    if (ticket !== listTicket) return;
    body.removeAttribute("aria-busy");
    if (!reply) return message(body, "Earlier chats could not be loaded. Check your connection.", true);
    const sessions = reply.ok && reply.json && Array.isArray(reply.json.sessions) ? reply.json.sessions : null;
    if (!sessions) {
      const detail = errorMessageOf(reply.json);
      return message(body, "Earlier chats could not be loaded" + (detail ? ": " + detail : " (error " + reply.status + ")."), true);
    }
    const list = document.createElement("ul");
    list.className = "past-list";
    for (const s of sessions) {
      if (!s || typeof s.session_key !== "string") continue;
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "session";
      button.dataset.sessionKey = s.session_key;
      if (s.session_key === p.current) button.setAttribute("aria-current", "true");
      const title = document.createElement("span");
      title.className = "title";
      title.textContent = typeof s.title === "string" && s.title.trim() ? s.title : "Untitled chat";
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = metaText(s);
      button.append(title, meta);
      item.appendChild(button);
      list.appendChild(item);
    }
    if (!list.children.length) return message(body, "No earlier chats in this browser.");
    body.replaceChildren(list);
  }

  view.sheetBody.addEventListener("click", (event) => {
    const button = event.target.closest ? event.target.closest("button.session") : null;
    if (!button || owner !== view.pastButton) return;
    p.closeSheet();
    if (button.dataset.sessionKey !== p.current) p.show(button.dataset.sessionKey, false);
    view.textarea.focus();
  });
}

function message(body, text, isError) {
  const line = document.createElement("p");
  line.className = isError ? "sheet-note error" : "sheet-note";
  if (isError) line.setAttribute("role", "alert");
  line.textContent = text;
  body.replaceChildren(line);
}

/** "12 messages · 3 Dec, 14:05" from a session summary (what of it is there). */
function metaText(s) {
  const parts = [];
  if (Number.isInteger(s.message_count)) parts.push(s.message_count + (s.message_count === 1 ? " message" : " messages"));
  const when = new Date(s.last_activity_at || s.created_at || "");
  if (!isNaN(when)) parts.push(when.toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }));
  return parts.join(" · ");
}
