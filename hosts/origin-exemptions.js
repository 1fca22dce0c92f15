// The state-changing entries that run without the browser-origin check (issue 19, "forged
// requests"), each with what authenticates it instead. Every other state-changing request either
// reaches the core, whose gate (shared/http/chat_input.h check_origin_gate, run by every module
// before its routes) refuses a cross-site one, or is a dev-server route that refuses it itself
// (/dev/sweep, /dev/outbox/reply: outbox-reply.js crossSiteReason; the embedded store: postgrest.js
// browserReason). The core's own exemptions are listed in chat_input.h (origin_exemptions) and
// repeated here so that one table names them all; tests/hosts/forged-requests.test.mjs checks
// each entry's authentication and tests/core/forged_requests.test.cpp the core's list.
//
// Nothing imports this at run time: it is the list docs/SECURITY.md and the tests are held to.

export const ORIGIN_CHECK_EXEMPT = Object.freeze([
  {
    entry: "POST /mail/inbound",
    host: "every host (the core's summary module)",
    authenticatedBy: "Mailgun's HMAC-SHA256 signature over timestamp + token with MAILGUN_WEBHOOK_SIGNING_KEY " +
      "(compared with sodium_memcmp), fresh within 5 minutes, each token taken once; no key set: 503",
  },
  {
    entry: "GET /api/sweep",
    host: "Vercel (hosts/vercel/sweep.js, vercel.json crons)",
    authenticatedBy: "Authorization: Bearer $CRON_SECRET (16+ characters), compared in constant time " +
      "(SHA-256 of both sides, crypto.timingSafeEqual); no secret set: 500",
  },
  {
    entry: "scheduled()",
    host: "Cloudflare (hosts/cloudflare/worker.js, wrangler.toml [triggers])",
    authenticatedBy: "not an HTTP route: only Cron Triggers call it",
  },
  {
    entry: "schedule */5 * * * *",
    host: "Netlify (hosts/netlify/functions/sweep.mjs)",
    authenticatedBy: "a Scheduled Function cannot be called from outside in production (Netlify)",
  },
  {
    entry: "POST /dev/mailgun/v3/<domain>/messages",
    host: "the dev server without MAILGUN_API_KEY (hosts/node-dev/outbox.js)",
    authenticatedBy: "Basic api:<the process's random key>, compared with crypto.timingSafeEqual; loopback " +
      "clients naming a local Host only",
  },
]);
