// One answer, from the stream URL the chat POST returned into a new assistant bubble.
//
// With ui.sse_enabled (the default) the event stream is read with fetch(): its bytes go through
// the core's SSE parser, token texts through the core's streaming markdown renderer ("commit"
// HTML is appended, "tail" HTML replaces the previous tail) until `done`. A dropped connection
// is resumed with `Last-Event-ID` (a few tries with backoff, the header shows "Reconnecting…");
// when the server cannot resume (410) or the tries run out, the stored answer is fetched from the
// history instead. Without SSE the same URL answers one JSON document once the answer is
// complete (common/answer-json.js), rendered at once; a failed fetch falls back to the history.
// Either way the end of the answer may name a handoff (done.handoff), handed to p.onHandoff.
//
// `p` is the pane's shared state (index.js): its view, server, core, render options and turn.

import { parseJson, sleep } from "../common/util.js";
import { refusalText, streamErrorText } from "./server.js";

const RECONNECT_MS = [400, 1000, 2000, 4000]; // one entry per try after a dropped stream
const INTERRUPTED = "The answer was interrupted. Please send your message again.";

/**
 * Streams one answer into a new assistant bubble. Resolves when it is complete, failed or
 * abandoned (New chat, Clear, another conversation); never rejects.
 */
export async function streamAnswer(p, streamUrl, userMessageId, key) {
  const { view } = p;
  const bubble = view.addAssistant();
  const text = bubble.querySelector(".text");
  const controller = new AbortController();
  const mine = (p.turn = { controller: controller });
  const url = new URL(streamUrl, p.server.api).href;
  const answer = { text: "", outcome: null }; // outcome: "done" | "error" | "restore"
  const fail = (code, message) => {
    answer.outcome = "error";
    view.setBubbleError(bubble, message);
    p.emit("error", { code: code, message: message });
  };
  view.setStatus("typing", "Typing…");

  try {
    const c = await p.core();
    if (controller.signal.aborted) return;
    if (p.settings.sseEnabled) await readEvents(p, c, url, bubble, answer, controller.signal, fail);
    else await readDocument(p, c, url, bubble, answer, controller.signal, fail);
    if (controller.signal.aborted) return;
    if (answer.outcome === "restore") {
      view.setStatus("reconnecting", "Reconnecting…");
      const stored = await p.server.storedAnswer(key, userMessageId, controller.signal);
      if (controller.signal.aborted) return;
      if (stored) {
        text.innerHTML = c.renderMarkdown(stored.content, p.render);
        if (Array.isArray(stored.citations)) view.renderSources(bubble, stored.citations);
        answer.text = stored.content;
        answer.outcome = "done";
      } else fail("interrupted", INTERRUPTED);
    }
    if (answer.outcome === "done") p.emit("message", { role: "assistant", text: answer.text, id: bubble.dataset.id || null, sessionKey: key });
  } catch (error) {
    if (!controller.signal.aborted) fail("core_unavailable", "The chat could not be loaded. Please reload the page and try again.");
  } finally {
    view.finished(bubble);
    if (p.turn === mine) {
      p.turn = null;
      view.setStatus(answer.outcome === "error" ? "error" : "online", answer.outcome === "error" ? "Interrupted" : "");
    }
  }
}

/** The event stream, resumed after drops; leaves answer.outcome set (or returns when aborted). */
async function readEvents(p, c, url, bubble, answer, signal, fail) {
  const { view } = p;
  const text = bubble.querySelector(".text");
  const tail = document.createElement("div");
  tail.className = "tail";
  text.appendChild(tail);
  let renderer = c.createRenderer(p.render);
  let lastId = "";
  let tries = 0;
  const put = (step) => {
    if (step.commit) tail.insertAdjacentHTML("beforebegin", step.commit);
    tail.innerHTML = step.tail || "";
    view.keepScrolled();
  };

  function handle(event) {
    const data = parseJson(event.data) || {};
    switch (event.event) {
      case "meta":
        if (data.mode === "offline" && typeof data.label === "string") view.setLabel(bubble, data.label);
        // ui.allow_basic_html: meta comes before any token, so the renderer is still empty.
        if (typeof data.allow_basic_html === "boolean" && data.allow_basic_html !== p.render.allowBasicHtml) {
          p.render.allowBasicHtml = data.allow_basic_html;
          renderer.free();
          renderer = c.createRenderer(p.render);
        }
        break;
      case "notice":
        if (typeof data.message === "string") view.addNotice(bubble, data.message);
        break;
      case "token":
        if (typeof data.text === "string" && data.text) {
          answer.text += data.text;
          put(renderer.append(data.text));
        }
        break;
      case "citations":
        if (Array.isArray(data.citations)) view.renderSources(bubble, data.citations);
        break;
      case "error":
        put(renderer.finish());
        fail(typeof data.code === "string" ? data.code : "error",
          typeof data.message === "string" ? data.message : "The answer was interrupted. Please try again.");
        break;
      case "done":
        put(renderer.finish());
        view.linkAnswer(bubble);
        if (typeof data.message_id === "string") bubble.dataset.id = data.message_id;
        if (data.handoff) p.onHandoff(data.handoff, bubble); // "requested" | "offer" | "quiet" (handoff.js)
        answer.outcome = "done";
        break;
    }
  }

  try {
    while (!answer.outcome) {
      if (signal.aborted) return;
      let dropped = false;
      let progressed = false;
      const parser = c.createSseParser();
      try {
        const response = await p.server.openStream(url, lastId, signal);
        if (!response.ok || !response.body) {
          const body = await response.text().catch(() => "");
          if (lastId && response.status === 410) answer.outcome = "restore"; // cannot resume: use the stored answer
          else if (response.status >= 500 || response.status === 429) dropped = true;
          else fail("stream_" + response.status, streamErrorText(c, body));
        } else {
          if (tries) view.setStatus("typing", "Typing…");
          const reader = response.body.getReader();
          while (!answer.outcome) {
            const chunk = await reader.read();
            if (chunk.done) break;
            for (const event of parser.feed(chunk.value)) {
              progressed = true;
              if (event.id) lastId = event.id;
              handle(event);
              if (answer.outcome) break;
            }
          }
          if (answer.outcome) reader.cancel().catch(() => {});
          else dropped = true; // the stream ended before `done`
        }
      } catch (error) {
        if (signal.aborted) return;
        dropped = true; // a network error mid-stream
      } finally {
        parser.free();
      }
      if (dropped) {
        if (progressed) tries = 0;
        if (tries >= RECONNECT_MS.length) answer.outcome = "restore";
        else {
          view.setStatus("reconnecting", "Reconnecting…");
          await sleep(RECONNECT_MS[tries++]);
        }
      }
    }
    if (answer.outcome === "restore") put(renderer.finish()); // what arrived stays until the stored answer replaces it
  } finally {
    renderer.free();
  }
}

/** The answer as one JSON document, rendered at once; leaves answer.outcome set. */
async function readDocument(p, c, url, bubble, answer, signal, fail) {
  const { view } = p;
  let reply;
  try {
    reply = await p.server.answerJson(url, signal);
  } catch (error) {
    if (!signal.aborted) answer.outcome = "restore"; // the answer is stored even if this failed
    return;
  }
  const doc = reply.doc;
  if (!doc) {
    if (reply.status >= 500 || reply.status === 429 || reply.status < 300) answer.outcome = "restore";
    else fail("stream_" + reply.status, refusalText(reply.message));
    return;
  }
  const meta = doc.meta;
  if (meta.mode === "offline" && typeof meta.label === "string") view.setLabel(bubble, meta.label);
  if (typeof meta.allow_basic_html === "boolean") p.render.allowBasicHtml = meta.allow_basic_html;
  for (const notice of doc.notices) view.addNotice(bubble, notice.message);
  bubble.querySelector(".text").innerHTML = c.renderMarkdown(doc.text, p.render);
  answer.text = doc.text;
  if (doc.citations.length) view.renderSources(bubble, doc.citations);
  if (doc.messageId) bubble.dataset.id = doc.messageId;
  if (doc.handoff) p.onHandoff(doc.handoff, bubble);
  view.keepScrolled();
  if (doc.error) fail(doc.error.code, doc.error.message);
  else answer.outcome = "done";
}
