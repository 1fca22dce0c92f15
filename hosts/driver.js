// The one host driver: runs Salient's sans-IO function modules (docs/ABI.md) on Web-standard
// Request / Response / ReadableStream / fetch, so the same file serves Node, workerd and deno.
//
// Theory of operation. A request goes to one module (routes.js) and gets an instance of it to
// itself: `start` hands the core the head and body, then the driver calls `next` until WAIT or
// DONE and acts on each step. EFFECT starts a fetch; its head, body chunks and end (or failure)
// are fed back (whole, or chunk by chunk as they arrive for `stream` effects), each followed by
// another `next` loop. RESPOND's head is held until the drain ends: a response that is complete
// by then (DONE) is sent as plain bytes; otherwise handle() resolves with a streaming Response
// and later WRITEs are enqueued on it. DONE returns the instance to its pool. JS runs one callback at a time, so calls into an instance
// never interleave; a request never shares its instance while in flight, so one request's trap
// cannot corrupt another's state. A trap (any exception from a wasm call) discards the instance.

import { moduleFor } from "./routes.js";

const WAIT = 0, EFFECT = 1, RESPOND = 2, WRITE = 3, DONE = 4, CANCEL_EFFECT = 5, LOG = 6, YIELD = 7;
const ABI_VERSION = 4; // the reactor ABI this driver speaks (docs/ABI.md)
// After YIELD: run again once what was written has gone out (the body's reader runs in
// microtasks; setImmediate, where there is one, runs after them and after pending I/O).
const soon = typeof setImmediate === "function" ? setImmediate : (fn) => setTimeout(fn, 0);
const ENV_PREFIXES = ["SALIENT_", "OPENROUTER_", "PINECONE_", "OPENAI_", "MAILGUN_", "SUPABASE_"];
const MAX_IDLE = 8; // idle instances kept per module after a burst; more are left to the GC
const DEFAULT_EFFECT_TIMEOUT_MS = 10000;
const STREAM_HIGH_WATER_BYTES = 64 * 1024; // client body queue before effect reads pause
const DISCARD_LIMIT_BYTES = 1024 * 1024; // of an oversized request body, read and dropped before the 413
const DISCARD_LIMIT_MS = 2000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const json = (bytes) => JSON.parse(decoder.decode(bytes));
const noop = () => {};

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
   */
  async function handle(request, ctx = undefined) {
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

function requestId(headers) {
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
async function readBody(request, limit) {
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

function internalError(request) {
  if (wantsHtml(request)) {
    return new Response(
      "<!doctype html><meta charset=utf-8><title>Error</title><h1>Something went wrong</h1>" +
        "<p>Please try again in a moment.</p>\n",
      { status: 500, headers: { "content-type": "text/html; charset=utf-8" } },
    );
  }
  return new Response('{"error":{"code":"internal","message":"internal error"}}', {
    status: 500,
    headers: { "content-type": "application/json" },
  });
}

const SSE_INTERNAL_ERROR = encoder.encode(
  'event: error\ndata: {"code":"internal","message":"internal error","retryable":true}\n\n',
);

// ---------------------------------------------------------------------------------------------
// Instances and pools

class Pool {
  /** `source`: a WebAssembly.Module, or a function that makes it when the pool first needs it. */
  constructor(name, source, configure, knowledge, log) {
    Object.assign(this, { name, source, module: null, configure, knowledge, log, idle: [] });
  }
  acquire() {
    if (this.idle.length > 0) return this.idle.pop();
    this.module ??= typeof this.source === "function" ? this.source() : this.source;
    return new Instance(this.module, this.configure, this.knowledge, this.log);
  }
  release(instance) {
    if (!instance.broken && this.idle.length < MAX_IDLE) this.idle.push(instance);
  }
}

class Instance {
  constructor(module, configure, knowledge, log) {
    this.broken = false;
    this.scratch = 0;
    this.scratchLen = 0;
    const wasi = wasiImports(module, () => this.x.memory, log);
    this.x = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi }).exports;
    this.x._initialize();
    // Older modules lack the output slot's idle word, which drain() reads, and write an
    // effect's body into its JSON (docs/ABI.md).
    const abi = this.x.salient_abi_version?.() ?? 0;
    if (abi < ABI_VERSION) throw new Error(`the module speaks reactor ABI ${abi}; this driver needs ${ABI_VERSION}: rebuild it (./scripts/build)`);
    this.slot = this.x.salient_output_slot() >>> 2; // {ptr, len, idle} of the last step, as u32 indexes
    if (this.x.salient_configure(this.input(configure), configure.length) !== 0) {
      throw new Error("salient_configure failed: " + decoder.decode(this.output()));
    }
    if (knowledge && this.x.salient_knowledge(this.input(knowledge), knowledge.length) !== 0) {
      throw new Error("salient_knowledge failed: " + decoder.decode(this.output()));
    }
  }

  /**
   * A byte view of the whole memory, re-made only when a call has grown the memory: growing
   * detaches the old buffer, whose views then have length 0. (Reading `memory.buffer` on every
   * call is a runtime call per relayed piece.)
   */
  bytes() {
    if (!this.u8?.byteLength) {
      this.u8 = new Uint8Array(this.x.memory.buffer);
      this.u32 = new Uint32Array(this.u8.buffer);
    }
    return this.u8;
  }

  /** Copies bytes into the scratch buffer (grown as needed) and returns its address. */
  input(bytes, extra = null) {
    const need = bytes.length + (extra?.length ?? 0);
    if (need > this.scratchLen) {
      if (this.scratch) this.x.salient_free(this.scratch);
      this.scratchLen = Math.max(need, 2 * this.scratchLen, 4096);
      this.scratch = this.x.salient_alloc(this.scratchLen);
      if (!this.scratch) throw new Error("salient_alloc failed");
    }
    const u8 = this.bytes();
    u8.set(bytes, this.scratch);
    if (extra) u8.set(extra, this.scratch + bytes.length);
    return this.scratch;
  }

  /** The last step's bytes: a view valid only until the next call into the module. */
  output() {
    const u8 = this.bytes(), ptr = this.u32[this.slot], len = this.u32[this.slot + 1];
    return u8.subarray(ptr, ptr + len);
  }

  /**
   * EFFECT's bytes: the effect's JSON line, then its request body raw (docs/ABI.md), copied out
   * as `body` (a Uint8Array; absent when empty) for fetch to send as it is.
   */
  effectOutput() {
    const out = this.output();
    let nl = out.indexOf(10);
    if (nl < 0) nl = out.length;
    const spec = json(out.subarray(0, nl));
    if (nl + 1 < out.length) spec.body = out.slice(nl + 1);
    return spec;
  }

  /** Whether the last step was the last one for now: salient_next would return WAIT. */
  idle() {
    this.bytes(); // the step may have grown the memory
    return this.u32[this.slot + 2] !== 0;
  }

  /** A copy of the last step's bytes, for WRITE: the one allocation per relayed chunk. */
  outputCopy() {
    const u8 = this.bytes(), ptr = this.u32[this.slot], len = this.u32[this.slot + 1];
    return u8.slice(ptr, ptr + len);
  }

  start(head, body) {
    const ptr = this.input(head, body);
    const handle = this.x.salient_start(ptr, head.length, ptr + head.length, body.length);
    if (handle === 0) throw new Error("salient_start returned 0 (not configured)");
    return handle;
  }
}

/**
 * WASI preview1, just what a reactor that reads no clock, file or environment needs; whatever
 * else the module imports (libc links fd_close, fd_seek, …) answers ENOSYS.
 */
function wasiImports(module, memory, log) {
  const ENOSYS = 52;
  const view = () => new DataView(memory().buffer);
  const imports = {
    random_get(ptr, len) {
      for (let at = 0; at < len; at += 65536) { // getRandomValues refuses more than 64 KiB
        crypto.getRandomValues(new Uint8Array(memory().buffer, ptr + at, Math.min(65536, len - at)));
      }
      return 0;
    },
    fd_write(fd, iovs, count, written) {
      const dv = view();
      let text = "", total = 0;
      for (let i = 0; i < count; i++) {
        const ptr = dv.getUint32(iovs + 8 * i, true), len = dv.getUint32(iovs + 8 * i + 4, true);
        text += decoder.decode(new Uint8Array(memory().buffer, ptr, len));
        total += len;
      }
      dv.setUint32(written, total, true);
      log({ level: "warn", event: "wasm.output", fd, text }); // stray printf: a core bug, keep it visible
      return 0;
    },
    proc_exit(code) {
      throw new Error(`wasm called proc_exit(${code})`); // treated like a trap by the caller
    },
    environ_sizes_get(count, size) {
      const dv = view();
      dv.setUint32(count, 0, true);
      dv.setUint32(size, 0, true);
      return 0;
    },
    environ_get: () => 0,
    clock_time_get(_id, _precision, out) {
      view().setBigUint64(out, BigInt(Date.now()) * 1000000n, true);
      return 0;
    },
  };
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (from === "wasi_snapshot_preview1" && kind === "function" && !imports[name]) imports[name] = () => ENOSYS;
  }
  return imports;
}

// ---------------------------------------------------------------------------------------------
// One request's run: the effect loop

class Run {
  constructor(host, pool, instance, request, requestId, resolve) {
    Object.assign(this, { host, pool, instance, request, requestId, resolve });
    this.startedAt = host.now();
    this.status = 0; // of the response handle() resolved with
    this.done = new Promise((ended) => (this.ended = () => { // settles when the run is over
      if (this.logged) return;
      this.logged = true;
      this.logRequest();
      ended();
    }));
    this.x = instance.x;
    this.handle = 0;
    this.effects = new Map(); // id → AbortController, for effects whose results are still wanted
    this.head = null; // { status, headers } from RESPOND
    this.held = null; // body bytes of this drain while the head is held (see respond)
    this.body = null; // the client body's controller, once the body streams
    this.responded = false;
    this.sse = false;
    this.clientGone = false;
    this.finished = false;
    this.waiters = []; // effect readers paused until the client drains its queue (backpressure)
  }

  start(head, body) {
    try {
      this.handle = this.instance.start(head, body);
      this.drain();
    } catch (err) {
      this.trap(err);
    }
  }

  // Inputs. Any exception from a call into the instance is a trap. No closures here: these run
  // once per relayed chunk.
  feed(fn, id, bytes) {
    if (this.finished) return;
    try {
      fn(this.handle, id, this.instance.input(bytes), bytes.length);
      this.drain();
    } catch (err) {
      this.trap(err);
    }
  }

  /** A piece of an effect's body: fed and its first step taken in one call (docs/ABI.md). */
  feedChunk(id, bytes) {
    if (this.finished) return;
    try {
      this.drain(this.x.salient_effect_chunk_next(this.handle, id, this.instance.input(bytes), bytes.length));
    } catch (err) {
      this.trap(err);
    }
  }

  resume() {
    if (this.finished) return;
    try {
      this.drain();
    } catch (err) {
      this.trap(err);
    }
  }

  feedEnd(id) {
    if (this.finished) return;
    try {
      this.x.salient_effect_end(this.handle, id);
      this.drain();
    } catch (err) {
      this.trap(err);
    }
  }

  /** Acts on steps until WAIT, DONE or a step marked idle; `first` is a step already taken (feedChunk). */
  drain(first = this.x.salient_next(this.handle)) {
    const x = this.x, instance = this.instance;
    for (let kind = first; ; kind = x.salient_next(this.handle)) {
      // Read before acting on the step: when it is the last for now, the WAIT that the next
      // call would return is taken without making it (one call fewer per relayed piece).
      const idle = instance.idle();
      switch (kind) {
        case WAIT:
          if (this.held) this.openStream(); // more is coming later: the body must stream
          return;
        case EFFECT:
          this.effect(this.instance.effectOutput());
          break;
        case RESPOND:
          this.respond(json(this.instance.output()));
          break;
        case WRITE:
          // Dropped after a client cancel, and for statuses without a body.
          if (this.held) this.held.push(this.instance.outputCopy());
          else if (this.body && !this.clientGone) this.body.enqueue(this.instance.outputCopy());
          break;
        case DONE:
          return this.finish();
        case CANCEL_EFFECT:
          this.abort(json(this.instance.output()).id);
          break;
        case LOG:
          this.host.log(json(this.instance.output()));
          break;
        case YIELD:
          // The core wrote something the client should see now (an answer's last tokens) and
          // has more to do: let the body carry it, then call `next` again, which resumes the core.
          if (this.held) this.openStream();
          soon(() => this.resume());
          return;
        default:
          throw new Error(`unknown step kind ${kind}`);
      }
      if (idle) {
        if (this.held) this.openStream(); // as for WAIT
        return;
      }
    }
  }

  /**
   * RESPOND: the head is held until this drain ends. A response complete within one drain
   * (pages, partials, errors) then goes out as plain bytes (finish); one with more to come gets
   * a streaming body (openStream). Streams cost real CPU per response in workerd.
   */
  respond({ status, headers }) {
    if (this.responded) throw new Error("RESPOND twice");
    this.responded = true;
    this.head = { status, headers: new Headers(headers) };
    this.sse = (this.head.headers.get("content-type") ?? "").startsWith("text/event-stream");
    this.held = [];
  }

  hasBody() {
    const { status } = this.head;
    return status !== 204 && status !== 304 && this.request.method !== "HEAD";
  }

  /** Sends the held head and bytes as a complete response. */
  sendHeld() {
    const { status, headers } = this.head;
    let body = null;
    if (this.hasBody() && this.held.length > 0) body = this.held.length === 1 ? this.held[0] : concat(this.held);
    const response = new Response(body, { status, headers }); // throws on a bad status: a trap
    this.held = null;
    this.answer(response);
  }

  /** Sends the held head with a streaming body that starts with the held bytes. */
  openStream() {
    const { status, headers } = this.head;
    if (!this.hasBody()) {
      const response = new Response(null, { status, headers }); // throws on a bad status: a trap
      this.held = null;
      this.answer(response);
      return;
    }
    let controller = null;
    const stream = new ReadableStream(
      {
        start: (c) => void (controller = c),
        pull: () => this.wake(),
        cancel: () => this.clientCancel(),
      },
      { highWaterMark: STREAM_HIGH_WATER_BYTES, size: (chunk) => chunk.length },
    );
    const response = new Response(stream, { status, headers }); // throws on a bad status: a trap
    for (const chunk of this.held) controller.enqueue(chunk);
    this.held = null;
    this.body = controller;
    this.answer(response);
  }

  effect(spec) {
    const abort = new AbortController();
    this.effects.set(spec.id, abort);
    this.runEffect(spec, abort); // not awaited: effects run in parallel; runEffect never rejects
  }

  async runEffect({ id, method = "GET", url, headers, body, timeout_ms, stream = false, delay_ms = 0 }, abort) {
    const wanted = () => this.effects.get(id) === abort && !this.finished;
    const timeout = timeout_ms ?? DEFAULT_EFFECT_TIMEOUT_MS;
    let timedOut = false;
    let timer = null;
    let deadline = Infinity; // Infinity: disarmed (waiting on our client, not on the upstream)
    // Whole effects: one deadline for the complete response. Streaming ones: a deadline for
    // the head, then for each next piece (an upstream that stalls mid-answer times out). A
    // piece moves the deadline, not the timer: re-creating a timer per relayed piece was a fifth
    // of the relay's CPU end to end (docs/BENCHMARKS.md (d)). The timer, when it fires early,
    // sleeps again until the deadline.
    const expire = () => {
      timer = null;
      if (deadline === Infinity) return;
      const left = deadline - Date.now();
      if (left > 0) {
        timer = setTimeout(expire, left);
        return;
      }
      timedOut = true;
      abort.abort();
      this.wake(); // a reader paused for backpressure must see the abort
    };
    const arm = () => {
      deadline = Date.now() + timeout;
      timer ??= setTimeout(expire, timeout);
    };
    const disarm = () => void (deadline = Infinity);
    let connected = false;
    let reader = null;
    try {
      if (delay_ms > 0) {
        // Retry backoff asked for by the core (it has no timers); the client leaving ends it.
        await new Promise((resolve) => {
          const t = setTimeout(resolve, delay_ms);
          abort.signal.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
        });
        if (!wanted()) return;
      }
      arm();
      const res = await this.host.fetch(url, { method, headers, body, signal: abort.signal });
      connected = true;
      const head = encoder.encode(JSON.stringify({ status: res.status, headers: [...res.headers], at_ms: Date.now() }));
      if (!stream) {
        // A document the core reads whole (state store answers): one read, one chunk. Reading
        // chunk by chunk costs a promise hop per chunk for nothing (docs/BENCHMARKS.md).
        const whole = new Uint8Array(await res.arrayBuffer());
        if (!wanted()) return;
        this.feed(this.x.salient_effect_head, id, head);
        if (whole.length > 0 && wanted()) this.feedChunk(id, whole);
        if (!wanted()) return;
        this.effects.delete(id);
        this.feedEnd(id);
        return;
      }
      reader = res.body?.getReader() ?? null;
      if (!wanted()) return;
      arm();
      this.feed(this.x.salient_effect_head, id, head);
      while (reader && wanted()) {
        if (this.body && this.body.desiredSize <= 0 && !this.clientGone) {
          disarm(); // waiting on our client, not on the upstream
          await new Promise((wake) => this.waiters.push(wake));
          if (!wanted()) break;
          arm();
        }
        const { done, value } = await reader.read();
        if (done) {
          reader = null;
          break;
        }
        arm();
        if (wanted()) this.feedChunk(id, value);
      }
      if (!wanted()) return;
      this.effects.delete(id);
      this.feedEnd(id);
    } catch (err) {
      if (!wanted()) return;
      this.effects.delete(id);
      const failure = timedOut
        ? { kind: "timeout", message: stream && connected ? `no data for ${timeout} ms` : `no response within ${timeout} ms` }
        : { kind: !connected && isConnectError(err) ? "connect" : "network", message: errorText(err) };
      this.feed(this.x.salient_effect_fail, id, encoder.encode(JSON.stringify(failure)));
    } finally {
      clearTimeout(timer);
      reader?.cancel().catch(noop); // only when we stopped early: frees the upstream connection
    }
  }

  /** Aborts an effect; its later events are ignored because it is no longer in `effects`. */
  abort(id) {
    const controller = this.effects.get(id);
    this.effects.delete(id);
    controller?.abort();
  }

  abortAll() {
    for (const id of [...this.effects.keys()]) this.abort(id);
    this.wake();
  }

  wake() {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * The client went away: tell the core (ABI: cancel). The core cancels the effects it no longer
   * wants (CANCEL_EFFECT) and keeps the ones that must finish — storing what the visitor already
   * saw — which run to completion, each bounded by its own timeout, so the run still ends.
   */
  clientCancel() {
    if (this.finished) return;
    this.clientGone = true;
    try {
      this.x.salient_cancel(this.handle);
      this.drain();
    } catch (err) {
      this.trap(err);
    }
    this.wake();
  }

  finish() {
    this.finished = true;
    this.abortAll();
    if (this.held) this.sendHeld();
    else if (this.body && !this.clientGone) this.body.close();
    this.x.salient_release(this.handle);
    if (!this.responded) { // the ABI promises RESPOND before DONE: its absence is a core bug
      this.instance.broken = true;
      this.logHost("error", "host.done_without_respond");
      this.responded = true;
      this.answer(internalError(this.request));
    }
    this.pool.release(this.instance);
    this.ended(); // after the answer, so its request log line has the status sent
  }

  answer(response) {
    this.status = response.status;
    this.resolve(response);
  }

  /**
   * One line per request (seeds/001 Logging): what, how it ended, how long it took. The path
   * only: the query may hold a stream_id, and nothing the visitor typed is ever logged.
   */
  logRequest() {
    this.host.log({
      level: "info", event: "http.request", module: this.pool.name, request_id: this.requestId,
      method: this.request.method, path: new URL(this.request.url).pathname,
      status: this.status, latency_ms: Math.round(this.host.now() - this.startedAt),
      ...(this.clientGone && { client_gone: true }),
    });
  }

  logHost(level, event, message = undefined) {
    this.host.log({ level, event, module: this.pool.name, request_id: this.requestId, message });
  }

  trap(err) {
    const wasFinished = this.finished;
    this.finished = true;
    this.instance.broken = true; // never reused: its memory may be inconsistent
    this.abortAll();
    this.logHost("error", "host.trap", errorText(err));
    if (!this.responded || this.held) { // nothing sent yet: a clean 500
      this.responded = true;
      this.held = null;
      this.answer(internalError(this.request));
    } else if (this.body && !this.clientGone && !wasFinished) {
      try {
        if (this.sse) {
          this.body.enqueue(SSE_INTERNAL_ERROR);
          this.body.close();
        } else {
          this.body.error(new Error("internal error"));
        }
      } catch {
        // the stream was already closed or errored: nothing more to tell the client
      }
    }
    this.ended();
  }
}

function concat(chunks) {
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function isConnectError(err) {
  const code = err?.cause?.code ?? err?.code ?? "";
  return /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT)$/.test(code);
}

function errorText(err) {
  const code = err?.cause?.code ? ` (${err.cause.code})` : "";
  return String(err?.message ?? err).slice(0, 200) + code;
}
