// One instance of a function module and the reactor ABI's calls around it (docs/ABI.md):
// instantiating and configuring it, copying bytes in through one scratch buffer, reading each
// step's bytes out of the output slot, and the few WASI imports a reactor needs. A call that
// throws is a trap: the caller marks the instance `broken` and its pool (pool.js) never hands it
// out again, so the next request gets a fresh instance.
//
// The per-chunk calls (salient_effect_chunk_next, salient_next) are made by run.js on `x`
// directly, not through methods here: one call fewer per relayed piece.

const ABI_VERSION = 4; // the reactor ABI this driver speaks (docs/ABI.md)

const decoder = new TextDecoder();
const json = (bytes) => JSON.parse(decoder.decode(bytes));

export class Instance {
  /**
   * `random(bytes)` fills WASI random_get's bytes: crypto.getRandomValues unless given. Only
   * Cloudflare's startup warm-up (hosts/cloudflare/worker.js) gives one: a worker's top level
   * may not draw random values, and its throwaway instance never serves a visitor.
   */
  constructor(module, configure, knowledge, log, { random = fillRandom } = {}) {
    this.broken = false;
    this.scratch = 0;
    this.scratchLen = 0;
    const wasi = wasiImports(module, () => this.x.memory, log, random);
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

  /** The last step's bytes parsed as JSON (RESPOND, CANCEL_EFFECT, LOG). */
  outputJson() {
    return json(this.output());
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
function fillRandom(bytes) {
  for (let at = 0; at < bytes.length; at += 65536) { // getRandomValues refuses more than 64 KiB
    crypto.getRandomValues(bytes.subarray(at, Math.min(bytes.length, at + 65536)));
  }
}

function wasiImports(module, memory, log, random) {
  const ENOSYS = 52;
  const view = () => new DataView(memory().buffer);
  const imports = {
    random_get(ptr, len) {
      random(new Uint8Array(memory().buffer, ptr, len));
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
