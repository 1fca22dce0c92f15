// Netlify Edge Functions adapter (Deno). Netlify serves the static pages from build/public
// (netlify.toml); the agents' routes come here and go through the shared driver. The modules,
// the compiled config and the knowledge index arrive inside the bundle (build/netlify/assets.js,
// written by ./scripts/build), and are compiled once per isolate, on its first request.
//
// Secrets and settings come from the site's environment variables (Netlify.env): the same names
// as everywhere (SALIENT_STREAM_SECRET, SUPABASE_URL, SUPABASE_KEY, OPENROUTER_API_KEY, …).

import { createSalient } from "../../driver.js";
import { config as salientConfig, knowledge, modules } from "../../../build/netlify/assets.js";

let salient = null;

/** The site's environment: Netlify.env on Netlify, Deno.env elsewhere (a local Deno server). */
function environment() {
  if (globalThis.Netlify?.env?.toObject) return globalThis.Netlify.env.toObject();
  return globalThis.Deno?.env?.toObject?.() ?? {};
}

export default async function handler(request, context) {
  if (!salient) {
    try {
      const compiled = Object.fromEntries(Object.entries(modules).map(([fn, bytes]) => [fn, new WebAssembly.Module(bytes())]));
      salient = createSalient({ modules: compiled, config: salientConfig, env: environment(), knowledge: knowledge() });
    } catch (err) {
      // An invalid compiled config or a broken module (a missing secret is reported per request
      // instead). Not cached: the next request tries again.
      console.log(JSON.stringify({ level: "error", event: "host.configure_failed", message: String(err?.message ?? err) }));
      return Response.json({ error: { code: "internal", message: "server not configured" } }, { status: 500 });
    }
  }
  // context.waitUntil keeps the isolate working on what the core still has to store after the
  // response ends or the visitor leaves.
  return salient.handle(request, context);
}

// The routes the driver serves (hosts/routes.js); everything else is a static file.
export const config = { path: ["/a/*", "/otp/*"] };
