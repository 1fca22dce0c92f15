// (i) Cold starts (issue 20): what a fresh process or isolate costs under each local runtime, read
// from the OS's counters, against the platforms' limits.
//   For each runtime (lib/cold-hosts.mjs: workerd running hosts/cloudflare/worker.js, Deno running
//   the Netlify edge function, Node running the Vercel function) and each route below, RUNS fresh
//   processes, one route each: (a) startup, the process's CPU from spawn until it accepts a
//   connection and has gone idle; (b) its first request, the process's CPU from before the request
//   until it has gone idle after the answer (so background compilation and the run's waitUntil
//   work count); (c) the same route again (warm). CPU is the sum of the process's threads' on-CPU
//   time (/proc/<pid>/task/*/schedstat, ns); `stat` (utime+stime, 10 ms ticks, dead threads
//   included) is kept beside it for startup. The peer is each runtime's empty process (same
//   server, a handler that answers "ok"), in the same run, interleaved.
//   Then the phases of a cold first request in-process (lib/cold-phases.mjs) under Node and Deno.
// The state store is the canned responder (lib/canned-store.mjs) on loopback in this process.
//
// --worker-variants=configure-only,no-warm-up,eager adds earlier forms of worker.js (lib/cold-worker.mjs) to workerd's rows.
//
//   node bench/cold-start.mjs [--runs=7] [--runtimes=workerd,deno,node] [--routes=page,chat,…] [--no-phases] [--worker-variants=configure-only,no-warm-up,eager]

import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { createSalient } from "../hosts/driver.js";
import { rpcHandler } from "../hosts/node-dev/postgrest.js";
import { startStateServer } from "../hosts/node-dev/state-server.js";
import { DENO } from "../tests/support/netlify-edge.mjs";
import { cannedStore } from "./lib/canned-store.mjs";
import { addWorkerVariants, RUNTIMES } from "./lib/cold-hosts.mjs";
import { args, loadConfig, log, MESSAGE, realisticEnv, REPO } from "./lib/common.mjs";
import { schedCpuMs, statCpuMs } from "./lib/proc.mjs";
import { summary, table } from "./lib/stats.mjs";

const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const RUNS = Number(opt("runs", 7));
const SESSION = crypto.randomUUID();

// The route each fresh process is asked first, per module. `stream` needs a turn begun beforehand.
export const ROUTES = {
  page: { module: "chat", label: "GET /a/sales/ (chat page)", method: "GET", path: "/a/sales/", status: 200 },
  chat: { module: "chat", label: "POST /a/sales/chat", method: "POST", path: "/a/sales/chat", form: { message: MESSAGE, session_key: SESSION }, status: 200 },
  stream: { module: "stream", label: "GET …/events/stream?stream_id=…", method: "GET", accept: "text/event-stream", status: 200 },
  privacy: { module: "otp", label: "GET /a/sales/privacy", method: "GET", path: "/a/sales/privacy", status: 200 },
  transcript: { module: "summary", label: "GET /a/sales/transcript/x (bad link: 404)", method: "GET", path: "/a/sales/transcript/x", status: 404 },
};
const LIMITS = { // per request and at startup, ms of CPU
  workerd: { platform: "Cloudflare Workers (Free)", request: 10, startup: 1000 },
  deno: { platform: "Netlify Edge Functions", request: 50, startup: null },
  node: { platform: "Vercel Functions (Node)", request: null, startup: null },
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The process's CPU once it has been idle for a while (two reads 25 ms apart within 0.05 ms). */
async function settled(pid) {
  let prev = schedCpuMs(pid);
  for (let i = 0; i < 40; i++) {
    await sleep(25);
    const now = schedCpuMs(pid);
    if (now - prev < 0.05) return now;
    prev = now;
  }
  return prev;
}

async function main() {
  const runtimes = opt("runtimes", "workerd,deno,node").split(",");
  const routes = opt("routes", Object.keys(ROUTES).join(",")).split(",");
  const variants = opt("worker-variants", "").split(",").filter(Boolean);
  if (variants.length > 0) addWorkerVariants(variants);
  const canned = cannedStore();
  const state = await startStateServer({ port: 0, backend: canned });
  const env = realisticEnv(state.url);
  // Turns for the stream route, begun in-process against the same canned store.
  const store = rpcHandler(canned);
  const starter = createSalient({ modules: { chat: new WebAssembly.Module(readFileSync(path.join(REPO, "build/wasi/functions/chat.wasm"))) },
    config: loadConfig(), env, log: () => {}, fetch: (u, i) => store(new Request(u, i)) });
  const newStreamPath = async () => {
    const r = await starter.handle(request("http://bench.invalid", ROUTES.chat));
    return /sse-connect="([^"]+)"/.exec(await r.text())[1].replaceAll("&amp;", "&");
  };

  const started = new Date();
  const inputsAtStart = inputs();
  const load = { start: loadavg(), end: null, samples: [] };
  const raw = {};
  const push = (rt, variant, route, key, v) => ((((raw[rt] ??= {})[variant] ??= {})[route] ??= {})[key] ??= []).push(v);
  for (let run = 0; run < RUNS; run++) {
    load.samples.push(loadavg()[0]);
    log(`run ${run + 1}/${RUNS}, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    for (const rt of runtimes) {
      for (const [variant, start] of Object.entries(RUNTIMES[rt])) {
        for (const route of variant === "peer" ? ["page"] : routes) {
          const spec = { ...ROUTES[route] };
          if (variant === "peer") spec.status = 200;
          const m = await measure(() => start(env), spec, route === "stream" ? newStreamPath : null);
          for (const [k, v] of Object.entries(m)) push(rt, variant, route, k, v);
        }
      }
    }
  }
  load.end = loadavg();
  await state.close();

  const figures = {};
  for (const [rt, variants] of Object.entries(raw)) {
    for (const [variant, byRoute] of Object.entries(variants)) {
      for (const [route, keys] of Object.entries(byRoute)) {
        ((figures[rt] ??= {})[variant] ??= {})[route] = Object.fromEntries(Object.entries(keys).map(([k, xs]) => [k, summary(xs)]));
      }
    }
  }
  const phases = args.includes("--no-phases") ? null : await measurePhases(routes, runtimes, env, newStreamPath, state);
  const inputsAtEnd = inputs();
  const inputsChanged = JSON.stringify(inputsAtStart) !== JSON.stringify(inputsAtEnd);
  if (inputsChanged) log("warning: the build's modules or config changed during the run");
  const out = { started: started.toISOString(), runs: RUNS, load, git: git(), inputs: inputsAtStart, inputsChanged, limits: LIMITS, routes: ROUTES, figures, phases };
  report(out);
  mkdirSync(path.join(REPO, "bench", "results"), { recursive: true });
  const file = path.join(REPO, "bench", "results", `cold-start-${started.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(out, null, 1));
  writeFileSync(path.join(REPO, "bench", "results", "cold-start-latest.json"), JSON.stringify(out, null, 1));
  log(`wrote ${path.relative(REPO, file)}`);
}

function request(origin, spec, pathOverride = null) {
  return new Request(origin + (pathOverride ?? spec.path), {
    method: spec.method,
    headers: spec.form ? { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" } : { accept: spec.accept ?? "text/html" },
    body: spec.form ? new URLSearchParams({ ...spec.form, idempotency_key: crypto.randomUUID() }) : undefined,
  });
}

/** The main thread's CPU (the one running JS; the others are V8's compile and GC workers, I/O). */
const mainCpuMs = (pid) => Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;

/** One fresh process: startup, the first request, the second. */
async function measure(start, spec, newPath) {
  const paths = newPath ? [await newPath(), await newPath()] : [null, null];
  const t0 = performance.now();
  const host = await start();
  const readyWall = performance.now() - t0;
  const atReady = schedCpuMs(host.pid);
  const startup = await settled(host.pid);
  const out = { readyWall, startupAtReady: atReady, startup, startupStat: statCpuMs(host.pid), startupMain: mainCpuMs(host.pid) };
  try {
    for (const [i, key] of [[0, "first"], [1, "second"]]) {
      const c0 = schedCpuMs(host.pid), m0 = mainCpuMs(host.pid), w0 = performance.now();
      const response = await fetch(request(host.url, spec, paths[i]));
      const body = await response.text();
      out[`${key}Wall`] = performance.now() - w0;
      out[key] = (await settled(host.pid)) - c0;
      out[`${key}Main`] = mainCpuMs(host.pid) - m0;
      if (response.status !== spec.status) throw new Error(`${spec.label}: ${response.status} ${body.slice(0, 300)}\n${host.output?.().slice(-2000)}`);
    }
  } finally {
    await host.stop();
  }
  return out;
}

/** The in-process phases (lib/cold-phases.mjs), fresh processes, Node and Deno. */
async function measurePhases(routes, runtimes, env, newStreamPath, state) {
  const script = path.join(REPO, "bench", "lib", "cold-phases.mjs");
  const commands = { node: [process.execPath, [script]], deno: [DENO, ["run", "-A", "--no-lock", script]] };
  const raw = {};
  for (let run = 0; run < Math.min(RUNS, 5); run++) {
    for (const rt of ["node", "deno"].filter((r) => runtimes.includes(r))) {
      for (const route of routes) {
        const spec = { ...ROUTES[route] };
        if (route === "stream") Object.assign(spec, { path: await newStreamPath(), secondPath: await newStreamPath() });
        const [cmd, pre] = commands[rt];
        // Asynchronous: the canned store answers from this process while the child runs.
        const result = await new Promise((resolve, reject) => {
          execFile(cmd, [...pre, spec.module, JSON.stringify(spec), state.url],
            { env: { PATH: process.env.PATH, HOME: process.env.HOME, DENO_DIR: path.join(REPO, "build", "deno"), NO_COLOR: "1" } },
            (err, stdout, stderr) => (err ? reject(new Error(`${rt} phases ${route}: ${stderr}`)) : resolve(JSON.parse(stdout.trim().split("\n").at(-1)))));
        });
        for (const [name, { cpu, wall }] of Object.entries(result)) {
          const slot = (((raw[rt] ??= {})[route] ??= {})[name] ??= { cpu: [], wall: [] });
          slot.cpu.push(cpu), slot.wall.push(wall);
        }
      }
    }
  }
  const out = {};
  for (const [rt, byRoute] of Object.entries(raw)) {
    for (const [route, byPhase] of Object.entries(byRoute)) {
      ((out[rt] ??= {})[route] = Object.fromEntries(Object.entries(byPhase).map(([p, { cpu, wall }]) => [p, { cpu: summary(cpu), wall: summary(wall) }])));
    }
  }
  return out;
}

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const range = (s) => `${f1(s.p50)} (${f1(s.min)}–${f1(s.max)})`;
const pct = (x, limit) => (limit ? `${Math.round((100 * x) / limit)} %` : "–");

function report(out) {
  const lines = [`modules: ${Object.entries(out.inputs).map(([f, h]) => `${path.basename(f)} ${h}`).join(", ")}${out.inputsChanged ? " (CHANGED during the run)" : ""}`,
    `cold starts: ${out.runs} fresh processes per row; load ${out.load.start.map((l) => l.toFixed(2)).join(" ")} → ${out.load.end.map((l) => l.toFixed(2)).join(" ")}`];
  for (const [rt, variants] of Object.entries(out.figures)) {
    const lim = LIMITS[rt];
    const peer = variants.peer?.page;
    lines.push("", `${rt} (${lim.platform}): CPU ms, p50 (min–max)`);
    const rows = [["route", "ready wall", "startup CPU", "− empty", "main", "1st request CPU", "% of limit", "main thread", "1st wall", "2nd request CPU", "stat startup"]];
    for (const [variant, byRoute] of Object.entries(variants).filter(([v]) => v !== "peer")) for (const [route, s] of Object.entries(byRoute)) {
      rows.push([(variant === "ours" ? "" : `[${variant}] `) + ROUTES[route].label, f1(s.readyWall.p50), range(s.startup), f1(s.startup.p50 - (peer?.startup.p50 ?? NaN)), f1(s.startupMain.p50), range(s.first),
        pct(s.first.p50, lim.request), `${range(s.firstMain)} ${pct(s.firstMain.p50, lim.request)}`, f1(s.firstWall.p50), range(s.second), f1(s.startupStat.p50)]);
    }
    if (peer) rows.push(["empty peer (first: GET /a/sales/)", f1(peer.readyWall.p50), range(peer.startup), "0", f1(peer.startupMain.p50), range(peer.first), pct(peer.first.p50, lim.request), range(peer.firstMain), f1(peer.firstWall.p50), range(peer.second), f1(peer.startupStat.p50)]);
    lines.push(table(rows));
  }
  for (const [rt, byRoute] of Object.entries(out.phases ?? {})) {
    lines.push("", `${rt}: phases of a cold first request in-process, CPU ms p50 (wall p50)`);
    const names = [...new Set(Object.values(byRoute).flatMap((p) => Object.keys(p)))];
    const rows = [["phase", ...Object.keys(byRoute)]];
    for (const name of names) rows.push([name, ...Object.values(byRoute).map((p) => (p[name] ? `${f1(p[name].cpu.p50)} (${f1(p[name].wall.p50)})` : "–"))]);
    lines.push(table(rows));
  }
  process.stdout.write(lines.join("\n") + "\n");
}

/** sha256 prefixes of the modules and the compiled config measured. */
function inputs() {
  const files = ["chat", "stream", "otp", "summary"].map((fn) => `build/wasi/functions/${fn}.wasm`).concat(["build/salient.json", "build/netlify/assets.js"]);
  return Object.fromEntries(files.map((f) => [f, createHash("sha256").update(readFileSync(path.join(REPO, f))).digest("hex").slice(0, 16)]));
}

function git() {
  try {
    return execFileSync("git", ["-C", REPO, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + "\n");
  process.exitCode = 1;
});
