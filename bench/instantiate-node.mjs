// (b) Compile and instantiate times in Node (V8), per function module and for the peers.
//
// compile:      new WebAssembly.Module(bytes). V8 caches native modules by their bytes, so every
//               repetition appends a distinct (ignored) custom section to defeat the cache.
// instantiate:  new WebAssembly.Instance(module, imports) → _initialize() → salient_alloc + copy
//               + salient_configure(config + a realistic env), timed per phase; the peers do the
//               first two (they have no configure).
// driver:       createSalient({ modules: { <fn> } }) from hosts/driver.js: what an isolate pays per
//               module on its first request (JSON encoding of the configure input, the import
//               object, one instance, _initialize, configure).
// Targets are interleaved rep by rep; instances are dropped and a GC is forced every few reps
// outside the timed regions (each wasm memory reserves address space; the driver itself keeps
// at most 8 idle instances per module).
//
// --compile-only: just the compile figures and each target's first instantiation (run.mjs runs
// this once more under --no-wasm-lazy-compilation: V8 compiles wasm lazily by default, function
// by function on first call, so the default "compile" is mostly validation).
//
//   node --expose-gc bench/instantiate-node.mjs [--quick] [--compile-only]

import { readFileSync } from "node:fs";
import { createSalient } from "../hosts/driver.js";
import { args, FUNCTIONS, loadConfig, log, QUICK, realisticEnv, section, wasmPath } from "./lib/common.mjs";
import { buildPeers } from "./lib/peers.mjs";
import { summary } from "./lib/stats.mjs";

const WARMUP = QUICK ? 10 : 30;
const REPS = QUICK ? 60 : 300;
const COMPILE_REPS = QUICK ? 8 : 40;
const gc = globalThis.gc ?? (() => {});

const encoder = new TextEncoder();
const config = loadConfig();
const env = realisticEnv();
const configure = encoder.encode(JSON.stringify({ config, env })); // what the driver passes

/** WASI preview1 as the driver provides it: random_get real, everything else a cheap stub. */
function imports(module, memory) {
  const wasi = {
    random_get(ptr, len) {
      for (let at = 0; at < len; at += 65536) {
        crypto.getRandomValues(new Uint8Array(memory().buffer, ptr + at, Math.min(65536, len - at)));
      }
      return 0;
    },
    fd_write: () => 52,
    proc_exit: (code) => { throw new Error(`proc_exit(${code})`); },
    environ_sizes_get(count, size) {
      const dv = new DataView(memory().buffer);
      dv.setUint32(count, 0, true);
      dv.setUint32(size, 0, true);
      return 0;
    },
    environ_get: () => 0,
  };
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (from === "wasi_snapshot_preview1" && kind === "function" && !wasi[name]) wasi[name] = () => 52;
  }
  return { wasi_snapshot_preview1: wasi };
}

/** One instantiation, timed per phase (ms). */
function instantiate(module, withConfigure) {
  let x;
  const t0 = performance.now();
  const instance = new WebAssembly.Instance(module, imports(module, () => x.memory));
  x = instance.exports;
  const t1 = performance.now();
  x._initialize();
  const t2 = performance.now();
  let t3 = t2;
  if (withConfigure) {
    const ptr = x.salient_alloc(configure.length);
    new Uint8Array(x.memory.buffer).set(configure, ptr);
    if (x.salient_configure(ptr, configure.length) !== 0) throw new Error("salient_configure failed");
    t3 = performance.now();
  }
  return { instance: t1 - t0, initialize: t2 - t1, configure: t3 - t2, total: t3 - t0, memory: x.memory.buffer.byteLength };
}

/** bytes + a custom section "bench-<n>" (ignored by the engine, defeats V8's module cache). */
function withCustomSection(bytes, n) {
  const name = encoder.encode(`bench-${n}`);
  const payload = [name.length, ...name];
  return Buffer.concat([bytes, Buffer.from([0, payload.length, ...payload])]);
}

function timeCompile(bytes, n) {
  const variant = withCustomSection(bytes, n);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const module = new WebAssembly.Module(variant);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { module, wall, cpu: (cpu.user + cpu.system) / 1000 };
}

section(async () => {
  const peers = buildPeers();
  const targets = [
    ...FUNCTIONS.map((fn) => ({ name: fn, bytes: readFileSync(wasmPath(fn)), ours: true })),
    ...Object.entries(peers).map(([name, file]) => ({ name, bytes: readFileSync(file), ours: false })),
  ];

  // Compile: a cold first compile per target, then interleaved repetitions.
  const compile = {};
  for (const t of targets) {
    const first = timeCompile(t.bytes, "first");
    t.module = first.module;
    compile[t.name] = { first: first.wall, wall: [], cpu: [] };
  }
  for (let rep = 0; rep < COMPILE_REPS; rep++) {
    for (const t of targets) {
      const { wall, cpu } = timeCompile(t.bytes, rep);
      compile[t.name].wall.push(wall);
      compile[t.name].cpu.push(cpu);
    }
    gc();
  }
  log(`instantiate-node: compile done (${COMPILE_REPS} reps)`);
  const lazy = !process.execArgv.includes("--no-wasm-lazy-compilation");
  if (args.includes("--compile-only")) {
    const out = { lazyCompilation: lazy, compileReps: COMPILE_REPS, targets: {} };
    for (const t of targets) {
      out.targets[t.name] = {
        compile: { first: compile[t.name].first, wall: summary(compile[t.name].wall), cpu: summary(compile[t.name].cpu) },
        firstInstantiate: instantiate(t.module, t.ours).total,
      };
    }
    return out;
  }

  // Instantiate: the first one per target (cold: V8 may still be finishing code), then warm-up,
  // then interleaved timed repetitions.
  const inst = {};
  for (const t of targets) {
    const first = instantiate(t.module, t.ours);
    inst[t.name] = { first: first.total, memoryBytes: first.memory, instance: [], initialize: [], configure: [], total: [] };
  }
  for (let rep = 0; rep < WARMUP; rep++) for (const t of targets) instantiate(t.module, t.ours);
  gc();
  for (let rep = 0; rep < REPS; rep++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(rep + k) % targets.length]; // rotate the order too
      const r = instantiate(t.module, t.ours);
      for (const phase of ["instance", "initialize", "configure", "total"]) inst[t.name][phase].push(r[phase]);
    }
    if (rep % 20 === 19) gc();
  }
  log(`instantiate-node: instantiate done (${REPS} reps)`);

  // As shipped: createSalient with one module.
  const driver = {};
  const silent = () => {};
  for (const fn of FUNCTIONS) driver[fn] = [];
  const modules = Object.fromEntries(targets.filter((t) => t.ours).map((t) => [t.name, t.module]));
  for (let rep = 0; rep < WARMUP; rep++) for (const fn of FUNCTIONS) createSalient({ modules: { [fn]: modules[fn] }, config, env, log: silent });
  for (let rep = 0; rep < REPS; rep++) {
    for (let k = 0; k < FUNCTIONS.length; k++) {
      const fn = FUNCTIONS[(rep + k) % FUNCTIONS.length];
      const t0 = performance.now();
      createSalient({ modules: { [fn]: modules[fn] }, config, env, log: silent });
      driver[fn].push(performance.now() - t0);
    }
    if (rep % 20 === 19) gc();
  }
  const allFour = [];
  for (let rep = 0; rep < (QUICK ? 20 : 100); rep++) {
    const t0 = performance.now();
    createSalient({ modules, config, env, log: silent });
    allFour.push(performance.now() - t0);
    if (rep % 10 === 9) gc();
  }
  log(`instantiate-node: createSalient done`);

  const out = { lazyCompilation: lazy, reps: REPS, warmup: WARMUP, compileReps: COMPILE_REPS, configureBytes: configure.length, targets: {} };
  for (const t of targets) {
    out.targets[t.name] = {
      ours: t.ours,
      bytes: t.bytes.length,
      compile: { first: compile[t.name].first, wall: summary(compile[t.name].wall), cpu: summary(compile[t.name].cpu) },
      instantiate: {
        first: inst[t.name].first,
        memoryBytes: inst[t.name].memoryBytes,
        instance: summary(inst[t.name].instance),
        initialize: summary(inst[t.name].initialize),
        configure: summary(inst[t.name].configure),
        total: summary(inst[t.name].total),
      },
      createSalient: t.ours ? summary(driver[t.name]) : undefined,
    };
  }
  out.createSalientAllFour = summary(allFour);
  return out;
});
