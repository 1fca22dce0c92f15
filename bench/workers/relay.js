// The LLM relay loops the relay benchmarks time, shared by Node (bench/relay-node.mjs) and
// workerd (bench/workers/relay-worker.js): plain ES, Web APIs only.
//
// CoreRelay  the stream function's reactor (docs/ABI.md) driven directly, the way hosts/driver.js
//            drives it but without Web Streams or fetch: start a stream request, answer the
//            claim effect, feed the LLM response head, then — the timed part — for each network
//            piece copy it in and take its first step in one call (salient_effect_chunk_next),
//            then drain the steps until one is marked idle (or WAIT), copying each WRITE's
//            bytes out (Uint8Array.slice, as the driver's outputCopy does). Then the end and the
//            finish_turn effect, untimed.
// JsRelay    the plain JS peer: TextDecoder({stream: true}) + line splitting + JSON.parse per data
//            event + re-emit `id/event/data` SSE text with JSON.stringify({text}) per token,
//            encoded to one Uint8Array per piece that produced any output.
// tokenText  what a list of relayed SSE byte chunks says: the `token` events' texts joined.

const WAIT = 0, EFFECT = 1, RESPOND = 2, WRITE = 3, DONE = 4, CANCEL_EFFECT = 5, LOG = 6;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the recorded claim answers (salient_claim_turn): a fresh turn with no history. */
export const CLAIM_BODY = encoder.encode(JSON.stringify({
  status: "claimed",
  message: "How much does a garden design cost?",
  session_id: "019aaaac-2600-7000-8000-0000000000aa",
  history: [],
  persona: null,
  profile: null,
}));
const JSON_HEAD = encoder.encode(JSON.stringify({ status: 200, headers: [["content-type", "application/json"]] }));
export const FINISH_BODY = encoder.encode('{"message_id":"019aaaac-2600-7000-8000-0000000000bb"}');

export function configureBytes(config, env) {
  return encoder.encode(JSON.stringify({ config, env }));
}

/** The request head of `GET /a/{agent}/events/stream?stream_id=…&format=json` at `nowMs`. */
export function streamHead(agent, streamId, nowMs) {
  return encoder.encode(JSON.stringify({
    method: "GET",
    url: `/a/${agent}/events/stream?stream_id=${encodeURIComponent(streamId)}&format=json`,
    headers: [["accept", "text/event-stream"]],
    now_ms: nowMs,
    request_id: "bench-relay",
    body_truncated: false,
  }));
}

/**
 * The host's side of a reactor, as hosts/driver.js has it: memory views, copy in through one
 * scratch buffer grown as needed, copy out of the last step's bytes (the {ptr, len} slot).
 */
class ReactorHost {
  constructor(x, alloc, free, slotPtr) {
    Object.assign(this, { x, alloc, free, slot: slotPtr >>> 2, scratch: 0, scratchLen: 0, u8: null });
  }

  bytes() {
    // As hosts/driver.js: growing the memory detaches the old buffer (its views' length is 0).
    if (!this.u8?.byteLength) {
      this.u8 = new Uint8Array(this.x.memory.buffer);
      this.u32 = new Uint32Array(this.u8.buffer);
    }
    return this.u8;
  }

  /** Copy in: the driver's scratch buffer, grown as needed. */
  input(bytes) {
    if (bytes.length > this.scratchLen) {
      if (this.scratch) this.free(this.scratch);
      this.scratchLen = Math.max(bytes.length, 2 * this.scratchLen, 4096);
      this.scratch = this.alloc(this.scratchLen);
      if (!this.scratch) throw new Error("alloc failed");
    }
    this.bytes().set(bytes, this.scratch);
    return this.scratch;
  }

  /** The slot's idle word: the last step was the last one for now (docs/ABI.md). */
  idle() {
    this.bytes();
    return this.u32[this.slot + 2] !== 0;
  }

  /** Copy out. */
  outputCopy() {
    const u8 = this.bytes(), ptr = this.u32[this.slot], len = this.u32[this.slot + 1];
    return u8.slice(ptr, ptr + len);
  }
}

export class CoreRelay extends ReactorHost {
  constructor(module, configure) {
    const imports = {};
    let memory = null;
    for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
      if (from === "wasi_snapshot_preview1" && kind === "function") imports[name] = () => 52; // ENOSYS
    }
    imports.random_get = (ptr, len) => {
      for (let at = 0; at < len; at += 65536) {
        crypto.getRandomValues(new Uint8Array(memory.buffer, ptr + at, Math.min(65536, len - at)));
      }
      return 0;
    };
    const x = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports }).exports;
    memory = x.memory;
    x._initialize();
    super(x, x.salient_alloc, x.salient_free, x.salient_output_slot()); // {ptr, len, idle} of the last step (docs/ABI.md)
    if (this.x.salient_configure(this.input(configure), configure.length) !== 0) {
      throw new Error("salient_configure failed: " + decoder.decode(this.outputCopy()));
    }
  }

  /**
   * Runs `next` until WAIT, DONE or a step marked idle. WRITE bytes go to `writes`; the other steps' bytes are kept
   * (copied) in `steps` and looked at later, so the timed loop parses no JSON of its own.
   */
  drain(handle, writes, steps, first = this.x.salient_next(handle)) {
    const x = this.x;
    for (let kind = first; ; kind = x.salient_next(handle)) {
      if (kind === WAIT) return false;
      if (kind === DONE) return true;
      const idle = this.idle(); // as hosts/driver.js: no call for the WAIT that would follow
      if (kind === WRITE) writes.push(this.outputCopy());
      else steps.push([kind, this.outputCopy()]);
      if (idle) return false;
    }
  }

  /**
   * One exchange. Returns { ms: the timed piece loop's performance.now() span, cpuMs: the same
   * span by `cpuClock` (ms; NaN without one), lastMs / lastCpuMs: the same for the last piece
   * alone, writes, relayed: WRITEs in the timed loop }.
   * `pieces`: Uint8Array[] of the upstream body as the network delivered it. `plan`, an array
   * for an untimed run: gets the bytes written for each piece, for FloorRelay.
   */
  run(head, pieces, nowMs, cpuClock = null, plan = null) {
    const x = this.x;
    const writes = [], steps = [];
    const handle = x.salient_start(this.input(head), head.length, this.scratch + head.length, 0);
    if (handle === 0) throw new Error("salient_start returned 0");
    this.drain(handle, writes, steps);
    const claim = this.takeEffect(steps, "salient_claim_turn");
    this.answer(handle, claim.id, JSON_HEAD, CLAIM_BODY, writes, steps);
    const llm = this.takeEffect(steps, "/chat/completions");
    if (!llm.stream) throw new Error("the LLM effect is not a stream effect");
    const llmHead = encoder.encode(JSON.stringify({ status: 200, headers: [["content-type", "text/event-stream"]], at_ms: nowMs + 300 }));
    x.salient_effect_head(handle, llm.id, this.input(llmHead), llmHead.length);
    this.drain(handle, writes, steps);
    const before = writes.length;

    const c0 = cpuClock ? cpuClock() : NaN, t0 = performance.now();
    this.pieceLoop(handle, llm.id, pieces, writes, steps, plan);
    // The last piece ends `data: [DONE]`: the core then builds the finish_turn effect (the whole
    // answer, stored). Timed with the rest, and on its own too.
    const last = pieces.length - 1;
    const c1 = cpuClock ? cpuClock() : NaN, t1 = performance.now();
    this.drain(handle, writes, steps, x.salient_effect_chunk_next(handle, llm.id, this.input(pieces[last]), pieces[last].length));
    const t2 = performance.now(), c2 = cpuClock ? cpuClock() : NaN;
    const ms = t2 - t0, cpuMs = c2 - c0, lastMs = t2 - t1, lastCpuMs = c2 - c1;

    const relayed = writes.length - before;
    if (!steps.some(([kind, b]) => kind === CANCEL_EFFECT && JSON.parse(decoder.decode(b)).id === llm.id)) {
      x.salient_effect_end(handle, llm.id);
      this.drain(handle, writes, steps);
    }
    const finish = this.takeEffect(steps, "salient_finish_turn");
    const done = this.answer(handle, finish.id, JSON_HEAD, FINISH_BODY, writes, steps);
    x.salient_release(handle);
    if (!done) throw new Error("the stream did not end after finish_turn");
    return { ms, cpuMs, lastMs, lastCpuMs, writes, relayed };
  }

  /** The timed loop: every piece but the last, copied in and its steps drained. */
  pieceLoop(handle, id, pieces, writes, steps, plan) {
    const x = this.x, last = pieces.length - 1;
    for (let i = 0; i < last; i++) {
      const piece = pieces[i], n = writes.length;
      this.drain(handle, writes, steps, x.salient_effect_chunk_next(handle, id, this.input(piece), piece.length));
      if (plan) plan.push(writes.slice(n).reduce((sum, w) => sum + w.length, 0));
    }
  }

  takeEffect(steps, urlPart) {
    for (let i = 0; i < steps.length; i++) {
      const [kind, bytes] = steps[i];
      if (kind !== EFFECT) continue;
      // The effect's JSON line; its body follows raw and is not needed here (docs/ABI.md).
      const nl = bytes.indexOf(10);
      const spec = JSON.parse(decoder.decode(nl < 0 ? bytes : bytes.subarray(0, nl)));
      if (spec.url.includes(urlPart)) {
        steps.splice(i, 1);
        return spec;
      }
    }
    const seen = steps.map(([kind, b]) => `${kind}:${decoder.decode(b).slice(0, 200)}`).join("\n");
    throw new Error(`no ${urlPart} effect; steps:\n${seen}`);
  }

  answer(handle, id, head, body, writes, steps) {
    const x = this.x;
    x.salient_effect_head(handle, id, this.input(head), head.length);
    this.drain(handle, writes, steps);
    this.drain(handle, writes, steps, x.salient_effect_chunk_next(handle, id, this.input(body), body.length));
    x.salient_effect_end(handle, id);
    return this.drain(handle, writes, steps);
  }
}

/**
 * The host floor: CoreRelay's piece loop (copy in, one call per piece, copy out of each WRITE)
 * driving bench/peer/relay-floor.c, which does no relay work and writes what the core wrote for
 * each piece (`plan`, from CoreRelay.run). The core's time minus this is the time inside it.
 */
export class FloorRelay extends ReactorHost {
  constructor(module, plan) {
    const x = new WebAssembly.Instance(module, { wasi_snapshot_preview1: {} }).exports;
    x._initialize();
    super(x, x.floor_alloc, () => {}, x.floor_slot());
    const at = x.floor_alloc(4 * plan.length);
    new Uint32Array(x.memory.buffer, at, plan.length).set(plan);
    this.plan = [at, plan.length];
  }

  drain(writes, first) {
    for (let kind = first; kind !== WAIT; kind = this.x.floor_next()) {
      const idle = this.idle();
      writes.push(this.outputCopy());
      if (idle) return;
    }
  }

  /** The timed loop over all but the last piece, as CoreRelay's: { ms, cpuMs, writes }. */
  run(pieces, cpuClock = null) {
    const x = this.x, writes = [];
    x.floor_plan(...this.plan);
    const c0 = cpuClock ? cpuClock() : NaN, t0 = performance.now();
    const last = pieces.length - 1;
    for (let i = 0; i < last; i++) {
      const piece = pieces[i];
      this.drain(writes, x.floor_chunk_next(this.input(piece), piece.length));
    }
    const ms = performance.now() - t0, cpuMs = cpuClock ? cpuClock() - c0 : NaN;
    return { ms, cpuMs, writes };
  }
}

export class JsRelay {
  constructor() {
    this.decoder = new TextDecoder();
    this.buffer = "";
    this.data = null; // the data lines of the event being read
    this.id = 0;
    this.done = false;
  }

  /** One network piece in; the SSE bytes it produced out (null if none). */
  push(piece) {
    this.buffer += this.decoder.decode(piece, { stream: true });
    const buffer = this.buffer;
    let out = "", start = 0, nl;
    while ((nl = buffer.indexOf("\n", start)) !== -1) {
      let line = buffer.slice(start, nl);
      start = nl + 1;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") {
        if (this.data !== null) out += this.dispatch(this.data);
        this.data = null;
      } else if (line.startsWith("data:")) {
        const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
        this.data = this.data === null ? value : this.data + "\n" + value;
      } // comments (":…") and other fields: ignored
    }
    this.buffer = buffer.slice(start);
    return out ? encoder.encode(out) : null;
  }

  dispatch(data) {
    if (data === "[DONE]") {
      this.done = true;
      return "";
    }
    const text = JSON.parse(data).choices?.[0]?.delta?.content;
    return typeof text === "string" && text ? `id: ${++this.id}\nevent: token\ndata: ${JSON.stringify({ text })}\n\n` : "";
  }
}

/** The plain JS relay over all pieces, synchronously: { writes }. */
export function jsRelayRun(pieces) {
  const relay = new JsRelay();
  const writes = [];
  for (let i = 0; i < pieces.length; i++) {
    const out = relay.push(pieces[i]);
    if (out) writes.push(out);
  }
  if (!relay.done) throw new Error("JS relay: no [DONE]");
  return { writes };
}

/** The `token` events' texts, joined, from SSE byte chunks (events may span chunks). */
export function tokenText(chunks) {
  let text = "";
  const d = new TextDecoder();
  let all = "";
  for (const c of chunks) all += d.decode(c, { stream: true });
  all += d.decode();
  for (const block of all.split("\n\n")) {
    if (!/^event: token$/m.test(block)) continue;
    const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
    text += JSON.parse(data).text;
  }
  return text;
}

/** Pieces laid out as one buffer plus their lengths (how the worker gets them). */
export function unpackPieces(buffer, lengths) {
  const bytes = new Uint8Array(buffer);
  const pieces = [];
  let at = 0;
  for (const len of lengths) {
    pieces.push(bytes.slice(at, at + len));
    at += len;
  }
  return pieces;
}
