#!/usr/bin/env node
// Salient benchmarks: one command, a table on stdout, everything in bench/results/latest.json.
//
//   node bench/run.mjs            full run (≈ 3–5 min on 2 cores)
//   node bench/run.mjs --quick    short run (≈ 1 min): fewer repetitions, same method
//   node bench/run.mjs --only=sizes,workerd   a subset of: sizes, instantiate (incl. cold), turn, workerd,
//                                             relay (LLM relay: Node and workerd), ttft (time to first token),
//                                             retrieval (hit@3 and CPU per query of the local index)
//
// Needs ./scripts/build (build/wasi/functions/*.wasm, build/salient.json), clang-19 + wasi-libc
// (for the peers), wabt (wasm-objdump), llvm-nm-19, and node_modules/.bin/workerd: the tools
// ./scripts/bootstrap installs; relay also needs the devDependencies `ai` and
// `@ai-sdk/openai-compatible` (npm ci). Benchmarks, not tests: no pass/fail beyond sanity checks.
// Each section runs in its own Node process; see the section files for what they measure.

import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BUILD, FUNCTIONS, REPO, WORKERD, wasmPath } from "./lib/common.mjs";
import { kb, ms, ratio, rounded, table } from "./lib/stats.mjs";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const only = argv.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const want = (name) => !only || only.includes(name);
const RESULTS = path.join(REPO, "bench", "results");

const BUDGET = {
  gzipBytes: 300 * 1024, instantiateMs: 5, turnCpuMs: 1,
  // the LLM relay
  relayNsPerChunk: 1000, relayVsJs: 2, relayVsAiSdk: 50, relayEndToEndVsJs: 1.5, ttftAddedMsP50: 5,
  // local retrieval
  retrievalHitAt3: 0.8, retrievalMsP50: 1,
};

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "?",
    kernel: os.release(),
    os: /PRETTY_NAME="([^"]*)"/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "?",
    node: process.version,
    workerd: sh(WORKERD, ["--version"]),
    clang: sh("clang-19", ["--version"])?.split("\n")[0],
    wasmOpt: sh("wasm-opt", ["--version"]),
    memTotalMB: Math.round(os.totalmem() / 1048576),
    clkTck: Number(sh("getconf", ["CLK_TCK"])),
    loadavg: readFileSync("/proc/loadavg", "utf8").trim(),
  };
}

/** Runs a section script; returns its JSON result (the last stdout line). */
function runSection(script, nodeFlags = [], extra = []) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const load0 = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    const child = spawn(process.execPath, [...nodeFlags, path.join(REPO, "bench", script), ...(QUICK ? ["--quick"] : []), ...extra], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${script} failed (exit ${code})`));
      const result = JSON.parse(out.trim().split("\n").at(-1));
      result.sectionSeconds = (Date.now() - started) / 1000;
      result.loadavgBefore = load0;
      result.loadavgAfter = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
      resolve(result);
    });
  });
}

/** sha256 (first 16 hex) of what is measured: a concurrent rebuild would show up as a change. */
function inputs() {
  const files = [path.join(BUILD, "salient.json"), ...FUNCTIONS.flatMap((fn) => [wasmPath(fn), wasmPath(fn, ".cmd")])];
  return Object.fromEntries(files.filter(existsSync).map((f) =>
    [path.relative(REPO, f), createHash("sha256").update(readFileSync(f)).digest("hex").slice(0, 16)]));
}

const within = (value, budget) => (value <= budget ? "within" : "OVER");
const atLeast = (value, budget) => (value >= budget ? "met" : "MISSED");

async function main() {
  for (const file of [path.join(BUILD, "salient.json"), ...FUNCTIONS.map((fn) => wasmPath(fn))]) {
    if (!existsSync(file)) throw new Error(`${path.relative(REPO, file)} is missing: run ./scripts/build first`);
  }
  const results = {
    quick: QUICK,
    budgets: BUDGET,
    machine: machine(),
    git: { head: sh("git", ["-C", REPO, "rev-parse", "--short", "HEAD"]), dirty: Boolean(sh("git", ["-C", REPO, "status", "--porcelain", "--untracked-files=no"])) },
    inputs: inputs(),
  };
  const m = results.machine;
  console.log(`Salient benchmarks${QUICK ? " (quick)" : ""} — ${m.date}`);
  console.log(`${m.cpuModel}, ${m.nproc} cores, ${m.os}, Node ${m.node}, ${m.workerd}; load ${m.loadavg}\n`);

  if (want("sizes")) {
    console.error("→ sizes");
    results.sizes = await runSection("sizes.mjs");
  }
  if (want("instantiate")) {
    console.error("→ instantiate (Node, lazy compilation: V8's default)");
    results.instantiateNode = await runSection("instantiate-node.mjs", ["--expose-gc"]);
    console.error("→ compile (Node, --no-wasm-lazy-compilation)");
    results.compileNodeEager = await runSection("instantiate-node.mjs", ["--expose-gc", "--no-wasm-lazy-compilation"], ["--compile-only"]);
    console.error("→ cold starts (Node, fresh processes)");
    results.coldNode = await runSection("cold-node.mjs");
  }
  if (want("turn")) {
    console.error("→ turns (Node, in-process)");
    results.turnNode = await runSection("turn-node.mjs");
  }
  if (want("workerd")) {
    console.error("→ workerd (instantiate, cold start, turns)");
    results.workerd = await runSection("workerd.mjs");
  }

  if (want("relay")) {
    console.error("→ LLM relay (Node, in-process: wasm core, plain JS, AI SDK, end to end)");
    results.relayNode = await runSection("relay-node.mjs");
    console.error("→ LLM relay (workerd)");
    results.relayWorkerd = await runSection("relay-workerd.mjs");
  }
  if (want("ttft")) {
    console.error("→ time to first token (Node dev server + fake OpenRouter on loopback, separate processes)");
    results.ttft = await runSection("ttft-node.mjs");
  }
  if (want("retrieval")) {
    console.error("→ local retrieval (hit@3 on the demo knowledge base; CPU per query on 2,000 chunks)");
    results.retrieval = await runSection("retrieval.mjs");
  }

  results.inputsChanged = JSON.stringify(inputs()) !== JSON.stringify(results.inputs);
  results.machine.loadavgEnd = readFileSync("/proc/loadavg", "utf8").trim();
  report(results);
  if (results.inputsChanged) console.log("\nWARNING: build outputs changed during the run (a concurrent rebuild?): rerun.");
  mkdirSync(RESULTS, { recursive: true });
  const json = JSON.stringify(rounded(results), null, 1);
  writeFileSync(path.join(RESULTS, "latest.json"), json);
  writeFileSync(path.join(RESULTS, `${m.date.replace(/[:.]/g, "-")}.json`), json);
  console.log(`\nwrote bench/results/latest.json`);
}

function report(r) {
  if (r.sizes) {
    const s = r.sizes, pc = s.peers["peer-c"], pcpp = s.peers["peer-cpp"];
    const rows = [["module", "raw KB", "gzip KB", "brotli KB", "gzip/budget", "budget 300 KB", "× peer-c", "× peer-cpp", "ours − peer-cpp gzip KB"]];
    for (const [name, v] of Object.entries(s.modules)) {
      rows.push([name, kb(v.raw), kb(v.gzip), kb(v.brotli), `${((v.gzip / s.budgetGzip) * 100).toFixed(0)}%`,
        within(v.gzip, s.budgetGzip), ratio(v.gzip, pc.gzip), ratio(v.gzip, pcpp.gzip), kb(v.gzip - pcpp.gzip)]);
    }
    for (const [name, v] of Object.entries(s.peers)) rows.push([name, kb(v.raw), kb(v.gzip), kb(v.brotli), "", "", "", "", ""]);
    console.log("(a) Module sizes (gzip -9 / brotli q11 via node:zlib)\n" + table(rows) + "\n");
    const cats = ["ours", "nlohmann::json", "libc++", "wasi-libc", "libsodium", "other"];
    const rows2 = [["reactor code bytes", ...cats, "code total", "data section"]];
    for (const [fn, b] of Object.entries(s.breakdown)) {
      if (b.error) {
        rows2.push([fn, `error: ${b.error.slice(0, 60)}`]);
        continue;
      }
      const total = b.codeBytesShipped;
      rows2.push([fn, ...cats.map((c) => `${kb(b.byCategory[c]?.bytes ?? 0)} KB ${(((b.byCategory[c]?.bytes ?? 0) / total) * 100).toFixed(0)}%`),
        `${kb(total)} KB`, `${kb(s.modules[fn].sections.Data?.bytes ?? 0)} KB`]);
    }
    console.log("    where the code goes (by function name, after inlining; libc++ includes its templates instantiated for our types)\n" + table(rows2) + "\n");
  }

  if (r.instantiateNode) {
    const t = r.instantiateNode.targets, e = r.compileNodeEager?.targets ?? {};
    const peer = t["peer-c"].instantiate.total.p50;
    const rows = [["target", "compile lazy p50", "compile eager p50", "eager CPU p50",
      "inst p50", "inst p95", "new Instance", "_initialize", "configure", "createSalient p50", "× peer-c", "budget 5 ms (p95)"]];
    for (const [name, v] of Object.entries(t)) {
      const i = v.instantiate;
      rows.push([name, ms(v.compile.wall.p50), ms(e[name]?.compile.wall.p50), ms(e[name]?.compile.cpu.p50),
        ms(i.total.p50), ms(i.total.p95), ms(i.instance.p50), ms(i.initialize.p50), v.ours ? ms(i.configure.p50) : "–",
        v.createSalient ? ms(v.createSalient.p50) : "–", ratio(i.total.p50, peer), v.ours ? within(i.total.p95, 5) : ""]);
    }
    console.log(`(b) Compile and instantiate in Node, warm (ms; ${r.instantiateNode.reps} interleaved reps after ${r.instantiateNode.warmup} warm-up)\n` + table(rows));
    console.log(`    createSalient with all four modules (a worker's first request): p50 ${ms(r.instantiateNode.createSalientAllFour.p50)} ms, p95 ${ms(r.instantiateNode.createSalientAllFour.p95)} ms\n`);
  }

  if (r.coldNode) {
    const c = r.coldNode, L = c.lazy, E = c.eager;
    const rows = [["target", "compile lazy", "1st inst lazy", "2nd inst lazy", "compile eager", "1st inst eager", "× peer-c (1st lazy)", "budget 5 ms (1st lazy)"]];
    for (const name of Object.keys(L).filter((k) => !k.startsWith("turn"))) {
      rows.push([name, ms(L[name].compile.p50), ms(L[name].firstInstantiate.p50), ms(L[name].secondInstantiate.p50),
        ms(E[name].compile.p50), ms(E[name].firstInstantiate.p50), ratio(L[name].firstInstantiate.p50, L["peer-c"].firstInstantiate.p50),
        name.startsWith("peer") ? "" : within(L[name].firstInstantiate.p50, 5)]);
    }
    console.log(`(b) Cold, Node: fresh process per measurement (ms, p50 of ${c.rounds})\n` + table(rows));
    console.log(`    first turn in a fresh process (lazy): compile all four ${ms(L.turn.compile.p50, 1)} ms, createSalient ${ms(L.turn.createSalient.p50, 1)} ms, ` +
      `first turn CPU ${ms(L.turn.firstTurnCpu.p50, 1)} ms vs peer ${ms(L["turn-peer"].firstTurnCpu.p50, 1)} ms (Node's own first use), ` +
      `second turn ${ms(L.turn.secondTurnCpu.p50, 1)} vs ${ms(L["turn-peer"].secondTurnCpu.p50, 1)} ms\n`);
  }

  if (r.workerd?.instantiate) {
    const w = r.workerd.instantiate, peer = w.targets["peer-c"].cpu.p50;
    const rows = [["target", "CPU/inst p50", "p95", "worker clock p50", "× peer-c", "budget 5 ms"]];
    for (const [name, v] of Object.entries(w.targets)) {
      rows.push([name, ms(v.cpu.p50), ms(v.cpu.p95), ms(v.workerClock.p50, 2), ratio(v.cpu.p50, peer), name.startsWith("peer") ? "" : within(v.cpu.p95, 5)]);
    }
    console.log(`(b) Instantiate in workerd (ms per instantiation: workerd CPU over ${w.rounds} requests × ${w.perRequest}, minus an empty request's ${ms(w.requestFloorCpuMs)} ms)\n` + table(rows));
    const c = r.workerd.cold;
    console.log(`    cold (${c.rounds} fresh processes, p50): startup to socket: ours ${ms(c.turn.ours.startupMs.p50, 1)} ms vs peer-static ${ms(c.turn["peer-static"].startupMs.p50, 1)} ms; ` +
      `first turn CPU: ours ${ms(c.turn.ours.firstTurnCpu.p50, 1)} ms vs peer-static ${ms(c.turn["peer-static"].firstTurnCpu.p50, 1)} ms; ` +
      `first createSalient(all four): CPU ${ms(c.instantiateAll.cpu.p50, 1)} ms, worker clock ${ms(c.instantiateAll.workerMs.p50, 0)} ms (second: ${ms(c.instantiateAll.secondCpu.p50, 1)} ms CPU)\n`);
  }

  const turnTable = (targets, title, budget) => {
    const peers = ["peer-stream", "peer-stream1", "peer-io", "peer-static"];
    const ours = targets.ours.cpu.p50;
    const rows = [["target", "CPU/turn p50", "p95", "wall/turn p50", "ours ÷ this", "ours − this"]];
    for (const name of ["ours", ...peers]) {
      const v = targets[name];
      if (!v) continue;
      rows.push([name, ms(v.cpu.p50), ms(v.cpu.p95), ms(v.wall.p50), name === "ours" ? "" : ratio(ours, v.cpu.p50),
        name === "ours" ? "" : ms(ours - v.cpu.p50)]);
    }
    console.log(title + "\n" + table(rows));
    if (budget) {
      const floor = targets["peer-static"].cpu.p50;
      console.log(`    budget 1 ms p50: ours ${ms(ours)} ms → ${within(ours, 1)}; ours − floor (peer-static) ${ms(ours - floor)} ms → ${within(ours - floor, 1)}; ` +
        `ours − peer-stream (wasm core + driver only) ${ms(ours - targets["peer-stream"].cpu.p50)} ms → ${within(ours - targets["peer-stream"].cpu.p50, 1)}`);
    }
  };
  if (r.turnNode) {
    const t = r.turnNode;
    turnTable(t.targets, `(c) CPU per offline chat turn, Node in-process (ms; ${t.turns} interleaved turns each after ${t.warmup} warm-up; process.cpuUsage)`);
    console.log(`    inside the wasm core: p50 ${ms(t.wasm.msPerTurn.p50)} ms/turn (${t.wasm.callsPerTurn.p50} calls, ${(t.wasm.shareOfWall.p50 * 100).toFixed(0)}% of the turn's wall time); ` +
      Object.entries(t.wasm.byExport).sort((a, b) => b[1].msPerTurn - a[1].msPerTurn).slice(0, 3).map(([k, v]) => `${k} ${ms(v.msPerTurn)} ms × ${v.callsPerTurn}`).join(", ") +
      `; first turn (cold) CPU ${ms(t.targets.ours.first.cpu, 1)} ms\n`);
  }
  if (r.workerd?.turns) {
    const t = r.workerd.turns;
    turnTable(t.targets, `(c) CPU per offline chat turn in workerd (ms; workerd process CPU from /proc over ${t.batches} interleaved batches × ${t.turnsPerBatch} turns each; p50/p95 across batches)`, true);
    const o = t.targets.ours;
    console.log(`    cross-check, whole-run mean CPU/turn for ours: schedstat ${ms(o.meanCpuSched)} ms, utime+stime ${ms(o.meanCpuStat)} ms; ` +
      `threads: ${Object.entries(o.perThreadMeanCpu).filter(([, v]) => v > 0.005).map(([k, v]) => `${k.split("/")[0]} ${ms(v)}`).join(", ")}`);
  }
  reportRelay(r);
}

function reportRelay(r) {
  const B = BUDGET;
  const ns = (x) => (Number.isFinite(x) ? x.toFixed(0) : "–");
  if (r.relayNode) {
    const n = r.relayNode, w = r.relayWorkerd;
    const core = n.core.cpuNsPerChunk.p50;
    const rows = [["target", "where", "CPU ns/chunk p50", "p95", "wall ns/chunk p50", "CPU ms/stream p50", "this ÷ core (CPU)", "budget"]];
    const row = (name, where, v, vsCore, budget = "") => rows.push([name, where, ns(v.cpuNsPerChunk.p50), ns(v.cpuNsPerChunk.p95),
      ns(v.nsPerChunk?.p50), v.cpuMsPerStream ? ms(v.cpuMsPerStream.p50, 2) : "–", vsCore, budget]);
    row("wasm core", "Node", n.core, "", `≤ 1000 ns: ${within(core, B.relayNsPerChunk)}`);
    row("plain JS", "Node", n.js, ratio(n.js.cpuNsPerChunk.p50, core), `≥ 2×: ${atLeast(n.ratios.jsOverCore, B.relayVsJs)}`);
    row("AI SDK", "Node", n.aiSdk, ratio(n.aiSdk.cpuNsPerChunk.p50, core), `≥ 50×: ${atLeast(n.ratios.aiSdkOverCore, B.relayVsAiSdk)}`);
    if (w) {
      const wc = w.core.cpuNsPerChunk.p50;
      row("wasm core", "workerd", w.core, "", `≤ 1000 ns: ${within(wc, B.relayNsPerChunk)}`);
      row("plain JS", "workerd", w.js, ratio(w.js.cpuNsPerChunk.p50, wc), `≥ 2×: ${atLeast(w.ratios.jsOverCore, B.relayVsJs)}`);
    }
    if (n.eventPieces) {
      const ev = n.eventPieces, evc = ev.core.cpuNsPerChunk.p50;
      row(`wasm core, ${ev.pieces} event-sized pieces`, "Node", ev.core, "", `≤ 1000 ns: ${within(evc, B.relayNsPerChunk)}`);
      row(`plain JS, ${ev.pieces} event-sized pieces`, "Node", ev.js, ratio(ev.js.cpuNsPerChunk.p50, evc), `≥ 2×: ${atLeast(ev.js.cpuNsPerChunk.p50 / evc, B.relayVsJs)}`);
    }
    const e = n.e2e;
    row("ours: driver + Web Streams", "Node e2e", e.ours, "");
    row("plain JS in a TransformStream", "Node e2e", e.js, `${ratio(e.js.cpuNsPerChunk.p50, e.ours.cpuNsPerChunk.p50)} of e2e ours`,
      `≥ 1.5×: ${atLeast(n.ratios.e2eJsOverOurs, B.relayEndToEndVsJs)}`);
    console.log(`(d) LLM relay: ${n.chunks} upstream chunks (${kb(n.bytes)} KB SSE, ${n.comments} comment lines) in ${n.pieces} network pieces of 1–200 bytes; ` +
      `p50 over ${n.reps.sync} reps (AI SDK ${n.reps.sdk}, e2e ${n.reps.e2e}); Node: process.cpuUsage; workerd: its process CPU from /proc over ${w?.batches ?? "–"} requests × ${w?.perRequest ?? "–"} relays\n` + table(rows));
    const cl = n.core.lastPiece, cw = n.core.withoutLastPiece;
    console.log(`    the core's last piece alone ([DONE] → building the finish_turn effect with the whole answer): CPU ${ms(cl.cpuMsPerStream.p50, 2)} ms ` +
      `per stream p50 (wall ${ms(cl.msPerStream.p50, 2)}); the core without it: CPU ${ns(cw.cpuNsPerChunk.p50)} ns/chunk p50 (wall ${ns(cw.nsPerChunk.p50)})`);
    if (n.floor) {
      // The host floor: the same loop's copies and calls on a module that does no relay work.
      const floorLine = (what, core, floor) => `${what}: core ${ns(core.cpuNsPerChunk.p50)}, floor ${ns(floor.cpuNsPerChunk.p50)} ` +
        `(${(100 * floor.cpuNsPerChunk.p50 / core.cpuNsPerChunk.p50).toFixed(0)} % of the core's), inside the core ${ns(core.cpuNsPerChunk.p50 - floor.cpuNsPerChunk.p50)}`;
      console.log(`    host floor (copy in, one call per piece, copy out; bench/peer/relay-floor.c), CPU ns/chunk p50 without the last piece: ` +
        `${floorLine("1–200-byte pieces", cw, n.floor)}; ${floorLine("event-sized pieces", n.eventPieces.coreWithoutLastPiece, n.eventPieces.floor)}` +
        (w?.floor ? `; workerd, 1–200-byte pieces (its core figure includes each exchange's setup and last piece): ${floorLine("", w.core, w.floor).slice(2)}` : ""));
    }
    if (w && n.core.wholeExchange) {
      // workerd's core figure counts each relay whole (setup, the bench's parsing of its steps,
      // the end); Node's core figure counts the piece loop only. This compares like with like.
      console.log(`    the whole exchange per relay, as workerd's core figure counts it (setup and end included), CPU ns/chunk p50: ` +
        `Node ${ns(n.core.wholeExchange.cpuNsPerChunk.p50)}, workerd ${ns(w.core.cpuNsPerChunk.p50)} ` +
        `(${ratio(w.core.cpuNsPerChunk.p50, n.core.wholeExchange.cpuNsPerChunk.p50)} Node's)`);
    }
    console.log(`    ratios (peer ÷ ours, CPU p50): plain JS ${ratio(n.js.cpuNsPerChunk.p50, core)}, AI SDK ${ratio(n.aiSdk.cpuNsPerChunk.p50, core)}, ` +
      `end to end ${ratio(e.js.cpuNsPerChunk.p50, e.ours.cpuNsPerChunk.p50)}, workerd plain JS ${w ? ratio(w.js.cpuNsPerChunk.p50, w.core.cpuNsPerChunk.p50) : "–"}; ` +
      `wall p50: ${ratio(n.js.nsPerChunk.p50, n.core.nsPerChunk.p50)}, ${ratio(n.aiSdk.nsPerChunk.p50, n.core.nsPerChunk.p50)}, ${ratio(e.js.nsPerChunk.p50, e.ours.nsPerChunk.p50)}; ` +
      `relayed text checked against the expected text in every rep\n`);
  }
  if (r.retrieval) {
    const x = r.retrieval, d = x.demo, s = x.synthetic;
    console.log(`(e) Local retrieval: ${x.questions} questions (tests/retrieval/questions.json); MiniSearch ${x.versions.minisearch} as the peer\n` +
      `    hit@3 on the demo knowledge base (${d.chunks} chunks): ours ${d.ours.hits}/${x.questions} = ${d.ours.rate.toFixed(3)} → ` +
      `${d.ours.rate >= B.retrievalHitAt3 ? "met" : "MISSED"} (≥ ${B.retrievalHitAt3}); MiniSearch ${d.miniSearch.hits}/${x.questions} = ${d.miniSearch.rate.toFixed(3)}\n` +
      `    CPU per query, ${s.chunks} chunks, k = ${s.k} (p50 / p95 over ${s.batches} batches): ours ${s.oursCpuUsPerQuery.p50.toFixed(1)} / ${s.oursCpuUsPerQuery.p95.toFixed(1)} µs → ` +
      `${within(s.oursCpuUsPerQuery.p50 / 1000, B.retrievalMsP50)} (≤ ${B.retrievalMsP50} ms); MiniSearch ${s.miniSearchCpuUsPerQuery.p50.toFixed(1)} / ${s.miniSearchCpuUsPerQuery.p95.toFixed(1)} µs (${s.ratio.toFixed(1)}× ours)\n`);
  }
  if (r.ttft) {
    const t = r.ttft;
    const rows = [["time to first token (ms)", "p50", "p95"]];
    for (const [k, label] of [["direct", "direct: fetch the fake's chat/completions (Salient's request)"], ["directHead", "  of which: to its response head"], ["get", "Salient: GET stream → first token event"],
      ["full", "Salient: POST chat + GET → first token"], ["added", "added: GET − direct (per turn)"],
      ["claimStart", "  GET → claim starts"], ["claimRpc", "  claim (the dev server's embedded store, in-process)"], ["claimToLlm", "  claim answered → LLM fetch starts"],
      ["llmHead", "  LLM fetch → its head"], ["llmHeadToToken", "  LLM head → first token at the client"]]) {
      rows.push([label, ms(t[k].p50, 2), ms(t[k].p95, 2)]);
    }
    console.log(`(d) Time to first token on loopback: client, fake OpenRouter and Node dev server (canned state responder) each in its own process (${t.turns} turns after ${t.warmup} warm-up; the direct call sends the ${t.directRequestBytes}-byte request Salient sends)
` + table(rows));
    console.log(`    budget ≤ 5 ms added p50: p50(GET) − p50(direct) ${ms(t.addedP50Diff, 2)} ms → ${within(t.addedP50Diff, B.ttftAddedMsP50)}; ` +
      `per-turn added p50 ${ms(t.added.p50, 2)} ms → ${within(t.added.p50, B.ttftAddedMsP50)}; with the POST: ${ms(t.addedFullP50Diff, 2)} ms\n`);
  }
}

main().catch((err) => {
  console.error(String(err?.stack ?? err));
  process.exit(1);
});
