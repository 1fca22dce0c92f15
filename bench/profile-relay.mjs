// Diagnostic (not part of run.mjs): where the wasm core's relay time goes, in Node, from V8's
// sampling profiler, with the wasm functions named (the name-section relink that
// `node bench/sizes.mjs` writes to build/bench/named/stream.named.wasm). Runs the CoreRelay loop
// of relay-node.mjs (a) on the same recorded stream and prints self time per upstream chunk.
//
//   node bench/sizes.mjs >/dev/null && node bench/profile-relay.mjs [--reps=200] [--pieces=MIN-MAX | --events]
//
// --pieces re-cuts the stream (default: relay-node's 1–200 bytes); e.g. --pieces=2000-16000
// shows the per-chunk costs without most of the per-piece ones; --events takes the bench's
// second cut (one piece per SSE event, one in eight split in two).

import { existsSync, readFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { args, OUT } from "./lib/common.mjs";
import { splitIntoPieces } from "../tests/support/openrouter-stream.mjs";
import { AGENT, loadConfig, PIECES, relayEnv, relayFixture, signStreamId } from "./lib/relay.mjs";
import { configureBytes, CoreRelay, streamHead } from "./workers/relay.js";

const N = Number(args.find((a) => a.startsWith("--reps="))?.slice(7) ?? 200);
const file = path.join(OUT, "named", "stream.named.wasm");
if (!existsSync(file)) throw new Error(`${file} is missing: run node bench/sizes.mjs first`);
const core = new CoreRelay(new WebAssembly.Module(readFileSync(file)), configureBytes(loadConfig(), relayEnv()));
const f = relayFixture();
const cut = args.find((a) => a.startsWith("--pieces="))?.slice(9).split("-").map(Number);
if (cut) f.pieces = splitIntoPieces(f.bytes, { seed: PIECES.seed, min: cut[0], max: cut[1] });
if (args.includes("--events")) f.pieces = f.eventPieces;
const once = () => {
  const now = Date.now();
  return core.run(streamHead(AGENT, signStreamId(now), now), f.pieces, now).ms;
};
for (let i = 0; i < 50; i++) once();

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 50 });
await session.post("Profiler.start");
let timed = 0;
for (let i = 0; i < N; i++) timed += once();
const { profile } = await session.post("Profiler.stop");
session.disconnect();

const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const byFunction = new Map();
let total = 0, wasm = 0;
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  const { functionName, url } = node.callFrame;
  if (!us || functionName === "(idle)") continue;
  total += us;
  const isWasm = url.startsWith("wasm://");
  if (isWasm) wasm += us;
  const key = isWasm ? `wasm  ${functionName}` : `JS    ${functionName || "(anonymous)"} ${url.split("/").pop()}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
const perChunk = (us) => ((us * 1000) / N / f.chunks).toFixed(0).padStart(6);
console.log(`${N} relays of ${f.chunks} chunks (${f.pieces.length} pieces): timed loop ${((timed * 1e6) / N / f.chunks).toFixed(0)} ns/chunk; ` +
  `sampled ${perChunk(total).trim()} ns/chunk (whole run), wasm ${perChunk(wasm).trim()} ns/chunk`);
console.log("top functions (self ns per chunk):");
for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${perChunk(us)}  ${k.slice(0, 150)}`);
