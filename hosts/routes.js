// Which function module serves a request. The four modules share one core, but each is built
// with only its own flow, so the host must pick the right one before starting the request.
// Anything not claimed here goes to `chat`, which also renders the 404 page. No row leads to the
// scheduled sweep: only the driver's sweep() starts one (its head alone carries `scheduled: true`).

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
  { method: "POST", path: /^\/mail\/inbound$/, module: "summary" },
  // The read-only transcript page linked from a summary email (signed, expiring).
  { method: "GET", path: /^\/a\/[^/]+\/transcript\/[^/]+$/, module: "summary" },
  { method: null, path: /^\/otp\//, module: "otp" },
  // The visitor's privacy page (what is kept about them, erasure) sits beside the sign-in it
  // needs; under /a/ it reaches the function on every platform with the agents' other routes.
  { method: null, path: /^\/a\/[^/]+\/privacy$/, module: "otp" },
];

/** @returns {"chat"|"stream"|"otp"|"summary"} */
export function moduleFor(method, pathname) {
  const route = ROUTES.find((r) => (r.method === null || r.method === method) && r.path.test(pathname));
  return route ? route.module : "chat";
}
