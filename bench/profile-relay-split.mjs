// Diagnostic (not part of run.mjs): where relay-node.mjs's per-chunk core time goes, by running
// the same work with less around it, all in one process and interleaved rep by rep (this
// machine's speed swings by 2× over minutes, so only figures from one run compare):
//
//   js           CoreRelay: the bench's own loop, driven from JS (copy in, one call per piece,
//                a Uint8Array.slice per WRITE) — what relay-node.mjs reports as "core"
//   wasm+copy    the same calls made from inside wasm (bench/peer/relay-split.cpp, linked into
//                a copy of the stream reactor), each WRITE copied into a fresh std::string
//   wasm         the same, no copy out
//   relay only   the SSE reader, chunk scanner and token events alone (completion_relay +
//                answer_events), without the coroutine, effect bookkeeping and ABI entry
//
// js − wasm+copy is the JS side of the boundary; wasm − relay only is the exchange and ABI
// around the relay's own work.
//
//   ./scripts/build && node bench/profile-relay-split.mjs [--reps=N]

import { readFileSync } from "node:fs";
import { args, log } from "./lib/common.mjs";
import { buildRelaySplit } from "./lib/peers.mjs";
import { AGENT, loadConfig, relayEnv, relayFixture, signStreamId } from "./lib/relay.mjs";
import { summary } from "./lib/stats.mjs";
import { configureBytes, CoreRelay, streamHead, tokenText } from "./workers/relay.js";

const REPS = Number(args.find((a) => a.startsWith("--reps="))?.slice(7) ?? 150);
const WARMUP = 30;

/** CoreRelay whose timed loop runs inside wasm (split_core_loop) on pieces packed in its memory. */
class InWasmRelay extends CoreRelay {
  constructor(module, configure, pieces, copy) {
    super(module, configure);
    const total = pieces.reduce((n, p) => n + 4 + p.length, 0);
    this.packed = this.alloc(total);
    const u8 = this.bytes(), view = new DataView(u8.buffer);
    let at = this.packed;
    for (const p of pieces) {
      view.setUint32(at, p.length, true);
      u8.set(p, at + 4);
      at += 4 + p.length;
    }
    this.copy = copy;
  }

  pieceLoop(handle, id, pieces) {
    this.writes = this.x.split_core_loop(handle, id, this.packed, pieces.length, this.copy);
  }
}

const f = relayFixture();
const module = new WebAssembly.Module(readFileSync(buildRelaySplit()));
const configure = configureBytes(loadConfig(), relayEnv());
const perChunk = (ms) => (ms * 1e6) / f.chunks;
const result = {};
for (const [cut, pieces] of [["1–200-byte pieces", f.pieces], ["event-sized pieces", f.eventPieces]]) {
  const js = new CoreRelay(module, configure);
  const copied = new InWasmRelay(module, configure, pieces, 1), bare = new InWasmRelay(module, configure, pieces, 0);
  const samples = { js: [], "wasm+copy": [], wasm: [], "relay only": [] };
  for (let i = 0; i < WARMUP + REPS; i++) {
    const now = Date.now(), head = () => streamHead(AGENT, signStreamId(now), now);
    const r = js.run(head(), pieces, now);
    if (tokenText(r.writes) !== f.expected) throw new Error("js: relayed text differs from the expected text");
    const c = copied.run(head(), pieces, now), b = bare.run(head(), pieces, now);
    // The in-wasm loops see the same pieces: as many WRITEs as the JS loop, but for the last
    // piece's (which none of them times).
    for (const relay of [copied, bare])
      if (!(relay.writes > 0 && relay.writes <= r.relayed && r.relayed - relay.writes <= 2))
        throw new Error(`in-wasm loop wrote ${relay.writes} steps, the JS loop ${r.relayed} with the last piece`);
    const t0 = performance.now();
    bare.x.split_parse_frame(bare.packed, pieces.length);
    const relayOnly = performance.now() - t0;
    if (i < WARMUP) continue;
    samples.js.push(perChunk(r.ms - r.lastMs));
    samples["wasm+copy"].push(perChunk(c.ms - c.lastMs));
    samples.wasm.push(perChunk(b.ms - b.lastMs));
    samples["relay only"].push(perChunk(relayOnly));
  }
  result[cut] = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summary(v)]));
  log(`${cut} (${pieces.length} pieces), ns per chunk, last piece excluded, ${REPS} reps:`);
  for (const [k, v] of Object.entries(result[cut])) log(`  ${k.padEnd(11)} p50 ${v.p50.toFixed(0).padStart(5)}  min ${v.min.toFixed(0).padStart(5)}`);
}
console.log(JSON.stringify(result));
