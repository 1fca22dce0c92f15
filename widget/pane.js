// The Salient widget's chat pane, imported by the loader (widget/loader.js) on the first open.
//
// Contract with the loader: `mount({ root, launcher, config, emit })` draws the pane into the
// loader's shadow root `root` (beside the `launcher` button) and returns the controller the
// `window.Salient` API forwards to: { open(), close(), toggle(), send(text), identify(visitor) }
// (identify stores the visitor's email and name with the conversation: POST identify).
// `config` = { agent, base (the widget folder's URL), title, greeting, position, color };
// `emit(name, detail)` delivers an event to the page ("open", "close", "message", "error",
// "identify").
//
// Theory of operation
// -------------------
// All I/O is in the "Server" section below: three requests (POST chat, GET the answer's event
// stream, POST history), each with an error path that ends in a readable message in the pane.
// One turn: POST chat (the typed text stays in the textarea until the server has accepted it;
// a failure shows an error with Retry, and the retry reuses the idempotency key so a POST that
// did reach the server is not stored twice) → GET the stream with fetch(), bytes through the
// core's SSE parser, token texts through the core's streaming markdown renderer ("commit" HTML
// is appended, "tail" HTML replaces the previous tail) → `done`. A dropped connection is
// resumed with `Last-Event-ID` (a few tries with backoff, the header shows "Reconnecting…");
// when the server cannot resume (410) or the tries run out, the stored answer is fetched from
// the history instead.
//
// Conversations use the full-page chat's storage (widget/page/page.js), so a visitor has one
// conversation on both: localStorage `salient.session.<agent>` (the current session key) and
// `salient.sessions.<agent>` (this browser's keys, most recent first). Another tab switching
// the current key (its "New chat") switches this pane too (the `storage` event).
//
// Only the core's sanitized HTML goes in as HTML; everything else (the visitor's text, the
// greeting, errors, sources) is set with textContent, and source links only get http(s) URLs.
//
// The core (./widget-core-api.js → salient-widget-core.{js,wasm}) is imported when the pane
// mounts, not before: the pane is usable while it loads, and a send waits for it.

const KEY_PATTERN = /^[A-Za-z0-9_-]{8,128}$/; // what the server accepts as a session key
const MAX_KEYS = 20;
const RECONNECT_MS = [400, 1000, 2000, 4000]; // one entry per try after a dropped stream
const HISTORY_TRIES = 5; // looking for an interrupted answer in the history, 1 s apart
const DEFAULT_GREETING = "Hi! How can we help you today?";
// How answers' markdown is rendered; allowBasicHtml follows the server's ui.allow_basic_html
// (sent in each stream's meta event and with the history). Escaped until the server says.
const RENDER = { allowBasicHtml: false };

export function mount({ root, launcher, config, emit }) {
  const api = new URL("/a/" + encodeURIComponent(config.agent) + "/", config.base).href;
  const store = sessionStore(config.agent);
  const sheet = new CSSStyleSheet(); // constructed: allowed under a strict style-src CSP
  sheet.replaceSync(CSS);
  root.adoptedStyleSheets = root.adoptedStyleSheets.concat(sheet);

  // --- The pane's DOM (static markup; text from config goes in with textContent) -----------
  const pane = document.createElement("div");
  pane.className = "pane";
  pane.setAttribute("role", "dialog");
  pane.setAttribute("aria-modal", "true");
  pane.setAttribute("aria-labelledby", "salient-title");
  pane.innerHTML =
    '<header><div class="heading"><h2 id="salient-title"></h2>' +
    '<span class="status" role="status" aria-live="polite"></span></div>' +
    '<button type="button" class="new">New chat</button>' +
    '<button type="button" class="close" aria-label="Close chat"><svg viewBox="0 0 24 24" aria-hidden="true">' +
    '<path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z"/></svg></button></header>' +
    '<div class="log" role="log" aria-live="polite" aria-label="Conversation" tabindex="0"></div>' +
    '<form class="composer" novalidate><label class="vh" for="salient-input">Your message</label>' +
    '<textarea id="salient-input" rows="1" placeholder="Type your message…" aria-describedby="salient-hint"></textarea>' +
    '<span class="vh" id="salient-hint">Enter sends, Shift+Enter adds a new line.</span>' +
    '<button type="submit" class="send" aria-label="Send"><svg viewBox="0 0 24 24" aria-hidden="true">' +
    '<path d="M3 20.5 21 12 3 3.5v6.6L15 12 3 13.9z"/></svg></button></form>';
  const $ = (selector) => pane.querySelector(selector);
  const log = $(".log");
  const status = $(".status");
  const form = $("form");
  const textarea = $("textarea");
  const sendButton = $(".send");
  $("h2").textContent = config.title;
  root.appendChild(pane);

  // --- State ---------------------------------------------------------------------------------
  let isOpen = false;
  let current = store.current();
  let historyWanted = current !== null; // a key made here has no history yet
  if (!current) store.setCurrent((current = uuid()));
  let historyLoad = null; // the history request in flight: Promise
  let historyTicket = 0;
  let busy = false; // a send or an answer is under way
  let turn = null; // the answer streaming now: { controller }
  let pendingKey = null; // the idempotency key of the unsent text (kept across retries)
  let switchTo = null; // a session key another tab chose while this one was busy
  let coreLoad = null;
  let citeCount = 0;
  const citesOf = new WeakMap(); // answer bubble → { prefix, known }: its sources' ids

  core().catch(() => {}); // loads while the visitor types; a failure shows when it is needed

  function core() {
    coreLoad = coreLoad || import("./widget-core-api.js").then((module) => module.loadWidgetCore()).catch((error) => {
      coreLoad = null; // the next request tries again
      throw error;
    });
    return coreLoad;
  }

  // --- Open / close / keyboard -----------------------------------------------------------------
  function open() {
    if (!isOpen) {
      isOpen = true;
      void pane.offsetWidth; // the closed state is laid out first, so the slide-in runs
      pane.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
      fitViewport();
      if (historyWanted) loadHistory();
      else if (!log.firstChild) showGreeting();
      emit("open", {});
    }
    textarea.focus();
  }

  function close() {
    if (!isOpen) return;
    isOpen = false;
    const hadFocus = pane.contains(root.activeElement);
    pane.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    if (hadFocus) launcher.focus(); // focus goes back where it came from, not taken from the page
    emit("close", {});
  }

  pane.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab") {
      trapFocus(event);
    }
  });
  $(".close").addEventListener("click", close);

  /** Tab and Shift+Tab cycle through the pane's controls while it is open. */
  function trapFocus(event) {
    const items = Array.from(pane.querySelectorAll("button, textarea, a[href], [tabindex='0']"))
      .filter((item) => !item.disabled && item.getClientRects().length);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    const active = root.activeElement;
    if (event.shiftKey ? active === first || !pane.contains(active) : active === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  }

  // Phones: full screen, sized to the visual viewport so the input stays above the keyboard.
  const phone = matchMedia("(max-width: 640px)");
  function fitViewport() {
    const viewport = window.visualViewport;
    const fit = isOpen && phone.matches && viewport;
    pane.style.height = fit ? viewport.height + "px" : "";
    pane.style.top = fit ? viewport.offsetTop + "px" : "";
  }
  if (window.visualViewport) {
    visualViewport.addEventListener("resize", fitViewport);
    visualViewport.addEventListener("scroll", fitViewport);
  }
  phone.addEventListener("change", fitViewport);

  // --- Composer --------------------------------------------------------------------------------
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  textarea.addEventListener("input", () => {
    pendingKey = null; // edited: a new message, not a retry
    autosize();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  $(".new").addEventListener("click", () => {
    if (log.querySelector(".msg.user")) store.keep(current);
    show(uuid(), true);
    textarea.focus(); // the typed draft stays
  });

  function autosize() {
    textarea.style.height = "auto";
    textarea.style.height = Math.min(textarea.scrollHeight, 140) + "px";
  }

  function setBusy(value) {
    busy = value;
    sendButton.setAttribute("aria-disabled", String(value));
    if (!value && switchTo) {
      const key = switchTo;
      switchTo = null;
      if (key !== current) show(key, false);
    }
  }

  /** Sends the textarea's text. */
  async function submit() {
    const text = textarea.value;
    if (!text.trim() || busy) return;
    setBusy(true);
    clearErrors();
    try {
      if (historyLoad) await historyLoad; // the restored conversation goes above the new message
      pendingKey = pendingKey || uuid();
      const key = current;
      setStatus("sending", "Sending…");
      let reply;
      try {
        reply = await postJson("chat", { message: text, session_key: key, idempotency_key: pendingKey });
      } catch (error) {
        return sendFailed("network", "Could not reach the server. Check your connection and try again.");
      }
      if (!reply.ok || !reply.json || typeof reply.json.stream_url !== "string") {
        return sendFailed(errorCode(reply.json, reply.status), postErrorText(reply.status, reply.json));
      }
      store.remember(key);
      pendingKey = null;
      storeIdentity(key); // details given before this conversation existed, or in another one
      if (textarea.value === text) textarea.value = "";
      autosize();
      // Switched conversations meanwhile: the message is stored in its own (and shows there).
      if (key !== current) return;
      addUser(text);
      emit("message", { role: "user", text: text, id: reply.json.message_id, sessionKey: key });
      await streamAnswer(reply.json.stream_url, reply.json.message_id, key);
    } finally {
      setBusy(false);
    }
  }

  function sendFailed(code, message) {
    setStatus("error", "Not sent");
    const bubble = showError(message);
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => {
      textarea.focus();
      submit();
    });
    bubble.appendChild(retry);
    emit("error", { code: code, message: message });
  }

  // --- Answers ---------------------------------------------------------------------------------
  /**
   * Streams one answer into a new assistant bubble. Resolves when it is complete, failed or
   * abandoned (New chat, another conversation); never rejects.
   */
  async function streamAnswer(streamUrl, userMessageId, key) {
    const bubble = addAssistant();
    const text = bubble.querySelector(".text");
    const tail = document.createElement("div");
    tail.className = "tail";
    text.appendChild(tail);
    const controller = new AbortController();
    const mine = (turn = { controller: controller });
    const url = new URL(streamUrl, api).href;
    let answer = "";
    let lastId = "";
    let tries = 0;
    let outcome = null; // "done" | "error" | "restore"
    let renderer = null;
    let c = null; // the core, once loaded (handle() below needs it too)
    setStatus("typing", "Typing…");

    const put = (step) => {
      if (step.commit) tail.insertAdjacentHTML("beforebegin", step.commit);
      tail.innerHTML = step.tail || "";
      keepScrolled();
    };
    const fail = (code, message) => {
      outcome = "error";
      setBubbleError(bubble, message);
      emit("error", { code: code, message: message });
    };

    try {
      c = await core();
      renderer = c.createRenderer(RENDER);
      while (!outcome) {
        if (controller.signal.aborted) return;
        let dropped = false;
        let progressed = false;
        const parser = c.createSseParser();
        try {
          const headers = { accept: "text/event-stream" };
          if (lastId) headers["last-event-id"] = lastId;
          const response = await fetch(url, { headers: headers, signal: controller.signal, cache: "no-store" });
          if (!response.ok || !response.body) {
            const body = await response.text().catch(() => "");
            if (lastId && response.status === 410) outcome = "restore"; // cannot resume: use the stored answer
            else if (response.status >= 500 || response.status === 429) dropped = true;
            else fail("stream_" + response.status, streamErrorText(c, body));
          } else {
            if (tries) setStatus("typing", "Typing…");
            const reader = response.body.getReader();
            while (!outcome) {
              const chunk = await reader.read();
              if (chunk.done) break;
              for (const event of parser.feed(chunk.value)) {
                progressed = true;
                if (event.id) lastId = event.id;
                handle(event);
                if (outcome) break;
              }
            }
            if (outcome) reader.cancel().catch(() => {});
            else dropped = true; // the stream ended before `done`
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          dropped = true; // a network error mid-stream
        } finally {
          parser.free();
        }
        if (dropped) {
          if (progressed) tries = 0;
          if (tries >= RECONNECT_MS.length) outcome = "restore";
          else {
            setStatus("reconnecting", "Reconnecting…");
            await sleep(RECONNECT_MS[tries++]);
          }
        }
      }
      if (outcome === "restore") {
        setStatus("reconnecting", "Reconnecting…");
        const stored = await storedAnswer(key, userMessageId, controller.signal);
        if (controller.signal.aborted) return;
        if (stored) {
          text.innerHTML = c.renderMarkdown(stored.content, RENDER);
          if (Array.isArray(stored.citations)) renderSources(bubble, stored.citations);
          answer = stored.content;
          outcome = "done";
        } else {
          put(renderer.finish());
          fail("interrupted", "The answer was interrupted. Please send your message again.");
        }
      }
      if (outcome === "done") emit("message", { role: "assistant", text: answer, id: bubble.dataset.id || null, sessionKey: key });
    } catch (error) {
      if (!controller.signal.aborted) fail("core_unavailable", "The chat could not be loaded. Please reload the page and try again.");
    } finally {
      if (renderer) renderer.free();
      bubble.classList.remove("streaming");
      bubble.removeAttribute("aria-busy");
      if (turn === mine) {
        turn = null;
        setStatus(outcome === "error" ? "error" : "online", outcome === "error" ? "Interrupted" : "");
      }
    }

    function handle(event) {
      const data = parseJson(event.data) || {};
      switch (event.event) {
        case "meta":
          if (data.mode === "offline" && typeof data.label === "string") setLabel(bubble, data.label);
          // ui.allow_basic_html: meta comes before any token, so the renderer is still empty.
          if (typeof data.allow_basic_html === "boolean" && data.allow_basic_html !== RENDER.allowBasicHtml) {
            RENDER.allowBasicHtml = data.allow_basic_html;
            renderer.free();
            renderer = c.createRenderer(RENDER);
          }
          break;
        case "notice":
          if (typeof data.message === "string") {
            const notice = document.createElement("p");
            notice.className = "notice";
            notice.textContent = data.message;
            bubble.insertBefore(notice, text);
          }
          break;
        case "token":
          if (typeof data.text === "string" && data.text) {
            answer += data.text;
            put(renderer.append(data.text));
          }
          break;
        case "citations":
          if (Array.isArray(data.citations)) renderSources(bubble, data.citations);
          break;
        case "error":
          put(renderer.finish());
          fail(typeof data.code === "string" ? data.code : "error",
            typeof data.message === "string" ? data.message : "The answer was interrupted. Please try again.");
          break;
        case "done":
          put(renderer.finish());
          linkCitations(bubble);
          if (typeof data.message_id === "string") bubble.dataset.id = data.message_id;
          outcome = "done";
          break;
      }
    }
  }

  /** The stored answer to `userMessageId`, looked for a few times (it may still be in the works). */
  async function storedAnswer(key, userMessageId, signal) {
    for (let i = 0; i < HISTORY_TRIES && !signal.aborted; i++) {
      if (i) await sleep(1000);
      try {
        const reply = await postJson("history", { session_key: key }, signal);
        const messages = (reply.ok && reply.json && Array.isArray(reply.json.messages)) ? reply.json.messages : [];
        const asked = messages.findIndex((m) => m && m.id === userMessageId);
        const found = asked >= 0 && messages.slice(asked + 1).find((m) => m && m.role === "assistant");
        if (found && typeof found.content === "string") return found;
      } catch (error) {
        // offline for a moment: try again
      }
    }
    return null;
  }

  // --- Conversations -----------------------------------------------------------------------
  /** Shows `key`'s conversation: restores its history unless `fresh`. */
  function show(key, fresh) {
    if (turn) turn.controller.abort();
    turn = null;
    current = key;
    store.setCurrent(key);
    pendingKey = null;
    historyLoad = null;
    historyTicket++;
    clearLog();
    if (fresh) {
      historyWanted = false;
      showGreeting();
    } else if (isOpen) loadHistory();
    else historyWanted = true;
    setStatus("online", "");
  }

  function loadHistory() {
    historyWanted = false;
    const ticket = ++historyTicket;
    const key = current;
    clearLog();
    showGreeting();
    log.setAttribute("aria-busy", "true");
    const load = (historyLoad = (async () => {
      try {
        const [reply, c] = await Promise.all([postJson("history", { session_key: key }), core()]);
        if (ticket !== historyTicket) return;
        if (!reply.ok || !reply.json || !Array.isArray(reply.json.messages)) {
          const message = "This conversation could not be loaded (error " + reply.status + "). You can still send a message.";
          showError(message);
          emit("error", { code: errorCode(reply.json, reply.status), message: message });
          return;
        }
        if (typeof reply.json.allow_basic_html === "boolean") RENDER.allowBasicHtml = reply.json.allow_basic_html;
        for (const m of reply.json.messages) {
          if (!m || typeof m.content !== "string") continue;
          if (m.role === "user") addUser(m.content);
          else if (m.role === "assistant") {
            const bubble = addAssistant();
            bubble.classList.remove("streaming");
            bubble.removeAttribute("aria-busy");
            if (m.mode === "offline") setLabel(bubble, "Offline answer");
            bubble.querySelector(".text").innerHTML = c.renderMarkdown(m.content, RENDER);
            if (Array.isArray(m.citations)) renderSources(bubble, m.citations);
          }
        }
        if (log.querySelector(".msg.user")) store.keep(key);
        log.scrollTop = log.scrollHeight;
      } catch (error) {
        if (ticket !== historyTicket) return;
        const message = "This conversation could not be loaded. Check your connection and try again.";
        showError(message);
        emit("error", { code: "network", message: message });
      } finally {
        if (ticket === historyTicket) {
          log.removeAttribute("aria-busy");
          historyLoad = null;
        }
      }
    })());
    return load;
  }

  // Another tab started or switched a conversation: follow it (after the turn under way here).
  window.addEventListener("storage", (event) => {
    if (event.key !== store.currentName || !KEY_PATTERN.test(event.newValue || "") || event.newValue === current) return;
    if (busy) switchTo = event.newValue;
    else show(event.newValue, false);
  });
  window.addEventListener("online", () => setStatus("online", ""));
  window.addEventListener("offline", () => setStatus("offline", "Offline"));

  // --- Messages ------------------------------------------------------------------------------
  function clearLog() {
    log.replaceChildren();
    log.removeAttribute("aria-busy");
  }

  function showGreeting() {
    const bubble = bubbleOf("assistant greeting");
    const p = document.createElement("p");
    p.textContent = config.greeting || DEFAULT_GREETING;
    bubble.appendChild(p);
  }

  function bubbleOf(kind) {
    const bubble = document.createElement("div");
    bubble.className = "msg " + kind;
    log.appendChild(bubble);
    keepScrolled();
    return bubble;
  }

  function addUser(text) {
    bubbleOf("user").textContent = text;
  }

  function addAssistant() {
    const bubble = bubbleOf("assistant streaming");
    bubble.setAttribute("aria-busy", "true");
    bubble.innerHTML = '<div class="text"></div><div class="typing" aria-hidden="true"><i></i><i></i><i></i></div>';
    return bubble;
  }

  function setLabel(bubble, text) {
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = text;
    bubble.insertBefore(label, bubble.firstChild);
  }

  function showError(message) {
    const bubble = bubbleOf("error");
    bubble.setAttribute("role", "alert");
    const p = document.createElement("p");
    p.textContent = message;
    bubble.appendChild(p);
    return bubble;
  }

  function setBubbleError(bubble, message) {
    const p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    bubble.appendChild(p);
  }

  function clearErrors() {
    log.querySelectorAll(".msg.error").forEach((bubble) => bubble.remove());
  }

  /** The sources list under an answer; its [n] markers become buttons that focus source n. */
  function renderSources(bubble, citations) {
    const old = bubble.querySelector(".sources");
    if (old) old.remove();
    const list = document.createElement("ol");
    const prefix = "salient-cite" + ++citeCount + "-";
    const known = {};
    for (const cite of citations) {
      if (!cite || typeof cite !== "object") continue;
      const n = Number.isInteger(cite.n) ? cite.n : list.children.length + 1;
      const title = [cite.title, cite.source, cite.url].find((v) => typeof v === "string" && v.trim()) || "Source " + n;
      const href = safeUrl(cite.url);
      const item = document.createElement("li");
      item.value = n;
      const link = document.createElement(href ? "a" : "span");
      link.id = prefix + n;
      link.className = "source";
      link.textContent = title;
      if (href) {
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      } else link.tabIndex = -1;
      item.appendChild(link);
      if (typeof cite.heading === "string" && cite.heading && cite.heading !== title) {
        const heading = document.createElement("span");
        heading.className = "heading";
        heading.textContent = cite.heading;
        item.appendChild(heading);
      }
      list.appendChild(item);
      known[n] = true;
    }
    if (!list.children.length) return;
    const sources = document.createElement("div");
    sources.className = "sources";
    const heading = document.createElement("p");
    heading.textContent = "Sources";
    sources.append(heading, list);
    bubble.querySelector(".text").after(sources);
    citesOf.set(bubble, { prefix: prefix, known: known });
    linkCitations(bubble);
  }

  /** Wraps "[n]" in the answer's text nodes in buttons that focus source n (again after the
   *  stream's last block replaced the tail the sources were linked in). */
  function linkCitations(bubble) {
    const cites = citesOf.get(bubble);
    const text = bubble.querySelector(".text");
    if (!cites || !text) return;
    const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) if (!walker.currentNode.parentNode.closest("pre, code, a, button")) nodes.push(walker.currentNode);
    for (const node of nodes) {
      const parts = node.data.split(/(\[\d{1,3}\])/);
      if (parts.length === 1) continue;
      const fragment = document.createDocumentFragment();
      for (const part of parts) {
        const n = /^\[(\d{1,3})\]$/.exec(part);
        if (n && cites.known[n[1]]) {
          const cite = document.createElement("button");
          cite.type = "button";
          cite.className = "cite";
          cite.dataset.target = cites.prefix + n[1];
          cite.setAttribute("aria-label", "source " + n[1]);
          cite.textContent = part;
          fragment.appendChild(cite);
        } else if (part) fragment.appendChild(document.createTextNode(part));
      }
      node.parentNode.replaceChild(fragment, node);
    }
  }

  log.addEventListener("click", (event) => {
    const target = event.target.closest ? event.target.closest("button") : null;
    if (!target) return;
    if (target.classList.contains("cite")) {
      const source = root.getElementById(target.dataset.target);
      if (source) {
        source.scrollIntoView({ block: "nearest" });
        source.focus();
      }
    } else if (target.hasAttribute("data-copy")) {
      const block = target.closest(".code, pre"); // the core wraps each code block and its button
      const code = block && block.querySelector("code");
      copyText(code ? code.textContent : "").then((ok) => {
        target.textContent = ok ? "Copied" : "Copy failed";
        setTimeout(() => (target.textContent = "Copy"), 1500);
      });
    }
  });

  function keepScrolled() {
    log.scrollTop = log.scrollHeight;
  }

  function setStatus(kind, text) {
    pane.dataset.status = kind;
    status.textContent = text;
  }

  // --- Visitor ---------------------------------------------------------------------------------
  // The visitor's details (Salient.identify): kept for this tab (sessionStorage) and stored with
  // the conversation (POST identify), so the assistant does not ask for them again and the team
  // sees who it was. A conversation that has not started yet has nothing to store them on
  // ("no_conversation"):
  // they are stored after its first message (storeIdentity after a send), as in a new chat.
  let visitor = null; // what identify() was given; stored on each conversation it is used in
  const identifiedKeys = new Set(); // session keys whose conversation has it
  try {
    visitor = JSON.parse(sessionStorage.getItem("salient.visitor." + config.agent) || "null");
  } catch (error) {
    visitor = null;
  }

  async function identify(details) {
    const clean = {};
    for (const field of ["email", "name"]) {
      const value = details && details[field];
      if (typeof value === "string" && value.trim()) clean[field] = value.trim().slice(0, field === "email" ? 254 : 120);
    }
    if (!clean.email && !clean.name) return clean;
    try {
      sessionStorage.setItem("salient.visitor." + config.agent, JSON.stringify(clean));
    } catch (error) {
      // storage blocked: the server still gets them
    }
    visitor = clean;
    identifiedKeys.clear();
    emit("identify", clean);
    await storeIdentity(current);
    return clean;
  }

  /** Stores the visitor's details on `key`'s conversation, once; quietly later if it has none yet. */
  async function storeIdentity(key) {
    const details = visitor;
    if (!details || identifiedKeys.has(key)) return;
    let reply;
    try {
      reply = await postJson("identify", { session_key: key, ...details });
    } catch (error) {
      return; // offline: tried again after the next message
    }
    if (reply.ok && reply.json && reply.json.status === "no_conversation") return; // after its first message
    if (details !== visitor) return; // identify() was called again meanwhile
    identifiedKeys.add(key);
    if (!reply.ok) emit("error", { code: errorCode(reply.json, reply.status), message: postErrorText(reply.status, reply.json) });
  }

  // --- Server --------------------------------------------------------------------------------
  async function postJson(path, body, signal) {
    const response = await fetch(api + path, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      signal: signal,
    });
    return { ok: response.ok, status: response.status, json: parseJson(await response.text()) };
  }

  setStatus("online", "");
  return {
    open: open,
    close: close,
    toggle: () => (isOpen ? close() : open()),
    send: (text) => {
      open();
      if (typeof text === "string" && text) {
        textarea.value = text;
        pendingKey = null;
        autosize();
      }
      return submit();
    },
    identify: identify,
  };
}

// --- Helpers (no state) ------------------------------------------------------------------------

/**
 * This browser's session keys for one agent, as widget/page/page.js keeps them. Where storage
 * is blocked (privacy mode) the keys live in memory, for this page view only.
 */
function sessionStore(agent) {
  const currentName = "salient.session." + agent;
  const listName = "salient.sessions." + agent;
  const memory = { current: null, list: [] };
  const read = (name) => {
    try {
      return localStorage.getItem(name);
    } catch (error) {
      return null;
    }
  };
  const write = (name, value) => {
    try {
      localStorage.setItem(name, value);
    } catch (error) {
      // blocked or full: memory only
    }
  };
  const keys = () => {
    const stored = parseJson(read(listName) || "null");
    const list = Array.isArray(stored) ? stored : memory.list;
    return list.filter((key, i) => typeof key === "string" && KEY_PATTERN.test(key) && list.indexOf(key) === i);
  };
  const save = (list) => {
    memory.list = list.slice(0, MAX_KEYS);
    write(listName, JSON.stringify(memory.list));
  };
  return {
    currentName: currentName,
    current() {
      const key = read(currentName) || memory.current;
      return typeof key === "string" && KEY_PATTERN.test(key) ? key : null;
    },
    setCurrent(key) {
      memory.current = key;
      write(currentName, key);
    },
    /** Moves `key` to the front: it has just been written to. */
    remember(key) {
      save([key].concat(keys().filter((k) => k !== key)));
    },
    /** Adds `key` at the front unless it is listed already. */
    keep(key) {
      const list = keys();
      if (list.indexOf(key) === -1) save([key].concat(list));
    },
  };
}

/** A random key; crypto.randomUUID exists only in secure contexts (not on plain-http sites). */
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => (b + 256).toString(16).slice(1)).join("");
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    return null;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An absolute http(s) URL for a source link (relative ones are the site's own pages), or null. */
function safeUrl(url) {
  if (typeof url !== "string" || !url) return null;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch (error) {
    return null;
  }
}

function errorCode(json, status) {
  return (json && json.error && typeof json.error.code === "string" && json.error.code) || "http_" + status;
}

function postErrorText(status, json) {
  const detail = json && json.error && typeof json.error.message === "string" ? json.error.message : "";
  if (status === 413) return "That message is too long. Please shorten it and send again.";
  if (status === 429) return "Too many messages at once. Please wait a moment and try again.";
  if (status >= 500) return "The assistant is unavailable right now. Please try again in a moment.";
  return detail ? "Your message was not sent: " + detail : "Your message was not sent (error " + status + ").";
}

/** The message of an event stream's refusal (an SSE `error` event or a JSON error body). */
function streamErrorText(c, body) {
  let message = "";
  try {
    const parser = c.createSseParser();
    const events = parser.feed(new TextEncoder().encode(body + "\n\n"));
    parser.free();
    const error = events.find((e) => e.event === "error");
    const data = error && parseJson(error.data);
    message = data && typeof data.message === "string" ? data.message : "";
  } catch (e) {
    // not an event stream
  }
  if (!message) {
    const json = parseJson(body);
    message = (json && json.error && json.error.message) || "";
  }
  return message ? "The answer could not be loaded: " + message : "The answer could not be loaded. Please send your message again.";
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (error) {
    // no permission or no clipboard API (plain http): the old way
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

const CSS = `
:host{--s-accent:var(--salient-accent,#2d6a3e);--s-on-accent:var(--salient-on-accent,#fff);
--s-bg:var(--salient-bg,#fff);--s-fg:var(--salient-fg,#1d2320);--s-muted:var(--salient-muted,#5b6560);
--s-bubble:var(--salient-bubble,#f1f3ef);--s-border:var(--salient-border,#d9ddd5);--s-focus:var(--salient-focus,#2b6cde);
--s-error:#a8201a;--s-error-bg:#fdecea;--s-code:#f6f7f5;
--s-font:var(--salient-font,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif)}
@media (prefers-color-scheme:dark){:host{--s-bg:var(--salient-bg-dark,#191c1a);--s-fg:var(--salient-fg-dark,#e8ebe6);
--s-muted:#a6afa9;--s-bubble:#262b27;--s-border:#3a413c;--s-error:#ffb4ab;--s-error-bg:#3b1a17;--s-code:#101311;--s-focus:#8ab4ff}}
.pane{all:initial;box-sizing:border-box;position:fixed;z-index:2147483647;bottom:88px;right:20px;width:380px;
height:min(620px,calc(100vh - 110px));display:flex;flex-direction:column;overflow:hidden;
background:var(--s-bg);color:var(--s-fg);font:15px/1.5 var(--s-font);border:1px solid var(--s-border);border-radius:16px;
box-shadow:0 12px 40px rgba(0,0,0,.22);visibility:hidden;opacity:0;transform:translateY(16px);
transition:transform .2s ease,opacity .2s ease,visibility 0s linear .2s}
.pane.open{visibility:visible;opacity:1;transform:none;transition:transform .2s ease,opacity .2s ease}
:host([data-position=left]) .pane{right:auto;left:20px}
@media (prefers-reduced-motion:reduce){.pane,.pane.open{transition:none;transform:none}.typing i{animation:none}}
@media (max-width:640px){.pane{inset:0;width:100%;height:100vh;height:100dvh;border:0;border-radius:0;transform:none}}
*,*::before,*::after{box-sizing:border-box}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button{font:inherit;color:inherit;cursor:pointer}
:focus-visible{outline:3px solid var(--s-focus);outline-offset:2px}
header{display:flex;align-items:center;gap:8px;padding:10px 10px 10px 16px;background:var(--s-accent);color:var(--s-on-accent)}
.heading{flex:1;min-width:0}
h2{margin:0;font-size:16px;font-weight:650;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.status{display:block;font-size:12px;opacity:.9;min-height:18px}
header button{background:transparent;border:1px solid rgba(255,255,255,.5);border-radius:8px;padding:4px 10px;font-size:13px;color:inherit}
header button:hover{background:rgba(255,255,255,.15)}
header .close{border:0;padding:4px;display:flex}
svg{width:22px;height:22px;fill:currentColor}
.log{flex:1;min-height:0;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.msg{max-width:88%;padding:8px 12px;border-radius:14px;overflow-wrap:anywhere}
.msg.user{align-self:flex-end;background:var(--s-accent);color:var(--s-on-accent);white-space:pre-wrap;border-bottom-right-radius:4px}
.msg.assistant{align-self:flex-start;background:var(--s-bubble);border-bottom-left-radius:4px}
.msg.error{align-self:stretch;max-width:none;background:var(--s-error-bg);color:var(--s-error);display:flex;align-items:center;gap:10px;justify-content:space-between}
.msg p,.msg ul,.msg ol,.msg pre,.msg blockquote,.msg table{margin:0 0 8px}
.msg>:last-child,.text>:last-child,.tail>:last-child{margin-bottom:0}
.msg ul,.msg ol{padding-left:20px}
.msg a{color:inherit;text-decoration:underline}
.msg code{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--s-code);padding:1px 4px;border-radius:4px}
.code{position:relative}
.msg pre{background:var(--s-code);border:1px solid var(--s-border);border-radius:8px;padding:10px;overflow-x:auto}
.msg pre code{padding:0;background:none;white-space:pre}
.copy{position:absolute;top:4px;right:4px;font-size:12px;padding:2px 8px;border:1px solid var(--s-border);border-radius:6px;background:var(--s-bg)}
.msg table{border-collapse:collapse}.msg td,.msg th{border:1px solid var(--s-border);padding:2px 6px}
.msg blockquote{border-left:3px solid var(--s-border);padding-left:10px;color:var(--s-muted)}
.msg img{max-width:100%}
.label{display:inline-block;font-size:12px;color:var(--s-muted);margin-bottom:4px}
.notice{font-size:13px;color:var(--s-muted)}
.sources{margin-top:8px;padding-top:6px;border-top:1px solid var(--s-border);font-size:13px}
.sources p{margin:0 0 2px;font-weight:600;color:var(--s-muted)}
.sources ol{margin:0}
.sources .heading{display:block;color:var(--s-muted)}
.cite{border:0;background:none;padding:0;color:var(--s-accent);font-size:.85em;vertical-align:super;text-decoration:underline}
.error{color:var(--s-error)}
.retry{flex:none;border:1px solid currentColor;background:transparent;border-radius:8px;padding:4px 12px}
.typing{display:none;gap:4px;padding:4px 0}
.streaming .typing{display:flex}
.typing i{width:7px;height:7px;border-radius:50%;background:var(--s-muted);animation:salient-blink 1.2s infinite both}
.typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}
@keyframes salient-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}
.composer{display:flex;align-items:flex-end;gap:8px;padding:10px;border-top:1px solid var(--s-border);background:var(--s-bg)}
textarea{flex:1;resize:none;font:inherit;color:var(--s-fg);background:var(--s-bg);border:1px solid var(--s-border);border-radius:10px;
padding:8px 10px;min-height:40px;max-height:140px;line-height:1.4}
textarea:focus-visible{outline:2px solid var(--s-focus);outline-offset:0}
.send{flex:none;width:40px;height:40px;border:0;border-radius:10px;background:var(--s-accent);color:var(--s-on-accent);display:flex;align-items:center;justify-content:center}
.send[aria-disabled=true]{opacity:.55;cursor:progress}
`;
