// "Talk to a person" on the full-page chat (common/handoff.js has the requests and their words).
//
// The page learns that the agent has a team from form#chat-form's data-handoff="1" (rendered by
// the chat module with the other settings). Then button#talk-to-person (made beside
// button#email-summary when the markup has none) POSTs the session key to /a/<agent>/handoff and
// the answer's message goes into the conversation as a note (errors, a 429 with its wait, as an
// error bubble; the conversation and the typed text stay). An answer's `done` event may name a
// handoff (done.handoff, read from the event source htmx-ext-sse opened, or the whole-answer
// document): "requested" POSTs at once, "offer" puts the same button under that answer, "quiet"
// follows. While a handoff is going, POST updates is polled and the team's replies are appended
// as .msg.team bubbles, rendered by the same markdown core, labelled "Ana · team".
//
// History: the chat module renders stored team messages as
//   <div class="msg team" data-message-id="…" data-created-at="…"><span class="label">Ana · team</span>
//   <div class="text md">…</div></div>
// (markdown.js renders their .text.md like an answer's); data-created-at on any message gives
// the polls' `after`, without it the first poll asks from the start and repeats are skipped by id.

import { handoffPoller, handoffRemembered, handoffText, laterTime, rememberHandoff, requestHandoff, teamLabel } from "../common/handoff.js";
import { parseJson } from "../common/util.js";
import { scrollDown, showError } from "./dom.js";

/** A form POST asking for JSON (as summary.js's): { ok, status, json, retryAfter }; throws offline. */
async function postForm(url, fields) {
  const response = await fetch(url, {
    method: "POST",
    headers: { accept: "application/json" },
    body: new URLSearchParams(fields),
    credentials: "same-origin",
  });
  return { ok: response.ok, status: response.status, json: parseJson(await response.text()), retryAfter: response.headers.get("retry-after") };
}

export function installHandoff(ctx, agent) {
  const { messages, form } = ctx;
  const enabled = form.dataset.handoff === "1";
  const button = talkButton(enabled);
  let inflight = null; // the POST handoff under way
  let poller = null; // { key, wake, stop }
  const sources = new WeakSet(); // event sources whose `done` is listened to

  function note(text, error) {
    if (error) return showError(messages, text);
    const bubble = document.createElement("div");
    bubble.className = "msg note";
    bubble.textContent = text;
    messages.appendChild(bubble);
    scrollDown(messages);
  }

  function setBusy(on) {
    const buttons = Array.from(messages.querySelectorAll("button.offer"));
    if (button) buttons.push(button);
    buttons.forEach((b) => (on ? b.setAttribute("aria-disabled", "true") : b.removeAttribute("aria-disabled")));
  }

  function request() {
    if (inflight) return inflight;
    const key = ctx.current;
    setBusy(true);
    inflight = requestHandoff((k) => postForm(ctx.base + "handoff", { session_key: k }), key).then((reply) => {
      const said = handoffText(reply);
      if (key === ctx.current) note(said.text, said.error);
      if (said.off && button) button.hidden = true;
      if (said.active) {
        rememberHandoff(agent, key, true);
        messages.querySelectorAll("button.offer").forEach((b) => b.remove());
        if (key === ctx.current) follow();
      }
      return reply;
    }).finally(() => {
      inflight = null;
      setBusy(false);
    });
    return inflight;
  }

  /** The newest data-created-at among the messages shown (null: none carries one). */
  function newestShown() {
    let newest = null;
    messages.querySelectorAll(".msg[data-created-at]").forEach((m) => {
      newest = laterTime(newest, m.getAttribute("data-created-at"));
    });
    return newest;
  }

  function follow() {
    const key = ctx.current;
    if (poller && poller.key === key) return poller.wake();
    if (poller) poller.stop();
    const mine = { key: key };
    poller = Object.assign(mine, handoffPoller({
      after: newestShown(),
      post: (after) => postForm(ctx.base + "updates", after ? { session_key: key, after: after, seen: "1" } : { session_key: key, seen: "1" }),
      visible: () => ctx.current === key,
      show: (list) => show(key, list),
      ended: () => {
        rememberHandoff(agent, key, false);
        if (poller === mine) poller = null;
      },
    }));
  }

  function show(key, list) {
    if (key !== ctx.current) return;
    const shown = new Set(Array.from(messages.querySelectorAll(".msg.team"), (b) => b.getAttribute("data-message-id")));
    for (const m of list) {
      if (shown.has(m.id)) continue;
      shown.add(m.id);
      const bubble = document.createElement("div");
      bubble.className = "msg team";
      bubble.setAttribute("data-message-id", m.id);
      if (typeof m.created_at === "string") bubble.setAttribute("data-created-at", m.created_at);
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = teamLabel(m.name);
      const text = document.createElement("div");
      text.className = "text md";
      bubble.append(label, text);
      messages.appendChild(bubble);
      ctx.markdown.render(text, m.content, ctx.allowBasicHtml).then(() => scrollDown(messages));
    }
    rememberHandoff(agent, key, true);
  }

  function offer(bubble) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn offer";
    b.setAttribute("data-variant", "outline");
    b.setAttribute("data-size", "sm");
    b.textContent = "Talk to a person";
    bubble.appendChild(b);
    scrollDown(messages);
  }

  /** An answer's done.handoff on `bubble`. */
  function signal(kind, bubble) {
    if (kind === "requested") request();
    else if (kind === "offer" && bubble) offer(bubble);
    else if (kind === "quiet") {
      rememberHandoff(agent, ctx.current, true);
      follow();
    }
  }

  if (button) button.addEventListener("click", () => request());
  messages.addEventListener("click", (event) => {
    const b = event.target.closest && event.target.closest("button.offer");
    if (b && b.getAttribute("aria-disabled") !== "true") request();
  });

  // The `done` event's data is JSON on every stream format; htmx-ext-sse closes the source on it
  // (sse-close="done") without handing the data on, so a listener of our own reads it.
  document.addEventListener("htmx:sseOpen", (event) => {
    const source = event.detail.source;
    const bubble = event.detail.elt;
    if (!source || sources.has(source)) return;
    sources.add(source);
    source.addEventListener("done", (e) => {
      const data = parseJson(e.data);
      if (data && typeof data.handoff === "string") signal(data.handoff, bubble);
    });
  });

  ctx.onHandoff = signal;
  // A conversation shown from the history: follow it when this browser knows of a handoff in it.
  ctx.historyShown = (key) => {
    if (key === ctx.current && handoffRemembered(agent, key)) follow();
  };
}

/** button#talk-to-person, or one made beside Email summary (or New chat); null without either. */
function talkButton(enabled) {
  let button = document.getElementById("talk-to-person");
  if (!button) {
    const beside = document.getElementById("email-summary") || document.getElementById("new-chat");
    if (!beside) return null;
    button = document.createElement("button");
    button.id = "talk-to-person";
    button.type = "button";
    button.className = "btn";
    button.setAttribute("data-variant", "outline");
    button.setAttribute("data-size", "sm");
    button.title = "Asks a person from our team to answer you here";
    button.textContent = "Talk to a person";
    beside.after(button);
  }
  button.hidden = !enabled;
  return button;
}
