// The full-page chat's small DOM and request helpers: error bubbles, the form POST htmx would
// send, the JSON POST of "Verify your email", server fragments parsed inertly, and the wording
// of failures.

import { errorMessageOf, parseJson } from "../common/util.js";

/** input#session-key: looked up each time, an out-of-band swap may replace the element. */
export function sessionField() {
  return document.getElementById("session-key");
}

/** A form POST to the chat module, as htmx would send it (HX-Request: errors as fragments). */
export function post(url, fields, signal) {
  return fetch(url, {
    method: "POST",
    headers: { "HX-Request": "true", Accept: "text/html" },
    body: new URLSearchParams(fields),
    credentials: "same-origin",
    signal: signal,
  });
}

/** A JSON POST (the one-time-code routes): { ok, status, json, retryAfter }; throws offline. */
export async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  return { ok: response.ok, status: response.status, json: parseJson(await response.text()), retryAfter: response.headers.get("retry-after") };
}

/** Server-escaped HTML as nodes, parsed inertly (no scripts run, no handlers attached). */
export function parseFragment(html) {
  return Array.from(new DOMParser().parseFromString(html, "text/html").body.childNodes);
}

/** A failed history or session-list load: the server's own words when it sent some. */
export function loadErrorText(what, response, body) {
  const type = response.headers.get("content-type") || "";
  const detail = type.indexOf("text/html") === 0
    ? new DOMParser().parseFromString(body, "text/html").body.textContent.trim()
    : errorMessageOf(parseJson(body || ""));
  if (response.status === 429) return what + ": too many requests. Please wait a moment and reload the page.";
  if (response.status >= 500 || !detail) return what + " (error " + response.status + "). Please try again in a moment.";
  return what + ": " + detail;
}

/** An SSE `error` event's data: JSON {code, message, retryable} or an HTML fragment. */
export function errorEventText(data) {
  const parsed = parseJson(data);
  if (parsed && typeof parsed.message === "string") return parsed.message;
  const text = new DOMParser().parseFromString(data, "text/html").body.textContent.trim();
  return text || "The answer was interrupted. Please try again.";
}

export function showError(messages, text) {
  const bubble = document.createElement("div");
  bubble.className = "msg error";
  bubble.setAttribute("role", "alert");
  bubble.textContent = text;
  messages.appendChild(bubble);
  scrollDown(messages);
}

export function setBubbleError(bubble, text) {
  if (!bubble) return;
  let slot = bubble.querySelector(".error");
  if (!slot) {
    slot = document.createElement("div");
    slot.className = "error";
    bubble.appendChild(slot);
  }
  slot.setAttribute("role", "alert");
  slot.hidden = false;
  slot.textContent = text;
}

export function scrollDown(messages) {
  messages.scrollTop = messages.scrollHeight;
}
