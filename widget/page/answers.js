// How an answer reaches its bubble on the full-page chat.
//
// The chat partial's assistant bubble says which: with ui.sse_enabled it opens the event stream
// itself (htmx-ext-sse: sse-connect, sse-swap="meta" | "notice" | "citations", sse-close="done");
// tokens are rendered as markdown here, and the stream's `error` is shown by htmx:sseError below.
// Without SSE it carries data-answer-url instead: the same stream URL, fetched here with
// `Accept: application/json`, answers one document once the answer is complete
// (common/answer-json.js), rendered at once into the same bubble.
//
// Citations: once a bubble's sources list is in (and its answer complete), the answer's [n]
// markers become links to the matching source (common/citations.js). Ids get a per-bubble
// prefix: many answers share one page.

import { answerDocument } from "../common/answer-json.js";
import { linkToList, sourcesList } from "../common/citations.js";
import { errorMessageOf, parseJson } from "../common/util.js";
import { errorEventText, scrollDown, setBubbleError } from "./dom.js";
import { unescapeHtml } from "./markdown.js";

const UNAVAILABLE = "The answer could not be loaded. Please send your message again.";

export function installAnswers(ctx) {
  const { messages } = ctx;
  let citedBubbles = 0;
  const fetches = new Set(); // AbortControllers of the JSON answers on their way

  /** Links the [n] in a bubble's answer to the sources list in `slot`. */
  function linkSources(slot) {
    const bubble = slot.closest(".msg");
    const text = bubble && bubble.querySelector(".text");
    if (text) linkToList(text, slot, "cite" + ++citedBubbles + "-");
  }

  document.addEventListener("htmx:sseOpen", (event) => {
    event.detail.elt.classList.add("streaming");
  });
  document.addEventListener("htmx:sseClose", (event) => {
    const bubble = event.detail.elt;
    bubble.classList.remove("streaming");
    const text = bubble.querySelector(".text.md");
    if (text) ctx.markdown.finish(text);
  });

  // An SSE event named `error` shares its type with EventSource's own connection `error`
  // Event: the source's onerror (so htmx:sseError) fires for both, and an element with
  // `sse-swap="error"` would receive both (htmx fails swapping the data-less one). So htmx
  // never swaps it: both kinds are shown as text by htmx:sseError below.
  document.addEventListener("htmx:sseBeforeMessage", (event) => {
    const message = event.detail;
    if (!message) return;
    if (message.type === "error") {
      event.preventDefault();
    } else if (message.type === "token" && event.target.classList.contains("md")) {
      // Answers are markdown: rendered by the widget's core, not swapped in as text.
      event.preventDefault();
      ctx.markdown.append(event.target, unescapeHtml(message.data));
    }
  });

  // A server `error` event, or the stream could not be opened (expired or used link, network):
  // stream links are single-use, so a reconnect cannot succeed. Say so, and stop the
  // extension from retrying.
  document.addEventListener("htmx:sseError", (event) => {
    const bubble = event.detail.elt;
    if (!bubble || !bubble.hasAttribute("sse-connect")) return;
    const cause = event.detail.error;
    setBubbleError(bubble, cause && typeof cause.data === "string" ? errorEventText(cause.data) : UNAVAILABLE);
    const source = event.detail.source;
    if (source && source.close) source.close();
    bubble.removeAttribute("sse-connect"); // the extension's retry timer then finds nothing to open
    bubble.classList.remove("streaming");
  });

  // (htmx:sseMessage fires on the sse-swap element once the extension has swapped the data in.)
  document.addEventListener("htmx:sseMessage", (event) => {
    const slot = event.target;
    if (!slot || !slot.classList || !slot.classList.contains("sources-slot")) return;
    const text = slot.closest(".msg").querySelector(".text.md");
    if (!text || !ctx.markdown.isRendering(text)) linkSources(slot); // else when the answer is complete
  });

  // Without SSE: each new bubble that names an answer URL fetches it.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== messages) return;
    for (const bubble of messages.querySelectorAll(".msg.assistant[data-answer-url]")) {
      const url = bubble.getAttribute("data-answer-url");
      bubble.removeAttribute("data-answer-url");
      readDocument(bubble, url);
    }
  });

  function readDocument(bubble, url) {
    const controller = new AbortController();
    fetches.add(controller);
    bubble.classList.add("streaming");
    bubble.setAttribute("aria-busy", "true");
    fetch(url, { headers: { accept: "application/json" }, cache: "no-store", credentials: "same-origin", signal: controller.signal })
      .then((response) => response.text().then((body) => {
        const json = parseJson(body);
        const doc = response.ok ? answerDocument(json) : null;
        if (doc) return showDocument(bubble, doc);
        const detail = errorMessageOf(json);
        setBubbleError(bubble, detail ? "The answer could not be loaded: " + detail : UNAVAILABLE);
      }))
      .catch(() => {
        if (!controller.signal.aborted) setBubbleError(bubble, UNAVAILABLE);
      })
      .then(() => {
        fetches.delete(controller);
        bubble.classList.remove("streaming");
        bubble.removeAttribute("aria-busy");
        scrollDown(messages);
      });
  }

  /** One JSON answer into the partial's bubble, as the event stream would have filled it. */
  function showDocument(bubble, doc) {
    const meta = doc.meta;
    const label = bubble.querySelector(".label");
    if (label && meta.mode === "offline" && typeof meta.label === "string") {
      const badge = document.createElement("span"); // as the html-format meta event's
      badge.className = "badge offline";
      badge.title = "Answered without the AI model";
      badge.textContent = meta.label;
      label.replaceChildren(badge);
    }
    const notice = bubble.querySelector(".notice");
    if (notice) notice.textContent = doc.notices.map((n) => n.message).join(" ");
    const text = bubble.querySelector(".text");
    const allow = typeof meta.allow_basic_html === "boolean" ? meta.allow_basic_html : ctx.allowBasicHtml;
    return ctx.markdown.render(text, doc.text, allow).then(() => {
      const slot = bubble.querySelector(".sources-slot");
      const list = sourcesList(doc.citations);
      if (slot && list) {
        slot.replaceChildren(list);
        linkSources(slot);
      }
      if (doc.messageId) bubble.setAttribute("data-message-id", doc.messageId);
      if (doc.error) setBubbleError(bubble, doc.error.message);
      if (doc.handoff && ctx.onHandoff) ctx.onHandoff(doc.handoff, bubble); // handoff.js
    });
  }

  /** Stops the JSON answers on their way: the pane is being emptied. */
  function stopAll() {
    fetches.forEach((controller) => controller.abort());
    fetches.clear();
  }

  ctx.answers = { linkSources: linkSources, stopAll: stopAll };
}
