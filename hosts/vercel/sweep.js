// Vercel Cron's entry (api/sweep.js re-exports this): vercel.json's `crons` has Vercel send
// `GET /api/sweep` with `Authorization: Bearer $CRON_SECRET` on schedule; this runs the core's
// sweep of idle conversations (hosts/driver.js sweep()) and answers its counts as JSON.
//
// The route is public (anyone can send a GET), so the secret is what makes it Vercel's: without
// CRON_SECRET set on the project it answers 500 and sweeps nothing; the header is compared in
// constant time and never logged. The Hobby plan runs it at most once a day: chats also sweep a
// little (function.js, "opportunistic sweep"). Vercel may deliver one event twice; the core's
// claims send each summary at most once.

import { createHash, timingSafeEqual } from "node:crypto";
import { salientFromBuild } from "../node-build.js";
import { redactor } from "../driver/redact.js";

const LIMIT = 20; // conversations per run (the core caps it by its config)

let salient = null;

const HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
const json = (status, value) => Response.json(value, { status, headers: HEADERS });
const sha256 = (text) => createHash("sha256").update(text, "utf8").digest();

/**
 * Whether `header` is exactly `Bearer <secret>`. Both sides are hashed first, so the comparison
 * takes the same time whatever the given value's length or content.
 */
export function authorized(header, secret) {
  return timingSafeEqual(sha256(header ?? ""), sha256(`Bearer ${secret}`));
}

export default {
  async fetch(request, context) {
    if (request.method !== "GET") return json(405, { error: { code: "method_not_allowed", message: "GET only" } });
    const secret = process.env.CRON_SECRET;
    // A short secret could be guessed: refused like a missing one (docs/DEPLOY.md asks for 16+).
    if (!secret || secret.length < 16) {
      const reason = secret ? "CRON_SECRET is shorter than 16 characters" : "CRON_SECRET is not set";
      console.log(JSON.stringify(redactor(process.env)({ level: "error", event: "host.sweep_refused", reason })));
      return json(500, { error: { code: "misconfigured", message: "not configured: set CRON_SECRET (16+ characters)" } });
    }
    if (!authorized(request.headers.get("authorization"), secret)) {
      return json(401, { error: { code: "unauthorized", message: "unauthorized" } });
    }
    try {
      salient ??= salientFromBuild({ functions: ["summary"] });
    } catch (err) {
      console.log(JSON.stringify(redactor(process.env)({ level: "error", event: "host.configure_failed", message: String(err?.message ?? err) })));
      return json(500, { error: { code: "internal", message: "server not configured" } });
    }
    // Awaited (the answer carries the counts); waitUntil too, should the client leave early.
    const waitUntil = context?.waitUntil ?? globalThis[Symbol.for("@vercel/request-context")]?.get?.()?.waitUntil;
    const { status, body } = await salient.sweep({ trigger: "vercel-cron", limit: LIMIT }, waitUntil ? { waitUntil } : undefined);
    return typeof body === "string" ? new Response(body, { status, headers: { ...HEADERS, "content-type": "text/plain; charset=utf-8" } })
      : json(status, body);
  },
};
