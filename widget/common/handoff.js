// "Talk to a person" (issue 18: a handoff to the team by email), shared by the widget's pane
// (pane/handoff.js, a separate file the pane imports only once a handoff is in play) and the
// full-page chat (page/handoff.js). No request is made here: each side hands in its own POSTs,
// which resolve { ok, status, json, retryAfter } or throw on a network error.
//
//   POST /a/<agent>/handoff  session_key → 200 {status: "started"|"open", handoff, message}
//        | 202 {status: "queued", message} | 400 no_conversation | 404 handoff_off | 429 + Retry-After
//   POST /a/<agent>/updates  session_key, after, seen → {handoff: null | {active, quiet, …},
//        messages: [{id, role, content, created_at, name}], unread}
//
// Why polling and not an event stream: the four hosts cap a response's life (Vercel and Netlify
// functions run for seconds, not minutes), and a team reply is rare and may come hours later.
// A small POST every 2-8 s while the chat is open and visible shows a reply within 10 s; a
// hidden tab asks nothing.
//
// Which conversations have a handoff going is remembered in localStorage
// `salient.handoff.<agent>`: their session keys, space-separated, most recent first. The loader
// (widget/loader.js) reads the same item to decide on its one badge request: keep both in step.

import { replyErrorText, retryAfterSeconds, waitText } from "./verify.js";

export const POLL_MS = [2000, 3000, 5000, 8000]; // the backoff; back to the first after news
const REMEMBERED = 20;

const itemName = (agent) => "salient.handoff." + agent;

function remembered(agent) {
  try {
    return (localStorage.getItem(itemName(agent)) || "").split(" ").filter(Boolean);
  } catch (error) {
    return []; // storage blocked: no badge on the next page, the open chat still polls
  }
}

/** Whether this browser knows of a handoff going on in conversation `key`. */
export function handoffRemembered(agent, key) {
  return remembered(agent).indexOf(key) !== -1;
}

/** Remembers (`on`) or forgets that conversation `key` has a handoff going. */
export function rememberHandoff(agent, key, on) {
  const rest = remembered(agent).filter((k) => k !== key);
  const list = on ? [key].concat(rest).slice(0, REMEMBERED) : rest;
  try {
    if (list.length) localStorage.setItem(itemName(agent), list.join(" "));
    else localStorage.removeItem(itemName(agent));
  } catch (error) {
    // blocked or full: nothing to remember with
  }
}

/** A team member's label: "Ana · team" (the name is the server's config, shown as text). */
export function teamLabel(name) {
  return (typeof name === "string" && name.trim() ? name.trim() + " · " : "") + "team";
}

/** The note to show for a POST handoff reply: { text, error, wait, active, off }. */
export function handoffText(reply) {
  const json = reply.json || {};
  const code = json.error && json.error.code;
  if (reply.ok && typeof json.message === "string" && json.message) {
    return { text: json.message, error: false, active: true };
  }
  if (reply.ok) return { text: "Your request has reached our team.", error: false, active: true };
  let text = code === "no_conversation"
    ? "Write your question first, then ask for a person: the team gets your messages with the request."
    : replyErrorText(reply);
  const wait = retryAfterSeconds(reply.retryAfter);
  if (wait) text += " Try again in " + waitText(wait) + ".";
  return { text: text, error: true, wait: wait, off: code === "handoff_off" };
}

/** POST handoff, with a network failure as status 0. */
export async function requestHandoff(post, key) {
  try {
    return await post(key);
  } catch (error) {
    return { ok: false, status: 0, json: null, retryAfter: null };
  }
}

/** The later of two ISO times (either may be missing). */
export function laterTime(a, b) {
  if (typeof b !== "string" || isNaN(Date.parse(b))) return a || null;
  return !a || Date.parse(b) > Date.parse(a) ? b : a;
}

/** The team messages of an updates answer, each checked: [{ id, content, name, created_at }]. */
export function teamMessages(json) {
  const list = json && Array.isArray(json.messages) ? json.messages : [];
  return list.filter((m) => m && m.role === "team" && typeof m.id === "string" && typeof m.content === "string");
}

/**
 * Polls POST updates while a handoff is going. opts:
 *   post(after)   the side's updates POST for the conversation (after: ISO time or null)
 *   after         the newest message time the side holds (null: none)
 *   visible()     whether the chat is on screen (the pane open); a hidden document never polls
 *   show(list)    appends the new team messages (teamMessages; those already shown are skipped
 *                 by the side, by id)
 *   ended()       the handoff is over (or the route refused): polling stopped
 * Returns { wake() (poll now, e.g. the pane opened), stop() }.
 */
export function handoffPoller(opts) {
  let after = opts.after || null;
  let step = 0; // index into POLL_MS: the wait before the next poll
  let timer = null;
  let running = false; // a request in flight
  let stopped = false;

  function schedule(ms) {
    clearTimeout(timer);
    timer = stopped ? null : setTimeout(tick, ms);
  }

  async function tick() {
    timer = null;
    if (stopped || running) return;
    if (document.hidden || !opts.visible()) return; // resumed by wake() or visibilitychange
    running = true;
    let reply = null;
    try {
      reply = await opts.post(after);
    } catch (error) {
      reply = null; // offline for a moment: the backoff goes on
    }
    running = false;
    if (stopped) return;
    if (reply && reply.ok && reply.json) {
      const json = reply.json;
      const fresh = teamMessages(json);
      (Array.isArray(json.messages) ? json.messages : []).forEach((m) => {
        after = laterTime(after, m && m.created_at);
      });
      if (fresh.length) {
        opts.show(fresh);
        step = 0; // a person is answering: the next may follow soon
      }
      if (!json.handoff || json.handoff.active === false) return end();
    } else if (reply && [400, 403, 404].indexOf(reply.status) !== -1) {
      return end(); // nothing to follow here (unknown conversation, no such route)
    }
    schedule(POLL_MS[step]); // (a failure backs off the same way: offline for a moment, a 5xx)
    step = Math.min(step + 1, POLL_MS.length - 1);
  }

  function end() {
    stop();
    opts.ended();
  }

  function stop() {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  }

  function wake() {
    if (stopped) return;
    step = 0;
    schedule(0);
  }

  function onVisibility() {
    if (!document.hidden) wake(); // a reply may have come while the tab was hidden
  }

  document.addEventListener("visibilitychange", onVisibility);
  schedule(0);
  return { wake: wake, stop: stop };
}
