#!/usr/bin/env node
// Load with faults (issue 19): N concurrent visitors for D seconds through the Node dev server,
// then through workerd, against the fake OpenRouter (a token pace, a share of 429/5xx/stall
// answers), fake Mailgun (a share of 503s) and a real PostgreSQL 15 behind our PostgREST layer
// with a fault proxy in front (503 before forwarding; forwarded then the answer dropped). The
// visitors retry, resubmit, drop and resume streams and press the summary button as the widget
// does (bench/lib/load-client.mjs); at the end the database is read to count lost and
// duplicated messages (bench/lib/load-checks.mjs). Prints a table, writes
// bench/results/load-latest.json (and a copy named with the start time); exits 1 when anything was lost or duplicated.
//
//   node bench/load.mjs                           200 visitors × 120 s on each host (≈ 5 min)
//   node bench/load.mjs --visitors=20 --seconds=10 --hosts=node-dev
//   node bench/load.mjs --pglite                  the embedded store instead of PostgreSQL
//   node bench/load.mjs --spare=salient_finish_turn   no store faults for those functions (comma-separated)
//
// Needs ./scripts/build, node_modules/.bin/workerd and PostgreSQL 15's server binaries
// (tests/support/postgres.mjs). Machine details go into the JSON (see bench/run.mjs).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { postgresUnavailable } from "../tests/support/postgres.mjs";
import { REPO } from "../tests/support/workerd.mjs";
import { DEFAULT_FAULTS, HOSTS, runHost, startUpstreams, stopHosts } from "./lib/load.mjs";
import { table } from "./lib/stats.mjs";

const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const visitors = Number(arg("visitors", 200));
const seconds = Number(arg("seconds", 120));
const hosts = arg("hosts", Object.keys(HOSTS).join(",")).split(",");
const postgres = !process.argv.includes("--pglite");
// --spare=fn,fn: no store faults for those functions (to tell which call a loss comes from).
const spared = arg("spare", "").split(",").filter(Boolean);
const storeFaults = spared.length ? { ...DEFAULT_FAULTS.store, spare: { before: spared, after: spared } } : DEFAULT_FAULTS.store;
if (postgres && postgresUnavailable()) {
  console.error(`PostgreSQL is not available (${postgresUnavailable()}); use --pglite`);
  process.exit(2);
}

const say = (line) => console.error(line);
const machine = {
  date: new Date().toISOString(),
  nproc: os.availableParallelism(),
  cpuModel: /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "?",
  memTotalMB: Math.round(os.totalmem() / 1048576),
  node: process.version,
  loadavgBefore: readFileSync("/proc/loadavg", "utf8").trim(),
  git: execFileSync("git", ["-C", REPO, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
  // The modules measured (a build of a dirty tree is still identified by these).
  modules: Object.fromEntries(["chat", "stream", "otp", "summary"].map((fn) => [fn,
    createHash("sha256").update(readFileSync(path.join(REPO, "build", "wasi", "functions", `${fn}.wasm`))).digest("hex").slice(0, 16)])),
};

const up = await startUpstreams({ postgres });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await stopHosts();
    await up.close(); // stops PostgreSQL (its temp folder removed)
    process.exit(130);
  });
}
say(`store: ${up.kind}; ${visitors} visitors × ${seconds} s on ${hosts.join(", ")}`);
const results = [];
try {
  for (const host of hosts) {
    const result = await runHost(up, host, { visitors, seconds, log: say, overrides: { store: storeFaults } });
    results.push(result);
    say(`${host}: sent ${result.sent}, lost ${result.lost.total}, duplicated ${result.duplicated.total}`);
  }
} finally {
  await up.close();
}
machine.loadavgAfter = readFileSync("/proc/loadavg", "utf8").trim();

const f = (x) => (Number.isFinite(x) ? Math.round(x) : "–");
const rows = [["", ...results.map((r) => r.host)]];
const row = (label, pick) => rows.push([label, ...results.map(pick)]);
row("visitors × seconds", (r) => `${r.visitors} × ${r.seconds}`);
row("messages sent", (r) => r.sent);
row("chat POSTs (retries incl.)", (r) => r.postRequests);
row("answered 2xx", (r) => r.answered);
row("user messages stored", (r) => r.stored);
row("answers stored", (r) => r.answersStored);
row("  of which offline / interrupted", (r) => `${r.offlineAnswers} / ${r.interruptedAnswers}`);
row("LOST", (r) => `${r.lost.total} (user ${r.lost.lostUser}, answer ${r.lost.lostAnswer}, unanswered ${r.lost.unanswered})`);
row("DUPLICATED", (r) => `${r.duplicated.total} (user ${r.duplicated.userCopies}, answer ${r.duplicated.answerCopies}, resubmit ${r.duplicated.resubmitSplit})`);
row("mismatched text / hung", (r) => `${r.mismatched} / ${r.hung}`);
row("streams cut by the client / resumed", (r) => `${r.faults.clientDrops} / ${r.resumed}`);
row("resubmissions", (r) => r.faults.resubmissions);
row("model faults served", (r) => Object.entries(r.faults.model).filter(([k]) => k !== "ok").map(([k, v]) => `${k}:${v}`).join(" "));
row("store faults (before / after)", (r) => `${r.faults.store.before} / ${r.faults.store.after} of ${r.faults.store.before + r.faults.store.after + r.faults.store.forwarded}`);
row("Mailgun 503s / sends", (r) => `${r.faults.mail.before} / ${r.faults.mail.before + r.faults.mail.forwarded}`);
row("TTFT p50/p90/p99 ms", (r) => `${f(r.latencyMs.ttft.p50)} / ${f(r.latencyMs.ttft.p90)} / ${f(r.latencyMs.ttft.p99)}`);
row("full answer p50/p90/p99 ms", (r) => `${f(r.latencyMs.full.p50)} / ${f(r.latencyMs.full.p90)} / ${f(r.latencyMs.full.p99)}`);
row("  every answer, faults incl.", (r) => `${f(r.latencyMs.fullAll.p50)} / ${f(r.latencyMs.fullAll.p90)} / ${f(r.latencyMs.fullAll.p99)}`);
row("peer: the fake model direct, TTFT", (r) => `${f(r.latencyMs.directTtft.p50)} / ${f(r.latencyMs.directTtft.p90)} / ${f(r.latencyMs.directTtft.p99)}`);
row("peer: the fake model direct, full", (r) => `${f(r.latencyMs.directFull.p50)} / ${f(r.latencyMs.directFull.p90)} / ${f(r.latencyMs.directFull.p99)}`);
console.log(table(rows));
for (const r of results) {
  console.log(`\n${r.host} errors: ${JSON.stringify(r.errors)}\n${r.host} outcomes: ${JSON.stringify(r.outcomes)}`);
  console.log(`${r.host} store calls abandoned by the host: ${r.faults.store.clientGone}; the proxy's own upstream errors: ${
    r.faults.store.upstreamErrors}; slowest answers: ${JSON.stringify(
    Object.fromEntries(Object.entries(r.faults.store.byFunction).map(([fn, c]) => [fn, c.slowestMs])))}`);
  if (Object.keys(r.hostWarnings).length) console.log(`${r.host} warnings: ${JSON.stringify(r.hostWarnings)}`);
  if (r.examples.length) console.log(`${r.host} examples: ${JSON.stringify(r.examples, null, 1)}`);
}

const dir = path.join(REPO, "bench", "results");
mkdirSync(dir, { recursive: true });
const out = { machine, store: up.kind, faults: { ...DEFAULT_FAULTS, store: storeFaults }, command: process.argv.slice(2), results };
const stamped = path.join(dir, `load-${machine.date.replace(/[:.]/g, "-")}.json`);
writeFileSync(path.join(dir, "load-latest.json"), JSON.stringify(out, null, 2));
writeFileSync(stamped, JSON.stringify(out, null, 2));
say(`wrote bench/results/load-latest.json and ${path.relative(REPO, stamped)}`);
process.exit(results.some((r) => r.lost.total || r.duplicated.total || r.hung) ? 1 : 0);
