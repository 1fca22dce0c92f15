// "Talk to a person" in the pane, past the button: bundled by ./scripts/build into its own file,
// /widget/handoff.js, which the pane imports (index.js, p.handoff()) only when a handoff comes
// into play: the button pressed, Salient.talkToPerson(), an answer's `done` event naming one, or
// a conversation this browser remembers a handoff in. The pane's first open stays within its
// byte budget that way (tests/e2e/widget.test.mjs).
//
//   signal(kind, bubble) "requested": POST handoff (the button, or the visitor asked in words:
//                        an answer's done.handoff); its answer's message as a note in the log
//                        (an error, a 429 with its wait, shown as such). "offer": a "Talk to a
//                        person" button under the answer `bubble`. "quiet" (a person is engaged:
//                        the answer is the holding note) and "follow" (a handoff remembered):
//                        poll POST updates for the conversation shown (common/handoff.js); the
//                        team's replies appear in the log through the same markdown core
//   talkToPerson()       Salient.talkToPerson(): "requested", resolving the server's JSON answer
//                        ({status, handoff, message} or {error}); rejects when unreachable
//
// The pane's state `p` (index.js) gives the view, the server, the core and the current key.

import { handoffPoller, handoffText, rememberHandoff, requestHandoff } from "../common/handoff.js";
import { HANDOFF_CSS } from "./styles.js";

export function install(p) {
  const { view, config } = p;
  const root = view.pane.getRootNode();
  const sheet = new CSSStyleSheet(); // constructed: allowed under a strict style-src CSP
  sheet.replaceSync(HANDOFF_CSS);
  root.adoptedStyleSheets = root.adoptedStyleSheets.concat(sheet);

  let poller = null; // { key, wake, stop } for the conversation being followed
  let inflight = null; // the POST handoff under way: a second press waits for it

  function note(text, error) {
    if (error) return view.showError(text);
    const bubble = document.createElement("div");
    bubble.className = "msg note";
    bubble.textContent = text;
    view.log.appendChild(bubble);
    view.keepScrolled();
    return bubble;
  }

  function setBusy(on) {
    for (const button of [view.talkButton].concat(Array.from(view.log.querySelectorAll(".offer")))) {
      if (on) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    }
  }

  async function run(key) {
    setBusy(true);
    const reply = await requestHandoff((k) => p.server.postJson("handoff", { session_key: k }), key);
    const said = handoffText(reply);
    if (key === p.current) {
      note(said.text, said.error);
      if (said.off) view.talkButton.hidden = true; // no team for this agent after all
    }
    if (said.active) {
      rememberHandoff(config.agent, key, true); // the loader's badge on the next page
      view.log.querySelectorAll(".offer").forEach((button) => button.remove()); // asked: done
      if (key === p.current) follow();
    }
    return reply;
  }

  function request() {
    if (!inflight) {
      inflight = run(p.current).finally(() => {
        inflight = null;
        setBusy(false);
      });
    }
    return inflight;
  }

  function offer(bubble) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "offer";
    button.textContent = "Talk to a person";
    bubble.appendChild(button);
    view.keepScrolled();
  }

  view.log.addEventListener("click", (event) => {
    const button = event.target.closest ? event.target.closest("button.offer") : null;
    if (button && button.getAttribute("aria-disabled") !== "true") request();
  });

  /** Polls the conversation shown; a switch to another one stops it (the next follow starts it). */
  function follow() {
    const key = p.current;
    if (poller && poller.key === key) return poller.wake();
    if (poller) poller.stop();
    const mine = { key: key };
    poller = Object.assign(mine, handoffPoller({
      after: p.after,
      post: (after) => p.server.postJson("updates", after ? { session_key: key, after: after, seen: "1" } : { session_key: key, seen: "1" }),
      visible: () => p.isOpen && p.current === key,
      show: (list) => show(key, list),
      ended: () => {
        rememberHandoff(config.agent, key, false);
        if (poller === mine) poller = null;
      },
    }));
  }

  async function show(key, list) {
    const c = await p.core();
    if (key !== p.current) return; // another conversation is shown now
    const shown = new Set(Array.from(view.log.querySelectorAll(".msg.team"), (b) => b.dataset.id));
    for (const m of list) {
      if (shown.has(m.id)) continue;
      shown.add(m.id);
      view.addTeam(c.renderMarkdown(m.content, p.render), m.name, m.id);
      p.emit("message", { role: "team", text: m.content, id: m.id, sessionKey: key, name: typeof m.name === "string" ? m.name : "" });
    }
    view.keepScrolled(); // (the new bubble had no height yet when it was added)
    // A reply makes the handoff a going one, as far as the loader's badge is concerned.
    rememberHandoff(config.agent, key, true);
  }

  function signal(kind, bubble) {
    if (kind === "requested") request();
    else if (kind === "offer") offer(bubble);
    else if (kind === "quiet" || kind === "follow") {
      rememberHandoff(config.agent, p.current, true);
      follow();
    }
  }

  async function talkToPerson() {
    const reply = await request();
    if (!reply.status) throw new Error("Could not reach the server");
    return reply.json || { error: { code: "http_" + reply.status, message: handoffText(reply).text } };
  }

  p.wake = () => {
    if (poller) poller.wake();
  };
  return { signal: signal, talkToPerson: talkToPerson };
}
