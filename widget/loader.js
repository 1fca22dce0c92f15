// The Salient widget's loader, served as /widget/salient.js. A site owner adds one tag:
//
//   <script src="https://THEIR-SALIENT-HOST/widget/salient.js" data-agent="sales" async></script>
//
// On page load it only draws the chat button (in its own shadow root) and installs
// `window.Salient`; nothing else is fetched, with one exception: while this browser knows of a
// handoff to a person in the current conversation (localStorage `salient.handoff.<agent>`, kept
// by common/handoff.js), one small POST updates (seen=0) asks for the team's unread replies and
// the button shows their count (unread() below). The first open (click, Enter/Space on the
// button, or the API) imports pane.js from the same folder (widget/pane/, bundled), which loads
// the WASM core and owns everything after that: the pane, the requests, the streamed answers,
// Past chats, "Verify your email", the profile card, "Email summary" and "Talk to a person" (see
// pane/index.js for its contract).
//
// Attributes of the script tag: data-agent (default "sales"), data-color (accent colour),
// data-position ("right" | "left"), data-title, data-greeting, data-open (open on load).
//
// API (calls made before the pane has loaded are queued and replayed in order):
//   Salient.open() / close() / toggle()   Salient.send(text)   Salient.identify({email, name})
//   Salient.emailSummary() / Salient.talkToPerson() → Promise of the server's JSON answer
//   Salient.on(name, fn) → unsubscribe     Salient.off(name, fn)
// Events: "open", "close", "message", "error", "identify" — each is delivered both to the
// Salient.on listeners (fn(detail)) and as a CustomEvent "salient:<name>" on window, with the
// same detail object. One emit() below does both, so the two never disagree.
(function () {
  "use strict";
  if (window.Salient && window.Salient.version) return; // the snippet was pasted twice

  var script = document.currentScript || document.querySelector('script[src*="salient.js"]');
  var data = (script && script.dataset) || {};
  var base = new URL("./", (script && script.src) || location.href).href;
  var config = {
    agent: /^[A-Za-z0-9_-]{1,64}$/.test(data.agent || "") ? data.agent : "sales",
    base: base,
    color: data.color || "",
    position: data.position === "left" ? "left" : "right",
    title: data.title || "Chat with us",
    greeting: data.greeting || "",
  };

  var listeners = {};
  var queue = []; // [method, args] until the pane is mounted
  var pane = null; // the mounted pane's controller
  var loading = null; // the import in flight
  var host, launcher, badge; // drawn once document.body exists
  var loadWanted = false; // an API call asked for the pane before the button was drawn

  function emit(name, detail) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try {
        fn(detail);
      } catch (e) {
        setTimeout(function () {
          throw e; // a listener's bug is reported, and does not stop the others
        });
      }
    });
    window.dispatchEvent(new CustomEvent("salient:" + name, { detail: detail }));
    if (name === "open" && launcher) showUnread(0); // the pane shows (and marks seen) the replies
  }

  function load() {
    if (!host) {
      loadWanted = true; // render() loads it
      return;
    }
    if (!loading) {
      launcher.setAttribute("aria-busy", "true");
      loading = import(base + "pane.js")
        .then(function (module) {
          pane = module.mount({ root: host.shadowRoot, launcher: launcher, config: config, emit: emit });
          launcher.removeAttribute("aria-busy");
          var calls = queue;
          queue = [];
          calls.forEach(function (call) {
            var result = pane[call[0]].apply(pane, call[1]);
            if (call[2]) call[2].resolve(result); // a promise-returning call made before the load
          });
        })
        .catch(function (error) {
          loading = null; // the next click tries again
          launcher.removeAttribute("aria-busy");
          queue.forEach(function (call) {
            if (call[2]) call[2].reject(error);
          });
          queue = [];
          emit("error", { code: "load_failed", message: "The chat could not be loaded: " + error.message });
        });
    }
    return loading;
  }

  /** An API method: runs on the pane, or queues (and loads the pane if `loads`). A `promised`
   *  method returns a promise even when queued: of what the pane's method returns once it runs. */
  function call(method, loads, promised) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      if (pane) return pane[method].apply(pane, args);
      if (method === "close" && !loading && !loadWanted) return; // nothing is open
      var settle = null;
      var promise = promised && new Promise(function (resolve, reject) {
        settle = { resolve: resolve, reject: reject };
      });
      queue.push([method, args, settle]);
      if (loads) load();
      return promise || undefined;
    };
  }

  var api = {
    version: 1,
    open: call("open", true),
    close: call("close", false),
    toggle: function () {
      return pane ? pane.toggle() : api.open(); // before the pane is there, a second click only opens
    },
    send: call("send", true),
    identify: call("identify", false), // kept for the pane; does not load it
    // Emails the conversation's summary to the sales team (the pane's button, pressed without
    // opening the pane): a promise of the server's JSON answer.
    emailSummary: call("emailSummary", true, true),
    // Asks for a person (the pane's "Talk to a person"): a promise of the server's JSON answer.
    talkToPerson: call("talkToPerson", true, true),
    on: function (name, fn) {
      (listeners[name] = listeners[name] || []).push(fn);
      return function () {
        api.off(name, fn);
      };
    },
    off: function (name, fn) {
      listeners[name] = (listeners[name] || []).filter(function (f) {
        return f !== fn;
      });
    },
  };
  window.Salient = api;

  var CSS =
    ":host{all:initial}" +
    ".launcher{all:initial;box-sizing:border-box;position:fixed;bottom:20px;right:20px;z-index:2147483646;width:56px;height:56px;" +
    "border-radius:50%;display:flex;align-items:center;justify-content:center;cursor:pointer;" +
    "background:var(--salient-accent,#2d6a3e);color:var(--salient-on-accent,#fff);box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ":host([data-position=left]) .launcher{right:auto;left:20px}" +
    ".launcher:focus-visible{outline:3px solid var(--salient-focus,#2b6cde);outline-offset:3px}" +
    ".launcher[aria-busy=true]{cursor:progress;opacity:.8}" +
    ".launcher svg{width:28px;height:28px;fill:currentColor}" +
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;" +
    "background:#c62828;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}.badge:empty{display:none}" +
    ".launcher .x{display:none}[aria-expanded=true] .x{display:block}[aria-expanded=true] .c{display:none}" +
    "@media (max-width:640px){.launcher[aria-expanded=true]{display:none}}";

  function render() {
    host = document.createElement("salient-widget");
    // Inline !important: a host page's `div { display: none !important }`-style rules cannot hide
    // or move the widget's element (set through CSSOM, so a strict style-src CSP allows it).
    var style = host.style;
    ["all:initial", "display:block", "position:static", "width:0", "height:0", "visibility:visible", "opacity:1"]
      .forEach(function (rule) {
        var pair = rule.split(":");
        style.setProperty(pair[0], pair[1], "important");
      });
    if (config.color) style.setProperty("--salient-accent", config.color);
    host.setAttribute("data-position", config.position);
    var root = host.attachShadow({ mode: "open" });
    var sheet = new CSSStyleSheet(); // constructed: not subject to CSP style-src 'unsafe-inline'
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "launcher";
    launcher.setAttribute("aria-label", config.title);
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-haspopup", "dialog");
    launcher.innerHTML =
      '<svg class="c" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>' +
      '<svg class="x" viewBox="0 0 24 24" aria-hidden="true"><path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z"/></svg>';
    launcher.addEventListener("click", function () {
      api.toggle();
    });
    badge = document.createElement("span");
    badge.className = "badge";
    badge.setAttribute("aria-hidden", "true"); // the count is in the button's name
    launcher.appendChild(badge);
    root.appendChild(launcher);
    document.body.appendChild(host);
    var viewport = window.visualViewport;
    if (viewport) {
      viewport.addEventListener("resize", place);
      viewport.addEventListener("scroll", place);
      place();
    }
    if (loadWanted) load();
    if ("open" in data && data.open !== "false") api.open();
    else if (!loadWanted) unread();
  }

  // The closed widget's one request, and only while a handoff is remembered for the current
  // conversation (common/handoff.js keeps `salient.handoff.<agent>`: session keys, space-separated;
  // common/session-store.js keeps `salient.session.<agent>`). seen=0: counting is not reading.
  function unread() {
    var key, list, name = "salient.handoff." + config.agent;
    try {
      key = localStorage.getItem("salient.session." + config.agent);
      list = localStorage.getItem(name) || "";
    } catch (e) {
      return; // storage blocked: nothing remembered
    }
    if (!key || (" " + list + " ").indexOf(" " + key + " ") < 0) return;
    fetch(new URL("/a/" + config.agent + "/updates", base), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ session_key: key, seen: "0" }),
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (json) {
        if (!json) return;
        if (!pane) showUnread(json.unread);
        // Over: forgotten, so later page loads ask nothing.
        if (!json.handoff) localStorage.setItem(name, (" " + list + " ").replace(" " + key + " ", " ").trim());
      })
      .catch(function () {}); // no badge: the chat still works when opened
  }

  function showUnread(n) {
    n = n > 0 ? Math.min(n, 99) : 0;
    badge.textContent = n ? String(n) : "";
    launcher.setAttribute("aria-label", config.title + (n ? " (" + n + " unread)" : ""));
  }

  // The button keeps to a corner of the visual viewport (what is on screen). position: fixed
  // follows the layout viewport, which a host page wider than a phone's screen grows to the
  // page's size, leaving a bottom-right button off-screen. The offsets are in the layout
  // viewport's coordinates, as left and top are; 76 = the button's 56 px + its 20 px margin.
  function place() {
    var v = window.visualViewport;
    launcher.style.left = (config.position === "left" ? v.offsetLeft + 20 : v.offsetLeft + v.width - 76) + "px";
    launcher.style.top = v.offsetTop + v.height - 76 + "px";
  }

  if (document.body) render();
  else document.addEventListener("DOMContentLoaded", render);
})();
