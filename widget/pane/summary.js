// "Email summary" in the pane: the tools button (enabled once the conversation shown has a stored
// message) and its status line, through common/summary.js (POST summary with the session key;
// the answer in words, `sent_at` in the visitor's local time). Salient.emailSummary() presses it
// from the host page: it resolves the server's JSON answer ({status, sent_at} or {error}) and
// rejects only when the server could not be reached.

import { summaryButton, summaryText } from "../common/summary.js";

export function installSummary(p) {
  const { view, store } = p;
  const control = summaryButton(view.summaryButton, view.summaryNote, {
    post: (key) => p.server.postJson("summary", { session_key: key }),
    current: () => p.current,
    // A user bubble is added once the server has stored the message (composer.js) or from the
    // history; after Clear the pane is empty but a listed conversation has messages.
    hasMessage: () => Boolean(view.log.querySelector(".msg.user")) || store.keys().indexOf(p.current) !== -1,
  });
  // The log changes on each send, history load, New chat, Clear and switch to a past chat.
  new MutationObserver(control.refresh).observe(view.log, { childList: true });

  p.emailSummary = async () => {
    const reply = await control.send();
    if (!reply.status) throw new Error(summaryText(reply).text);
    return reply.json || { error: { code: "http_" + reply.status, message: summaryText(reply).text } };
  };
}
