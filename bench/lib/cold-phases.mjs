// A cold first request split into its phases, in a fresh process of its own: run by
// bench/cold-start.mjs under Node (as the Vercel function loads its module: the files on disk)
// and under Deno (as the Netlify edge function does: build/netlify/assets.js, base64 decoded).
// Each phase's CPU is the process's (process.cpuUsage(), which Deno has too: getrusage, all
// threads, V8's background compile threads included), with its wall time beside it.
//
//   node bench/lib/cold-phases.mjs <fn> <route JSON> <state URL>
//   deno run -A bench/lib/cold-phases.mjs <fn> <route JSON> <state URL>
// route JSON: { method, path, form?, accept? }. Prints one JSON line: { phase: { cpu, wall } }.

import { readFileSync } from "node:fs";
import process from "node:process";

const [fn, routeJson, stateUrl] = (globalThis.Deno ? Deno.args : process.argv.slice(2));
const route = JSON.parse(routeJson);
const DENO = Boolean(globalThis.Deno);
const build = new URL("../../build/", import.meta.url);

/** The process's CPU (getrusage: all threads, V8's background compile threads included). */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const phases = {};
async function phase(name, fn) {
  const c0 = cpuMs(), t0 = performance.now();
  const value = await fn();
  phases[name] = { wall: performance.now() - t0, cpu: cpuMs() - c0 };
  return value;
}

const { createSalient } = await phase("import the driver (JS)", () => import("../../hosts/driver.js"));
const { bytes, config, knowledge } = await phase(DENO ? "import assets.js + base64 decode" : "read the module, config, index", async () => {
  if (DENO) {
    const assets = await import("../../build/netlify/assets.js");
    return { bytes: assets.modules[fn](), config: assets.config, knowledge: assets.knowledge() };
  }
  return {
    bytes: readFileSync(new URL(`wasi/functions/${fn}.wasm`, build)),
    config: JSON.parse(readFileSync(new URL("salient.json", build), "utf8")),
    knowledge: new Uint8Array(readFileSync(new URL("knowledge.bin", build))),
  };
});
const module = await phase("compile (new WebAssembly.Module)", () => new WebAssembly.Module(bytes));
const env = { SALIENT_STREAM_SECRET: "bench-stream-secret-0123456789abcdefghijklmnop", SUPABASE_URL: stateUrl };

// The reactor by hand, as hosts/driver/instance.js does it, one phase per call.
let x;
const configure = new TextEncoder().encode(JSON.stringify({ config, env }));
await phase("instantiate + _initialize", () => {
  const wasi = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (from === "wasi_snapshot_preview1" && kind === "function") wasi[name] = () => 52;
  }
  wasi.random_get = (ptr, len) => (crypto.getRandomValues(new Uint8Array(x.memory.buffer, ptr, len)), 0);
  x = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi }).exports;
  x._initialize();
});
const copyIn = (data) => {
  const ptr = x.salient_alloc(data.length);
  new Uint8Array(x.memory.buffer).set(data, ptr);
  return ptr;
};
await phase("salient_configure", () => {
  if (x.salient_configure(copyIn(configure), configure.length) !== 0) throw new Error("configure failed");
});
if (fn === "stream" || fn === "summary") {
  await phase("salient_knowledge", () => {
    if (x.salient_knowledge(copyIn(knowledge), knowledge.length) !== 0) throw new Error("knowledge failed");
  });
}
// The driver's own instance (eager): a second instantiation, its code now compiled.
const salient = await phase("createSalient (2nd instantiate + configure)", () =>
  createSalient({ modules: { [fn]: module }, config, env, knowledge, log: () => {}, eager: true }));
const request = () => new Request("http://bench.invalid" + route.path, {
  method: route.method,
  headers: route.form ? { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" } : { accept: route.accept ?? "text/html" },
  body: route.form ? new URLSearchParams({ ...route.form, idempotency_key: crypto.randomUUID() }) : undefined,
});
for (const name of ["1st request: answer", "2nd request (warm)"]) {
  await phase(name, async () => {
    const response = await salient.handle(request(), { waitUntil: () => {} });
    await response.arrayBuffer();
  });
  if (route.secondPath) route.path = route.secondPath; // a stream's second GET needs a turn of its own
}
console.log(JSON.stringify(phases));
