// (b, c in workerd) Instantiate times and CPU per offline chat turn inside a real workerd.
//
// CPU is the workerd process's own, read from /proc/<pid> (lib/proc.mjs) around batches of work
// driven from this process over loopback: schedstat (ns, summed over its threads) per batch, and
// utime+stime (10 ms ticks) over the whole run as a cross-check. Every target runs in its own
// workerd process, all started from the same binary; batches rotate over the targets so drift
// in machine load hits them alike.
//
// turns:       ours = hosts/cloudflare/worker.js (the real worker, real bindings) with the canned
//              state responder (lib/canned-store.mjs) on loopback in this process;
//              peer-stream / peer-stream1 / peer-io / peer-static = workers/peer-worker.js (see
//              workers/peer.js). Also: which of workerd's threads the CPU went to.
// instantiate: workers/instantiate-worker.js, n instantiations per request; per instantiation =
//              (CPU of the request − CPU of an n=0 "none" request) / n, and the worker's own clock.
// cold:        fresh workerd processes: spawn → socket accepting (compiles the wasm modules),
//              then the very first request (a turn; or createSalient with all four modules).
//
//   node bench/workerd.mjs [--quick]

import { writeFileSync } from "node:fs";
import path from "node:path";
import { startStateServer } from "../hosts/node-dev/state-server.js";
import { cannedStore } from "./lib/canned-store.mjs";
import { ensureOut, log, QUICK, realisticEnv, section } from "./lib/common.mjs";
import { captureFixtures, client } from "./lib/flow.mjs";
import { buildPeers } from "./lib/peers.mjs";
import { cpuSample, describe, threadCpuMs } from "./lib/proc.mjs";
import { summary } from "./lib/stats.mjs";
import { SALIENT_MODULES, startWorkerd } from "./lib/workerd.mjs";

const TURN_WARMUP = QUICK ? 30 : 150;
const TURN_BATCHES = QUICK ? 8 : 40;
const TURNS_PER_BATCH = QUICK ? 10 : 25;
const INST_ROUNDS = QUICK ? 4 : 12;
const INST_PER_REQUEST = 25;
const COLD_ROUNDS = QUICK ? 2 : 5;

const PEER_MODULES = [
  ["bench/workers/peer-worker.js", "esModule"],
  ["bench/workers/peer.js", "esModule"],
  ["build/bench/workerd/fixtures.json", "json"],
];
const INSTANTIATE_MODULES = [
  ["bench/workers/instantiate-worker.js", "esModule"],
  ...SALIENT_MODULES.filter(([m]) => m !== "hosts/cloudflare/worker.js"),
  ["build/bench/peer-c.wasm", "wasm"],
  ["build/bench/peer-cpp.wasm", "wasm"],
];

const send = (request) => fetch(request);

section(async () => {
  buildPeers();
  const fixtures = await captureFixtures();
  writeFileSync(path.join(ensureOut("workerd"), "fixtures.json"), JSON.stringify(fixtures));
  const state = await startStateServer({ port: 0, backend: cannedStore() });
  const specs = {
    ours: { modules: SALIENT_MODULES, bindings: realisticEnv(state.url) },
    "peer-stream": { modules: PEER_MODULES, bindings: { MODE: "stream", SUPABASE_URL: state.url } },
    "peer-stream1": { modules: PEER_MODULES, bindings: { MODE: "stream1", SUPABASE_URL: state.url } },
    "peer-io": { modules: PEER_MODULES, bindings: { MODE: "io", SUPABASE_URL: state.url } },
    "peer-static": { modules: PEER_MODULES, bindings: { MODE: "static" } },
  };
  const out = { stateCalls: fixtures.stateCalls };
  const running = [];
  try {
    // ---- cold starts --------------------------------------------------------------------------
    const cold = { ours: { startupMs: [], firstTurnCpu: [], firstTurnWall: [] }, "peer-static": { startupMs: [], firstTurnCpu: [], firstTurnWall: [] } };
    const coldInst = { startupMs: [], workerMs: [], cpu: [], secondWorkerMs: [], secondCpu: [] };
    for (let round = 0; round < COLD_ROUNDS; round++) {
      for (const name of Object.keys(cold)) {
        const w = await startWorkerd(`cold-${name}`, specs[name]);
        running.push(w);
        const c0 = cpuSample(w.pid), t0 = performance.now();
        await client(w.url, send)();
        const wall = performance.now() - t0, c1 = cpuSample(w.pid);
        cold[name].startupMs.push(w.startupMs);
        cold[name].firstTurnCpu.push(c1.sched - c0.sched);
        cold[name].firstTurnWall.push(wall);
        await w.stop();
        running.pop();
      }
      const w = await startWorkerd("cold-instantiate", { modules: INSTANTIATE_MODULES, bindings: realisticEnv(state.url) });
      running.push(w);
      for (const key of ["", "second"]) {
        const c0 = cpuSample(w.pid);
        const r = await (await fetch(`${w.url}/instantiate?target=all&n=1`)).json();
        const c1 = cpuSample(w.pid);
        coldInst[key ? "secondWorkerMs" : "workerMs"].push(r.ms);
        coldInst[key ? "secondCpu" : "cpu"].push(c1.sched - c0.sched);
      }
      coldInst.startupMs.push(w.startupMs);
      await w.stop();
      running.pop();
    }
    out.cold = {
      rounds: COLD_ROUNDS,
      turn: Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([m, xs]) => [m, summary(xs)]))])),
      instantiateAll: Object.fromEntries(Object.entries(coldInst).map(([m, xs]) => [m, summary(xs)])),
    };
    log(`workerd: cold starts done (${COLD_ROUNDS} rounds)`);

    // ---- instantiate, warm --------------------------------------------------------------------
    {
      const w = await startWorkerd("instantiate", { modules: INSTANTIATE_MODULES, bindings: realisticEnv(state.url) });
      running.push(w);
      const targets = ["chat", "stream", "otp", "summary", "peer-c", "peer-cpp", "none"];
      const get = (target, n) => fetch(`${w.url}/instantiate?target=${target}&n=${n}`).then((r) => r.json());
      for (let i = 0; i < 3; i++) for (const t of targets) await get(t, 10);
      const raw = Object.fromEntries(targets.map((t) => [t, { cpu: [], workerMs: [] }]));
      for (let round = 0; round < INST_ROUNDS; round++) {
        for (let k = 0; k < targets.length; k++) {
          const t = targets[(round + k) % targets.length];
          const c0 = cpuSample(w.pid);
          const r = await get(t, INST_PER_REQUEST);
          const c1 = cpuSample(w.pid);
          raw[t].cpu.push(c1.sched - c0.sched);
          raw[t].workerMs.push(r.ms);
        }
      }
      const floor = summary(raw.none.cpu).p50; // per-request cost with no instantiation
      out.instantiate = { perRequest: INST_PER_REQUEST, rounds: INST_ROUNDS, requestFloorCpuMs: floor, targets: {} };
      for (const t of targets.filter((t) => t !== "none")) {
        out.instantiate.targets[t] = {
          cpu: summary(raw[t].cpu.map((c) => (c - floor) / INST_PER_REQUEST)),
          workerClock: summary(raw[t].workerMs.map((m) => m / INST_PER_REQUEST)),
        };
      }
      await w.stop();
      running.pop();
      log(`workerd: instantiate done (${INST_ROUNDS} rounds × ${INST_PER_REQUEST})`);
    }

    // ---- turns --------------------------------------------------------------------------------
    const workers = {};
    for (const [name, spec] of Object.entries(specs)) {
      workers[name] = await startWorkerd(name, spec);
      running.push(workers[name]);
    }
    const names = Object.keys(workers);
    const turns = Object.fromEntries(names.map((n) => [n, client(workers[n].url, send)]));
    for (let i = 0; i < TURN_WARMUP; i++) for (const n of names) await turns[n]();
    // Idle CPU: what each process burns with no requests (should be ~0).
    const idle0 = Object.fromEntries(names.map((n) => [n, cpuSample(workers[n].pid)]));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = Object.fromEntries(names.map((n) => [n, cpuSample(workers[n].pid).sched - idle0[n].sched]));
    log(`workerd: turns warmed up (${TURN_WARMUP} each)`);

    const raw = Object.fromEntries(names.map((n) => [n, { cpu: [], wall: [] }]));
    const start = Object.fromEntries(names.map((n) => [n, cpuSample(workers[n].pid)]));
    const threadsStart = Object.fromEntries(names.map((n) => [n, threadCpuMs(workers[n].pid)]));
    for (let b = 0; b < TURN_BATCHES; b++) {
      for (let k = 0; k < names.length; k++) {
        const n = names[(b + k) % names.length];
        const c0 = cpuSample(workers[n].pid), t0 = performance.now();
        for (let i = 0; i < TURNS_PER_BATCH; i++) await turns[n]();
        const wall = performance.now() - t0, c1 = cpuSample(workers[n].pid);
        raw[n].cpu.push((c1.sched - c0.sched) / TURNS_PER_BATCH);
        raw[n].wall.push(wall / TURNS_PER_BATCH);
      }
    }
    const total = TURN_BATCHES * TURNS_PER_BATCH;
    out.turns = { warmup: TURN_WARMUP, batches: TURN_BATCHES, turnsPerBatch: TURNS_PER_BATCH, targets: {} };
    for (const n of names) {
      const end = cpuSample(workers[n].pid);
      out.turns.targets[n] = {
        process: describe(workers[n].pid),
        startupMs: workers[n].startupMs,
        idleCpuMsPerS: idle[n],
        cpu: summary(raw[n].cpu),
        wall: summary(raw[n].wall),
        // whole-run means, two ways: schedstat (live threads, ns) and stat (all threads, 10 ms ticks)
        meanCpuSched: (end.sched - start[n].sched) / total,
        meanCpuStat: (end.stat - start[n].stat) / total,
        perThreadMeanCpu: Object.fromEntries(Object.entries(threadCpuMs(workers[n].pid)).map(([tid, t]) =>
          [`${t.comm}/${tid}`, (t.ms - (threadsStart[n][tid]?.ms ?? 0)) / total])),
      };
    }
    log(`workerd: turns done (${TURN_BATCHES} × ${TURNS_PER_BATCH} each)`);
  } finally {
    for (const w of running) await w.stop();
    await state.close();
  }
  return out;
});
