// The reactor ABI of every function module (docs/ABI.md), exercised on the built .wasm with a
// minimal host written here against the raw exports (not hosts/driver.js, whose own tests run
// the same modules end to end): exports, imports, sizes, configure errors, raw body bytes,
// effect input split at arbitrary points.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createHmac } from "node:crypto";
import { expectedText, recordedStream, splitIntoPieces } from "../support/openrouter-stream.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const functions = ["chat", "stream", "otp", "summary"];
const exportsDocumented = [
  "_initialize", "memory", "salient_abi_version", "salient_alloc", "salient_free", "salient_configure",
  "salient_start", "salient_next", "salient_output_ptr", "salient_output_len", "salient_output_slot", "salient_effect_head", "salient_knowledge", "salient_search",
  "salient_effect_chunk", "salient_effect_chunk_next", "salient_effect_end", "salient_effect_fail", "salient_cancel", "salient_release",
];
const [WAIT, EFFECT, RESPOND, WRITE, DONE, CANCEL_EFFECT, LOG, YIELD] = [0, 1, 2, 3, 4, 5, 6, 7];
const SECRET = "reactor-test-secret-0123456789abcdefghij";
const enc = new TextEncoder();
const dec = new TextDecoder();

/** An EFFECT step's bytes (docs/ABI.md): its JSON line, then the raw body, as `body` text. */
function effectOf(bytes) {
  const nl = bytes.indexOf(10);
  assert.ok(nl >= 0, "an EFFECT's JSON ends with a newline");
  const effect = JSON.parse(dec.decode(bytes.subarray(0, nl)));
  assert.equal(effect.body, undefined, "the body is not in the JSON");
  if (nl + 1 < bytes.length) effect.body = dec.decode(bytes.subarray(nl + 1));
  return effect;
}

function load(fn) {
  const bytes = readFileSync(path.join(root, `build/wasi/functions/${fn}.wasm`));
  return { bytes, module: new WebAssembly.Module(bytes) };
}

/** Instantiates with just enough WASI for the core (it reads no clock, file or environment). */
function instantiate(module) {
  let memory;
  const wasi = {
    random_get(ptr, len) {
      crypto.getRandomValues(new Uint8Array(memory.buffer, ptr, len));
      return 0;
    },
    fd_write: () => 52, fd_close: () => 52, fd_seek: () => 52, poll_oneoff: () => 52,
    // otp's template engine links libc++'s locale, which asks for the environment: an empty one.
    environ_sizes_get(count, size) {
      new DataView(memory.buffer).setUint32(count, 0, true);
      new DataView(memory.buffer).setUint32(size, 0, true);
      return 0;
    },
    environ_get: () => 0,
    proc_exit: (code) => { throw new Error(`proc_exit(${code})`); },
  };
  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi });
  const x = instance.exports;
  memory = x.memory;
  x._initialize();
  const put = (data) => {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    const ptr = x.salient_alloc(bytes.length);
    new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length];
  };
  const output = () => {
    // The slot (u32s at a fixed address) says what the two calls say, after every step.
    const slot = new Uint32Array(x.memory.buffer, x.salient_output_slot(), 3);
    assert.deepEqual([...slot.subarray(0, 2)], [x.salient_output_ptr(), x.salient_output_len()]);
    return new Uint8Array(x.memory.buffer, x.salient_output_ptr(), x.salient_output_len()).slice();
  };
  /** The slot's third word: the last step was the last one for now. */
  const idle = () => new Uint32Array(x.memory.buffer, x.salient_output_slot(), 3)[2];
  return { x, put, output, idle };
}

function configure(host, config = {}, env = { SALIENT_STREAM_SECRET: SECRET, SUPABASE_URL: "http://store.test" }) {
  const [p, n] = host.put(JSON.stringify({ config, env }));
  return host.x.salient_configure(p, n);
}

function start(host, head, body = "") {
  const [hp, hn] = host.put(JSON.stringify({ now_ms: 1763800000000, headers: [], ...head }));
  const [bp, bn] = host.put(body);
  return host.x.salient_start(hp, hn, bp, bn);
}

/**
 * Drains steps until WAIT or DONE; returns them as {kind, bytes, idle}. Every step checks the
 * slot's idle word against what the next call returns: marked idle, it is WAIT; not marked
 * (and not after a YIELD, whose next call resumes the flow), it is not.
 */
function drain(host, handle, first = host.x.salient_next(handle)) {
  const steps = [];
  for (let kind = first; ; kind = host.x.salient_next(handle)) {
    const idle = host.idle();
    if (steps.length > 0) {
      const before = steps.at(-1);
      if (before.idle) assert.equal(kind, WAIT, `step ${before.kind} was marked idle but ${kind} followed`);
      else if (before.kind !== YIELD) assert.notEqual(kind, WAIT, `step ${before.kind} was not marked idle but WAIT followed`);
    }
    if (kind === WAIT || kind === DONE) assert.equal(idle, 0, `${kind} is never marked idle`);
    steps.push({ kind, bytes: host.output(), idle });
    if (kind === WAIT || kind === DONE) return steps;
  }
}

describe("reactor ABI", () => {
  for (const fn of functions) {
    test(`${fn}.wasm exports the documented calls and imports only wasi_snapshot_preview1`, () => {
      const { bytes, module } = load(fn);
      assert.deepEqual(WebAssembly.Module.exports(module).map((e) => e.name).sort(), [...exportsDocumented].sort());
      const imports = WebAssembly.Module.imports(module);
      assert.ok(imports.length > 0);
      for (const i of imports) assert.equal(i.module, "wasi_snapshot_preview1", `${i.module}.${i.name}`);
      const gz = gzipSync(bytes, { level: 9 }).length;
      assert.ok(gz <= 300 * 1024, `${fn}.wasm is ${gz} bytes gzip, over the 300 KB budget`);
      const host = instantiate(module);
      assert.equal(host.x.salient_abi_version(), 4);
    });
  }

  test("start before configure returns handle 0", () => {
    const host = instantiate(load("chat").module);
    assert.equal(start(host, { method: "GET", url: "/a/sales/" }), 0);
  });

  test("an invalid config is refused with a JSON error naming the field", () => {
    const host = instantiate(load("chat").module);
    assert.equal(configure(host, { llm: { temperature: 7 } }), 1);
    const err = JSON.parse(dec.decode(host.output())).error;
    assert.equal(err.code, "misconfigured");
    assert.equal(err.path, "/llm/temperature");
    assert.equal(configure(host, {}), 0, "a later valid configure succeeds");
  });

  test("WRITE steps carry the raw body bytes, not JSON", () => {
    const host = instantiate(load("chat").module);
    assert.equal(configure(host), 0);
    const handle = start(host, { method: "GET", url: "/a/sales/" });
    const steps = drain(host, handle);
    assert.deepEqual(steps.map((s) => s.kind), [RESPOND, WRITE, DONE]);
    assert.deepEqual(JSON.parse(dec.decode(steps[0].bytes)).status, 200);
    assert.match(dec.decode(steps[1].bytes), /^<!doctype html>/);
    host.x.salient_release(handle);
    assert.equal(host.x.salient_next(handle), DONE, "a released handle reads as done");
  });

  test("effect results may arrive in pieces split anywhere, even inside a UTF-8 character", () => {
    const host = instantiate(load("stream").module);
    assert.equal(configure(host), 0);
    // A replayed id is refused only after the store is asked: use the claim answer's path.
    const handle = start(host, { method: "GET", url: "/a/sales/events/stream?stream_id=bad" });
    assert.deepEqual(drain(host, handle).map((s) => s.kind).filter((k) => k !== LOG), [RESPOND, WRITE, DONE]);
    const chat = instantiate(load("chat").module);
    assert.equal(configure(chat), 0);
    const h = start(chat, { method: "POST", url: "/a/sales/chat",
      headers: [["content-type", "application/json"], ["accept", "application/json"]] },
    JSON.stringify({ message: "Grüße 🌱" }));
    const [effect] = drain(chat, h);
    assert.equal(effect.kind, EFFECT);
    const e = effectOf(effect.bytes);
    assert.equal(JSON.parse(e.body).p_content, "Grüße 🌱");
    const answer = enc.encode(JSON.stringify({ turn_id: "019aaaac-2600-7000-8000-000000000001", session_id: "s-ü", duplicate: false }));
    const [hp, hn] = chat.put(JSON.stringify({ status: 200, headers: [] }));
    chat.x.salient_effect_head(h, e.id, hp, hn);
    const cut = answer.indexOf(0xc3) + 1; // inside the two-byte "ü"
    for (const piece of [answer.subarray(0, 3), answer.subarray(3, cut), answer.subarray(cut)]) {
      const [p, n] = chat.put(piece);
      chat.x.salient_effect_chunk(h, e.id, p, n);
    }
    chat.x.salient_effect_end(h, e.id);
    const steps = drain(chat, h);
    const kinds = steps.map((s) => s.kind).filter((k) => k !== LOG);
    assert.deepEqual(kinds, [RESPOND, WRITE, DONE]);
    const body = JSON.parse(dec.decode(steps.find((s) => s.kind === WRITE).bytes));
    assert.equal(body.message_id, "019aaaac-2600-7000-8000-000000000001");
  });

  test("salient_effect_chunk_next feeds a piece and returns the step salient_next would", () => {
    const chat = instantiate(load("chat").module);
    assert.equal(configure(chat), 0);
    const h = start(chat, { method: "POST", url: "/a/sales/chat",
      headers: [["content-type", "application/json"], ["accept", "application/json"]] }, JSON.stringify({ message: "hi" }));
    const [effect] = drain(chat, h);
    const e = effectOf(effect.bytes);
    const [hp, hn] = chat.put(JSON.stringify({ status: 200, headers: [] }));
    chat.x.salient_effect_head(h, e.id, hp, hn);
    const answer = enc.encode(JSON.stringify({ turn_id: "019aaaac-2600-7000-8000-000000000002", session_id: "s", duplicate: false }));
    // A whole effect: nothing happens until its end, so each piece's first step is WAIT.
    for (const piece of [answer.subarray(0, 10), answer.subarray(10)]) {
      const [p, n] = chat.put(piece);
      assert.equal(chat.x.salient_effect_chunk_next(h, e.id, p, n), WAIT);
    }
    chat.x.salient_effect_end(h, e.id);
    const kinds = drain(chat, h).map((s) => s.kind).filter((k) => k !== LOG);
    assert.deepEqual(kinds, [RESPOND, WRITE, DONE]);
    // An unknown (released) handle: DONE, as salient_next answers.
    chat.x.salient_release(h);
    const [p, n] = chat.put(answer);
    assert.equal(chat.x.salient_effect_chunk_next(h, e.id, p, n), DONE);
  });

  test("a relayed LLM stream: each piece's last step is marked idle, and a host that stops there loses nothing", () => {
    // Two instances relay the same pieces: one drains every piece until WAIT (checking the idle
    // word against it), the other stops at the step marked idle, as hosts/driver.js does.
    const now = 1763800000000, turn = "019aaaac-2600-7000-8000-000000000001";
    const exp = Math.floor(now / 1000) + 30;
    const mac = createHmac("sha256", SECRET).update(`salient-stream-v1|sales|${turn}|${exp}`).digest("base64url");
    const env = { SALIENT_STREAM_SECRET: SECRET, SUPABASE_URL: "http://store.test", OPENROUTER_API_KEY: "sk-or-test", OPENROUTER_BASE_URL: "http://llm.test/api/v1" };
    const pieces = splitIntoPieces(recordedStream({ chunks: 60, seed: 3 }), { seed: 3, min: 1, max: 120 });
    const relay = (stopAtIdle) => {
      const host = instantiate(load("stream").module);
      assert.equal(configure(host, {}, env), 0);
      const h = start(host, { method: "GET", url: `/a/sales/events/stream?stream_id=${turn}.${exp}.${mac}&format=json`, headers: [["accept", "text/event-stream"]] });
      const answer = (id, body) => {
        const [hp, hn] = host.put(JSON.stringify({ status: 200, headers: [["content-type", "application/json"]] }));
        host.x.salient_effect_head(h, id, hp, hn);
        drain(host, h);
        const [p, n] = host.put(body);
        host.x.salient_effect_chunk(h, id, p, n);
        host.x.salient_effect_end(h, id);
        return drain(host, h);
      };
      const effectIn = (steps, part) => steps.filter((st) => st.kind === EFFECT).map((st) => effectOf(st.bytes)).find((e) => e.url.includes(part));
      const claim = effectIn(drain(host, h), "salient_claim_turn");
      const llm = effectIn(answer(claim.id, JSON.stringify({ status: "claimed", message: "hi", session_id: "s", history: [], persona: null, profile: null })), "/chat/completions");
      const [hp, hn] = host.put(JSON.stringify({ status: 200, headers: [["content-type", "text/event-stream"]] }));
      host.x.salient_effect_head(h, llm.id, hp, hn);
      drain(host, h);
      const writes = [];
      let marked = 0;
      for (const piece of pieces) {
        const [p, n] = host.put(piece);
        const first = host.x.salient_effect_chunk_next(h, llm.id, p, n);
        if (stopAtIdle) {
          for (let kind = first; kind !== WAIT && kind !== DONE; kind = host.x.salient_next(h)) {
            const idle = host.idle();
            if (kind === WRITE) writes.push(host.output());
            if (idle) break;
          }
        } else {
          for (const st of drain(host, h, first)) {
            if (st.kind === WRITE) writes.push(st.bytes);
            marked += st.idle;
          }
        }
      }
      return { text: writes.map((w) => dec.decode(w)).join(""), marked };
    };
    const all = relay(false), stopped = relay(true);
    assert.ok(all.marked > 0, "some piece's last step was marked idle");
    assert.equal(stopped.text, all.text);
    const tokens = [...all.text.matchAll(/^event: token\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1]).text).join("");
    assert.equal(tokens, expectedText({ chunks: 60, seed: 3 }));
  });

  test("cancel while an effect is pending yields CANCEL_EFFECT then DONE", () => {
    const host = instantiate(load("chat").module);
    assert.equal(configure(host), 0);
    const h = start(host, { method: "POST", url: "/a/sales/chat", headers: [["content-type", "application/x-www-form-urlencoded"]] },
      "message=hi");
    const [effect] = drain(host, h);
    host.x.salient_cancel(h);
    const steps = drain(host, h);
    assert.deepEqual(steps.map((s) => s.kind), [CANCEL_EFFECT, DONE]);
    assert.equal(JSON.parse(dec.decode(steps[0].bytes)).id, effectOf(effect.bytes).id);
  });

  test("a malformed request head is answered 400, never a trap", () => {
    const host = instantiate(load("chat").module);
    assert.equal(configure(host), 0);
    const [hp, hn] = host.put("{\"method\":");
    const h = host.x.salient_start(hp, hn, 0, 0);
    const steps = drain(host, h);
    assert.equal(JSON.parse(dec.decode(steps[0].bytes)).status, 400);
  });
});
