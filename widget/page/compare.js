// The side-by-side page (GET /a/{agent}/compare): one question, answered with retrieval from
// the business's pages and without it, so a site owner sees what grounding changes. Each side
// has its own conversation (its session key is kept in localStorage, like the chat page's), and
// reads its answer as JSON events: `meta`, `token`…, `citations`, `done` or `error`. All text
// goes in with textContent; links are built as elements, never from HTML strings. Bundled by
// ./scripts/build into /assets/compare.js.

import { linkToList, sourcesList } from "../common/citations.js";
import { uuid } from "../common/util.js";

function init(root) {
  var agent = root.getAttribute("data-agent");
  var form = document.getElementById("compare-form");
  var question = document.getElementById("question");
  var ask = document.getElementById("ask");
  var SIDES = [
    { pane: document.getElementById("pane-with"), rag: true, key: "salient.compare.with." + agent },
    { pane: document.getElementById("pane-without"), rag: false, key: "salient.compare.without." + agent },
  ];

  function sessionKey(side) {
    var key = null;
    try { key = localStorage.getItem(side.key); } catch (e) { /* storage off: a new key per page */ }
    if (!key) {
      key = uuid();
      try { localStorage.setItem(side.key, key); } catch (e) { /* ignore */ }
    }
    return key;
  }

  function parts(pane) {
    var msg = pane.querySelector(".msg");
    return { msg: msg, label: msg.querySelector(".label"), notice: msg.querySelector(".notice"), text: msg.querySelector(".text"),
      sources: msg.querySelector(".sources-slot"), error: msg.querySelector(".error") };
  }
  function reset(p) {
    p.label.textContent = "";
    p.notice.textContent = "";
    p.text.textContent = "";
    p.sources.textContent = "";
    p.error.textContent = "";
    p.error.hidden = true;
  }
  function fail(p, message) {
    p.error.textContent = message;
    p.error.hidden = false;
    p.msg.classList.remove("streaming");
  }

  /** The sources list, and the answer's [n] markers linked to it (common/citations.js). */
  function showCitations(p, list, prefix) {
    var ol = sourcesList(list);
    if (!ol) return;
    p.sources.appendChild(ol);
    p.text.normalize(); // tokens arrive as separate text nodes: a marker may span two
    linkToList(p.text, ol, prefix);
  }

  function run(side, message, round) {
    var p = parts(side.pane);
    reset(p);
    p.msg.classList.add("streaming");
    return fetch("/a/" + encodeURIComponent(agent) + "/chat", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ message: message, session_key: sessionKey(side), idempotency_key: uuid() }),
    }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok || !body.stream_url) throw new Error((body.error && body.error.message) || "error " + res.status);
        var url = body.stream_url + (/[?&]format=json/.test(body.stream_url) ? "" : "&format=json") + (side.rag ? "" : "&rag=off");
        return new Promise(function (resolve) {
          var source = new EventSource(url);
          var done = function () { source.close(); p.msg.classList.remove("streaming"); resolve(); };
          source.addEventListener("meta", function (e) {
            var meta = JSON.parse(e.data);
            p.label.textContent = meta.label || (meta.mode === "llm" ? "" : meta.mode);
          });
          source.addEventListener("notice", function (e) {
            p.notice.textContent = JSON.parse(e.data).message; // e.g. the site search was unavailable
          });
          source.addEventListener("token", function (e) {
            p.text.appendChild(document.createTextNode(JSON.parse(e.data).text));
          });
          source.addEventListener("citations", function (e) {
            showCitations(p, JSON.parse(e.data).citations || [], "cmp" + round + (side.rag ? "w" : "o") + "-");
          });
          source.addEventListener("done", done);
          source.addEventListener("error", function (e) {
            // A server `error` event has data; a connection error does not (links are single-use).
            var message = "The answer could not be loaded.";
            if (e.data) { try { message = JSON.parse(e.data).message || message; } catch (x) { /* keep */ } }
            fail(p, message);
            done();
          });
        });
      });
    }).catch(function (err) {
      fail(p, "Not sent: " + err.message);
    });
  }

  var rounds = 0;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var message = question.value.trim();
    if (!message) return;
    ask.disabled = true;
    rounds++;
    Promise.all(SIDES.map(function (side) { return run(side, message, rounds); })).then(function () {
      ask.disabled = false;
      root.setAttribute("data-answered", String(rounds));
    });
  });
}

const root = document.querySelector("main.compare");
if (root) init(root);
