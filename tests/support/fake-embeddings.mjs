// A local fake of OpenAI's embeddings API, for tests and benchmarks; also home of the
// deterministic text embedding and of the fault machinery that fake-pinecone.mjs shares.
//
// Theory of operation
// -------------------
// `startFakeEmbeddings()` binds an HTTP server to 127.0.0.1 (never a public interface: tests
// run on shared machines) and returns a handle shaped like fake-openrouter's:
//
//   const fake = await startFakeEmbeddings({ port: 0, apiKey? });
//   fake.url            // "http://127.0.0.1:PORT/v1" — use as the OpenAI base URL
//   fake.enqueue(s...)  // scripted faults for the next requests, FIFO (see "Scenarios")
//   fake.requests       // every request received: {method, path, query, headers, body (parsed
//                       // JSON; null if empty, undefined if unparsable), raw, aborted, scenario}
//   await fake.settled()// resolves once every response has closed (finished or aborted)
//   fake.pending        // scripted scenarios not yet served (counting `times`)
//   fake.reset()        // empties the queue and `requests` (same array object)
//   await fake.close()  // destroys open connections (stalled scenarios) and stops listening
//
// Endpoints (wire format: docs/UPSTREAMS.md, "OpenAI embeddings"):
//   POST /v1/embeddings  needs `Authorization: Bearer <non-empty>` (and, with the `apiKey`
//        option, exactly that key) else 401. Body `{model, input, dimensions?, encoding_format?}`:
//        - model: one of MODELS, or `fake/<scenario>` (below); else 404 model_not_found.
//        - input: a string, an array of 1..2048 strings, or token arrays (number[] / number[][]),
//          as OpenAI accepts them; empty strings and more than 2048 inputs are 400; so is an
//          input over 8192 tokens (countTokens below).
//        - dimensions: integer 1..native size; text-embedding-ada-002 rejects it (fixed size).
//        - encoding_format: "float" (default) or "base64" (little-endian float32, as OpenAI).
//        → `{object:"list", data:[{object:"embedding", index, embedding}], model,
//           usage:{prompt_tokens, total_tokens}}`.
//        Requests rejected here do NOT consume a queued scenario (as in fake-openrouter), so a
//        test that enqueues a fault and then sends a bad request still has its fault waiting.
//   GET  /v1/models      the embedding models, OpenAI's list shape (auth required like OpenAI).
//   anything else        404.
// Every error body is OpenAI's `{"error":{"message","type","param","code"}}`.
//
// The vectors: embedText(text, dims) — a signed hashed bag of words. Lower-cased (NFKC) word
// tokens and, at half the weight, each word's character trigrams are hashed (FNV-1a)
// into `dims` buckets with a hash-chosen sign, then the vector is L2-normalised. So the same
// text always gives the same vector (across runs, machines and both fakes), texts that share
// words have a clearly positive cosine similarity, texts that share none are near 0, and
// inflections ("price"/"prices") still overlap through their trigrams. A few very common
// English words count a quarter, so "the"/"is" do not dominate short queries. A text with no
// word characters hashes its raw string instead, so no vector is all zeros (Pinecone rejects
// those). It is NOT a semantic model: synonyms do not match; tests must share words.
//
// Scenarios (shared with fake-pinecone.mjs), `{ kind, ...options }`, optionally with
// `times: N` (serve the next N matching requests; default 1) and `path: "/v1/embeddings"`
// (only requests to that exact path take it; others pass it by):
//   ok         the normal answer; delayMs delays it.
//   slow       the normal answer after delayMs (default 250 ms).
//   status     an error answer: status (default 429), retryAfter (seconds → Retry-After),
//              message, and body (a value to send *instead of* the vendor's error shape: a
//              string goes out as text/plain, e.g. to play a proxy's HTML error page).
//   stall      read the request, never answer (no head): the client's timeout must fire.
//   reset      read the request, then destroy the socket (a network error, no head).
//   malformed  HTTP 200, Content-Type JSON, a body that is not JSON.
//   truncate   HTTP 200, half of the JSON body, then a clean end.
// Work is done (e.g. Pinecone upserts applied) for ok/slow/malformed/truncate — the server
// processed the request, only the answer went wrong — and NOT for status/stall/reset, so a
// test of retries sees exactly one copy of the data.
// Magic values pick a scenario without enqueueing, for trying failures by hand with curl:
// the model `fake/<name>` here (and in Pinecone's /embed), the namespace `fake/<name>` in
// fake-pinecone, with <name> from MAGIC_SCENARIOS (ok, slow, rate-limit, status-500, stall…).
// A queued scenario wins over a magic value. An unknown `fake/<name>` is a 400.
//
// Running it by hand: `node tests/support/fake-embeddings.mjs [port]` prints the base URL.

import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";

export const MAX_INPUTS = 2048;
export const MAX_INPUT_TOKENS = 8192;

/** Native sizes; `dimensions` may shorten the v3 models only (as OpenAI's API does). */
export const MODELS = {
  "text-embedding-3-small": { dimensions: 1536, shortenable: true },
  "text-embedding-3-large": { dimensions: 3072, shortenable: true },
  "text-embedding-ada-002": { dimensions: 1536, shortenable: false },
};

// --- the embedding -----------------------------------------------------------------------

// Down-weighted rather than dropped: a query made only of these still gets a vector.
const STOPWORDS = new Set(
  "a an and are as at be by do does for from has have how i in is it its of on or our that the this to was we what when where which who why will with you your".split(" "),
);

function fnv1a(str, seed) {
  let h = seed >>> 0;
  for (const byte of Buffer.from(str, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function addFeature(v, feature, weight) {
  const h = fnv1a(feature, 0x811c9dc5);
  // The sign comes from an independent hash so colliding features cancel as often as they
  // add: unrelated texts then average a cosine of 0 instead of drifting positive.
  const sign = fnv1a(feature, 0x9747b28c) & 1 ? 1 : -1;
  v[h % v.length] += sign * weight;
}

/** Lower-cased word tokens (letters and digits in any script). */
export function wordsOf(text) {
  return String(text).normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The deterministic, L2-normalised embedding of `text` with `dims` components (see header). */
export function embedText(text, dims = 1536) {
  if (!Number.isInteger(dims) || dims < 1) throw new RangeError(`embedText: bad dims ${dims}`);
  const v = new Float64Array(dims);
  const words = wordsOf(text);
  for (const w of words) {
    const weight = STOPWORDS.has(w) ? 0.25 : 1;
    addFeature(v, `w:${w}`, weight);
    const chars = Array.from(`^${w}$`); // code points, so a trigram never splits a character
    for (let i = 0; i + 3 <= chars.length && chars.length > 3; i++) {
      addFeature(v, `t:${chars.slice(i, i + 3).join("")}`, weight * 0.5);
    }
  }
  if (words.length === 0 || v.every((x) => x === 0)) addFeature(v, `raw:${text}`, 1);
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return Array.from(v, (x) => x / norm);
}

/** Cosine similarity of two equal-length vectors (0 when either is all zeros). */
export function cosine(a, b) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** A stand-in for a BPE tokenizer: one token per word and per punctuation character, at
 *  least 1 for a non-empty text. Used for usage counts and the per-input token limit. */
export function countTokens(text) {
  const n = String(text).match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0;
  return text === "" ? 0 : Math.max(1, n);
}

// --- the embeddings server ---------------------------------------------------------------

function openAiError(status, message, type, code = null, param = null) {
  const defaults = {
    400: "invalid_request_error", 401: "invalid_request_error", 404: "invalid_request_error",
    429: "requests", 500: "server_error", 502: "server_error", 503: "server_error",
  };
  return { error: { message, type: type ?? defaults[status] ?? "server_error", param, code } };
}

const OPENAI_MESSAGES = {
  401: "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
  429: "Rate limit reached for text-embedding-3-small in organization org-fake on requests per min (RPM): Limit 3000, Used 3000, Requested 1.",
  500: "The server had an error while processing your request. Sorry about that!",
  502: "Bad gateway.",
  503: "The engine is currently overloaded, please try again later.",
};

/** OpenAI's error body for a status, as the fault scenarios send it. */
export function openAiErrorFor(status, message) {
  const code = { 401: "invalid_api_key", 429: "rate_limit_exceeded" }[status] ?? null;
  return openAiError(status, message ?? OPENAI_MESSAGES[status] ?? `HTTP ${status}`, undefined, code);
}

/**
 * Starts the fake. Options: `port` (default 0 = any free port), `apiKey` (when set, the Bearer
 * token must equal it; otherwise any non-empty token is accepted).
 */
export async function startFakeEmbeddings({ port = 0, apiKey } = {}) {
  const fake = await startFakeServer({
    port,
    who: "fake-embeddings",
    errorBody: openAiErrorFor,
    route: (ctx) => route(ctx, apiKey),
  });
  fake.url = `http://127.0.0.1:${fake.port}/v1`; // assigned, not spread: `pending` is a getter
  return fake;
}

function route({ req, url, record }, apiKey) {
  const reject = (status, message, type, code, param) => ({ reply: { status, body: openAiError(status, message, type, code, param) } });
  const isEmbeddings = url.pathname === "/v1/embeddings" && req.method === "POST";
  const isModels = url.pathname === "/v1/models" && req.method === "GET";
  if (!isEmbeddings && !isModels) {
    return reject(404, `Invalid URL (${req.method} ${url.pathname})`, "invalid_request_error");
  }
  const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  if (!auth) {
    return reject(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error");
  }
  if (apiKey !== undefined && auth[1] !== apiKey) {
    return reject(401, OPENAI_MESSAGES[401], "invalid_request_error", "invalid_api_key");
  }
  if (isModels) {
    return {
      respond: () => ({
        status: 200,
        body: {
          object: "list",
          data: Object.keys(MODELS).map((id) => ({ id, object: "model", created: 1705948997, owned_by: "system" })),
        },
      }),
    };
  }

  const body = record.body;
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    return reject(400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)");
  }
  if (typeof body.model !== "string" || body.model === "") {
    return reject(400, "you must provide a model parameter", undefined, null, null);
  }
  const magic = /^fake\/([a-z0-9-]+)$/.exec(body.model)?.[1];
  const model = magic !== undefined ? { dimensions: 1536, shortenable: true } : MODELS[body.model];
  if (!model) {
    return reject(404, `The model \`${body.model}\` does not exist or you do not have access to it.`, "invalid_request_error", "model_not_found");
  }

  const inputs = inputsOf(body.input);
  if (typeof inputs === "string") return reject(400, inputs, undefined, null, "input");
  if (inputs.length > MAX_INPUTS) {
    return reject(400, `'$.input' is invalid. Please check the API reference: the array must have at most ${MAX_INPUTS} elements, got ${inputs.length}.`, undefined, null, "input");
  }
  const tokens = inputs.map((x) => (typeof x === "string" ? countTokens(x) : x.length));
  const longest = Math.max(...tokens);
  if (longest > MAX_INPUT_TOKENS) {
    return reject(400, `This model's maximum context length is ${MAX_INPUT_TOKENS} tokens, however you requested ${longest} tokens in your input. Please reduce your input.`, undefined, null, "input");
  }

  let dims = model.dimensions;
  if (body.dimensions !== undefined) {
    if (!model.shortenable) return reject(400, "This model does not support specifying dimensions.", undefined, null, "dimensions");
    if (!Number.isInteger(body.dimensions) || body.dimensions < 1 || body.dimensions > model.dimensions) {
      return reject(400, `Invalid value for 'dimensions' = ${body.dimensions}. Must be an integer between 1 and ${model.dimensions}.`, undefined, null, "dimensions");
    }
    dims = body.dimensions;
  }
  const format = body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") {
    return reject(400, `Invalid value for 'encoding_format': '${format}'. Supported values are: 'float' and 'base64'.`, undefined, null, "encoding_format");
  }

  return {
    magic,
    respond: () => {
      const data = inputs.map((input, index) => {
        // Token arrays embed as words "tok<id>": deterministic, and equal arrays match.
        const text = typeof input === "string" ? input : input.map((t) => `tok${t}`).join(" ");
        const vector = embedText(text, dims);
        return { object: "embedding", index, embedding: format === "base64" ? toBase64(vector) : vector };
      });
      const total = tokens.reduce((a, b) => a + b, 0);
      return {
        status: 200,
        body: { object: "list", data, model: body.model, usage: { prompt_tokens: total, total_tokens: total } },
      };
    },
  };
}

/** The inputs as a list (strings or token arrays), or an error message. */
function inputsOf(input) {
  const isTokens = (x) => Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t) && t >= 0);
  if (typeof input === "string") return input === "" ? "'$.input' is invalid: an input must not be empty." : [input];
  if (isTokens(input)) return [input];
  if (Array.isArray(input) && input.length > 0) {
    for (const x of input) {
      if (typeof x === "string" ? x === "" : !isTokens(x)) {
        return "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";
      }
    }
    return input;
  }
  return "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";
}

/** OpenAI's base64 encoding: the float32 values, little-endian, base64. */
export function toBase64(vector) {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString("base64");
}

export function fromBase64(text) {
  const buf = Buffer.from(text, "base64");
  return Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
}

// --- shared with fake-pinecone.mjs: server lifecycle, recording, scripted faults ----------

export const SCENARIO_KINDS = new Set(["ok", "slow", "status", "stall", "reset", "malformed", "truncate"]);

/** Scenarios a magic value `fake/<name>` selects. */
export const MAGIC_SCENARIOS = {
  "ok": { kind: "ok" },
  "slow": { kind: "slow", delayMs: 250 },
  "rate-limit": { kind: "status", status: 429, retryAfter: 1 },
  "stall": { kind: "stall" },
  "reset": { kind: "reset" },
  "malformed": { kind: "malformed" },
  "truncate": { kind: "truncate" },
};
for (const status of [400, 401, 403, 404, 429, 500, 502, 503]) {
  MAGIC_SCENARIOS[`status-${status}`] = { kind: "status", status };
}

/**
 * The server both fakes run on. `route(ctx)` gets `{req, url, record}` after the body is read
 * and recorded, and returns either `{reply: {status, body, headers?}}` — sent at once, no
 * scenario consumed (auth and validation failures) — or `{respond, magic?}`: `respond()` does
 * the work and returns `{status, body, headers?}` (body: a value → JSON; a string → as is;
 * undefined → empty), and `magic` names a MAGIC_SCENARIOS entry. `errorBody(status, message)`
 * builds the vendor's error body for `status` scenarios. `parseBody(raw, req)` may replace
 * the JSON parse (Pinecone's NDJSON upsert).
 */
export async function startFakeServer({ port = 0, who, route, errorBody, parseBody = parseJson }) {
  const queue = [];
  const requests = [];
  const open = new Set(); // responses not yet closed, for settled()
  let waiters = [];

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      // A bug in the fake must surface as a failing request, never as a hung test.
      if (!res.headersSent) send(res, { status: 500, body: errorBody(500, `${who}: ${err?.stack ?? err}`) });
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

  function takeScenario(path) {
    const i = queue.findIndex((s) => s.path === undefined || s.path === path);
    if (i < 0) return undefined;
    const s = queue[i];
    if (s.remaining > 1) {
      s.remaining -= 1;
      return s.scenario;
    }
    queue.splice(i, 1);
    return s.scenario;
  }

  async function handle(req, res) {
    const raw = await readBody(req);
    const url = new URL(req.url, "http://fake");
    const record = {
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      body: parseBody(raw, req),
      raw,
      aborted: false,
      scenario: null,
    };
    requests.push(record);
    open.add(res);
    // `aborted` means the *client* went away before the response was complete; the fake's
    // own destroys (reset, close()) set `serverClosed` first so they do not count.
    res.on("close", () => {
      if (!res.writableFinished && !res.serverClosed) record.aborted = true;
      markClosed(res);
    });

    const routed = route({ req, url, record });
    if (routed.reply) return send(res, routed.reply);

    let scenario = takeScenario(record.path);
    if (!scenario && routed.magic !== undefined) {
      scenario = MAGIC_SCENARIOS[routed.magic];
      if (!scenario) return send(res, { status: 400, body: errorBody(400, `unknown fake scenario "fake/${routed.magic}"`) });
    }
    scenario = scenario ?? { kind: "ok" };
    record.scenario = scenario;

    switch (scenario.kind) {
      case "status": {
        const status = scenario.status ?? 429;
        const headers = scenario.retryAfter !== undefined ? { "Retry-After": String(scenario.retryAfter) } : {};
        return send(res, { status, body: scenario.body ?? errorBody(status, scenario.message), headers });
      }
      case "stall":
        return; // never answer; the socket stays open until the client gives up or close()
      case "reset":
        res.serverClosed = true;
        return req.socket.destroy();
      default: {
        const answer = routed.respond(); // the work happens here, before any delay
        const delayMs = scenario.delayMs ?? (scenario.kind === "slow" ? 250 : 0);
        if (delayMs > 0) await pause(res, delayMs);
        if (res.destroyed) return;
        const text = answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
        if (scenario.kind === "malformed") {
          // Valid-looking JSON with a broken tail, as a buggy proxy or a cut buffer gives.
          return sendRaw(res, 200, `${text.slice(0, -1) || "{"},}`, "application/json");
        }
        if (scenario.kind === "truncate") {
          res.writeHead(200, { "Content-Type": "application/json" });
          return res.end(text.slice(0, text.length >> 1));
        }
        return send(res, answer);
      }
    }
  }

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const address = server.address();

  return {
    port: address.port,
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    enqueue(...scenarios) {
      for (const s of scenarios) {
        const scenario = typeof s === "string" ? { kind: s } : { ...s };
        // Fail at enqueue time: a typo would otherwise silently serve the happy path.
        if (!SCENARIO_KINDS.has(scenario?.kind)) throw new Error(`${who}: unknown scenario kind ${scenario?.kind}`);
        const times = scenario.times ?? 1;
        if (!Number.isInteger(times) || times < 1) throw new Error(`${who}: bad times ${scenario.times}`);
        queue.push({ scenario, remaining: times, path: scenario.path });
      }
    },
    /** How many scripted scenarios are still waiting (counting `times`). */
    get pending() {
      return queue.reduce((n, s) => n + s.remaining, 0);
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
      server.closeAllConnections(); // stalled scenarios would otherwise keep close() waiting
      await closed;
    },
  };
}

function send(res, { status, body, headers = {} }) {
  if (body === undefined) {
    res.writeHead(status, { "Content-Length": 0, ...headers });
    return res.end();
  }
  if (typeof body === "string") return sendRaw(res, status, body, "text/plain; charset=utf-8", headers);
  return sendRaw(res, status, JSON.stringify(body), "application/json", headers);
}

function sendRaw(res, status, text, type, headers = {}) {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
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

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on("data", (b) => parts.push(b));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

export function parseJson(text) {
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // distinguishes "sent something unparsable" from "sent nothing"
  }
}

// `node tests/support/fake-embeddings.mjs [port]`: run standalone for trying it by hand.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const fake = await startFakeEmbeddings({ port: Number(process.argv[2] ?? 0) });
  console.log(`fake OpenAI embeddings at ${fake.url} (models fake/<scenario>: ${Object.keys(MAGIC_SCENARIOS).join(", ")})`);
}
