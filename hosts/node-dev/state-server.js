// The embedded state store alone on a loopback port: `POST /rest/v1/rpc/<fn>` as Supabase's
// PostgREST answers it, for hosts that are not the dev server (workerd, Deno, a Vercel function's
// Node in the tests; workerd in the benchmarks), which reach it over HTTP at SUPABASE_URL.
//
//   const state = await startStateServer();             // a new PGlite in memory, closed with it
//   const state = await startStateServer({ backend });  // that backend (postgrest.js), left open
//   … SUPABASE_URL = state.url …
//   await state.close();

import http from "node:http";
import { sendResponse, toRequest } from "./http.js";
import { pgliteBackend } from "./pglite-state.js";
import { rpcHandler } from "./postgrest.js";

/** Resolves to { url, backend, close() } once listening. */
export async function startStateServer({ port = 0, host = "127.0.0.1", backend = null } = {}) {
  const owned = backend ? null : await pgliteBackend();
  backend ??= owned;
  const handle = rpcHandler(backend);
  const server = http.createServer(async (req, res) => {
    try {
      await sendResponse(await handle(toRequest(req, `http://${host}`)), req, res);
    } catch (err) {
      res.writeHead(500, { "content-type": "application/json" }).end(
        JSON.stringify({ code: "XX000", message: String(err?.message ?? err), details: null, hint: null }));
    }
  });
  try {
    await new Promise((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  } catch (err) {
    await owned?.close();
    throw err;
  }
  let closing = null;
  return {
    url: `http://${host}:${server.address().port}`,
    backend,
    /** Stops listening, then closes the backend it opened itself; repeated calls share the first. */
    close: () => (closing ??= (async () => {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await owned?.close();
    })()),
  };
}
