// Which function module serves a request. The four modules share one core, but each is built
// with only its own flow, so the host must pick the right one before starting the request.
// Anything not claimed here goes to `chat`, which also renders the 404 page. No row leads to the
// scheduled sweep: only the driver's sweep() starts one (its head alone carries `scheduled: true`).

// Mailgun posts a reply that has attachments as one multipart body holding the files, often
// several MB. The core needs the whole post (a cut one lost fields, so it is refused as malformed,
// 406, which Mailgun never retries: the reply would vanish and the team member never learn why);
// it keeps the text fields and drops the files, then tells the team member so. 10 MB covers a
// reply with a few photos; a larger post is still cut and refused. The platforms cap bodies
// themselves too (Vercel's functions at 4.5 MB, answered 413 before the function runs).
export const INBOUND_MAIL_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The first row whose method (null: any) and path pattern match names the module. */
const ROUTES = [
  { method: "GET", path: /^\/a\/[^/]+\/events\/stream$/, module: "stream" },
  { method: "POST", path: /^\/a\/[^/]+\/summary$/, module: "summary" },
  // A visitor asks for a person (issue 18): the team's email holds the summary so far, so the
  // flow that builds summaries sends it. /a/{agent}/updates (the team's replies) stays chat's.
  { method: "POST", path: /^\/a\/[^/]+\/handoff$/, module: "summary" },
  // Mailgun's inbound route posts the team's replies here: not under /a/ (the reply address, not
  // the URL, names the conversation), so each platform routes it to the function by name. POST
  // only: anything else is chat's 404 page.
  { method: "POST", path: /^\/mail\/inbound$/, module: "summary", maxBodyBytes: INBOUND_MAIL_MAX_BODY_BYTES },
  // The read-only transcript page linked from a summary email (signed, expiring).
  { method: "GET", path: /^\/a\/[^/]+\/transcript\/[^/]+$/, module: "summary" },
  { method: null, path: /^\/otp\//, module: "otp" },
  // The visitor's privacy page (what is kept about them, erasure) sits beside the sign-in it
  // needs; under /a/ it reaches the function on every platform with the agents' other routes.
  { method: null, path: /^\/a\/[^/]+\/privacy$/, module: "otp" },
  // The operator's view and the metrics (issue 20): signed in with this module's codes.
  { method: null, path: /^\/admin(\/|$)/, module: "otp" },
  { method: null, path: /^\/metrics$/, module: "otp" },
];

const routeFor = (method, pathname) => ROUTES.find((r) => (r.method === null || r.method === method) && r.path.test(pathname));

/** @returns {"chat"|"stream"|"otp"|"summary"} */
export function moduleFor(method, pathname) {
  return routeFor(method, pathname)?.module ?? "chat";
}

/** How many body bytes the host reads for this request: `limit` (limits.max_body_bytes) unless the route needs more. */
export function bodyLimitFor(method, pathname, limit) {
  return Math.max(limit, routeFor(method, pathname)?.maxBodyBytes ?? 0);
}
