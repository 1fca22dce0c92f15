// (d) LLM relay cost in Node, in one process, on one recorded upstream stream (bench/lib/relay.mjs:
// 2,000 content chunks with escapes, surrogate pairs, multi-byte UTF-8, comment lines) cut into
// the same network pieces for every target:
//
//   core    the stream function's reactor driven directly (workers/relay.js CoreRelay): per piece
//           salient_effect_chunk_next (copy in) + drain every step (copy out of each WRITE). Only the
//           piece loop is timed; a fresh exchange (start, claim, LLM head … finish) per repetition.
//   floor   the host floor (workers/relay.js FloorRelay, bench/peer/relay-floor.c): the core's
//           piece loop on a module that writes, for each piece, as many bytes as the core did,
//           and does nothing else: the copies and calls a host pays whatever the core does.
//   js      the plain JS relay (workers/relay.js JsRelay): TextDecoder + lines + JSON.parse per
//           event + JSON.stringify per token, synchronous over the same pieces.
//   ai-sdk  the Vercel AI SDK: createOpenAICompatible + streamText with a `fetch` that answers
//           the recorded pieces as a ReadableStream (no network); textStream re-emitted as SSE.
//   e2e     end to end through Web Streams: the real driver (hosts/driver.js createSalient, stream
//           module only) with a `fetch` that answers the state-store RPCs (claim, finish) with
//           canned JSON and the LLM call with the pieces as a ReadableStream, the client Response
//           read to the end; vs e2e-js: the same upstream Response piped through a TransformStream
//           running JsRelay into a Response, read to the end.
//
// Figures: process CPU (process.cpuUsage: all of Node's threads, GC included) and wall time
// (performance.now) per upstream content chunk, p50/p95 over repetitions; targets interleave
// repetition by repetition. Ratios are on CPU p50 (wall ones too, under `ratios.wall`): the
// machine is shared, and wall time counts other processes' turns. Every repetition's relayed
// `token` texts must equal the expected text.
//
//   node bench/relay-node.mjs [--quick]

import { readFileSync } from "node:fs";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { streamText } from "ai";
import { createSalient } from "../hosts/driver.js";
import { log, QUICK, section, wasmPath } from "./lib/common.mjs";
import { AGENT, LLM_BASE, loadConfig, relayEnv, relayFixture, signStreamId } from "./lib/relay.mjs";
import { summary } from "./lib/stats.mjs";
import { buildRelayFloor } from "./lib/peers.mjs";
import { CLAIM_BODY, configureBytes, CoreRelay, FINISH_BODY, FloorRelay, JsRelay, jsRelayRun, streamHead, tokenText } from "./workers/relay.js";

const SYNC_WARMUP = QUICK ? 10 : 40, SYNC_REPS = QUICK ? 20 : 60;
const SDK_WARMUP = QUICK ? 2 : 5, SDK_REPS = QUICK ? 6 : 20;
const E2E_WARMUP = QUICK ? 5 : 15, E2E_REPS = QUICK ? 15 : 40;

const cpuMsNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const encoder = new TextEncoder();
const SSE_HEADERS = { "content-type": "text/event-stream" };
const JSON_HEADERS = { "content-type": "application/json" };

/** The recorded upstream body as a network would hand it over: one piece per read. */
function piecesBody(pieces) {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < pieces.length) c.enqueue(pieces[i++]);
      else c.close();
    },
  }, { highWaterMark: 0 });
}

async function readAll(body) {
  const chunks = [];
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

section(async () => {
  const f = relayFixture();
  const config = loadConfig();
  const env = relayEnv();
  const module = new WebAssembly.Module(readFileSync(wasmPath("stream")));
  const check = (name, chunks) => {
    const text = tokenText(chunks);
    if (text !== f.expected) throw new Error(`${name}: relayed text differs from the expected text (${text.length} vs ${f.expected.length} chars)`);
  };
  log(`relay: ${f.chunks} chunks, ${f.bytes.length} bytes, ${f.pieces.length} pieces, ${f.comments} comment lines`);

  // ---- (a) core vs (b) plain JS: synchronous loops, interleaved --------------------------------
  const core = new CoreRelay(module, configureBytes(config, env));
  // The host floor (FloorRelay): the same loop on a module that writes what the core wrote for
  // each piece and does nothing else. Timed without the last piece, so against core.withoutLastPiece.
  const floorModule = new WebAssembly.Module(readFileSync(buildRelayFloor()));
  const floorFor = (pieces) => {
    const plan = [], now = Date.now();
    core.run(streamHead(AGENT, signStreamId(now), now), pieces, now, null, plan);
    return new FloorRelay(floorModule, plan);
  };
  const floor = floorFor(f.pieces), floorByEvent = floorFor(f.eventPieces);
  const floorCheck = (name, r, coreWrites) => {
    const n = r.writes.reduce((sum, w) => sum + w.length, 0), m = coreWrites.slice(0, -1).reduce((sum, w) => sum + w.length, 0);
    if (r.writes.length === 0 || n > m) throw new Error(`${name}: the floor wrote ${n} bytes, the core ${m} before its last piece`);
  };
  const series = () => ({ wall: [], cpu: [] });
  /** The core, the floor and plain JS on `pieces`, interleaved rep by rep: their samples. */
  const syncLoops = (name, pieces, floor) => {
    const out = { core: series(), coreLast: series(), coreWithoutLast: series(), coreWhole: series(), js: series(), floor: series(), last: null };
    for (let i = 0; i < SYNC_WARMUP + SYNC_REPS; i++) {
      const now = Date.now();
      const w0 = cpuMsNow(), wt0 = performance.now();
      const r = core.run(streamHead(AGENT, signStreamId(now), now), pieces, now, cpuMsNow);
      const wholeWall = performance.now() - wt0, wholeCpu = cpuMsNow() - w0;
      check(`core (${name})`, r.writes);
      const fl = floor.run(pieces, cpuMsNow);
      floorCheck(`floor (${name})`, fl, r.writes);
      const c0 = cpuMsNow(), t0 = performance.now();
      const js = jsRelayRun(pieces);
      const jsWall = performance.now() - t0, jsCpu = cpuMsNow() - c0;
      check(`js (${name})`, js.writes);
      if (i < SYNC_WARMUP) continue;
      const add = (k, wall, cpu) => (out[k].wall.push(wall), out[k].cpu.push(cpu));
      add("core", r.ms, r.cpuMs);
      add("coreLast", r.lastMs, r.lastCpuMs); // the last piece alone: [DONE] → the finish_turn effect
      add("coreWithoutLast", r.ms - r.lastMs, r.cpuMs - r.lastCpuMs);
      // The whole exchange, setup (start, claim, LLM request) and end (finish_turn) included, and
      // the bench's own parsing of those steps: what relay-workerd.mjs's core figure counts.
      add("coreWhole", wholeWall, wholeCpu);
      add("js", jsWall, jsCpu);
      add("floor", fl.ms, fl.cpuMs);
      out.last = { core: r, js };
    }
    log(`relay: ${name} done (${SYNC_REPS} reps each after ${SYNC_WARMUP} warm-up)`);
    return out;
  };
  const raw = syncLoops(`${f.pieces.length} pieces of 1–200 bytes`, f.pieces, floor);
  const coreWrites = raw.last.core.relayed;
  const coreBytesOut = raw.last.core.writes.reduce((n, w) => n + w.length, 0);
  const jsBytesOut = raw.last.js.writes.reduce((n, w) => n + w.length, 0);

  // ---- (a') the same on event-sized pieces (splitAtEvents): the per-chunk cost with few
  // per-piece costs on top, as most pieces of a real stream arrive -------------------------------
  const byEvent = syncLoops(`${f.eventPieces.length} event-sized pieces`, f.eventPieces, floorByEvent);

  // ---- (c) the Vercel AI SDK -----------------------------------------------------------------
  const provider = createOpenAICompatible({
    name: "openrouter",
    baseURL: LLM_BASE,
    apiKey: "sk-or-bench",
    fetch: async () => new Response(piecesBody(f.pieces), { headers: SSE_HEADERS }),
  });
  const model = provider(config.llm?.model ?? "openai/gpt-oss-20b:free");
  const sdkRaw = { wall: [], cpu: [] };
  for (let i = 0; i < SDK_WARMUP + SDK_REPS; i++) {
    const c0 = cpuMsNow(), t0 = performance.now();
    const result = streamText({
      model,
      messages: [{ role: "user", content: "How much does a garden design cost?" }],
      onError: ({ error }) => { throw error; },
    });
    const out = [];
    let id = 0;
    for await (const text of result.textStream) out.push(encoder.encode(`id: ${++id}\nevent: token\ndata: ${JSON.stringify({ text })}\n\n`));
    const wall = performance.now() - t0, cpu = cpuMsNow() - c0;
    check("ai-sdk", out);
    if (i < SDK_WARMUP) continue;
    sdkRaw.wall.push(wall);
    sdkRaw.cpu.push(cpu);
  }
  log(`relay: AI SDK done (${SDK_REPS} reps after ${SDK_WARMUP} warm-up)`);

  // ---- (d) end to end through Web Streams: the driver vs the JS relay in a TransformStream ----
  const unexpected = [];
  const salient = createSalient({
    modules: { stream: module }, config, env, log: () => {},
    fetch: async (url) => {
      if (url.endsWith("/rpc/salient_claim_turn")) return new Response(CLAIM_BODY, { headers: JSON_HEADERS });
      if (url.endsWith("/rpc/salient_finish_turn")) return new Response(FINISH_BODY, { headers: JSON_HEADERS });
      if (url === `${LLM_BASE}/chat/completions`) return new Response(piecesBody(f.pieces), { headers: SSE_HEADERS });
      unexpected.push(url);
      return new Response('{"message":"not found"}', { status: 404, headers: JSON_HEADERS });
    },
  });
  const e2eOurs = async () => {
    const now = Date.now();
    const url = `http://bench.invalid/a/${AGENT}/events/stream?stream_id=${encodeURIComponent(signStreamId(now))}&format=json`;
    const res = await salient.handle(new Request(url, { headers: { accept: "text/event-stream" } }));
    if (res.status !== 200) throw new Error(`e2e: status ${res.status}: ${await res.text()}`);
    return readAll(res.body);
  };
  const e2eJs = async () => {
    const upstream = new Response(piecesBody(f.pieces), { headers: SSE_HEADERS });
    const relay = new JsRelay();
    const transform = new TransformStream({
      transform(piece, controller) {
        const out = relay.push(piece);
        if (out) controller.enqueue(out);
      },
      flush() {
        if (!relay.done) throw new Error("JS relay: no [DONE]");
      },
    });
    const res = new Response(upstream.body.pipeThrough(transform), { headers: SSE_HEADERS });
    return readAll(res.body);
  };
  const e2eRaw = { ours: { wall: [], cpu: [] }, js: { wall: [], cpu: [] } };
  for (let i = 0; i < E2E_WARMUP + E2E_REPS; i++) {
    for (const [name, run] of i % 2 ? [["js", e2eJs], ["ours", e2eOurs]] : [["ours", e2eOurs], ["js", e2eJs]]) {
      const c0 = cpuMsNow(), t0 = performance.now();
      const chunks = await run();
      const wall = performance.now() - t0, cpu = cpuMsNow() - c0;
      check(`e2e-${name}`, chunks);
      if (i < E2E_WARMUP) continue;
      e2eRaw[name].wall.push(wall);
      e2eRaw[name].cpu.push(cpu);
    }
  }
  if (unexpected.length) throw new Error(`e2e: unexpected fetches: ${[...new Set(unexpected)].join(", ")}`);
  log(`relay: end to end done (${E2E_REPS} reps each after ${E2E_WARMUP} warm-up)`);

  const perChunk = (xs) => summary(xs.map((m) => (m * 1e6) / f.chunks)); // ms per run → ns per chunk
  const target = ({ wall, cpu }) => ({ nsPerChunk: perChunk(wall), cpuNsPerChunk: perChunk(cpu), msPerStream: summary(wall), cpuMsPerStream: summary(cpu) });
  const out = {
    chunks: f.chunks,
    bytes: f.bytes.length,
    pieces: f.pieces.length,
    pieceBytes: { min: 1, max: 200 },
    comments: f.comments,
    expectedChars: f.expected.length,
    reps: { sync: SYNC_REPS, syncWarmup: SYNC_WARMUP, sdk: SDK_REPS, sdkWarmup: SDK_WARMUP, e2e: E2E_REPS, e2eWarmup: E2E_WARMUP },
    versions: {
      ai: JSON.parse(readFileSync(new URL("../node_modules/ai/package.json", import.meta.url))).version,
      "@ai-sdk/openai-compatible": JSON.parse(readFileSync(new URL("../node_modules/@ai-sdk/openai-compatible/package.json", import.meta.url))).version,
    },
    core: {
      ...target(raw.core), writes: coreWrites, bytesOut: coreBytesOut,
      lastPiece: { msPerStream: summary(raw.coreLast.wall), cpuMsPerStream: summary(raw.coreLast.cpu) },
      withoutLastPiece: target(raw.coreWithoutLast),
      wholeExchange: target(raw.coreWhole),
    },
    js: { ...target(raw.js), bytesOut: jsBytesOut },
    // The host floor (bench/peer/relay-floor.c), all pieces but the last: against core.withoutLastPiece.
    floor: target(raw.floor),
    eventPieces: {
      pieces: f.eventPieces.length, splitOneIn: 8, core: target(byEvent.core), js: target(byEvent.js),
      coreWithoutLastPiece: target(byEvent.coreWithoutLast), floor: target(byEvent.floor),
    },
    aiSdk: target(sdkRaw),
    e2e: { ours: target(e2eRaw.ours), js: target(e2eRaw.js) },
    textChecked: true,
  };
  // Ratios on CPU (the machine is shared: wall time also counts other processes' turns).
  const cpuRatios = (k) => ({
    jsOverCore: out.js[k].p50 / out.core[k].p50,
    aiSdkOverCore: out.aiSdk[k].p50 / out.core[k].p50,
    e2eJsOverOurs: out.e2e.js[k].p50 / out.e2e.ours[k].p50,
  });
  out.ratios = { ...cpuRatios("cpuNsPerChunk"), wall: cpuRatios("nsPerChunk") };
  return out;
});
