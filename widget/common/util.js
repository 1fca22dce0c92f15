// Small helpers without state, shared by the widget's pane and the full-page chat.

/** A random key; crypto.randomUUID exists only in secure contexts (not on plain-http sites). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => (b + 256).toString(16).slice(1)).join("");
}

/** JSON.parse, or null for anything that is not JSON. */
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    return null;
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The message of a JSON error body ({ error: { message } }), or "". */
export function errorMessageOf(json) {
  return json && json.error && typeof json.error.message === "string" ? json.error.message : "";
}

/**
 * Why a message was not sent, in words for the visitor (the server's own when it gave some). A
 * 429's own message names the limit and the wait (shared/flows/rate_limits.h); without one, the
 * Retry-After seconds are the wait.
 */
export function postErrorText(status, json, retryAfter) {
  const detail = errorMessageOf(json);
  if (status === 413) return "That message is too long. Please shorten it and send again.";
  if (status === 429) {
    const wait = Number(retryAfter) > 0 ? Number(retryAfter) + " seconds" : "a moment";
    return detail || "Too many messages at once. Please wait " + wait + " and try again.";
  }
  if (status >= 500) return "The assistant is unavailable right now. Please try again in a moment.";
  return detail ? "Your message was not sent: " + detail : "Your message was not sent (error " + status + ").";
}
