// (c, Node) CPU per offline chat turn in-process: createSalient from hosts/driver.js with the
// canned state responder (lib/canned-store.mjs) called through the driver's `fetch` option, so
// neither a socket nor the store's own work is in the measurement. A turn = POST /a/sales/chat (form, as htmx sends
// it) + GET of its stream read to the end (lib/flow.mjs). Per turn: process CPU
// (process.cpuUsage: user + system, all threads, µs resolution) and wall time (performance.now).
// Peers (workers/peer.js), in the same process, interleaved turn by turn with ours:
//   static — the same response bytes as fixed strings;  io — static + the same three state calls;
//   stream — io + the SSE body in the same chunks through a JS ReadableStream, as the driver sends it;
//   stream1 — stream with the SSE body as one chunk.
//
// Then, separately (so that the instrumentation never touches the figures above): a second
// in-process Salient whose WebAssembly.Instance exports are wrapped with timers, to see how much
// of a turn is spent inside the wasm core, in which exports, and how many calls it takes.
//
//   node bench/turn-node.mjs [--quick]

import { peerHandler } from "./workers/peer.js";
import { captureFixtures, client, inProcessSalient } from "./lib/flow.mjs";
import { log, QUICK, section } from "./lib/common.mjs";
import { summary } from "./lib/stats.mjs";

const WARMUP = QUICK ? 50 : 300;
const TURNS = QUICK ? 200 : 1500;
const ORIGIN = "http://bench.invalid";

section(async () => {
  const fixtures = await captureFixtures();
  const salient = inProcessSalient();
  const targets = {
    ours: salient.handle,
    "peer-stream": peerHandler({ mode: "stream", fixtures, stateUrl: salient.stateUrl,
      fetch: (url, init) => salient.state(new Request(url, init)) }),
    "peer-stream1": peerHandler({ mode: "stream1", fixtures, stateUrl: salient.stateUrl,
      fetch: (url, init) => salient.state(new Request(url, init)) }),
    "peer-io": peerHandler({ mode: "io", fixtures, stateUrl: salient.stateUrl,
      fetch: (url, init) => salient.state(new Request(url, init)) }), // the same store as ours
    "peer-static": peerHandler({ mode: "static", fixtures }),
  };
  const turns = Object.fromEntries(Object.entries(targets).map(([name, handle]) => [name, client(ORIGIN, handle)]));

  const first = {};
  for (const [name, turn] of Object.entries(turns)) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    await turn();
    const c = process.cpuUsage(c0);
    first[name] = { cpu: (c.user + c.system) / 1000, wall: performance.now() - t0 };
  }
  for (let i = 0; i < WARMUP; i++) for (const turn of Object.values(turns)) await turn();
  log(`turn-node: warmed up (${WARMUP} turns each)`);

  const samples = Object.fromEntries(Object.keys(turns).map((name) => [name, { cpu: [], wall: [] }]));
  const names = Object.keys(turns);
  for (let i = 0; i < TURNS; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      const c0 = process.cpuUsage(), t0 = performance.now();
      await turns[name]();
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      samples[name].cpu.push((c.user + c.system) / 1000);
      samples[name].wall.push(wall);
    }
  }
  log(`turn-node: measured ${TURNS} turns each`);
  const wasm = await wasmShare(QUICK ? 100 : 500);
  log(`turn-node: wasm share measured`);
  const out = { wasm, warmup: WARMUP, turns: TURNS, stateCalls: fixtures.stateCalls, responseBytes: fixtures.post.body.length + fixtures.stream.body.length, targets: {} };
  for (const name of names) {
    out.targets[name] = { first: first[name], cpu: summary(samples[name].cpu), wall: summary(samples[name].wall) };
  }
  return out;
});

/** Times every call into the wasm exports of instances created while `fn` runs. */
function timedInstances() {
  const Original = WebAssembly.Instance;
  const acc = { ms: 0, calls: 0, byExport: {} };
  class Timed extends Original {
    get exports() {
      if (this.timed) return this.timed;
      const raw = super.exports;
      this.timed = {};
      for (const [name, value] of Object.entries(raw)) {
        if (typeof value !== "function") {
          this.timed[name] = value;
          continue;
        }
        const slot = (acc.byExport[name] ??= { ms: 0, calls: 0 });
        this.timed[name] = (...a) => {
          const t0 = performance.now();
          try {
            return value(...a);
          } finally {
            const dt = performance.now() - t0;
            acc.ms += dt;
            acc.calls += 1;
            slot.ms += dt;
            slot.calls += 1;
          }
        };
      }
      return this.timed;
    }
  }
  WebAssembly.Instance = Timed;
  return { acc, restore: () => void (WebAssembly.Instance = Original) };
}

async function wasmShare(turnCount) {
  const { acc, restore } = timedInstances();
  let salient;
  try {
    salient = inProcessSalient();
  } finally {
    restore(); // instances already made keep their timed exports; the pool reuses them
  }
  const turn = client(ORIGIN, salient.handle);
  for (let i = 0; i < WARMUP; i++) await turn();
  const perTurn = [], calls = [], share = [];
  const byExport0 = JSON.parse(JSON.stringify(acc.byExport));
  for (let i = 0; i < turnCount; i++) {
    const ms0 = acc.ms, calls0 = acc.calls, t0 = performance.now();
    await turn();
    const wall = performance.now() - t0;
    perTurn.push(acc.ms - ms0);
    calls.push(acc.calls - calls0);
    share.push((acc.ms - ms0) / wall);
  }
  const byExport = {};
  for (const [name, v] of Object.entries(acc.byExport)) {
    const calls = v.calls - (byExport0[name]?.calls ?? 0);
    if (calls > 0) byExport[name] = { msPerTurn: (v.ms - (byExport0[name]?.ms ?? 0)) / turnCount, callsPerTurn: calls / turnCount };
  }
  return { turns: turnCount, msPerTurn: summary(perTurn), callsPerTurn: summary(calls), shareOfWall: summary(share), byExport };
}
