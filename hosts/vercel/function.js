// Vercel adapter: a Node.js runtime function with the Web handler signature (api/salient.js
// re-exports this), running the shared driver. vercel.json rewrites the agents' routes (/a/*,
// /otp/*, and /mail/* for Mailgun's inbound replies) to it and serves build/public for the rest; it ships the modules, the compiled config
// and the knowledge index beside the function (`includeFiles`), read from disk here.
//
// Secrets and settings are the project's environment variables: the same names as everywhere
// (SALIENT_STREAM_SECRET, SUPABASE_URL, SUPABASE_KEY, OPENROUTER_API_KEY, SALIENT_OTP_SECRET, MAILGUN_*, …).

import { salientFromBuild } from "../node-build.js";

// The rewrites' own parameters (vercel.json): Vercel appends what a rewrite matched to the query
// of the URL the function sees. They are not the visitor's, so they are taken off again.
const REWRITE_PARAMS = { salient_a: "/a/", salient_otp: "/otp/", salient_mail: "/mail/", salient_admin: "/admin/", salient_metrics: "/metrics/" };

// The opportunistic sweep. Vercel's Hobby plan runs a cron job at most once a day (vercel.json's
// /api/sweep), too rarely for "summary emailed after 30 idle minutes"; so after a visitor's chat
// request, this instance also sweeps a little (waitUntil: after the answer, not before it), at
// most once per AFTER_CHAT_EVERY_MS. A warm instance serves many chats: the interval keeps that
// to one small sweep per few minutes, and the core's claims keep two instances' sweeps apart.
const AFTER_CHAT_EVERY_MS = 5 * 60 * 1000;
const AFTER_CHAT_LIMIT = 2;
const CHAT_PATH = /^\/a\/[^/]+\/chat$/;

let salient = null;
let lastSweepAt = -Infinity; // this instance's last opportunistic sweep (Date.now)

/** The visitor's URL: the rewrite's parameters removed; the path restored if the rewrite replaced it. */
export function visitorRequest(request) {
  const url = new URL(request.url);
  let path = null;
  for (const [param, prefix] of Object.entries(REWRITE_PARAMS)) {
    if (!url.searchParams.has(param)) continue;
    const rest = url.searchParams.get(param);
    // "/metrics/:salient_metrics*" also matches /metrics itself (zero segments): that path has no
    // slash after it. (/admin becomes /admin/, which the core redirects to anyway.)
    path ??= param === "salient_metrics" && rest === "" ? "/metrics" : prefix + rest;
    url.searchParams.delete(param);
  }
  // A path the rewrite already names (a prefix, or one without its slash: /admin, /metrics) stays as asked.
  if (path !== null && !Object.values(REWRITE_PARAMS).some((prefix) => url.pathname.startsWith(prefix) || url.pathname === prefix.slice(0, -1))) url.pathname = path;
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

/** Whether an opportunistic sweep is due at `now` (and, if so, counts it as started). */
export function sweepDue(now) {
  if (now - lastSweepAt < AFTER_CHAT_EVERY_MS) return false;
  lastSweepAt = now;
  return true;
}

export default {
  async fetch(request, context) {
    salient ??= salientFromBuild();
    // waitUntil keeps the instance working on what the core still has to store after the
    // response ends or the visitor leaves: the handler's context, or Vercel's request context.
    const waitUntil = context?.waitUntil ?? globalThis[Symbol.for("@vercel/request-context")]?.get?.()?.waitUntil;
    const visitor = visitorRequest(request);
    // A chat request, with waitUntil to carry a sweep (without it the instance could freeze mid-send).
    const chat = Boolean(waitUntil) && visitor.method === "POST" && CHAT_PATH.test(new URL(visitor.url).pathname);
    let chatDone = null; // the chat's run, which the sweep waits for: it must not slow the answer
    const ctx = waitUntil ? { waitUntil: (p) => waitUntil(chat ? (chatDone = p) : p) } : undefined;
    // x-real-ip: Vercel's edge sets it to the connecting address, overwriting the client's;
    // x-forwarded-for keeps what the client sent in front, so it is never read.
    const response = await salient.handle(visitor, ctx, { clientIp: request.headers.get("x-real-ip") ?? "" });
    if (chat && sweepDue(Date.now())) {
      waitUntil(Promise.resolve(chatDone).then(() => salient.sweep({ trigger: "after-chat", limit: AFTER_CHAT_LIMIT })));
    }
    return response;
  },
};
