// "Email summary" on the full-page chat: button#email-summary and its polite status line
// p#summary-status, both in the page's header (pages.cpp). The button is enabled once the
// conversation shown has a stored message; a click POSTs its session key to /a/<agent>/summary
// and shows the answer in the line (common/summary.js has the states and their words).
//
// The POST is a form, like htmx's, from this origin (the server's CSRF check reads the browser's
// Origin), asking for JSON: the answer's `sent_at` is shown in the visitor's local time, which the
// htmx fragment (the server's clock, UTC) cannot do.

import { summaryButton } from "../common/summary.js";
import { parseJson } from "../common/util.js";

/** POST summary as a form; resolves { ok, status, json, retryAfter }, throws offline. */
async function postSummary(url, sessionKey) {
  const response = await fetch(url, {
    method: "POST",
    headers: { accept: "application/json" },
    body: new URLSearchParams({ session_key: sessionKey }),
    credentials: "same-origin",
  });
  return { ok: response.ok, status: response.status, json: parseJson(await response.text()), retryAfter: response.headers.get("retry-after") };
}

export function installSummary(ctx) {
  const button = document.getElementById("email-summary");
  const line = document.getElementById("summary-status");
  if (!button || !line) return;
  const { messages, store } = ctx;
  const control = summaryButton(button, line, {
    post: (key) => postSummary(ctx.base + "summary", key),
    current: () => ctx.current,
    // A user bubble comes from the server (the POST's partial or the history): it is stored. After
    // Clear the pane is empty, but a conversation in this browser's list has messages.
    hasMessage: () => Boolean(messages.querySelector(".msg.user")) || store.keys().indexOf(ctx.current) !== -1,
  });
  // The messages change on each send, history load, New chat, Clear and switch to a past chat.
  new MutationObserver(control.refresh).observe(messages, { childList: true });
}
