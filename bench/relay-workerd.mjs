// (d in workerd) LLM relay cost inside a real workerd: bench/workers/relay-worker.js runs the
// wasm core's relay loop (workers/relay.js CoreRelay: copy in, drain, copy out, a fresh exchange
// per relay), the host floor (FloorRelay on bench/peer/relay-floor.c: the same loop's copies and
// calls, no relay work, all pieces but the last) or the plain JS relay n times per request, on the recorded stream and pieces of
// relay-node.mjs (embedded as a data module). CPU is the workerd process's own (/proc schedstat,
// lib/proc.mjs) around each request, minus the p50 of an n = 0 request; targets rotate batch by
// batch. Unlike relay-node's core figure this includes each exchange's untimed setup (start,
// claim, LLM head, finish_turn): about one relay's worth of JSON per 2,000 chunks.
//
//   node bench/relay-workerd.mjs [--quick]

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureOut, log, QUICK, section, wasmPath } from "./lib/common.mjs";
import { buildRelayFloor } from "./lib/peers.mjs";
import { cpuSample, describe } from "./lib/proc.mjs";
import { AGENT, loadConfig, relayEnv, relayFixture, signStreamId } from "./lib/relay.mjs";
import { summary } from "./lib/stats.mjs";
import { startWorkerd } from "./lib/workerd.mjs";
import { configureBytes, CoreRelay, streamHead } from "./workers/relay.js";

const WARMUP = QUICK ? 4 : 10, BATCHES = QUICK ? 8 : 25, PER_REQUEST = 10;
const MODULES = [
  ["bench/workers/relay-worker.js", "esModule"],
  ["bench/workers/relay.js", "esModule"],
  ["build/wasi/functions/stream.wasm", "wasm"],
  ["build/salient.json", "json"],
  ["build/bench/relay/pieces.bin", "data"],
  ["build/bench/relay/fixture.json", "json"],
  ["build/bench/relay-floor.wasm", "wasm"],
];

section(async () => {
  const f = relayFixture();
  const dir = ensureOut("relay");
  const all = new Uint8Array(f.pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of f.pieces) {
    all.set(p, at);
    at += p.length;
  }
  writeFileSync(path.join(dir, "pieces.bin"), all);
  // The floor's plan (the bytes the core writes for each piece), from one relay in this process.
  buildRelayFloor();
  const plan = [], now = Date.now();
  new CoreRelay(new WebAssembly.Module(readFileSync(wasmPath("stream"))), configureBytes(loadConfig(), relayEnv()))
    .run(streamHead(AGENT, signStreamId(now), now), f.pieces, now, null, plan);
  writeFileSync(path.join(dir, "fixture.json"), JSON.stringify({
    lengths: f.pieces.map((p) => p.length), expected: f.expected, env: relayEnv(), agent: AGENT, plan,
  }));
  const w = await startWorkerd("relay", { modules: MODULES });
  const get = async (target, n, check = false) => {
    const now = Date.now();
    const q = new URLSearchParams({ target, n: String(n), now_ms: String(now), stream_id: signStreamId(now) });
    if (check) q.set("check", "1");
    const res = await fetch(`${w.url}/relay?${q}`);
    if (res.status !== 200) throw new Error(`workerd relay: ${res.status} ${(await res.text()).slice(0, 500)}\n${w.output().slice(-2000)}`);
    const r = await res.json();
    if (check && target !== "none" && target !== "floor" && r.ok !== true) throw new Error(`workerd relay ${target}: relayed text differs from the expected text`);
    return r;
  };
  const targets = ["core", "js", "floor", "none"];
  const raw = Object.fromEntries(targets.map((t) => [t, []]));
  const proc = describe(w.pid);
  try {
    for (let i = 0; i < WARMUP; i++) for (const t of targets) await get(t, PER_REQUEST, true);
    for (let b = 0; b < BATCHES; b++) {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(b + k) % targets.length];
        const c0 = cpuSample(w.pid);
        await get(t, t === "none" ? 0 : PER_REQUEST);
        const c1 = cpuSample(w.pid);
        raw[t].push(c1.sched - c0.sched);
      }
    }
    for (const t of ["core", "js"]) await get(t, 1, true); // still right at the end
  } finally {
    await w.stop();
  }
  log(`relay-workerd: ${BATCHES} batches × ${PER_REQUEST} relays per target after ${WARMUP} warm-up requests`);
  const floor = summary(raw.none).p50;
  const perChunk = (xs) => summary(xs.map((ms) => ((ms - floor) * 1e6) / PER_REQUEST / f.chunks));
  const out = {
    chunks: f.chunks, pieces: f.pieces.length, perRequest: PER_REQUEST, batches: BATCHES, warmup: WARMUP,
    process: proc,
    requestFloorCpuMs: floor,
    core: { cpuNsPerChunk: perChunk(raw.core) },
    js: { cpuNsPerChunk: perChunk(raw.js) },
    floor: { cpuNsPerChunk: perChunk(raw.floor) },
    textChecked: true,
  };
  out.ratios = { jsOverCore: out.js.cpuNsPerChunk.p50 / out.core.cpuNsPerChunk.p50 };
  return out;
});
