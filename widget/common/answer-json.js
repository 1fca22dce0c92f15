// An answer as one JSON document, for ui.sse_enabled: false. Instead of reading the event stream,
// the widget and the full-page chat GET the same stream URL with `Accept: application/json`; once
// the answer is complete the server sends
//
//   {"meta": {…the json-format meta event…}, "notices": [{"code", "message"}],
//    "text": "the whole answer", "citations": […the citations event's list…],
//    "error": null | {"code", "message", "retryable"}, "message_id": "…",
//    "handoff": "requested" | "offer" | "quiet" (when one applies, as the stream's done event)}
//
// and refuses a bad, expired or used stream id with an HTTP error and a JSON error body, as the
// event stream does. This checks the document field by field (each caller does its own I/O).

/** The document, each field checked and defaulted; null when `json` is not one. */
export function answerDocument(json) {
  if (!json || typeof json !== "object" || typeof json.text !== "string") return null;
  const meta = json.meta && typeof json.meta === "object" ? json.meta : {};
  const notices = Array.isArray(json.notices)
    ? json.notices.filter((n) => n && typeof n.message === "string" && n.message)
    : [];
  // The list, or the citations event's whole data ({"citations": […]}).
  const raw = Array.isArray(json.citations) ? json.citations : json.citations && json.citations.citations;
  const citations = Array.isArray(raw) ? raw.filter((c) => c && typeof c === "object") : [];
  const e = json.error;
  const error = e && typeof e === "object"
    ? {
      code: typeof e.code === "string" && e.code ? e.code : "error",
      message: typeof e.message === "string" && e.message ? e.message : "The answer was interrupted. Please try again.",
      retryable: e.retryable === true,
    }
    : null;
  const messageId = typeof json.message_id === "string" && json.message_id ? json.message_id : null;
  const handoff = typeof json.handoff === "string" ? json.handoff : null;
  return { meta: meta, notices: notices, text: json.text, citations: citations, error: error, messageId: messageId, handoff: handoff };
}
