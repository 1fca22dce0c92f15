// A local stand-in for Netlify's edge, run by Deno (tests/support/netlify-edge.mjs starts it):
// serves hosts/netlify/edge-functions/salient.js on 127.0.0.1 the way Netlify invokes an edge
// function — handler(request, context) with context.waitUntil, and the site's variables in
// Netlify.env — on the paths its `config` claims. Other paths get a 404 (on Netlify the CDN
// serves them from build/public). Prints {"port": n} once listening.

import handler, { config } from "../../hosts/netlify/edge-functions/salient.js";

globalThis.Netlify = {
  env: { get: (name) => Deno.env.get(name), has: (name) => Deno.env.has(name), toObject: () => Deno.env.toObject() },
};

// "/a/*" → anything under /a/ (Netlify's path syntax: * matches the rest of the path). Plus the
// test-only trap route (SALIENT_ENABLE_TRAP_ROUTE), which the deployed function does not claim.
const claimed = [config.path, "/__salient/*"].flat().map((p) => new RegExp("^" + p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$"));

Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(JSON.stringify({ port })),
}, (request, info) => {
  const { pathname } = new URL(request.url);
  if (!claimed.some((re) => re.test(pathname))) return new Response("Not Found", { status: 404 });
  const context = {
    // The work goes on by itself here (this process does not end after the response); a
    // failure in it is the host's to log, not this stand-in's to crash on.
    waitUntil(promise) {
      Promise.resolve(promise).catch(() => {});
    },
    next: () => Promise.resolve(new Response("Not Found", { status: 404 })),
    ip: info.remoteAddr.hostname, // as Netlify gives the connecting address
  };
  return handler(request, context);
});
