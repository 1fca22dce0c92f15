// Two builds of the function modules side by side in real workerd processes: module sizes, warm
// instantiation and CPU per offline chat turn, alternating between the builds round by round so
// that drift in the machine's load falls on both alike. For "before and after" of a change:
//
//   node bench/compare-builds.mjs --baseline=DIR [--rounds=12]
//
// DIR is another build's root: DIR/build/wasi/functions/{chat,stream,otp,summary}.wasm,
// DIR/build/salient.json and DIR/build/knowledge.bin (e.g. a worktree of the older commit after
// its ./scripts/build). The current build is this repo's build/. Both run this repo's host code
// (hosts/cloudflare/worker.js and the driver) and the canned state responder
// (lib/canned-store.mjs), so only the modules differ. Each round measures, for each build in
// turn (the order flips every round): a batch of turns (CPU of its workerd process, schedstat)
// and a batch of instantiations of each module (CPU per instantiation above the request floor).
// Medians over the rounds; the spread is the range of the per-round figures.

import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { startStateServer } from "../hosts/node-dev/state-server.js";
import { cannedStore } from "./lib/canned-store.mjs";
import { BUILD, ensureOut, FUNCTIONS, log, realisticEnv, REPO } from "./lib/common.mjs";
import { client } from "./lib/flow.mjs";
import { buildPeers } from "./lib/peers.mjs";
import { cpuSample } from "./lib/proc.mjs";
import { summary } from "./lib/stats.mjs";
import { SALIENT_MODULES, startWorkerd } from "./lib/workerd.mjs";

const argv = process.argv.slice(2);
const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const baselineDir = option("baseline");
const ROUNDS = Number(option("rounds") ?? 12);
const TURNS_PER_BATCH = 25;
const WARMUP_TURNS = 100;
const INSTANTIATIONS = 20;

if (!baselineDir || !Number.isInteger(ROUNDS) || ROUNDS < 2) {
  console.error("usage: node bench/compare-builds.mjs --baseline=DIR [--rounds=N ≥ 2]");
  process.exit(2);
}
const BUILD_FILES = [...FUNCTIONS.map((fn) => `wasi/functions/${fn}.wasm`), "salient.json", "knowledge.bin"];
for (const f of BUILD_FILES) {
  const file = path.join(baselineDir, "build", f);
  if (!existsSync(file)) throw new Error(`${file} is missing: --baseline must be another build's root`);
}

/**
 * A root whose build/ holds `from`'s modules, config and index, and this repo's bench peers (the
 * instantiate worker imports them): what startWorkerd reads build/ files from.
 */
function rootFor(name, from) {
  const root = path.join(ensureOut("compare"), name);
  rmSync(root, { recursive: true, force: true });
  for (const f of BUILD_FILES) {
    mkdirSync(path.dirname(path.join(root, "build", f)), { recursive: true });
    symlinkSync(path.resolve(from, "build", f), path.join(root, "build", f));
  }
  symlinkSync(path.join(BUILD, "bench"), path.join(root, "build", "bench"));
  return root;
}

const INSTANTIATE_MODULES = [
  ["bench/workers/instantiate-worker.js", "esModule"],
  ...SALIENT_MODULES.filter(([m]) => m !== "hosts/cloudflare/worker.js"),
  ["build/bench/peer-c.wasm", "wasm"],
  ["build/bench/peer-cpp.wasm", "wasm"],
];

const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const median = (xs) => summary(xs).p50;

buildPeers();
const builds = { before: rootFor("before", baselineDir), after: rootFor("after", REPO) };
const state = await startStateServer({ port: 0, backend: cannedStore() });
const running = [];
const out = { rounds: ROUNDS, turnsPerBatch: TURNS_PER_BATCH, instantiationsPerBatch: INSTANTIATIONS, builds: {} };
try {
  const turn = {}, inst = {}, raw = {};
  for (const [name, root] of Object.entries(builds)) {
    const env = realisticEnv(state.url);
    const t = await startWorkerd(`compare-turn-${name}`, { modules: SALIENT_MODULES, bindings: env, root });
    const i = await startWorkerd(`compare-inst-${name}`, { modules: INSTANTIATE_MODULES, bindings: env, root });
    running.push(t, i);
    turn[name] = { w: t, run: client(t.url, fetch) };
    inst[name] = i;
    raw[name] = { turnCpuMs: [], ...Object.fromEntries(FUNCTIONS.map((fn) => [`${fn}InstantiateMs`, []])) };
    for (let k = 0; k < WARMUP_TURNS; k++) await turn[name].run();
  }
  const instantiate = (name, target, n) =>
    fetch(`${inst[name].url}/instantiate?target=${target}&n=${n}`).then((r) => r.json());
  for (const name of Object.keys(builds)) for (const fn of [...FUNCTIONS, "none"]) await instantiate(name, fn, 5);

  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["before", "after"] : ["after", "before"];
    for (const name of order) {
      const { w, run } = turn[name];
      const c0 = cpuSample(w.pid).sched;
      for (let k = 0; k < TURNS_PER_BATCH; k++) await run();
      raw[name].turnCpuMs.push((cpuSample(w.pid).sched - c0) / TURNS_PER_BATCH);
      const pid = inst[name].pid;
      const f0 = cpuSample(pid).sched;
      await instantiate(name, "none", INSTANTIATIONS);
      const floor = cpuSample(pid).sched - f0;
      for (const fn of FUNCTIONS) {
        const c = cpuSample(pid).sched;
        await instantiate(name, fn, INSTANTIATIONS);
        raw[name][`${fn}InstantiateMs`].push((cpuSample(pid).sched - c - floor) / INSTANTIATIONS);
      }
    }
    log(`compare-builds: round ${round + 1}/${ROUNDS}`);
  }
  for (const [name, root] of Object.entries(builds)) {
    const sizes = Object.fromEntries(FUNCTIONS.map((fn) => [fn, gz(path.join(root, "build", "wasi", "functions", `${fn}.wasm`))]));
    out.builds[name] = {
      gzipBytes: sizes,
      ...Object.fromEntries(Object.entries(raw[name]).map(([k, xs]) => [k, { p50: median(xs), min: Math.min(...xs), max: Math.max(...xs) }])),
    };
  }
} finally {
  for (const w of running) await w.stop();
  await state.close();
}

const row = (label, key, digits = 3) => {
  const b = out.builds.before[key], a = out.builds.after[key];
  const f = (x) => `${x.p50.toFixed(digits)} (${x.min.toFixed(digits)}–${x.max.toFixed(digits)})`;
  return `| ${label} | ${f(b)} | ${f(a)} | ${(a.p50 / b.p50).toFixed(3)} |`;
};
const lines = [
  `| what (median of ${ROUNDS} alternations; range) | before | after | after / before |`,
  "|---|---|---|---|",
  row("CPU per offline turn in workerd, ms", "turnCpuMs"),
  ...FUNCTIONS.map((fn) => row(`warm instantiate + configure, ${fn}, ms CPU`, `${fn}InstantiateMs`)),
  ...FUNCTIONS.map((fn) =>
    `| ${fn}.wasm, bytes gzip -9 | ${out.builds.before.gzipBytes[fn]} | ${out.builds.after.gzipBytes[fn]} | ` +
    `${(out.builds.after.gzipBytes[fn] / out.builds.before.gzipBytes[fn]).toFixed(3)} |`),
];
console.log(lines.join("\n"));
console.log(JSON.stringify(out));
