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
//
// sweep() is the platforms' scheduled entry (cron triggers, scheduled functions, the dev timer):
// it runs the summary module on a synthetic request whose head alone carries `scheduled: true`.
// No public request can become one: handle() never sets the field, and it is the field, not the
// URL, that makes the core sweep (docs/ABI.md, the request head).
//
// Logs. Every entry, the core's (LOG steps) and the driver's own (http.request, host.*), reaches
// the host's `log` redacted (driver/redact.js): emails, phone numbers, card-like numbers, one-time
// codes and the values of `env`'s secrets are replaced in every string at any depth, whatever the
// field, so no host's log (stdout, the dev server's JSONL file, a platform's log drain) holds them.
// The warn and error entries, as redacted, are also queued (at most 100, driver/log-flush.js)
// and, after a run, sent to the otp module on a synthetic request whose head alone carries
// `log_flush: true`, which stores them for the admin's Warnings page (flushLog; one at a time;
// the flush's own lines are never queued). Only when there is a store (SUPABASE_URL).
//
// Metrics. Per isolate or process (driver/metrics.js): requests by module, route name and status,
// upstream errors by upstream and kind, 429s by route; a GET /metrics head alone carries them
// (`instance_metrics`), for the otp module to render beside the store's counters.

import { bodyLimitFor, moduleFor } from "./routes.js";
import { errorText, internalError, readBody, requestId } from "./driver/http.js";
import { Pool } from "./driver/pool.js";
import { Run } from "./driver/run.js";
import { redactingLog } from "./driver/redact.js";
import { createMetrics, wantsInstanceMetrics } from "./driver/metrics.js";
import { createLogQueue, queueingLog } from "./driver/log-flush.js";

const ENV_PREFIXES = ["SALIENT_", "OPENROUTER_", "PINECONE_", "OPENAI_", "MAILGUN_", "SUPABASE_"];

const encoder = new TextEncoder();
// The sweep's synthetic request (the URL names it in logs; `scheduled: true` is what counts).
const SWEEP_URL = "/internal/sweep";
const SWEEP_TRIGGER = /^[a-z][a-z0-9-]{0,31}$/;
const SWEEP_COUNTS = ["claimed", "sent", "failed", "unknown"];
// The log flush's synthetic request (`log_flush: true` is what counts; driver/log-flush.js).
const LOG_FLUSH_URL = "/internal/log-flush";

export function createSalient({
  modules,
  config,
  env = {},
  fetch = globalThis.fetch,
  log = (obj) => console.log(JSON.stringify(obj)),
  now = Date.now,
  knowledge = null, // Uint8Array: the local knowledge index (build/knowledge.bin), for stream and summary
  // true: one instance of every module now, so a bad config or module fails at startup. false:
  // each on its module's first request (which answers 500 if it fails), so a cold isolate pays
  // only for the module it serves (Netlify's edge counts that first request's CPU).
  eager = true,
}) {
  // Before anything can log: the one place every entry passes (the pools' wasm.output too).
  // Its warnings and errors, redacted, are also queued for the store (flushLog); the flush's
  // own failure line goes to `unqueuedLog` only.
  const logQueue = createLogQueue({ now });
  const unqueuedLog = redactingLog(log, env);
  log = redactingLog(queueingLog(log, logQueue), env);
  const metrics = createMetrics({ env, now }); // per instance (driver/metrics.js)
  const hasStore = typeof env.SUPABASE_URL === "string" && env.SUPABASE_URL !== "";
  const configure = encoder.encode(JSON.stringify({ config, env: coreEnv(env) }));
  const maxBody = config?.limits?.max_body_bytes ?? 65536;
  const pools = {};
  for (const [name, module] of Object.entries(modules)) { // WebAssembly.Module, or () => one (see Pool)
    // stream retrieves passages for its answers; summary reads the business's own contact
    // details there (never taken for the visitor's). The others need not hold a copy.
    const wantsKnowledge = name === "stream" || name === "summary";
    pools[name] = new Pool(name, module, configure, wantsKnowledge ? knowledge : null, log);
    if (eager) pools[name].release(pools[name].acquire());
  }
  // Called unbound: Workers' fetch throws "Illegal invocation" when `this` is not the global.
  const host = { fetch: (url, init) => fetch(url, init), log, now, metrics };

  /**
   * `ctx.waitUntil` (Workers, Netlify, Vercel) keeps the platform from dropping the run when the
   * response ends or the client leaves early: the core may still have effects to finish.
   * `clientIp` is the visitor's address from the one source the adapter's platform guarantees
   * (never a header the client could write itself, such as x-forwarded-for); "" when unknown.
   */
  async function handle(request, ctx = undefined, { clientIp = "" } = {}) {
    const url = new URL(request.url);
    const pool = pools[moduleFor(request.method, url.pathname)];
    const { body, truncated } = await readBody(request, bodyLimitFor(request.method, url.pathname, maxBody));
    const id = requestId(request.headers);
    const head = { // never `scheduled`: only sweep() sets that
      method: request.method,
      url: url.pathname + url.search,
      headers: [...request.headers], // Headers iterate with lower-case names
      now_ms: now(),
      request_id: id,
      body_truncated: truncated,
      client_ip: typeof clientIp === "string" ? clientIp : "",
    };
    // The scrape alone gets this isolate's counters (never `log_flush`: only flushLog sets that).
    if (wantsInstanceMetrics(request.method, url.pathname)) head.instance_metrics = metrics.snapshot();
    const { answer, done } = run(pool, head, body, request, id);
    const after = done.then(afterRun); // the queued warnings go to the store after the run
    ctx?.waitUntil?.(after);
    return answer;
  }

  /**
   * One run of `pool`'s module on `head` (an object, encoded here) and `body`: `answer` resolves
   * with the response (its body may still stream), `done` once the run is over. `request` is what
   * the answer is for (its method, URL and Accept shape the 500s and the request's log line).
   */
  function run(pool, head, body, request, id) {
    let instance;
    try {
      instance = pool.acquire();
    } catch (err) {
      log({ level: "error", event: "host.instantiate_failed", module: pool.name, request_id: id, message: errorText(err) });
      return { answer: Promise.resolve(internalError(request)), done: Promise.resolve() };
    }
    let started;
    const answer = new Promise((resolve) => {
      started = new Run(host, pool, instance, request, id, resolve);
      started.start(encoder.encode(JSON.stringify(head)), body);
    });
    return { answer, done: started.done };
  }

  /**
   * The scheduled sweep (the summary module's, issue 17): summarizes and emails idle
   * conversations, at most `limit` of them this run. `trigger` names the entry point in the
   * core's log ("cloudflare-cron", "netlify-schedule", "vercel-cron", "after-chat", "dev-timer",
   * "cli"). Resolves once the whole run is over, with `{ status, body }` (body: the parsed JSON
   * `{claimed, sent, failed, unknown, more}`, an error object, or the text when not JSON); never
   * rejects, and logs one host.sweep line with the counts. A bad trigger or limit (a host's bug)
   * throws a TypeError at once. `ctx.waitUntil`, when given, is handed the same promise.
   */
  function sweep({ trigger, limit } = {}, ctx = undefined) {
    if (typeof trigger !== "string" || !SWEEP_TRIGGER.test(trigger)) throw new TypeError(`sweep: bad trigger ${JSON.stringify(trigger)}`);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new TypeError(`sweep: limit must be an integer from 1 to 1000, not ${limit}`);
    const swept = sweepOnce(trigger, limit).then(async (result) => {
      await afterRun();
      return result;
    });
    ctx?.waitUntil?.(swept);
    return swept;
  }

  async function sweepOnce(trigger, limit) {
    const startedAt = now();
    const id = crypto.randomUUID();
    const pool = pools.summary;
    let status = 500, body = { error: { code: "internal", message: "internal error" } };
    if (!pool) {
      body = { error: { code: "misconfigured", message: "no summary module" } };
    } else {
      const request = new Request(`http://salient.internal${SWEEP_URL}`, {
        method: "POST", headers: { accept: "application/json", "content-type": "application/json" },
      });
      const head = {
        method: "POST",
        url: SWEEP_URL,
        headers: [...request.headers],
        now_ms: startedAt,
        request_id: id,
        body_truncated: false,
        client_ip: "",
        scheduled: true, // set here only: handle() never does
      };
      try {
        const { answer, done } = run(pool, head, encoder.encode(JSON.stringify({ trigger, limit })), request, id);
        const response = await answer;
        status = response.status;
        const text = await response.text();
        await done; // the run's last effects, after its answer (none, as the core answers at the end)
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      } catch (err) {
        log({ level: "error", event: "host.sweep_failed", request_id: id, trigger, message: errorText(err) });
        status = 500;
      }
    }
    const counts = {};
    if (body && typeof body === "object") {
      for (const key of SWEEP_COUNTS) if (Number.isInteger(body[key])) counts[key] = body[key];
      if (typeof body.more === "boolean") counts.more = body.more;
      if (typeof body.error?.code === "string") counts.error_code = body.error.code;
    }
    log({
      level: status === 200 ? "info" : "error", event: "host.sweep", request_id: id, trigger, limit, status,
      ...counts, latency_ms: Math.round(now() - startedAt),
    });
    return { status, body };
  }

  /** After a run: sends the queued warnings when there are any (never rejects). */
  function afterRun() {
    return logQueue.size > 0 || logQueue.dropped > 0 ? flushLog() : undefined;
  }

  let flushing = null;

  /**
   * Sends the queued warnings and errors (at most one batch) to the otp module, which stores them
   * for the admin's Warnings page. Resolves with `{ status, sent }` (status null when nothing was
   * sent: nothing queued, no store (SUPABASE_URL), no otp module); never rejects. One flush at a
   * time: a call while one is in flight gets that one's promise. Lines are not sent twice: a
   * batch that fails is dropped, with one line in the host's log (not queued).
   */
  function flushLog() {
    flushing ??= flushOnce().finally(() => (flushing = null));
    return flushing;
  }

  async function flushOnce() {
    const pool = pools.otp;
    if (!hasStore || !pool || (logQueue.size === 0 && logQueue.dropped === 0)) return { status: null, sent: 0 };
    const lines = logQueue.take();
    const id = crypto.randomUUID();
    logQueue.ignored.add(id); // its run's own lines are never queued
    const request = new Request(`http://salient.internal${LOG_FLUSH_URL}`, {
      method: "POST", headers: { accept: "application/json", "content-type": "application/json" },
    });
    const head = {
      method: "POST",
      url: LOG_FLUSH_URL,
      headers: [...request.headers],
      now_ms: now(),
      request_id: id,
      body_truncated: false,
      client_ip: "",
      log_flush: true, // set here only: handle() never does
    };
    let status = 500;
    try {
      const { answer, done } = run(pool, head, encoder.encode(JSON.stringify(lines)), request, id);
      const response = await answer;
      status = response.status;
      await response.arrayBuffer();
      await done;
    } catch (err) {
      unqueuedLog({ level: "warn", event: "host.log_flush_failed", module: "otp", request_id: id, lines: lines.length, message: errorText(err) });
      return { status, sent: 0 };
    } finally {
      logQueue.ignored.delete(id);
    }
    if (status !== 200) {
      // 404: a module built before it stores lines; dropped quietly (an info line).
      unqueuedLog({
        level: status >= 500 ? "warn" : "info", event: "host.log_flush_failed", module: "otp", request_id: id,
        lines: lines.length, status,
      });
      return { status, sent: 0 };
    }
    return { status, sent: lines.length };
  }

  return { handle, sweep, flushLog, metrics: () => metrics.snapshot() };
}

/** Only the variables the core may read cross into the module (ABI: configure). */
function coreEnv(env) {
  const out = {};
  for (const [key, value] of Object.entries(env)) {
    if (typeof value === "string" && ENV_PREFIXES.some((p) => key.startsWith(p))) out[key] = value;
  }
  return out;
}
