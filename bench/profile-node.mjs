// Diagnostic (not part of run.mjs): where a turn's CPU goes in Node, in-process (as turn-node.mjs),
// from V8's sampling profiler (node:inspector), with the wasm functions named: the modules are
// the name-section relinks that `node bench/sizes.mjs` writes to build/bench/named/ (the same
// code bytes as the shipped modules, plus names). Prints self time per turn of the top JS and
// wasm functions, and the wasm time by library.
//
//   node bench/sizes.mjs >/dev/null && node bench/profile-node.mjs [--turns=1500]

import { existsSync, readFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { createSalient } from "../hosts/driver.js";
import { rpcHandler } from "../hosts/node-dev/postgrest.js";
import { cannedStore } from "./lib/canned-store.mjs";
import { args, FUNCTIONS, loadConfig, OUT, realisticEnv } from "./lib/common.mjs";
import { client } from "./lib/flow.mjs";

const N = Number(args.find((a) => a.startsWith("--turns="))?.slice(8) ?? 1500);
const modules = {};
for (const fn of FUNCTIONS) {
  const file = path.join(OUT, "named", `${fn}.named.wasm`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run node bench/sizes.mjs first`);
  modules[fn] = new WebAssembly.Module(readFileSync(file));
}
const state = rpcHandler(cannedStore());
const salient = createSalient({
  modules, config: loadConfig(), env: realisticEnv("http://state.invalid"),
  log: (obj) => void JSON.stringify(obj), fetch: (url, init) => state(new Request(url, init)),
});
const turn = client("http://bench.invalid", salient.handle);
for (let i = 0; i < 300; i++) await turn();

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 50 });
await session.post("Profiler.start");
for (let i = 0; i < N; i++) await turn();
const { profile } = await session.post("Profiler.stop");
session.disconnect();

const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const byFunction = new Map(), byLibrary = new Map();
let total = 0, wasm = 0;
const library = (f) => {
  const first = (token) => { const i = f.indexOf(token); return i < 0 ? Infinity : i; };
  if (/^(dlmalloc|dlfree|malloc|free|salient_free|salient_alloc|operator new|operator delete|internal_memalign)/.test(f)) return "malloc/free";
  if (/^(memmove|memcpy|memset|memcmp|strlen)/.test(f)) return "mem*";
  if (first("nlohmann::") < first("salient::")) return "nlohmann::json";
  if (first("std::") < first("salient::") && f.startsWith("std::")) return "libc++";
  if (/sha256|hmac|crypto_|chacha|randombytes|sodium/i.test(f)) return "libsodium";
  return "ours (incl. inlined library code)";
};
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  const { functionName, url } = node.callFrame;
  if (!us || functionName === "(idle)") continue;
  total += us;
  const isWasm = url.startsWith("wasm://");
  const key = isWasm ? `wasm  ${functionName}` : `JS    ${functionName || "(anonymous)"} ${url.split("/").pop()}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  if (isWasm) {
    wasm += us;
    byLibrary.set(library(functionName), (byLibrary.get(library(functionName)) ?? 0) + us);
  }
}
const perTurn = (us) => (us / 1000 / N).toFixed(4);
console.log(`${N} turns: sampled ${perTurn(total)} ms/turn, of which wasm ${perTurn(wasm)} ms (${((wasm / total) * 100).toFixed(0)}%)`);
console.log("wasm by library:");
for (const [k, us] of [...byLibrary].sort((a, b) => b[1] - a[1])) console.log(`  ${perTurn(us)} ms  ${((us / wasm) * 100).toFixed(0).padStart(3)}%  ${k}`);
console.log("top functions (self time):");
for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${perTurn(us)} ms  ${k.slice(0, 140)}`);
