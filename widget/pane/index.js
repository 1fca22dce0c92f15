// The Salient widget's chat pane, imported by the loader (widget/loader.js) on the first open;
// bundled by ./scripts/build into /widget/pane.js.
//
// Contract with the loader: `mount({ root, launcher, config, emit })` draws the pane into the
// loader's shadow root `root` (beside the `launcher` button) and returns the controller the
// `window.Salient` API forwards to: { open(), close(), toggle(), send(text), identify(visitor),
// emailSummary(), talkToPerson() } (identify stores the visitor's email and name with the
// conversation: POST identify; emailSummary emails the conversation's summary to the sales team:
// POST summary; talkToPerson asks for a person: POST handoff, as the "Talk to a person" button).
// `config` = { agent, base (the widget folder's URL), title, greeting, position, color };
// `emit(name, detail)` delivers an event to the page ("open", "close", "message", "error",
// "identify").
//
// Theory of operation
// -------------------
// mount() builds one shared state object `p` and hands it to each part:
//   view.js          the DOM: markup, bubbles, sources, clicks in the log
//   server.js        every request (settings, chat, the answer, history, identify)
//   composer.js      the message box: chat.input's keys and debounce, the send, Retry
//   stream.js        one answer: the event stream (resumed when dropped) or one JSON document
//   conversation.js  which conversation is shown: history, New chat, Clear, other tabs
//   visitor.js       Salient.identify
//   sheet.js         the panel over the log's foot, and "Past chats" in it
//   verify.js        "Verify your email" (common/verify.js) and the profile card, in the panel
//   summary.js       "Email summary" (common/summary.js) in the tools row; Salient.emailSummary()
//   handoff.js       "Talk to a person" and a person's replies (common/handoff.js): its own file,
//                    /widget/handoff.js, imported by p.handoff() only once a handoff is in play
//   viewport.js      phones: the pane fits the visual viewport
// The first open fetches the agent's settings (GET settings: chat.input's keys, ui.sse_enabled,
// ui.allow_basic_html, chat.max_message_chars, handoff.enabled: the "Talk to a person" button)
// beside the history and the core; until they are in (or if they cannot be had) the defaults of
// common/input-keys.js hold.
//
// Conversations use the store the full-page chat uses (common/session-store.js), so a visitor
// has one conversation on both. The core (./widget-core-api.js → salient-widget-core.{js,wasm})
// is imported when the pane mounts: the pane is usable while it loads, and a send waits for it.

import { INPUT_DEFAULTS, inputKeys } from "../common/input-keys.js";
import { sessionStore } from "../common/session-store.js";
import { uuid } from "../common/util.js";
import { installComposer } from "./composer.js";
import { installConversation } from "./conversation.js";
import { createServer } from "./server.js";
import { installSheet } from "./sheet.js";
import { installSummary } from "./summary.js";
import { installVerify } from "./verify.js";
import { createView } from "./view.js";
import { installViewport } from "./viewport.js";
import { installVisitor } from "./visitor.js";

export function mount({ root, launcher, config, emit }) {
  const store = sessionStore(config.agent);
  const current = store.current();
  const p = {
    config: config,
    emit: emit,
    store: store,
    view: createView(root, config),
    server: createServer(config),
    // How answers' markdown is rendered: ui.allow_basic_html, from the settings and then from
    // each stream's meta event and the history. Escaped until the server says.
    render: { allowBasicHtml: false },
    settings: { ready: false, keys: INPUT_DEFAULTS, sseEnabled: true },
    settingsLoad: null,
    isOpen: false,
    current: current || uuid(),
    historyWanted: current !== null, // a key made here has no history yet
    historyLoad: null, // the history request in flight: Promise
    historyTicket: 0,
    busy: false, // a send or an answer is under way
    turn: null, // the answer streaming now: { controller }
    pendingKey: null, // the idempotency key of the unsent text (kept across retries)
    switchTo: null, // a session key another tab chose while this one was busy
    core: null,
    after: null, // the newest message time the history gave (a handoff's updates ask for later ones)
  };
  if (!current) store.setCurrent(p.current);
  const { view } = p;

  let coreLoad = null;
  p.core = () => {
    coreLoad = coreLoad || import(config.base + "widget-core-api.js").then((module) => module.loadWidgetCore()).catch((error) => {
      coreLoad = null; // the next request tries again
      throw error;
    });
    return coreLoad;
  };
  p.core().catch(() => {}); // loads while the visitor types; a failure shows when it is needed

  // The handoff part (handoff.js): imported once a handoff is in play. Resolves its controller
  // { signal(kind, bubble), talkToPerson() }.
  let handoffLoad = null;
  p.handoff = () => {
    handoffLoad = handoffLoad || import(config.base + "handoff.js").then((module) => module.install(p)).catch((error) => {
      handoffLoad = null;
      throw error;
    });
    return handoffLoad;
  };
  /** An answer's done.handoff ("requested" | "offer" | "quiet"), "follow" (a handoff this browser
   *  remembers) or the button ("requested" too). handoff.js shows its own errors. */
  p.onHandoff = (kind, bubble) => p.handoff().then((h) => h.signal(kind, bubble), () => view.showError("This could not be loaded. Please try again."));
  p.talkToPerson = () => p.handoff().then((h) => h.talkToPerson());
  view.talkButton.addEventListener("click", () => p.onHandoff("requested"));

  installConversation(p);
  installVisitor(p);
  installViewport(p);
  installComposer(p);
  installSheet(p);
  installVerify(p);
  installSummary(p);

  p.settingsLoad = p.server.settings().then((json) => {
    if (json) {
      p.settings.keys = inputKeys(json);
      if (typeof json.sse_enabled === "boolean") p.settings.sseEnabled = json.sse_enabled;
      if (typeof json.allow_basic_html === "boolean") p.render.allowBasicHtml = json.allow_basic_html;
      const max = json.max_message_chars;
      if (Number.isInteger(max) && max > 0) view.textarea.maxLength = max;
      view.talkButton.hidden = !(json.handoff && json.handoff.enabled);
    }
    p.settings.ready = true;
    p.applyKeys();
  });

  // --- Open / close / keyboard ---------------------------------------------------------------
  function open() {
    if (!p.isOpen) {
      p.isOpen = true;
      void view.pane.offsetWidth; // the closed state is laid out first, so the slide-in runs
      view.pane.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
      p.fitViewport();
      if (p.historyWanted) p.loadHistory();
      else if (!view.log.firstChild) view.showGreeting();
      if (p.wake) p.wake(); // a handoff's polling resumes (handoff.js)
      emit("open", {});
    }
    view.textarea.focus();
  }

  function close() {
    if (!p.isOpen) return;
    p.isOpen = false;
    const hadFocus = view.pane.contains(root.activeElement);
    view.pane.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    if (hadFocus) launcher.focus(); // focus goes back where it came from, not taken from the page
    emit("close", {});
  }

  view.pane.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab") {
      trapFocus(event);
    }
  });
  view.closeButton.addEventListener("click", close);

  /** Tab and Shift+Tab cycle through the pane's controls while it is open. */
  function trapFocus(event) {
    const items = Array.from(view.pane.querySelectorAll("button, textarea, input, a[href], [tabindex='0']"))
      .filter((item) => !item.disabled && item.getClientRects().length);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    const active = root.activeElement;
    if (event.shiftKey ? active === first || !view.pane.contains(active) : active === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  }

  view.setStatus("online", "");
  return {
    open: open,
    close: close,
    toggle: () => (p.isOpen ? close() : open()),
    send: (text) => {
      open();
      return p.sendText(text);
    },
    identify: p.identify,
    emailSummary: p.emailSummary,
    talkToPerson: p.talkToPerson,
  };
}
