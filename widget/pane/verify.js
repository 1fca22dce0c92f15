// "Verify your email" in the pane: the tools button (shown once the conversation has a message:
// before that the server has no conversation to link, "no_conversation"), the form of
// common/verify.js in the panel (sheet.js), and the profile card.
//
// A verification links the conversation it was asked from: the form is drawn for one session
// key, and a conversation switched to later gets a fresh form (prefilled with the verified
// address). The profile's conversations (session_keys) join this browser's list, so "Past chats"
// shows them. identify()'s address (the host site's word, unverified) is prefilled and shown
// marked "not verified".
//
// Each conversation's history (conversation.js) brings its profile (common/profile.js): a
// verified one makes the button "Your profile" after a reload or when a past chat is shown; an
// unverified one (identify()'s, from any tab) is shown above the form, marked "not verified".

import { profileBook } from "../common/profile.js";
import { mountVerifyForm, profileCard, verifyClient } from "../common/verify.js";

export function installVerify(p) {
  const { view, store } = p;
  const button = view.verifyButton;
  const book = profileBook();
  let form = null; // { root, key, ui }: the form, for the conversation it was drawn for

  const identifyEmail = () => {
    const visitor = p.visitor ? p.visitor() : null;
    return visitor && typeof visitor.email === "string" ? visitor.email : "";
  };
  /** The address the host site gave, unproven: identify()'s, else the conversation's own. */
  const unverifiedEmail = (key) => {
    const profile = book.profileOf(key);
    return identifyEmail() || (profile && !profile.verified ? profile.email : "");
  };
  const hasMessage = () => Boolean(view.log.querySelector(".msg.user")) || store.keys().indexOf(p.current) !== -1;
  const panelOpen = () => p.sheetOwner() === button;

  /** The button as the shown conversation makes it: hidden before its first message. */
  function refresh() {
    const linked = book.isVerified(p.current);
    button.textContent = linked ? "Your profile" : "Verify your email";
    button.hidden = !linked && !hasMessage();
    if (button.hidden && panelOpen()) p.closeSheet();
  }
  // The log changes on each send, history load, New chat and Clear.
  new MutationObserver(refresh).observe(view.log, { childList: true });
  refresh();

  // A history answer for `key` (conversation.js): its profile, if the server sent one.
  p.historyShown = (key, json) => {
    if (!book.loaded(key, json) || key !== p.current) return;
    refresh();
    if (!panelOpen()) return;
    // The open panel shows this conversation anew; focus stays where it was unless it was inside.
    fill(view.sheetBody.matches(":focus-within"));
  };

  button.addEventListener("click", () => {
    if (panelOpen()) return p.closeSheet();
    p.openSheet(button, "");
    fill(true);
  });

  /** The panel for the shown conversation: the card when verified, else (its card and) the form. */
  function fill(focus, note) {
    const key = p.current;
    const profile = book.profileOf(key);
    if (book.isVerified(key)) {
      view.sheetTitle.textContent = "Your profile";
      const card = showCard(profile, note);
      if (focus) card.focus();
      return;
    }
    view.sheetTitle.textContent = "Verify your email";
    if (!form || form.key !== key) form = drawForm(key);
    view.sheetBody.replaceChildren(...(profile ? [profileCard(profile, identifyEmail())] : []), form.root);
    if (focus) form.ui.focus();
  }

  function drawForm(key) {
    const root = document.createElement("div");
    root.className = "verify";
    const ui = mountVerifyForm(root, {
      client: verifyClient(p.server.otp, p.config.agent, () => key),
      privacyUrl: p.server.privacyUrl,
      idPrefix: "salient-verify-",
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
    if (panelOpen() && key === p.current) fill(true, "Your email is verified. Its conversations are listed under Past chats.");
  }

  function showCard(profile, note) {
    const card = profileCard(profile, identifyEmail());
    card.tabIndex = -1; // focus moves to the card, which a screen reader then reads
    view.sheetBody.replaceChildren(card);
    if (note) {
      const line = document.createElement("p");
      line.className = "sheet-note";
      line.setAttribute("role", "status");
      line.textContent = note;
      view.sheetBody.prepend(line);
    }
    return card;
  }
}
