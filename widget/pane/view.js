// The pane's DOM: its static markup, the message bubbles (the visitor's, the assistant's, a team
// member's after a handoff), the sources under an answer and the clicks inside the log (citation
// markers, Copy buttons). No requests and no conversation state.
//
// Only the core's sanitized HTML goes in as HTML; everything else (the visitor's text, the
// greeting, errors, sources) is set with textContent, and source links only get http(s) URLs.

import { linkCitations } from "../common/citations.js";
import { teamLabel } from "../common/handoff.js";
import { CSS } from "./styles.js";

const DEFAULT_GREETING = "Hi! How can we help you today?";
const CLOSE_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z"/></svg>';
const SEND_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 20.5 21 12 3 3.5v6.6L15 12 3 13.9z"/></svg>';

/** Draws the pane into `root` (the loader's shadow root) and returns its parts and painters. */
export function createView(root, config) {
  const sheet = new CSSStyleSheet(); // constructed: allowed under a strict style-src CSP
  sheet.replaceSync(CSS);
  root.adoptedStyleSheets = root.adoptedStyleSheets.concat(sheet);

  const pane = document.createElement("div");
  pane.className = "pane";
  pane.setAttribute("role", "dialog");
  pane.setAttribute("aria-modal", "true");
  pane.setAttribute("aria-labelledby", "salient-title");
  pane.innerHTML =
    '<header><div class="heading"><h2 id="salient-title"></h2>' +
    '<span class="status" role="status" aria-live="polite"></span></div>' +
    '<button type="button" class="new">New chat</button>' +
    // Clear empties the pane only: the conversation stays stored (a reload shows it again).
    '<button type="button" class="clear" title="Empty this pane; the conversation stays saved">Clear</button>' +
    '<button type="button" class="close" aria-label="Close chat">' + CLOSE_ICON + "</button></header>" +
    '<div class="log" role="log" aria-live="polite" aria-label="Conversation" tabindex="0"></div>' +
    // One panel over the foot of the log for "Past chats" or "Verify your email" (past-chats.js,
    // verify.js); the tools row opens it.
    '<section class="sheet" id="salient-sheet" hidden><div class="sheet-head"><h3></h3>' +
    '<button type="button" class="sheet-close" aria-label="Close panel">' + CLOSE_ICON + '</button></div>' +
    '<div class="sheet-body"></div></section>' +
    '<div class="tools"><button type="button" class="past" aria-controls="salient-sheet" aria-expanded="false">Past chats</button>' +
    '<button type="button" class="verify" aria-controls="salient-sheet" aria-expanded="false" hidden>Verify your email</button>' +
    // "Email summary" (summary.js) and its answer, a polite status line under the row.
    '<button type="button" class="summary" disabled>Email summary</button>' +
    // "Talk to a person" (handoff.js): shown when the settings say the agent has a team.
    '<button type="button" class="talk" hidden>Talk to a person</button><p class="summary-note" role="status" aria-live="polite"></p></div>' +
    '<form class="composer" novalidate><label class="vh" for="salient-input">Your message</label>' +
    '<textarea id="salient-input" rows="1" placeholder="Type your message…" aria-describedby="salient-hint"></textarea>' +
    '<span class="vh" id="salient-hint"></span>' +
    '<button type="submit" class="send" aria-label="Send">' + SEND_ICON + "</button></form>";
  const $ = (selector) => pane.querySelector(selector);
  const log = $(".log");
  const status = $(".status");
  $("h2").textContent = config.title;
  root.appendChild(pane);

  let citeCount = 0;
  const citesOf = new WeakMap(); // answer bubble → { prefix, known }: its sources' ids

  const view = {
    pane: pane,
    log: log,
    form: $("form"),
    textarea: $("textarea"),
    hint: $("#salient-hint"),
    sendButton: $(".send"),
    newButton: $(".new"),
    clearButton: $(".clear"),
    closeButton: $(".close"),
    sheet: $(".sheet"),
    sheetTitle: $(".sheet h3"),
    sheetBody: $(".sheet-body"),
    sheetClose: $(".sheet-close"),
    pastButton: $(".tools .past"),
    verifyButton: $(".tools .verify"),
    summaryButton: $(".tools .summary"),
    summaryNote: $(".summary-note"),
    talkButton: $(".tools .talk"),

    setStatus(kind, text) {
      pane.dataset.status = kind;
      status.textContent = text;
    },

    keepScrolled() {
      log.scrollTop = log.scrollHeight;
    },

    clearLog() {
      log.replaceChildren();
      log.removeAttribute("aria-busy");
    },

    showGreeting() {
      const bubble = bubbleOf("assistant greeting");
      const p = document.createElement("p");
      p.textContent = config.greeting || DEFAULT_GREETING;
      bubble.appendChild(p);
    },

    addUser(text) {
      bubbleOf("user").textContent = text;
    },

    /** A team member's reply (a handoff): the core's sanitized HTML, labelled "Ana · team". */
    addTeam(html, name, id) {
      const bubble = bubbleOf("team");
      bubble.dataset.id = id;
      bubble.innerHTML = '<div class="text"></div>';
      bubble.firstChild.innerHTML = html;
      view.setLabel(bubble, teamLabel(name));
    },

    /** A new answer bubble, marked as streaming (with its typing indicator) until finished. */
    addAssistant() {
      const bubble = bubbleOf("assistant streaming");
      bubble.setAttribute("aria-busy", "true");
      bubble.innerHTML = '<div class="text"></div><div class="typing" aria-hidden="true"><i></i><i></i><i></i></div>';
      return bubble;
    },

    finished(bubble) {
      bubble.classList.remove("streaming");
      bubble.removeAttribute("aria-busy");
    },

    setLabel(bubble, text) {
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = text;
      bubble.insertBefore(label, bubble.firstChild);
    },

    addNotice(bubble, text) {
      const notice = document.createElement("p");
      notice.className = "notice";
      notice.textContent = text;
      bubble.insertBefore(notice, bubble.querySelector(".text"));
    },

    showError(message) {
      const bubble = bubbleOf("error");
      bubble.setAttribute("role", "alert");
      const p = document.createElement("p");
      p.textContent = message;
      bubble.appendChild(p);
      return bubble;
    },

    setBubbleError(bubble, message) {
      const p = document.createElement("p");
      p.className = "error";
      p.setAttribute("role", "alert");
      p.textContent = message;
      bubble.appendChild(p);
    },

    clearErrors() {
      log.querySelectorAll(".msg.error").forEach((bubble) => bubble.remove());
    },

    renderSources: renderSources,
    linkAnswer: linkAnswer,
  };

  function bubbleOf(kind) {
    const bubble = document.createElement("div");
    bubble.className = "msg " + kind;
    log.appendChild(bubble);
    view.keepScrolled();
    return bubble;
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
    linkAnswer(bubble);
  }

  /** Links the answer's [n] to its sources (again after the stream's last block replaced the
   *  tail they were linked in). */
  function linkAnswer(bubble) {
    const cites = citesOf.get(bubble);
    const text = bubble.querySelector(".text");
    if (!cites || !text) return;
    linkCitations(text, cites.known, (n, marker) => {
      const cite = document.createElement("button");
      cite.type = "button";
      cite.className = "cite";
      cite.dataset.target = cites.prefix + n;
      cite.setAttribute("aria-label", "source " + n);
      cite.textContent = marker;
      return cite;
    });
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

  return view;
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
