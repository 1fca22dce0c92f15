// Netlify Scheduled Function (Node, not Edge: scheduled functions are Netlify Functions): every
// five minutes Netlify invokes it, and it runs the core's sweep of idle conversations
// (hosts/driver.js sweep()) over the build's files on disk, which netlify.toml's
// `included_files` ships with it (hosts/node-build.js reads them).
//
// Scheduled functions run for at most 30 s and cannot be called from outside in production,
// so it needs no secret of its own. Settings are the site's environment variables, as for the
// edge function (SUPABASE_URL, SUPABASE_KEY, MAILGUN_*, OPENROUTER_API_KEY, …).

import { salientFromBuild } from "../../node-build.js";
import { redactor } from "../../driver/redact.js";

const LIMIT = 20; // conversations per run (the core caps it by its config); within the 30 s

let salient = null;

export default async function sweep() {
  try {
    salient ??= salientFromBuild({ functions: ["summary"], env: process.env });
  } catch (err) {
    console.log(JSON.stringify(redactor(process.env)({ level: "error", event: "host.configure_failed", message: String(err?.message ?? err) })));
    return Response.json({ error: { code: "internal", message: "server not configured" } }, { status: 500 });
  }
  // Awaited: a scheduled function's work ends with its answer.
  const { status, body } = await salient.sweep({ trigger: "netlify-schedule", limit: LIMIT });
  return typeof body === "string" ? new Response(body, { status }) : Response.json(body, { status });
}

export const config = { schedule: "*/5 * * * *" };
