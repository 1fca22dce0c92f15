// All of the pane's requests, under /a/<agent>/ on the widget's own host (config.base):
//   GET  settings              the agent's UI keys (salient.yaml chat.input, ui), on the first open
//   POST chat                  the visitor's message → { stream_url, message_id }
//   GET  <stream_url>          the answer: an event stream, or one JSON document (ui.sse_enabled off)
//   POST history               a stored conversation (a restore, or an answer a dropped stream lost)
//   POST identify              the visitor's details on the conversation
//   POST sessions              titles of this browser's conversations ("Past chats")
//   POST summary               "Email summary": the conversation's summary to the sales team
//   POST /otp/request, /otp/verify   "Verify your email" (common/verify.js), at the host's root
// Each returns what came back (status and parsed JSON) or throws on a network error; callers turn
// both into a message in the pane.

import { answerDocument } from "../common/answer-json.js";
import { errorMessageOf, parseJson, sleep } from "../common/util.js";

const HISTORY_TRIES = 5; // looking for an interrupted answer in the history, 1 s apart
const SETTINGS_WAIT_MS = 3000; // after that the pane keeps its defaults

export function createServer(config) {
  const api = new URL("/a/" + encodeURIComponent(config.agent) + "/", config.base).href;
  const otp = new URL("/otp/", config.base).href;

  async function postJson(path, body, signal) {
    return postTo(api + path, body, signal);
  }

  async function postTo(url, body, signal) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      signal: signal,
    });
    // Retry-After reads null cross-origin unless the server exposes it (CORS): the message says the wait too.
    return { ok: response.ok, status: response.status, json: parseJson(await response.text()), retryAfter: response.headers.get("retry-after") };
  }

  return {
    /** The agent's API folder: /a/<agent>/ on the widget's host. */
    api: api,
    postJson: postJson,
    /** POST /otp/<path> (request | verify) on the widget's host. */
    otp: (path, body) => postTo(otp + path, body),
    /** The agent's privacy page, where a visitor erases what is kept about them. */
    privacyUrl: api + "privacy",

    /** The settings JSON, or null (an error, a timeout, not an object): the caller's defaults hold. */
    async settings() {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), SETTINGS_WAIT_MS);
      try {
        const response = await fetch(api + "settings", {
          headers: { accept: "application/json" },
          credentials: "same-origin",
          signal: controller.signal,
        });
        const json = response.ok ? parseJson(await response.text()) : null;
        return json && typeof json === "object" ? json : null;
      } catch (error) {
        return null;
      } finally {
        clearTimeout(timer);
      }
    },

    /** The answer's event stream (resumed after `lastId` when given). */
    openStream(url, lastId, signal) {
      const headers = { accept: "text/event-stream" };
      if (lastId) headers["last-event-id"] = lastId;
      return fetch(url, { headers: headers, signal: signal, cache: "no-store" });
    },

    /** The whole answer as one document: { status, doc } (doc null when refused or malformed). */
    async answerJson(url, signal) {
      const response = await fetch(url, { headers: { accept: "application/json" }, signal: signal, cache: "no-store" });
      const json = parseJson(await response.text());
      const doc = response.ok ? answerDocument(json) : null;
      return { status: response.status, doc: doc, message: doc ? "" : errorMessageOf(json) };
    },

    /** The stored answer to `userMessageId`, looked for a few times (it may still be in the works). */
    async storedAnswer(key, userMessageId, signal) {
      for (let i = 0; i < HISTORY_TRIES && !signal.aborted; i++) {
        if (i) await sleep(1000);
        try {
          const reply = await postJson("history", { session_key: key }, signal);
          const messages = reply.ok && reply.json && Array.isArray(reply.json.messages) ? reply.json.messages : [];
          const asked = messages.findIndex((m) => m && m.id === userMessageId);
          const found = asked >= 0 && messages.slice(asked + 1).find((m) => m && m.role === "assistant");
          if (found && typeof found.content === "string") return found;
        } catch (error) {
          // offline for a moment: try again
        }
      }
      return null;
    },
  };
}

export function errorCode(json, status) {
  return (json && json.error && typeof json.error.code === "string" && json.error.code) || "http_" + status;
}

/** The message of an event stream's refusal (an SSE `error` event or a JSON error body). */
export function streamErrorText(c, body) {
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
  message = message || errorMessageOf(parseJson(body));
  return refusalText(message);
}

/** A refused answer in words for the visitor (the server's own when it gave some). */
export function refusalText(message) {
  return message ? "The answer could not be loaded: " + message : "The answer could not be loaded. Please send your message again.";
}
