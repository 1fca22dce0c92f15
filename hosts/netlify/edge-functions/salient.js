// Netlify Edge Functions adapter (Deno). Netlify serves the static pages from build/public
// (netlify.toml); the agents' routes come here and go through the shared driver. The modules,
// the compiled config and the knowledge index arrive inside the bundle (build/netlify/assets.js,
// written by ./scripts/build); each module is compiled and instantiated when a request first
// needs it.
//
// Secrets and settings come from the site's environment variables (Netlify.env): the same names
// as everywhere (SALIENT_STREAM_SECRET, SUPABASE_URL, SUPABASE_KEY, OPENROUTER_API_KEY, SALIENT_OTP_SECRET, MAILGUN_*, …).

import { createSalient } from "../../driver.js";
import { config as salientConfig, knowledge, modules } from "../../../build/netlify/assets.js";

let salient = null;

/** The site's environment: Netlify.env on Netlify, Deno.env elsewhere (a local Deno server). */
function environment() {
  if (globalThis.Netlify?.env?.toObject) return globalThis.Netlify.env.toObject();
  return globalThis.Deno?.env?.toObject?.() ?? {};
}

export default async function handler(request, context) {
  // Nothing is compiled or instantiated before a request needs it: a cold isolate's first request
  // pays for its own module only (compiling and configuring all four cost about three times as
  // much CPU here, and Netlify's edge counts a request's CPU).
  salient ??= createSalient({
    modules: Object.fromEntries(Object.entries(modules).map(([fn, bytes]) => [fn, () => new WebAssembly.Module(bytes())])),
    config: salientConfig,
    env: environment(),
    knowledge: knowledge(),
    eager: false, // a module that fails answers its request 500, with a host.instantiate_failed log line
  });
  // context.waitUntil keeps the isolate working on what the core still has to store after the
  // response ends or the visitor leaves.
  // context.ip: the visitor's address as Netlify's edge saw the connection (not a header).
  return salient.handle(request, context, { clientIp: typeof context?.ip === "string" ? context.ip : "" });
}

// The routes the driver serves (hosts/routes.js); everything else is a static file. Mailgun's
// inbound replies arrive at /mail/inbound; the operator's view at /admin/ and /metrics.
export const config = { path: ["/a/*", "/otp/*", "/mail/inbound", "/admin", "/admin/*", "/metrics"] };
