// A local stand-in for Vercel's routing to the Node.js function (tests/support/vercel.mjs starts
// it, in its own process, with the project's environment variables as its own): the rewrites of
// <root>/vercel.json that lead to api/salient.js, applied as a Vercel deployment does — the
// function gets a Web Request whose URL is the one the visitor asked for, with the parameters
// the rewrite matched appended to its query, and a context with waitUntil. Other paths get a
// 404 (Vercel serves them from build/public). Prints {"port": n} once listening.
//
//   node tests/support/vercel-server.mjs [root]     (default: the repository)

import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { clientAddress, sendResponse, toRequest } from "../../hosts/node-dev/http.js";

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "../.."));
const { default: handler } = await import(pathToFileURL(path.join(root, "api", "salient.js")).href);
const { rewrites } = JSON.parse(readFileSync(path.join(root, "vercel.json"), "utf8"));

// "/a/:salient_a*" → /^\/a\/(.*)$/ with the capture named salient_a (path-to-regexp's `*`:
// zero or more segments). Only rewrites to the function are served here.
const routes = rewrites.filter((r) => r.destination === "/api/salient").map(({ source }) => {
  const match = /^(.*\/):(\w+)\*$/.exec(source);
  if (!match) throw new Error(`vercel-server: unsupported rewrite source ${source}`);
  return { prefix: match[1], param: match[2] };
});
// The test-only trap route (SALIENT_ENABLE_TRAP_ROUTE), which the deployment does not rewrite.
routes.push({ prefix: "/__salient/", param: "salient_test" });

const server = http.createServer(async (req, res) => {
  try {
    const request = toRequest(req, `http://${req.headers.host}`);
    const url = new URL(request.url);
    // path-to-regexp's `/:p*` matches zero segments too: "/metrics/:p*" takes /metrics itself.
    const route = routes.find((r) => url.pathname.startsWith(r.prefix) || url.pathname === r.prefix.slice(0, -1));
    if (!route) {
      res.writeHead(404, { "content-type": "text/plain" }).end("The page could not be found\n\nNOT_FOUND\n");
      return;
    }
    url.searchParams.append(route.param, decodeURIComponent(url.pathname.slice(Math.min(route.prefix.length, url.pathname.length + 1))));
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    // Vercel's edge sets x-real-ip to the connecting address, replacing any the client sent.
    const headers = new Headers(request.headers);
    headers.set("x-real-ip", clientAddress(req.socket));
    const rewritten = new Request(url, { method: request.method, headers, body: hasBody ? request.body : undefined, duplex: hasBody ? "half" : undefined });
    const context = {
      // The work goes on by itself here (this process does not end after the response); a
      // failure in it is the host's to log, not this stand-in's to crash on.
      waitUntil(promise) {
        Promise.resolve(promise).catch(() => {});
      },
    };
    await sendResponse(await handler.fetch(rewritten, context), req, res);
  } catch (err) {
    // Vercel answers a function that throws with its own 500 page.
    console.error(err);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("FUNCTION_INVOCATION_FAILED\n");
  }
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
