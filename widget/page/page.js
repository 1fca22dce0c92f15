// Behaviour of the full-page HTMX chat at /a/{agent}/. The page's CSP is `script-src 'self'`, so
// everything htmx cannot do declaratively without eval (hx-on, trigger filters) lives here.
// The HTML contract (rendered by the chat module): form#chat-form[data-agent] with
// textarea#message, input#session-key, input#idempotency-key, button#send; div#messages, where
// each POST appends a user bubble and an assistant bubble that streams its answer over SSE
// (htmx-ext-sse: sse-swap="meta" | "token" | "error", sse-close="done"); and in the header
// button#new-chat and details#sessions > div#session-list.
//
// Conversations: localStorage `salient.session.<agent>` is the current session key and
// `salient.sessions.<agent>` a JSON array of this browser's keys, most recent first (at most 20).
// The page shows one conversation at a time: on load it restores the current one
// (POST history), "New chat" starts another under a fresh key, and "Past chats" lists the stored
// keys (POST sessions) to switch back to one. Both are plain fetches (HX-Request, so errors come
// back as fragments); the fragments are server-escaped and go in through htmx.swap, so that open
// event streams in the bubbles they replace are closed.
(function () {
  "use strict";

  var MAX_KEYS = 20; // kept in salient.sessions.<agent>
  var KEY_PATTERN = /^[A-Za-z0-9_-]{8,128}$/; // what the server accepts as session_key

  function init() {
    var form = document.getElementById("chat-form");
    var messages = document.getElementById("messages");
    if (!form || !messages) return;
    var textarea = document.getElementById("message");
    var idempotencyInput = document.getElementById("idempotency-key");
    var newChatButton = document.getElementById("new-chat");
    var sessions = document.getElementById("sessions");
    var sessionList = document.getElementById("session-list");
    var agent = form.dataset.agent || "sales";
    var store = sessionStore(agent);
    // "/a/{agent}/" from the form's own action, so the page works under any mount point.
    var base = (form.getAttribute("hx-post") || "/a/" + encodeURIComponent(agent) + "/chat").replace(/chat$/, "");

    // One key per unsent message: a retry of the same text after a failure reuses it, so a POST
    // that did reach the server is not stored twice; editing the text or a success starts anew.
    var pendingKey = null;

    // The conversation this page shows and sends to. Another tab may switch the stored key;
    // this page keeps sending to the conversation it shows.
    var current = store.current();
    var restore = current !== null; // a key just made has no history to load
    if (!restore) store.setCurrent((current = uuid()));
    sessionField().value = current;

    var sendingKey = null; // the session of the POST in flight
    var history = null; // the history load in flight: { controller }
    var sendAfterHistory = false; // a send asked for while history was loading

    // chat.input.submit_shortcut: "ctrl+enter" (default: Ctrl/Cmd+Enter sends, Enter is a new
    // line) or "enter" (Enter sends, Shift+Enter is a new line).
    var enterSends = form.dataset.submitShortcut === "enter";

    textarea.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) return;
      var sends = enterSends ? !event.shiftKey : event.ctrlKey || event.metaKey;
      if (sends) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    textarea.addEventListener("input", function () {
      pendingKey = null;
    });

    // Only the form's own POST: the history and session list are fetched without htmx.
    document.addEventListener("htmx:configRequest", function (event) {
      if (event.detail.elt !== form) return;
      if (!textarea.value.trim()) {
        event.preventDefault(); // nothing to send
        textarea.focus();
        return;
      }
      if (history) {
        // The restored conversation would replace the new bubbles: send once it is in.
        event.preventDefault();
        sendAfterHistory = true;
        return;
      }
      pendingKey = pendingKey || uuid();
      sendingKey = current;
      sessionField().value = current;
      idempotencyInput.value = pendingKey;
      event.detail.parameters.set("session_key", current);
      event.detail.parameters.set("idempotency_key", pendingKey);
      form.setAttribute("aria-busy", "true");
    });

    document.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt !== form) return;
      form.removeAttribute("aria-busy");
      if (!event.detail.successful) return; // the error handlers below keep the typed text
      if (sendingKey) store.remember(sendingKey);
      pendingKey = null;
      textarea.value = "";
      textarea.focus();
    });

    // A failed POST. The chat module answers htmx with an HTML error bubble, which htmx swaps in
    // (see responseHandling in the page's htmx-config); anything else (a JSON or empty error from
    // a proxy or the host) is not swapped raw: a readable bubble is shown instead.
    document.addEventListener("htmx:beforeSwap", function (event) {
      var detail = event.detail;
      if (!detail.requestConfig || detail.requestConfig.elt !== form) return;
      if (!detail.isError) {
        // Sent, but the visitor has switched conversations since: the message is stored in its
        // own conversation (and shows there), not in the one now on screen.
        if (sendingKey !== current) detail.shouldSwap = false;
        return;
      }
      var type = detail.xhr.getResponseHeader("content-type") || "";
      if (detail.shouldSwap && type.indexOf("text/html") === 0 && detail.serverResponse.trim()) return;
      detail.shouldSwap = false;
      showError(messages, postErrorText(detail.xhr.status, detail.xhr.responseText));
    });

    document.addEventListener("htmx:sendError", function (event) {
      if (event.detail.elt !== form) return;
      showError(messages, "Could not reach the server. Check your connection and try again.");
    });

    // New content: keep the newest message in view.
    document.addEventListener("htmx:afterSwap", function (event) {
      if (messages.contains(event.detail.target) || event.detail.target === messages) scrollDown(messages);
    });

    document.addEventListener("htmx:sseOpen", function (event) {
      event.detail.elt.classList.add("streaming");
    });
    document.addEventListener("htmx:sseClose", function (event) {
      var bubble = event.detail.elt;
      bubble.classList.remove("streaming");
      var text = bubble.querySelector(".text.md");
      if (text) finishMarkdown(text);
    });

    // An SSE event named `error` shares its type with EventSource's own connection `error`
    // Event: the source's onerror (so htmx:sseError) fires for both, and an element with
    // `sse-swap="error"` would receive both (htmx fails swapping the data-less one). So htmx
    // never swaps it: both kinds are shown as text by htmx:sseError below.
    document.addEventListener("htmx:sseBeforeMessage", function (event) {
      var message = event.detail;
      if (!message) return;
      if (message.type === "error") {
        event.preventDefault();
      } else if (message.type === "token" && event.target.classList.contains("md")) {
        // Answers are markdown: rendered by the widget's core, not swapped in as text.
        event.preventDefault();
        appendMarkdown(event.target, unescapeHtml(message.data));
      }
    });

    // A server `error` event, or the stream could not be opened (expired or used link, network):
    // stream links are single-use, so a reconnect cannot succeed. Say so, and stop the
    // extension from retrying.
    document.addEventListener("htmx:sseError", function (event) {
      var bubble = event.detail.elt;
      if (!bubble || !bubble.hasAttribute("sse-connect")) return;
      var cause = event.detail.error;
      var serverEvent = cause && typeof cause.data === "string";
      setBubbleError(bubble, serverEvent
        ? errorEventText(cause.data)
        : "The answer could not be loaded. Please send your message again.");
      stopStream(bubble, event.detail.source);
    });

    // Citations: once a bubble's sources list has arrived, its answer's [n] markers become links
    // to the matching source. Ids get a per-bubble prefix: many answers share one page.
    var citedBubbles = 0;
    // (htmx:sseMessage fires on the sse-swap element once the extension has swapped the data in.)
    document.addEventListener("htmx:sseMessage", function (event) {
      var slot = event.target;
      if (!slot || !slot.classList || !slot.classList.contains("sources-slot")) return;
      var text = slot.closest(".msg").querySelector(".text.md");
      if (!text || !rendering.has(text)) linkSources(slot); // else when the answer is complete
    });

    /** Links the [n] in a bubble's answer to the sources list in `slot`. */
    function linkSources(slot) {
      var bubble = slot.closest(".msg");
      var text = bubble && bubble.querySelector(".text");
      if (!text || !slot.querySelector("li[data-n]")) return;
      var prefix = "cite" + ++citedBubbles + "-";
      var known = {};
      slot.querySelectorAll("li[data-n]").forEach(function (li) {
        li.id = prefix + li.getAttribute("data-n");
        known[li.getAttribute("data-n")] = true;
      });
      linkCitations(text, prefix, known);
    }

    /** Wraps "[n]" in text nodes under `root` in links to #prefix+n, for the n in `known`. */
    function linkCitations(root, prefix, known) {
      var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      var nodes = [];
      while (walker.nextNode()) {
        // Not inside a link (one already made, or the answer's own) or code: "[1]" there is text.
        if (!walker.currentNode.parentNode.closest("a, code, pre")) nodes.push(walker.currentNode);
      }
      nodes.forEach(function (node) {
        var parts = node.data.split(/(\[\d{1,3}\])/);
        if (parts.length === 1) return;
        var fragment = document.createDocumentFragment();
        parts.forEach(function (part) {
          var n = /^\[(\d{1,3})\]$/.exec(part);
          if (n && known[n[1]]) {
            var a = document.createElement("a");
            a.href = "#" + prefix + n[1];
            a.className = "cite";
            a.textContent = part; // text, never HTML
            a.setAttribute("aria-label", "source " + n[1]);
            fragment.appendChild(a);
          } else if (part) {
            fragment.appendChild(document.createTextNode(part));
          }
        });
        node.parentNode.replaceChild(fragment, node);
      });
    }

    // --- Markdown -----------------------------------------------------------------------------
    // Answers are rendered by the widget's WASM core (widget/core: md4c and our sanitizer), the
    // same renderer as the widget, so both show an answer alike. Streamed tokens go through its
    // incremental renderer: complete blocks are appended once, the unfinished rest is replaced.
    // Until the core has loaded, and if it cannot load, the text is shown as it came.
    var allowBasicHtml = form.dataset.allowBasicHtml === "true";
    var corePromise = null;
    var rendering = new Map(); // .text element → { renderer, done, tail, queue } while streaming

    function core() {
      if (!corePromise) {
        corePromise = import("/widget/widget-core-api.js")
          .then(function (module) {
            return module.loadWidgetCore();
          })
          .catch(function () {
            return null;
          });
      }
      return corePromise;
    }

    /** The text of an html-format token: the inverse of the server's escape_html (html.cpp),
     *  which writes exactly these five references. (An HTML parser would drop leading spaces.) */
    var ESCAPED = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };
    function unescapeHtml(html) {
      return html.replace(/&(?:amp|lt|gt|quot|#39);/g, function (ref) {
        return ESCAPED[ref];
      });
    }

    function appendMarkdown(text, delta) {
      var state = rendering.get(text);
      if (!state) {
        state = { renderer: null, queue: [], done: document.createElement("div"), tail: document.createElement("div") };
        state.tail.className = "md-tail";
        text.replaceChildren(state.done, state.tail);
        rendering.set(text, state);
        core().then(function (c) {
          if (rendering.get(text) !== state) return; // another conversation is shown now
          if (c) state.renderer = c.createRenderer({ allowBasicHtml: allowBasicHtml });
          var queued = state.queue;
          state.queue = null;
          queued.forEach(function (d) {
            feed(state, d);
          });
          if (state.finishWanted) finishMarkdown(text);
        });
      }
      if (state.queue) state.queue.push(delta);
      else feed(state, delta);
      scrollDown(messages);
    }

    function feed(state, delta) {
      if (!state.renderer) {
        state.tail.appendChild(document.createTextNode(delta)); // no core: plain text, still escaped
        return;
      }
      paint(state, state.renderer.append(delta));
    }

    function paint(state, out) {
      if (out.commit) state.done.insertAdjacentHTML("beforeend", out.commit); // sanitized by the core
      state.tail.innerHTML = out.tail;
    }

    function finishMarkdown(text) {
      var state = rendering.get(text);
      if (!state) return;
      if (state.queue) {
        state.finishWanted = true; // the core is still loading
        return;
      }
      if (state.renderer) {
        paint(state, state.renderer.finish());
        state.renderer.free();
      }
      rendering.delete(text);
      var slot = text.closest(".msg").querySelector(".sources-slot");
      if (slot) linkSources(slot);
    }

    /** Renders the stored answers under `root` (server-escaped text) as markdown. */
    function renderStored(root) {
      var texts = root.querySelectorAll(".msg.assistant .text.md");
      if (!texts.length) return Promise.resolve();
      return core().then(function (c) {
        if (!c) return;
        texts.forEach(function (text) {
          text.innerHTML = c.renderMarkdown(text.textContent, { allowBasicHtml: allowBasicHtml });
        });
      });
    }

    // Code blocks come with a Copy button (the core writes it; this gives it its behaviour).
    messages.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button[data-copy]");
      if (!button) return;
      var code = button.closest(".code") && button.closest(".code").querySelector("code");
      var done = function (ok) {
        button.textContent = ok ? "Copied" : "Copy failed";
        setTimeout(function () {
          button.textContent = "Copy";
        }, 1500);
      };
      if (!code || !navigator.clipboard) return done(false);
      navigator.clipboard.writeText(code.textContent).then(function () {
        done(true);
      }, function () {
        done(false);
      });
    });

    // --- Conversations ------------------------------------------------------------------------

    /** Shows `key`'s conversation: empties the pane now, restores its history unless `fresh`. */
    function show(key, fresh) {
      cancelHistory();
      rendering.forEach(function (state) {
        if (state.renderer) state.renderer.free();
      });
      rendering.clear();
      current = key;
      store.setCurrent(key);
      sessionField().value = key;
      pendingKey = null; // an idempotency key belongs to one conversation
      // Through htmx, so that open event streams in the removed bubbles are closed too.
      htmx.swap(messages, "", { swapStyle: "innerHTML" });
      if (!fresh) loadHistory(key);
      else sendDeferred();
    }

    function loadHistory(key) {
      cancelHistory();
      var request = (history = { controller: new AbortController() });
      messages.setAttribute("aria-busy", "true");
      post(base + "history", { session_key: key }, request.controller.signal)
        .then(function (response) {
          return response.text().then(function (body) {
            if (request !== history) return;
            if (!response.ok) {
              showError(messages, loadErrorText("This conversation could not be loaded", response, body));
              return;
            }
            htmx.swap(messages, body, { swapStyle: "innerHTML" });
            // Restored answers: markdown like a streamed one, then their stored sources linked.
            renderStored(messages).then(function () {
              messages.querySelectorAll(".sources-slot").forEach(linkSources);
            });
            if (messages.querySelector(".msg")) store.keep(key); // e.g. a key from before the list
            messages.scrollTo({ top: messages.scrollHeight, behavior: "instant" }); // no glide on arrival
          });
        })
        .catch(function () {
          if (request !== history) return; // cancelled: another conversation is shown now
          showError(messages, "This conversation could not be loaded. Check your connection and reload the page.");
        })
        .then(function () {
          if (request !== history) return;
          history = null;
          messages.removeAttribute("aria-busy");
          sendDeferred();
        });
    }

    function cancelHistory() {
      if (!history) return;
      history.controller.abort();
      history = null;
      messages.removeAttribute("aria-busy");
    }

    function sendDeferred() {
      if (!sendAfterHistory) return;
      sendAfterHistory = false;
      form.requestSubmit();
    }

    if (newChatButton) {
      newChatButton.addEventListener("click", function () {
        // The conversation left behind stays reachable under "Past chats" (a key restored
        // from before the list existed is added to it here).
        if (messages.querySelector(".msg.user")) store.keep(current);
        show(uuid(), true);
        if (sessions) sessions.open = false;
        textarea.focus(); // the typed draft stays
      });
    }

    if (sessions && sessionList) {
      var listRequest = 0; // only the newest answer is shown

      sessions.addEventListener("toggle", function () {
        if (sessions.open) loadSessions();
      });

      function loadSessions() {
        var ticket = ++listRequest;
        var keys = [current].concat(store.keys().filter(function (key) {
          return key !== current;
        }));
        setListMessage("Loading…");
        sessionList.setAttribute("aria-busy", "true");
        post(base + "sessions", { session_keys: keys.slice(0, 50).join(",") })
          .then(function (response) {
            return response.text().then(function (body) {
              if (ticket !== listRequest) return;
              if (!response.ok) {
                setListMessage(loadErrorText("Earlier chats could not be loaded", response, body), true);
                return;
              }
              sessionList.replaceChildren.apply(sessionList, parseFragment(body));
              markCurrent();
            });
          })
          .catch(function () {
            if (ticket === listRequest) setListMessage("Earlier chats could not be loaded. Check your connection.", true);
          })
          .then(function () {
            if (ticket === listRequest) sessionList.removeAttribute("aria-busy");
          });
      }

      function setListMessage(text, isError) {
        var p = document.createElement("p");
        p.className = isError ? "session-empty session-error" : "session-empty";
        if (isError) p.setAttribute("role", "alert");
        p.textContent = text;
        sessionList.replaceChildren(p);
      }

      function markCurrent() {
        sessionList.querySelectorAll("button.session").forEach(function (button) {
          if (button.dataset.sessionKey === current) button.setAttribute("aria-current", "true");
          else button.removeAttribute("aria-current");
        });
      }

      sessionList.addEventListener("click", function (event) {
        var button = event.target.closest && event.target.closest("button.session");
        if (!button || !sessionList.contains(button)) return;
        var key = button.dataset.sessionKey;
        if (!KEY_PATTERN.test(key || "")) return;
        show(key, false);
        sessions.open = false;
        textarea.focus();
      });

      // Escape closes the list and gives focus back to its summary; so does a click elsewhere.
      sessions.addEventListener("keydown", function (event) {
        if (event.key !== "Escape" || !sessions.open) return;
        event.preventDefault();
        sessions.open = false;
        var summary = sessions.querySelector("summary");
        if (summary) summary.focus();
      });
      document.addEventListener("click", function (event) {
        if (sessions.open && !sessions.contains(event.target)) sessions.open = false;
      });
    }

    if (restore) loadHistory(current);
  }

  /** input#session-key: looked up each time, an out-of-band swap may replace the element. */
  function sessionField() {
    return document.getElementById("session-key");
  }

  /**
   * This browser's session keys for one agent. Where storage is blocked (privacy mode) the keys
   * live in memory, for this page view only.
   */
  function sessionStore(agent) {
    var currentName = "salient.session." + agent;
    var listName = "salient.sessions." + agent;
    var memory = { current: null, list: [] };

    function read(name) {
      try {
        return localStorage.getItem(name);
      } catch (e) {
        return null;
      }
    }
    function write(name, value) {
      try {
        localStorage.setItem(name, value);
      } catch (e) {
        // blocked or full: memory only
      }
    }
    function keys() {
      var stored = parseJson(read(listName) || "null");
      var list = Array.isArray(stored) ? stored : memory.list;
      return list.filter(function (key, i) {
        return typeof key === "string" && KEY_PATTERN.test(key) && list.indexOf(key) === i;
      });
    }
    function save(list) {
      memory.list = list.slice(0, MAX_KEYS);
      write(listName, JSON.stringify(memory.list));
    }

    return {
      /** The stored current key, or null when there is none (or it is not a valid key). */
      current: function () {
        var key = read(currentName) || memory.current;
        return typeof key === "string" && KEY_PATTERN.test(key) ? key : null;
      },
      setCurrent: function (key) {
        memory.current = key;
        write(currentName, key);
      },
      keys: keys,
      /** Moves `key` to the front: it has just been written to. */
      remember: function (key) {
        save([key].concat(keys().filter(function (k) {
          return k !== key;
        })));
      },
      /** Adds `key` at the front unless it is listed already. */
      keep: function (key) {
        var list = keys();
        if (list.indexOf(key) === -1) save([key].concat(list));
      },
    };
  }

  function uuid() {
    return crypto.randomUUID();
  }

  /** A form POST to the chat module, as htmx would send it (HX-Request: errors as fragments). */
  function post(url, fields, signal) {
    return fetch(url, {
      method: "POST",
      headers: { "HX-Request": "true", Accept: "text/html" },
      body: new URLSearchParams(fields),
      credentials: "same-origin",
      signal: signal,
    });
  }

  /** Server-escaped HTML as nodes, parsed inertly (no scripts run, no handlers attached). */
  function parseFragment(html) {
    return Array.prototype.slice.call(new DOMParser().parseFromString(html, "text/html").body.childNodes);
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  function postErrorText(status, body) {
    var parsed = parseJson(body || "");
    var detail = parsed && parsed.error && parsed.error.message;
    if (status === 413) return "That message is too long. Please shorten it and send again.";
    if (status === 429) return "Too many messages at once. Please wait a moment and try again.";
    if (status >= 500) return "The assistant is unavailable right now. Please try again in a moment.";
    return detail ? "Your message was not sent: " + detail : "Your message was not sent (error " + status + ").";
  }

  /** A failed history or session-list load: the server's own words when it sent some. */
  function loadErrorText(what, response, body) {
    var type = response.headers.get("content-type") || "";
    var detail = "";
    if (type.indexOf("text/html") === 0) {
      detail = new DOMParser().parseFromString(body, "text/html").body.textContent.trim();
    } else {
      var parsed = parseJson(body || "");
      detail = (parsed && parsed.error && parsed.error.message) || "";
    }
    if (response.status === 429) return what + ": too many requests. Please wait a moment and reload the page.";
    if (response.status >= 500 || !detail) {
      return what + " (error " + response.status + "). Please try again in a moment.";
    }
    return what + ": " + detail;
  }

  /** An SSE `error` event's data: JSON {code, message, retryable} or an HTML fragment. */
  function errorEventText(data) {
    var parsed = parseJson(data);
    if (parsed && typeof parsed.message === "string") return parsed.message;
    var text = new DOMParser().parseFromString(data, "text/html").body.textContent.trim();
    return text || "The answer was interrupted. Please try again.";
  }

  function showError(messages, text) {
    var bubble = document.createElement("div");
    bubble.className = "msg error";
    bubble.setAttribute("role", "alert");
    bubble.textContent = text;
    messages.appendChild(bubble);
    scrollDown(messages);
  }

  function setBubbleError(bubble, text) {
    if (!bubble) return;
    var slot = bubble.querySelector(".error");
    if (!slot) {
      slot = document.createElement("div");
      slot.className = "error";
      bubble.appendChild(slot);
    }
    slot.setAttribute("role", "alert");
    slot.hidden = false;
    slot.textContent = text;
  }

  function stopStream(bubble, source) {
    if (source && source.close) source.close();
    if (!bubble) return;
    bubble.removeAttribute("sse-connect"); // the extension's retry timer then finds nothing to open
    bubble.classList.remove("streaming");
  }

  function scrollDown(messages) {
    messages.scrollTop = messages.scrollHeight;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
