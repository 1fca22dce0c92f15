// The dev server's scheduled sweep: what Cron Triggers and scheduled functions do on the
// platforms, done by a timer in this process, plus a way to sweep now.
//
//   every SALIENT_SWEEP_SECONDS (default 60; 0: no timer)   salient.sweep({trigger: "dev-timer", limit: 50})
//   POST /dev/sweep[?limit=n]                               one sweep now (trigger "cli"): its JSON
//                                                           answer and status; `salient sweep` calls it
//
// The timer never overlaps a sweep of its own: a tick that comes while one runs is skipped (and
// logged). POST /dev/sweep runs whenever asked, even beside the timer's: the core's claims keep
// two sweeps from sending one summary twice, and this is how to see that they do. /dev/sweep
// answers loopback clients naming a local Host only (as the outbox does, outbox.js); for anyone
// else it does not exist. A page in the developer's browser is such a client too (a no-cors
// POST needs no preflight): a browser's request that is not this server's own page's is refused
// 403 (outbox-reply.js crossSiteReason), as the core refuses a forged chat post.

import { isLocalClient } from "./outbox.js";
import { crossSiteReason } from "./outbox-reply.js";

export const DEFAULT_SWEEP_SECONDS = 60;
const HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
const TIMER_LIMIT = 50;
const MAX_LIMIT = 1000; // the driver's bound; the core caps it lower by its config

/** SALIENT_SWEEP_SECONDS as a number of seconds (0: off); throws on anything else. */
export function sweepSeconds(value) {
  if (value === undefined || value === "") return DEFAULT_SWEEP_SECONDS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 86400) {
    throw new Error(`SALIENT_SWEEP_SECONDS must be a number of seconds from 0 (off) to 86400, not "${value}"`);
  }
  return seconds;
}

/**
 * The sweeper for one server: `start(seconds)` starts the timer (0: none), `handle(request,
 * remoteAddress)` answers POST /dev/sweep or returns null, `stop()` clears the timer and resolves
 * once a sweep in progress has ended. `salient` is a function returning the driver (it is made
 * after the server listens).
 */
export function createSweeper({ salient, log = () => {} }) {
  let timer = null;
  let ticking = null; // the timer's sweep in progress
  const running = new Set(); // every sweep in progress (the timer's and /dev/sweep's)

  function track(promise) {
    running.add(promise);
    promise.finally(() => running.delete(promise));
    return promise;
  }

  function tick() {
    if (ticking) {
      log({ level: "info", event: "dev.sweep_skipped", reason: "the previous timer sweep is still running" });
      return;
    }
    ticking = track(salient().sweep({ trigger: "dev-timer", limit: TIMER_LIMIT })).finally(() => (ticking = null));
  }

  return {
    start(seconds) {
      if (!(seconds > 0) || timer) return;
      timer = setInterval(tick, seconds * 1000);
      timer.unref?.(); // the server's socket keeps the process alive, not this timer
    },
    /** The timer's next sweep, now (tests). */
    tick,
    async handle(request, remoteAddress) {
      const url = new URL(request.url);
      if (url.pathname !== "/dev/sweep" || !isLocalClient(request, remoteAddress)) return null;
      if (request.method !== "POST") {
        return Response.json({ error: { code: "method_not_allowed", message: "POST only" } }, { status: 405, headers: { ...HEADERS, allow: "POST" } });
      }
      const crossSite = crossSiteReason(request);
      if (crossSite) {
        return Response.json({ error: { code: "cross_site", message: `refused: ${crossSite}` } },
          { status: 403, headers: HEADERS });
      }
      const given = url.searchParams.get("limit");
      const limit = given === null ? TIMER_LIMIT : Number(given);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
        return Response.json({ error: { code: "bad_request", message: `limit must be a whole number from 1 to ${MAX_LIMIT}` } }, { status: 400, headers: HEADERS });
      }
      const { status, body } = await track(salient().sweep({ trigger: "cli", limit }));
      const headers = HEADERS;
      return typeof body === "string" ? new Response(body, { status, headers }) : Response.json(body, { status, headers });
    },
    async stop() {
      clearInterval(timer);
      timer = null;
      await Promise.allSettled([...running]);
    },
  };
}
