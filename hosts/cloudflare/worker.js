// Cloudflare Workers adapter. Workers forbid compiling wasm at run time, so the modules arrive
// precompiled (CompiledWasm imports) and the driver instantiates them with
// `new WebAssembly.Instance`. Static page assets are served by Workers Static Assets
// ([assets] in wrangler.toml) before this worker runs; everything else comes here. Cron Triggers
// ([triggers] in wrangler.toml) call scheduled(), which sweeps idle conversations.
//
// Cold starts (docs/BENCHMARKS.md (i)): the Free plan allows 1 s of CPU at startup but 10 ms per
// request. A cold isolate's first request instantiates only the module it needs (eager: false),
// and the code that instantiating, configuring and answering runs, which V8 compiles on first
// use, is compiled at startup by warmUp() below.

import chat from "../../build/wasi/functions/chat.wasm";
import stream from "../../build/wasi/functions/stream.wasm";
import otp from "../../build/wasi/functions/otp.wasm";
import summary from "../../build/wasi/functions/summary.wasm";
import config from "../../build/salient.json";
import knowledgeData from "../../build/knowledge.bin"; // the local knowledge index (a Data module)
import { createSalient } from "../driver.js";
import { Instance } from "../driver/instance.js";
import { redactor } from "../driver/redact.js";

// Conversations per cron run: the Free plan allows 50 subrequests per invocation and a summary
// takes about 5 (claim, transcript, model, Mailgun, record); the core caps it by its config too.
const SWEEP_LIMIT = 8;

// Created on the first request or cron event, because secrets and vars (`env`) arrive with them.
// One isolate serves many requests, concurrently: the driver gives each its own instance.
let salient = null;

/** The driver, or null after logging why it could not be made (not cached: the next call retries). */
function salientFor(env) {
  if (salient) return salient;
  try {
    const knowledge = new Uint8Array(knowledgeData);
    // eager: false: each module is instantiated on its first request (a broken one answers its
    // own requests 500, with a host.instantiate_failed line), not all four on the first.
    salient = createSalient({ modules: { chat, stream, otp, summary }, config, env, knowledge, eager: false });
  } catch (err) {
    // The compiled config could not be encoded (a broken module or config now fails its own
    // requests instead; a missing secret is reported per request, so the pages still load).
    console.log(JSON.stringify(redactor(env)({ level: "error", event: "host.configure_failed", message: String(err?.message ?? err) })));
  }
  return salient;
}

/**
 * At startup: each module instantiated and configured once in a throwaway instance, then dropped,
 * after answering one request that needs no store (the chat page, a malformed stream id, the
 * privacy page, a bad transcript link), so that V8's lazily compiled code for instantiating,
 * configuring and answering is ready before the first visitor's request (in workerd this took a
 * cold first request from 21–29 to 10–17 ms of main-thread CPU, and startup from about 45 to 210
 * ms of CPU, inside the 1 s; docs/BENCHMARKS.md (i)). A worker's top level may not draw random
 * values, and configuring seeds libsodium through WASI random_get: this instance gets fixed bytes
 * instead, which is why it never serves a visitor. The driver's instances get real randomness.
 */
function warmUp() {
  const encoder = new TextEncoder();
  const configure = encoder.encode(JSON.stringify({ config, env: {} })); // the requests below need no secret
  const index = new Uint8Array(knowledgeData);
  const agent = Object.keys(config?.agents ?? {})[0] ?? "warm-up";
  const requests = [
    [chat, false, `/a/${agent}/`, "text/html"],
    [stream, true, `/a/${agent}/events/stream?stream_id=warm-up`, "text/event-stream"],
    [otp, false, `/a/${agent}/privacy`, "text/html"],
    [summary, true, `/a/${agent}/transcript/warm-up`, "text/html"],
  ];
  const quiet = () => {};
  for (const [module, withIndex, url, accept] of requests) {
    const instance = new Instance(module, configure, withIndex ? index : null, quiet, { random: (bytes) => bytes.fill(0x5a) });
    const head = encoder.encode(JSON.stringify({ method: "GET", url, headers: [["accept", accept]], now_ms: Date.now(),
      request_id: "warm-up", body_truncated: false, client_ip: "" }));
    // Until it waits, asks for an effect (nothing is fetched) or is done (docs/ABI.md: 0, 1, 4).
    const handle = instance.start(head, new Uint8Array(0));
    for (let steps = 0; steps < 1000; steps++) {
      const kind = instance.x.salient_next(handle);
      if (kind === 0 || kind === 1 || kind === 4) break;
    }
    instance.x.salient_release(handle);
  }
}

// No secrets: the warm-up's requests need none, and the same code runs for configuring either way
// (importing the startup env from "cloudflare:workers" would also tie this file to workerd).
try {
  warmUp();
} catch (err) {
  // Only the first request's CPU is at stake: the driver reports a broken module or config itself.
  console.log(JSON.stringify(redactor({})({ level: "warn", event: "host.warm_up_failed", message: String(err?.message ?? err) })));
}

export default {
  async fetch(request, env, ctx) {
    if (!salientFor(env)) return Response.json({ error: { code: "internal", message: "server not configured" } }, { status: 500 });
    // Cloudflare sets cf-connecting-ip on every request, replacing any the client sent.
    return salient.handle(request, ctx, { clientIp: request.headers.get("cf-connecting-ip") ?? "" });
  },

  async scheduled(controller, env, ctx) {
    if (!salientFor(env)) return;
    // waitUntil: the event lasts until the sweep's last send is recorded. The driver logs the
    // counts (host.sweep); a failed sweep is left for the next trigger rather than retried here.
    ctx.waitUntil(salient.sweep({ trigger: "cloudflare-cron", limit: SWEEP_LIMIT }));
  },
};
