// Diagnostic (not part of run.mjs): where a turn's CPU goes inside workerd, from V8's sampling
// profiler over the inspector protocol. Starts one worker (ours, or a peer), warms it up, profiles
// N turns and prints self time by category as a share of the sampled (non-idle) time. The
// profiler's own overhead inflates absolute times, so read the shares, not the milliseconds.
//
//   node bench/profile-workerd.mjs [ours|peer-stream|peer-io|peer-static] [--turns=300]

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { startStateServer } from "../hosts/node-dev/state-server.js";
import { cannedStore } from "./lib/canned-store.mjs";
import { args, ensureOut, realisticEnv } from "./lib/common.mjs";
import { captureFixtures, client } from "./lib/flow.mjs";
import { freePort, SALIENT_MODULES, startWorkerd } from "./lib/workerd.mjs";

if (typeof WebSocket === "undefined") { // Node 20: the WebSocket client is behind a flag
  const child = spawn(process.execPath, ["--experimental-websocket", "--no-warnings", ...process.argv.slice(1)], { stdio: "inherit" });
  child.on("exit", (code) => process.exit(code ?? 1));
} else {
  await main();
}

async function main() {
  const target = args.find((a) => !a.startsWith("--")) ?? "ours";
  const turnCount = Number(args.find((a) => a.startsWith("--turns="))?.slice(8) ?? 300);
  const fixtures = await captureFixtures();
  writeFileSync(path.join(ensureOut("workerd"), "fixtures.json"), JSON.stringify(fixtures));
  const state = await startStateServer({ port: 0, backend: cannedStore() });
  const inspector = await freePort();
  const spec = target === "ours"
    ? { modules: SALIENT_MODULES, bindings: realisticEnv(state.url) }
    : {
      modules: [["bench/workers/peer-worker.js", "esModule"], ["bench/workers/peer.js", "esModule"], ["build/bench/workerd/fixtures.json", "json"]],
      bindings: { MODE: target.replace(/^peer-/, ""), SUPABASE_URL: state.url },
    };
  const w = await startWorkerd(`profile-${target}`, { ...spec, extraArgs: [`--inspector-addr=127.0.0.1:${inspector}`] });
  try {
    const turn = client(w.url, (r) => fetch(r));
    for (let i = 0; i < 150; i++) await turn();
    const [{ webSocketDebuggerUrl }] = await (await fetch(`http://127.0.0.1:${inspector}/json/list`)).json();
    const ws = new WebSocket(webSocketDebuggerUrl);
    await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
    let id = 0;
    const pending = new Map();
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    };
    const call = (method, params = {}) => new Promise((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
    await call("Profiler.enable");
    await call("Profiler.setSamplingInterval", { interval: 100 });
    await call("Profiler.start");
    for (let i = 0; i < turnCount; i++) await turn();
    const { result } = await call("Profiler.stop");
    ws.close();
    writeFileSync(path.join(ensureOut("profile"), `${target}.cpuprofile`), JSON.stringify(result.profile));
    summarize(result.profile, target, turnCount);
  } finally {
    await w.stop();
    await state.close();
  }
}

function category({ functionName: fn, url }) {
  if (fn === "(idle)") return null;
  if (fn.startsWith("wasm-function") || url.startsWith("wasm://")) return "wasm core";
  if (fn.startsWith("(")) return `V8 ${fn}`; // (program) = V8/runtime native work, (garbage collector)
  if (url.endsWith(".js")) return `JS ${url.split("/").pop()}: ${fn || "(anonymous)"}`;
  return `runtime API: ${fn || "(anonymous native)"}`;
}

function summarize(profile, target, turns) {
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byCategory = new Map(), byGroup = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    const c = category(node.callFrame);
    if (!us || !c) continue;
    total += us;
    byCategory.set(c, (byCategory.get(c) ?? 0) + us);
    const group = c.startsWith("JS ") ? `JS ${c.slice(3).split(":")[0]}` : c.startsWith("runtime API") ? "runtime APIs (fetch, streams, URL, …)" : c;
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
  }
  const line = ([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000 / turns).toFixed(3)} ms/turn  ${k}`;
  console.log(`${target}: ${turns} turns, sampled non-idle ${(total / 1000 / turns).toFixed(3)} ms/turn (profiler overhead included)`);
  console.log("by group:\n" + [...byGroup].sort((a, b) => b[1] - a[1]).map(line).join("\n"));
  console.log("top entries:\n" + [...byCategory].sort((a, b) => b[1] - a[1]).slice(0, 20).map(line).join("\n"));
}
