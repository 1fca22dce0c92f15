// The one host driver: runs Salient's sans-IO function modules (docs/ABI.md) on Web-standard
// Request / Response / ReadableStream / fetch, so the same files serve Node, workerd and Deno.
// Every adapter, test and benchmark imports createSalient from here.
//
// Theory of operation. A request goes to one module (routes.js) and gets an instance of it to
// itself from that module's pool (driver/pool.js; driver/instance.js wraps the reactor ABI). Its
// run (driver/run.js) hands the core the head and body, then calls `next` until WAIT or DONE and
// acts on each step. EFFECT starts a fetch (driver/effect.js); its head, body chunks and end (or
// failure) are fed back (whole, or chunk by chunk as they arrive for `stream` effects), each
// followed by another `next` loop. RESPOND's head is held until the drain ends: a response that
// is complete by then (DONE) is sent as plain bytes; otherwise handle() resolves with a streaming
// Response and later WRITEs are enqueued on it. DONE returns the instance to its pool. JS runs one
// callback at a time, so calls into an instance never interleave; a request never shares its
// instance while in flight, so one request's trap cannot corrupt another's state. A trap (any
// exception from a wasm call) discards the instance; the pool instantiates a fresh one.

import { moduleFor } from "./routes.js";
import { errorText, internalError, readBody, requestId } from "./driver/http.js";
import { Pool } from "./driver/pool.js";
import { Run } from "./driver/run.js";

const ENV_PREFIXES = ["SALIENT_", "OPENROUTER_", "PINECONE_", "OPENAI_", "MAILGUN_", "SUPABASE_"];

const encoder = new TextEncoder();

export function createSalient({
  modules,
  config,
  env = {},
  fetch = globalThis.fetch,
  log = (obj) => console.log(JSON.stringify(obj)),
  now = Date.now,
  knowledge = null, // Uint8Array: the local knowledge index (build/knowledge.bin), for the stream module
  // true: one instance of every module now, so a bad config or module fails at startup. false:
  // each on its module's first request (which answers 500 if it fails), so a cold isolate pays
  // only for the module it serves (Netlify's edge counts that first request's CPU).
  eager = true,
}) {
  const configure = encoder.encode(JSON.stringify({ config, env: coreEnv(env) }));
  const maxBody = config?.limits?.max_body_bytes ?? 65536;
  const pools = {};
  for (const [name, module] of Object.entries(modules)) { // WebAssembly.Module, or () => one (see Pool)
    // Only the stream function retrieves (it answers); the others need not hold a copy.
    pools[name] = new Pool(name, module, configure, name === "stream" ? knowledge : null, log);
    if (eager) pools[name].release(pools[name].acquire());
  }
  // Called unbound: Workers' fetch throws "Illegal invocation" when `this` is not the global.
  const host = { fetch: (url, init) => fetch(url, init), log, now };

  /**
   * `ctx.waitUntil` (Workers, Netlify, Vercel) keeps the platform from dropping the run when the
   * response ends or the client leaves early: the core may still have effects to finish.
   * `clientIp` is the visitor's address from the one source the adapter's platform guarantees
   * (never a header the client could write itself, such as x-forwarded-for); "" when unknown.
   */
  async function handle(request, ctx = undefined, { clientIp = "" } = {}) {
    const url = new URL(request.url);
    const pool = pools[moduleFor(request.method, url.pathname)];
    const { body, truncated } = await readBody(request, maxBody);
    const id = requestId(request.headers);
    const head = encoder.encode(JSON.stringify({
      method: request.method,
      url: url.pathname + url.search,
      headers: [...request.headers], // Headers iterate with lower-case names
      now_ms: now(),
      request_id: id,
      body_truncated: truncated,
      client_ip: typeof clientIp === "string" ? clientIp : "",
    }));
    let instance;
    try {
      instance = pool.acquire();
    } catch (err) {
      log({ level: "error", event: "host.instantiate_failed", module: pool.name, request_id: id, message: errorText(err) });
      return internalError(request);
    }
    return new Promise((resolve) => {
      const run = new Run(host, pool, instance, request, id, resolve);
      ctx?.waitUntil?.(run.done);
      run.start(head, body);
    });
  }

  return { handle };
}

/** Only the variables the core may read cross into the module (ABI: configure). */
function coreEnv(env) {
  const out = {};
  for (const [key, value] of Object.entries(env)) {
    if (typeof value === "string" && ENV_PREFIXES.some((p) => key.startsWith(p))) out[key] = value;
  }
  return out;
}
