// Which function module serves a request. The four modules share one core, but each is built
// with only its own flow, so the host must pick the right one before starting the request.
// Anything not claimed here goes to `chat`, which also renders the 404 page.

const STREAM = /^\/a\/[^/]+\/events\/stream$/;
const SUMMARY = /^\/a\/[^/]+\/summary$/;

/** @returns {"chat"|"stream"|"otp"|"summary"} */
export function moduleFor(method, pathname) {
  if (method === "GET" && STREAM.test(pathname)) return "stream";
  if (method === "POST" && SUMMARY.test(pathname)) return "summary";
  if (pathname.startsWith("/otp/")) return "otp";
  return "chat";
}
