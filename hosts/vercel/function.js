// Vercel adapter: a Node.js runtime function with the Web handler signature (api/salient.js
// re-exports this), running the shared driver. vercel.json rewrites the agents' routes (/a/*,
// /otp/*) to it and serves build/public for the rest; it ships the modules, the compiled config
// and the knowledge index beside the function (`includeFiles`), read from disk here.
//
// Secrets and settings are the project's environment variables: the same names as everywhere
// (SALIENT_STREAM_SECRET, SUPABASE_URL, SUPABASE_KEY, OPENROUTER_API_KEY, SALIENT_OTP_SECRET, MAILGUN_*, …).

import { existsSync, readFileSync } from "node:fs";
import { createSalient } from "../driver.js";

const BUILD = new URL("../../build/", import.meta.url);
const FUNCTIONS = ["chat", "stream", "otp", "summary"];
// The rewrites' own parameters (vercel.json): Vercel appends what a rewrite matched to the query
// of the URL the function sees. They are not the visitor's, so they are taken off again.
const REWRITE_PARAMS = { salient_a: "/a/", salient_otp: "/otp/" };

let salient = null;

function start() {
  const knowledge = new URL("knowledge.bin", BUILD);
  return createSalient({
    // Each module is compiled and instantiated when a request first needs it: a cold instance
    // pays for the module it serves only.
    modules: Object.fromEntries(FUNCTIONS.map((fn) => [fn, () => new WebAssembly.Module(readFileSync(new URL(`wasi/functions/${fn}.wasm`, BUILD)))])),
    config: JSON.parse(readFileSync(new URL("salient.json", BUILD), "utf8")),
    env: process.env,
    knowledge: existsSync(knowledge) ? new Uint8Array(readFileSync(knowledge)) : null,
    eager: false, // a module that fails answers its request 500, with a host.instantiate_failed log line
  });
}

/** The visitor's URL: the rewrite's parameters removed; the path restored if the rewrite replaced it. */
export function visitorRequest(request) {
  const url = new URL(request.url);
  let path = null;
  for (const [param, prefix] of Object.entries(REWRITE_PARAMS)) {
    if (!url.searchParams.has(param)) continue;
    path ??= prefix + url.searchParams.get(param);
    url.searchParams.delete(param);
  }
  if (path !== null && !Object.values(REWRITE_PARAMS).some((prefix) => url.pathname.startsWith(prefix))) url.pathname = path;
  if (url.href === request.url) return request;
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return new Request(url, {
    method: request.method,
    headers: request.headers,
    body: hasBody ? request.body : undefined,
    duplex: hasBody ? "half" : undefined,
    signal: request.signal,
  });
}

export default {
  async fetch(request, context) {
    salient ??= start();
    // waitUntil keeps the instance working on what the core still has to store after the
    // response ends or the visitor leaves: the handler's context, or Vercel's request context.
    const waitUntil = context?.waitUntil ?? globalThis[Symbol.for("@vercel/request-context")]?.get?.()?.waitUntil;
    // x-real-ip: Vercel's edge sets it to the connecting address, overwriting the client's;
    // x-forwarded-for keeps what the client sent in front, so it is never read.
    return salient.handle(visitorRequest(request), waitUntil ? { waitUntil } : undefined,
      { clientIp: request.headers.get("x-real-ip") ?? "" });
  },
};
