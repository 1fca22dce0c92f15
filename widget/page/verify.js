// "Verify your email" on the full-page chat: a header button (made here, beside Clear: the
// server's markup has none) shown once the conversation has a message (before that the server
// has no conversation to link: "no_conversation"), a panel under the header with the form of
// common/verify.js, and the profile card. The profile's conversations (session_keys) join this
// browser's list, so "Past chats" shows them.
//
// A verification links the conversation it was asked from: the form is drawn for one session
// key, and a conversation switched to later gets a fresh form (prefilled with the verified
// address). The widget's identify() address, when this tab has one (sessionStorage), is the host
// site's word: prefilled and shown marked "not verified".
//
// Each conversation shown (on load, or switched to) has its profile read from POST history's
// JSON answer (common/profile.js): the page's own history load asks for HTML fragments, which
// carry no profile, so this is a second, JSON request for the same key. A verified profile makes
// the button "Your profile" after a reload; an unverified one (identify()'s) is shown above the
// form, marked "not verified".

import { profileBook } from "../common/profile.js";
import { mountVerifyForm, profileCard, verifyClient } from "../common/verify.js";
import { parseJson } from "../common/util.js";
import { postJson } from "./dom.js";

const CLOSE_ICON = '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z"/></svg>';

export function installVerify(ctx, agent) {
  const header = document.querySelector(".chat-header");
  if (!header) return;
  const { messages, store } = ctx;
  const book = profileBook();
  let form = null; // { root, key, ui }: the form, for the conversation it was drawn for

  const button = document.createElement("button");
  button.id = "verify-email";
  button.type = "button";
  button.className = "btn";
  button.setAttribute("data-variant", "outline");
  button.setAttribute("data-size", "sm");
  button.setAttribute("aria-controls", "verify-panel");
  button.setAttribute("aria-expanded", "false");
  const sessions = document.getElementById("sessions");
  if (sessions) sessions.before(button);
  else (header.querySelector(".session-bar") || header).appendChild(button);

  const panel = document.createElement("section");
  panel.id = "verify-panel";
  panel.className = "verify-panel";
  panel.hidden = true;
  panel.setAttribute("aria-labelledby", "verify-title");
  panel.innerHTML = '<div class="verify-head"><h2 id="verify-title"></h2>' +
    '<button type="button" class="verify-close" aria-label="Close">' + CLOSE_ICON + '</button></div><div class="verify"></div>';
  const title = panel.querySelector("h2");
  const body = panel.querySelector(".verify");
  header.after(panel);

  const identifyEmail = () => {
    let visitor = null;
    try {
      visitor = parseJson(sessionStorage.getItem("salient.visitor." + agent) || "null");
    } catch (error) {
      visitor = null; // storage blocked
    }
    return visitor && typeof visitor.email === "string" ? visitor.email : "";
  };
  /** The address the host site gave, unproven: identify()'s, else the conversation's own. */
  const unverifiedEmail = (key) => {
    const profile = book.profileOf(key);
    return identifyEmail() || (profile && !profile.verified ? profile.email : "");
  };
  const hasMessage = () => Boolean(messages.querySelector(".msg.user")) || store.keys().indexOf(ctx.current) !== -1;

  /** The button as the shown conversation makes it: hidden before its first message. */
  function refresh() {
    const linked = book.isVerified(ctx.current);
    button.textContent = linked ? "Your profile" : "Verify your email";
    button.hidden = !linked && !hasMessage();
    if (button.hidden) close(false);
  }
  // The messages change on each send, history load, New chat and Clear.
  new MutationObserver(refresh).observe(messages, { childList: true });
  refresh();

  function close(refocus) {
    if (panel.hidden) return;
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus) button.focus();
  }

  // The profile of `key`'s conversation, read while its history loads (conversations.js).
  ctx.loadProfile = (key) => {
    postJson(ctx.base + "history", { session_key: key }).then((reply) => {
      if (!reply.ok || !book.loaded(key, reply.json) || key !== ctx.current) return;
      refresh();
      // The open panel shows this conversation anew; focus stays where it was unless it was inside.
      if (!panel.hidden) fill(body.matches(":focus-within"));
    }, () => {}); // offline: the history's own error says so
  };

  button.addEventListener("click", () => {
    if (!panel.hidden) return close(false);
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    fill(true);
  });
  panel.querySelector(".verify-close").addEventListener("click", () => close(true));
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    close(true);
  });

  /** The panel for the shown conversation: the card when verified, else (its card and) the form. */
  function fill(focus, note) {
    const key = ctx.current;
    const profile = book.profileOf(key);
    if (book.isVerified(key)) {
      title.textContent = "Your profile";
      const card = showCard(profile, note);
      if (focus) card.focus();
      return;
    }
    title.textContent = "Verify your email";
    if (!form || form.key !== key) form = drawForm(key);
    body.replaceChildren(...(profile ? [profileCard(profile, identifyEmail())] : []), form.root);
    if (focus) form.ui.focus();
  }

  function drawForm(key) {
    const root = document.createElement("div");
    const ui = mountVerifyForm(root, {
      client: verifyClient((path, fields) => postJson("/otp/" + path, fields), agent, () => key),
      privacyUrl: ctx.base + "privacy",
      idPrefix: "verify-form-", // not "verify-": the header button is #verify-email
      email: book.verifiedEmail() || unverifiedEmail(key),
      unverifiedEmail: unverifiedEmail(key),
      onVerified: (result) => done(key, result),
    });
    return { root: root, key: key, ui: ui };
  }

  function done(key, result) {
    book.linked(key, result, store);
    form = null;
    refresh();
    if (!panel.hidden && key === ctx.current) fill(true, "Your email is verified. Its conversations are listed under Past chats.");
  }

  function showCard(profile, note) {
    const card = profileCard(profile, identifyEmail());
    card.tabIndex = -1; // focus moves to the card, which a screen reader then reads
    body.replaceChildren(card);
    if (note) {
      const line = document.createElement("p");
      line.className = "verify-done";
      line.setAttribute("role", "status");
      line.textContent = note;
      body.prepend(line);
    }
    return card;
  }
}
