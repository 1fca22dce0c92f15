// Cloudflare Workers adapter. Workers forbid compiling wasm at run time, so the modules arrive
// precompiled (CompiledWasm imports) and the driver instantiates them with
// `new WebAssembly.Instance`. Static page assets are served by Workers Static Assets
// ([assets] in wrangler.toml) before this worker runs; everything else comes here.

import chat from "../../build/wasi/functions/chat.wasm";
import stream from "../../build/wasi/functions/stream.wasm";
import otp from "../../build/wasi/functions/otp.wasm";
import summary from "../../build/wasi/functions/summary.wasm";
import config from "../../build/salient.json";
import knowledgeData from "../../build/knowledge.bin"; // the local knowledge index (a Data module)
import { createSalient } from "../driver.js";

// Created on the first request, because secrets and vars (`env`) arrive with requests. One
// isolate serves many requests, concurrently: the driver gives each its own instance.
let salient = null;

export default {
  async fetch(request, env, ctx) {
    if (!salient) {
      try {
        const knowledge = new Uint8Array(knowledgeData);
        salient = createSalient({ modules: { chat, stream, otp, summary }, config, env, knowledge });
      } catch (err) {
        // An invalid compiled config or a broken module (a missing secret is reported per request
        // instead, so the pages still load). Not cached: the next request tries again.
        console.log(JSON.stringify({ level: "error", event: "host.configure_failed", message: String(err?.message ?? err) }));
        return Response.json({ error: { code: "internal", message: "server not configured" } }, { status: 500 });
      }
    }
    // Cloudflare sets cf-connecting-ip on every request, replacing any the client sent.
    return salient.handle(request, ctx, { clientIp: request.headers.get("cf-connecting-ip") ?? "" });
  },
};
