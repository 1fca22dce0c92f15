// Cloudflare Workers adapter. Workers forbid compiling wasm at run time, so the modules arrive
// precompiled (CompiledWasm imports) and the driver instantiates them with
// `new WebAssembly.Instance`. Static page assets are served by Workers Static Assets
// ([assets] in wrangler.toml) before this worker runs; everything else comes here. Cron Triggers
// ([triggers] in wrangler.toml) call scheduled(), which sweeps idle conversations.

import chat from "../../build/wasi/functions/chat.wasm";
import stream from "../../build/wasi/functions/stream.wasm";
import otp from "../../build/wasi/functions/otp.wasm";
import summary from "../../build/wasi/functions/summary.wasm";
import config from "../../build/salient.json";
import knowledgeData from "../../build/knowledge.bin"; // the local knowledge index (a Data module)
import { createSalient } from "../driver.js";
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
    salient = createSalient({ modules: { chat, stream, otp, summary }, config, env, knowledge });
  } catch (err) {
    // An invalid compiled config or a broken module (a missing secret is reported per request
    // instead, so the pages still load).
    console.log(JSON.stringify(redactor(env)({ level: "error", event: "host.configure_failed", message: String(err?.message ?? err) })));
  }
  return salient;
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
