// (b, cold) What a fresh Node process pays the first time: each measurement runs in a new process
// (`--child`), several rounds, targets interleaved, with V8's default lazy wasm compilation and
// with --no-wasm-lazy-compilation (eager Liftoff).
//   module targets (the four reactors, the peers): compile (new WebAssembly.Module), the first
//     instantiation (+ _initialize + configure for ours), then a second one;
//   turn: compile the four modules, createSalient (instantiates all four), the first offline chat
//     turn in-process (as in turn-node.mjs), then a second;
//   turn-peer: the same first and second turn through the "stream" peer (workers/peer.js, with
//     stand-in bytes) and the same in-process canned state responder (lib/canned-store.mjs): Node's own first-use costs (undici's
//     Request/Response/streams load lazily, JS compiles), to set against ours.
//
//   node bench/cold-node.mjs [--quick]

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createSalient } from "../hosts/driver.js";
import { rpcHandler } from "../hosts/node-dev/postgrest.js";
import { cannedStore } from "./lib/canned-store.mjs";
import { args, FUNCTIONS, loadConfig, log, QUICK, realisticEnv, section, wasmPath } from "./lib/common.mjs";
import { client } from "./lib/flow.mjs";
import { buildPeers } from "./lib/peers.mjs";
import { summary } from "./lib/stats.mjs";
import { peerHandler } from "./workers/peer.js";

const ROUNDS = QUICK ? 2 : 5;
const cpuMs = (c) => (c.user + c.system) / 1000;

function timed(fn) {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const value = fn();
  return { value, wall: performance.now() - t0, cpu: cpuMs(process.cpuUsage(c0)) };
}

async function child(target, file) {
  const config = loadConfig(), env = realisticEnv("http://state.invalid");
  if (target === "turn-peer") {
    const state = rpcHandler(cannedStore());
    const body = '<div sse-connect="/a/sales/events/stream?stream_id=TURN.1.mac"></div>';
    const sse = "id: 1\nevent: done\ndata: {}\n\n";
    const handle = peerHandler({
      mode: "stream", stateUrl: "http://state.invalid", fetch: (u, i) => state(new Request(u, i)),
      fixtures: { post: { status: 200, headers: [], body }, stream: { status: 200, headers: [], body: sse, chunks: [sse] },
        turnId: "TURN", finishContent: "answer", tenant: "brightleaf", agent: "sales" },
    });
    const turn = client("http://bench.invalid", handle);
    return firstTwoTurns(turn);
  }
  if (target === "turn") {
    const bytes = FUNCTIONS.map((fn) => readFileSync(wasmPath(fn)));
    const compile = timed(() => bytes.map((b) => new WebAssembly.Module(b)));
    const modules = Object.fromEntries(FUNCTIONS.map((fn, i) => [fn, compile.value[i]]));
    const state = rpcHandler(cannedStore());
    const create = timed(() => createSalient({ modules, config, env, log: () => {}, fetch: (u, i) => state(new Request(u, i)) }));
    const turn = client("http://bench.invalid", create.value.handle);
    return { compile: compile.wall, createSalient: create.wall, ...(await firstTwoTurns(turn)) };
  }
  const ours = FUNCTIONS.includes(target);
  const bytes = readFileSync(file);
  const compile = timed(() => new WebAssembly.Module(bytes));
  const configure = new TextEncoder().encode(JSON.stringify({ config, env }));
  const instantiate = () => {
    let x;
    const wasi = {};
    for (const { module: from, name, kind } of WebAssembly.Module.imports(compile.value)) {
      if (from === "wasi_snapshot_preview1" && kind === "function") wasi[name] = () => 52;
    }
    wasi.random_get = (ptr, len) => (crypto.getRandomValues(new Uint8Array(x.memory.buffer, ptr, len)), 0);
    x = new WebAssembly.Instance(compile.value, { wasi_snapshot_preview1: wasi }).exports;
    x._initialize();
    if (ours) {
      const ptr = x.salient_alloc(configure.length);
      new Uint8Array(x.memory.buffer).set(configure, ptr);
      if (x.salient_configure(ptr, configure.length) !== 0) throw new Error("configure failed");
    }
  };
  return { compile: compile.wall, compileCpu: compile.cpu, firstInstantiate: timed(instantiate).wall, secondInstantiate: timed(instantiate).wall };
}

if (args.includes("--child")) {
  const target = args[args.indexOf("--child") + 1];
  const file = args[args.indexOf("--child") + 2];
  child(target, file).then((r) => process.stdout.write(JSON.stringify(r) + "\n"), (err) => {
    process.stderr.write(String(err?.stack ?? err) + "\n");
    process.exitCode = 1;
  });
} else {
  section(async () => {
    const peers = buildPeers();
    const targets = [...FUNCTIONS.map((fn) => [fn, wasmPath(fn)]), ...Object.entries(peers), ["turn", ""], ["turn-peer", ""]];
    const modes = { lazy: [], eager: ["--no-wasm-lazy-compilation"] };
    const raw = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [mode, flags] of Object.entries(modes)) {
        for (const [target, file] of targets) {
          const r = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), "--child", target, file], { encoding: "utf8" });
          if (r.status !== 0) throw new Error(`cold ${target} (${mode}): ${r.stderr}`);
          const result = JSON.parse(r.stdout.trim());
          for (const [k, v] of Object.entries(result)) ((raw[mode] ??= {})[target] ??= {})[k] ??= [], raw[mode][target][k].push(v);
        }
      }
    }
    log(`cold-node: ${ROUNDS} rounds`);
    const out = { rounds: ROUNDS };
    for (const [mode, byTarget] of Object.entries(raw)) {
      out[mode] = Object.fromEntries(Object.entries(byTarget).map(([t, fields]) =>
        [t, Object.fromEntries(Object.entries(fields).map(([k, xs]) => [k, summary(xs)]))]));
    }
    return out;
  });
}

/** Wall and CPU time of a fresh process's first and second turn. */
async function firstTwoTurns(turn) {
  const out = {};
  for (const key of ["firstTurn", "secondTurn"]) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    await turn();
    out[`${key}Wall`] = performance.now() - t0;
    out[`${key}Cpu`] = cpuMs(process.cpuUsage(c0));
  }
  return out;
}
