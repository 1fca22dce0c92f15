// "Email summary", shared by the widget's pane and the full-page chat: one click asks the server
// to email the conversation's summary to the sales team (POST /a/<agent>/summary, session_key).
// The answer, in words for the visitor:
//   200 {status: "sent", sent_at}          "Summary sent to the team at HH:MM"
//   200 {status: "already_sent", sent_at}  "Already sent at HH:MM — no new messages since"
//   202 {status: "sending"}                "Being sent…" (another send of it is under way)
//   an error                               the server's message; a 429 adds the Retry-After wait
// HH:MM is the visitor's local time of `sent_at` (24-hour, as the tests compute it too).
//
// No request is made here: the caller hands in `post(sessionKey)`, its own server module's POST,
// which resolves { ok, status, json, retryAfter } or throws on a network error. The status line
// gets its text with textContent.

import { replyErrorText, retryAfterSeconds, waitText } from "./verify.js";

/** "HH:MM" in the visitor's time zone, or "" for anything that is not a time. */
export function localTime(iso) {
  const at = new Date(typeof iso === "string" ? iso : NaN);
  if (isNaN(at)) return "";
  const two = (n) => (n < 10 ? "0" : "") + n;
  return two(at.getHours()) + ":" + two(at.getMinutes());
}

/** The line to show for a reply: { text, error } (error: the request did not do its job). */
export function summaryText(reply) {
  const json = reply.json || {};
  const at = localTime(json.sent_at);
  if (reply.ok && json.status === "sent") return { text: "Summary sent to the team" + (at ? " at " + at : ""), error: false };
  if (reply.ok && json.status === "already_sent") {
    return { text: "Already sent" + (at ? " at " + at : "") + " — no new messages since", error: false };
  }
  if (reply.ok && json.status === "sending") return { text: "Being sent…", error: false };
  const code = json.error && json.error.code;
  // replyErrorText: the server's message, or words for a network failure, send_failed or a 429.
  let text = code === "no_conversation" ? "Send a message first, then email the summary." : replyErrorText(reply);
  const wait = retryAfterSeconds(reply.retryAfter);
  if (wait) text += " Try again in " + waitText(wait) + ".";
  return { text: text, error: true, wait: wait };
}

/** The POST, with a network failure as status 0 (so it reads "Could not reach the server…"). */
export async function requestSummary(post, sessionKey) {
  try {
    return await post(sessionKey);
  } catch (error) {
    return { ok: false, status: 0, json: null, retryAfter: null };
  }
}

/**
 * Wires `button` and the polite live region `line` (a role=status element). opts:
 *   post(sessionKey)  the side's POST of the summary route (see above)
 *   current()         the conversation shown now: its session key
 *   hasMessage()      whether that conversation has a stored message (else the button is disabled)
 * Returns { refresh() (call when the conversation or its messages change), send() → the reply }
 * (send() is the API's: it does not wait out a 429, the server answers it again).
 */
export function summaryButton(button, line, opts) {
  let inflight = null; // the request under way: a second click or call waits for the same one
  let shownFor = null; // the session key the line speaks of
  let waitUntil = 0; // a 429's Retry-After: the button rests until then

  // Nothing to summarize: disabled. In flight or waiting out a 429: aria-disabled, so that a
  // keyboard user's focus stays on the button (a focused button that becomes disabled loses it).
  function refresh() {
    if (shownFor !== opts.current()) show("", false, null);
    button.disabled = !opts.hasMessage();
    rest(Boolean(inflight) || Date.now() < waitUntil);
  }

  function rest(on) {
    if (on) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
  }

  function show(text, error, key) {
    line.textContent = text;
    line.classList.toggle("error", error);
    shownFor = key;
  }

  async function run(key) {
    button.setAttribute("aria-busy", "true");
    show("Sending the summary…", false, key);
    rest(true); // (refresh() would not know yet: `inflight` is set once this returns)
    const reply = await requestSummary(opts.post, key);
    const said = summaryText(reply);
    if (said.wait) {
      waitUntil = Date.now() + said.wait * 1000;
      setTimeout(refresh, said.wait * 1000 + 50);
    }
    if (key === opts.current()) show(said.text, said.error, key); // else it was another conversation's
    return reply;
  }

  function send() {
    if (!inflight) {
      inflight = run(opts.current()).finally(() => {
        inflight = null;
        button.removeAttribute("aria-busy");
        refresh();
      });
    }
    return inflight;
  }

  button.addEventListener("click", () => {
    if (button.getAttribute("aria-disabled") !== "true") send();
  });
  refresh();
  return { refresh: refresh, send: send };
}
