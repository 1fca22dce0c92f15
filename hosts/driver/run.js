// One request's run: the effect loop over its own instance. `start` hands the core the head and
// body, then `drain` calls `next` until WAIT, DONE or a step marked idle and acts on each step.
// EFFECT starts a fetch (effect.js) whose head, body pieces and end (or failure) come back through
// feed/feedChunk/feedEnd, each followed by another drain. RESPOND's head is held until the drain
// ends: a response complete by then (DONE) is sent as plain bytes; otherwise the run answers with
// a streaming Response and later WRITEs are enqueued on it. The client leaving is `cancel` to the
// core. DONE returns the instance to its pool; a trap (any exception from a call into the
// instance) marks it broken, answers 500 or ends the started body, and ends the run.

import { internalError, SSE_INTERNAL_ERROR, errorText } from "./http.js";
import { runEffect } from "./effect.js";

const WAIT = 0, EFFECT = 1, RESPOND = 2, WRITE = 3, DONE = 4, CANCEL_EFFECT = 5, LOG = 6, YIELD = 7;
// After YIELD: run again once what was written has gone out (the body's reader runs in
// microtasks; setImmediate, where there is one, runs after them and after pending I/O).
const soon = typeof setImmediate === "function" ? setImmediate : (fn) => setTimeout(fn, 0);
const STREAM_HIGH_WATER_BYTES = 64 * 1024; // client body queue before effect reads pause

export class Run {
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
          this.respond(this.instance.outputJson());
          break;
        case WRITE:
          // Dropped after a client cancel, and for statuses without a body.
          if (this.held) this.held.push(this.instance.outputCopy());
          else if (this.body && !this.clientGone) this.body.enqueue(this.instance.outputCopy());
          break;
        case DONE:
          return this.finish();
        case CANCEL_EFFECT:
          this.abort(this.instance.outputJson().id);
          break;
        case LOG: {
          // The core's lines name no module: the warnings table and the logs say which one spoke.
          const line = this.instance.outputJson();
          this.host.log(line && typeof line === "object" && line.module === undefined ? { ...line, module: this.pool.name } : line);
          break;
        }
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
    runEffect(this, spec, abort); // not awaited: effects run in parallel; runEffect never rejects
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
   * One line per request: what, how it ended, how long it took. The path
   * only: the query may hold a stream_id, and nothing the visitor typed is ever logged. A
   * transcript link's token is a capability (it opens the conversation): it is cut off too. The
   * path is logged decoded, so the redaction (driver/redact.js) sees "+44 20 …" and not "+44%2020…".
   */
  logRequest() {
    this.host.metrics?.request(this.pool.name, new URL(this.request.url).pathname, this.status); // driver/metrics.js
    this.host.log({
      level: "info", event: "http.request", module: this.pool.name, request_id: this.requestId,
      method: this.request.method, path: loggedPath(new URL(this.request.url).pathname),
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

/** A request's path as its log line shows it: decoded (when it decodes), a transcript's token cut. */
function loggedPath(pathname) {
  let path = pathname;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    // a malformed escape: logged as it came
  }
  return path.replace(/(\/transcript\/).+$/s, "$1…");
}
