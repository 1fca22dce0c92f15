// "Verify your email" in the pane: the tools button (shown once the conversation has a message:
// before that the server has no conversation to link, "no_conversation"), the form of
// common/verify.js in the panel (sheet.js), and after verification the profile card.
//
// A verification links the conversation it was asked from: the form is drawn for one session
// key, and a conversation switched to later gets a fresh form (prefilled with the verified
// address). The profile's conversations (session_keys) join this browser's list, so "Past chats"
// shows them. identify()'s address (the host site's word, unverified) is prefilled and shown
// marked "not verified".

import { mountVerifyForm, profileCard, verifyClient } from "../common/verify.js";

export function installVerify(p) {
  const { view, store } = p;
  const button = view.verifyButton;
  const verifiedKeys = new Set(); // conversations linked to the verified address
  let verified = null; // { email, sessionKeys, profile } from /otp/verify
  let form = null; // { root, key, ui }: the form, for the conversation it was drawn for

  const unverifiedEmail = () => {
    const visitor = p.visitor ? p.visitor() : null;
    return visitor && typeof visitor.email === "string" ? visitor.email : "";
  };
  const hasMessage = () => Boolean(view.log.querySelector(".msg.user")) || store.keys().indexOf(p.current) !== -1;

  /** The button as the shown conversation makes it: hidden before its first message. */
  function refresh() {
    const linked = verifiedKeys.has(p.current);
    button.textContent = linked ? "Your profile" : "Verify your email";
    button.hidden = !linked && !hasMessage();
    if (button.hidden && p.sheetOwner() === button) p.closeSheet();
  }
  // The log changes on each send, history load, New chat and Clear.
  new MutationObserver(refresh).observe(view.log, { childList: true });
  refresh();

  button.addEventListener("click", () => {
    if (p.sheetOwner() === button) return p.closeSheet();
    if (verifiedKeys.has(p.current)) {
      showCard(p.openSheet(button, "Your profile"));
      return;
    }
    const body = p.openSheet(button, "Verify your email");
    if (!form || form.key !== p.current) form = drawForm(p.current);
    body.replaceChildren(form.root);
    form.ui.focus();
  });

  function drawForm(key) {
    const root = document.createElement("div");
    root.className = "verify";
    const ui = mountVerifyForm(root, {
      client: verifyClient(p.server.otp, p.config.agent, () => key),
      privacyUrl: p.server.privacyUrl,
      idPrefix: "salient-verify-",
      email: verified ? verified.email : unverifiedEmail(),
      unverifiedEmail: unverifiedEmail(),
      onVerified: (result) => done(key, result),
    });
    return { root: root, key: key, ui: ui };
  }

  function done(key, result) {
    verified = result;
    verifiedKeys.add(key);
    // Oldest first, so the conversation verified here ends up at the front of the list.
    for (const k of result.sessionKeys.slice().reverse()) {
      verifiedKeys.add(k);
      store.keep(k);
    }
    store.remember(key);
    form = null;
    refresh();
    if (p.sheetOwner() === button) {
      view.sheetTitle.textContent = "Your profile";
      showCard(view.sheetBody, "Your email is verified. Its conversations are listed under Past chats.");
    }
  }

  function showCard(body, note) {
    const card = profileCard(verified.profile, unverifiedEmail());
    card.tabIndex = -1; // focus moves to the card, which a screen reader then reads
    body.replaceChildren(card);
    if (note) {
      const line = document.createElement("p");
      line.className = "sheet-note";
      line.setAttribute("role", "status");
      line.textContent = note;
      body.prepend(line);
    }
    card.focus();
  }
}
