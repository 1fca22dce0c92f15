// The client's side of a request, around the core: reading its body (bounded), its request id,
// and the 500 answers the host gives itself when the core cannot (a trap, a module that fails to
// instantiate, a run that ends without a response head).

const DISCARD_LIMIT_BYTES = 1024 * 1024; // of an oversized request body, read and dropped before the 413
const DISCARD_LIMIT_MS = 2000;

const encoder = new TextEncoder();
const noop = () => {};

export function requestId(headers) {
  const given = headers.get("cf-ray") ?? headers.get("x-request-id");
  if (given && /^[\w.:-]{1,128}$/.test(given)) return given;
  return crypto.randomUUID();
}

/**
 * After "too large", reads and drops the rest of the body before the 413 is sent, at most
 * DISCARD_LIMIT_BYTES or DISCARD_LIMIT_MS, then cancels. Answering while the client still
 * uploads lets the runtime reset the connection (workerd does, once the response is complete),
 * and the client never reads its 413: HTTP servers drain the same way ("lingering close").
 */
async function discardRest(reader) {
  let dropped = 0;
  const deadline = new Promise((resolve) => setTimeout(resolve, DISCARD_LIMIT_MS, "late"));
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === "late" || next.done) break;
      dropped += next.value.length;
      if (dropped > DISCARD_LIMIT_BYTES) break;
    }
  } catch {
    // the client went away: nothing left to drain
  }
  reader.cancel().catch(noop);
}

/** Reads at most `limit + 1` bytes: enough for the core to see "too large" and answer 413. */
export async function readBody(request, limit) {
  const empty = { body: new Uint8Array(0), truncated: false };
  if (request.method === "GET" || request.method === "HEAD" || !request.body) return empty;
  const declared = Number(request.headers.get("content-length"));
  if (declared > limit) {
    await discardRest(request.body.getReader());
    return { body: new Uint8Array(0), truncated: true };
  }
  // A declared length within the limit bounds the body (HTTP framing): read it in one go.
  if (request.headers.has("content-length")) return { body: new Uint8Array(await request.arrayBuffer()), truncated: false };
  const chunks = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > limit) {
      await discardRest(reader);
      break;
    }
  }
  const body = new Uint8Array(Math.min(size, limit + 1));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, body.length - at);
    body.set(part, at);
    at += part.length;
  }
  return { body, truncated: size > limit };
}

function wantsHtml(request) {
  return (request.headers.get("accept") ?? "").includes("text/html");
}

// The headers every core answer carries (shared/http/respond.cpp common_headers), for the host's
// own answer when the core could not give one.
const SECURITY_HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff", "referrer-policy": "same-origin" };
// The error page loads nothing and may be framed by no one.
const ERROR_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function internalError(request) {
  if (wantsHtml(request)) {
    return new Response(
      "<!doctype html><meta charset=utf-8><title>Error</title><h1>Something went wrong</h1>" +
        "<p>Please try again in a moment.</p>\n",
      { status: 500, headers: { "content-type": "text/html; charset=utf-8", ...SECURITY_HEADERS, "content-security-policy": ERROR_PAGE_CSP } },
    );
  }
  return new Response('{"error":{"code":"internal","message":"internal error"}}', {
    status: 500,
    headers: { "content-type": "application/json", ...SECURITY_HEADERS },
  });
}

/** What ends an event stream that had already started when its instance trapped. */
export const SSE_INTERNAL_ERROR = encoder.encode(
  'event: error\ndata: {"code":"internal","message":"internal error","retryable":true}\n\n',
);

/** An error's message for a log line or an effect failure, bounded, with its cause's code. */
export function errorText(err) {
  const code = err?.cause?.code ? ` (${err.cause.code})` : "";
  return String(err?.message ?? err).slice(0, 200) + code;
}
