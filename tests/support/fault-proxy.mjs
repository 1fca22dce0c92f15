// A small HTTP fault proxy on 127.0.0.1, for the load test (bench/load.mjs,
// tests/e2e/load.test.mjs): in front of the state store's PostgREST layer, or of fake Mailgun,
// it forwards each request whole and fails a share of them in one of two ways:
//
//   before  answered `status` (default 503) with `errorBody(req)` and NOT forwarded: nothing
//           happened upstream, so a retry is always safe. What a gateway or PostgREST answers
//           when its pool or the database is down.
//   after   forwarded, the upstream's answer awaited (so the change IS applied), then the
//           client's connection destroyed: the caller cannot know whether it happened. What a
//           network cut or a gateway timeout does; it tests that the caller's retries are
//           idempotent (same idempotency key, same message id) and that a lost answer is noticed.
//
//   const proxy = await startFaultProxy({ target: state.url, before: 0.03, after: 0.01,
//     key: (path) => path.split("/").pop(),              // what the counts are kept by
//     eligible: (path, kind) => path.startsWith("/rest/v1/rpc/"),   // kind: "before" | "after"
//     errorBody: () => ({ code: "PGRST000", message: "…" }) });
//   proxy.url; proxy.counts   // {forwarded, before, after, clientGone, byKey: {key: {forwarded, before,
//                             //  after, clientGone, status<nnn> (upstream errors), slowestMs}}}
//   proxy.setRates({ before, after })                    // e.g. 0 to let the final checks through
//   await proxy.close();
//
// Randomness: `random` (default Math.random), so a run can be made repeatable.

import http from "node:http";

export async function startFaultProxy({
  target,
  before = 0,
  after = 0,
  status = 503,
  errorBody = () => ({ message: "Service Unavailable (fault proxy)" }),
  eligible = () => true,
  key = (path) => path,
  random = Math.random,
} = {}) {
  const upstream = new URL(target);
  // A new connection per forwarded request: a kept-alive one can be closed by the upstream
  // server (its idle timeout) just as a request goes out on it, a network error the proxy would
  // add on its own, uncounted (the load run lost answers to it before this).
  const agent = new http.Agent({ keepAlive: false });
  const rates = { before, after };
  const counts = { forwarded: 0, before: 0, after: 0, upstreamErrors: 0, clientGone: 0, byKey: {} };
  const bump = (k, field) => {
    counts[field] = (counts[field] ?? 0) + 1;
    const entry = (counts.byKey[k] ??= { forwarded: 0, before: 0, after: 0 });
    entry[field] = (entry[field] ?? 0) + 1;
  };

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    try {
      for await (const chunk of req) chunks.push(chunk);
    } catch {
      return; // the client went away while sending: nothing to forward
    }
    const body = Buffer.concat(chunks);
    const path = new URL(req.url, "http://proxy").pathname;
    const k = key(path);
    const started = performance.now();
    // Diagnostics: a forwarded request whose client left before the answer (its own timeout),
    // and the slowest upstream answer, per key.
    res.on("close", () => {
      if (!res.writableFinished && !res.dropped) bump(k, "clientGone");
    });
    const roll = random();
    if (roll < rates.before && eligible(path, "before")) {
      bump(k, "before");
      const text = JSON.stringify(errorBody(req));
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
      return;
    }
    const drop = roll >= rates.before && roll < rates.before + rates.after && eligible(path, "after");
    const headers = { ...req.headers, host: upstream.host };
    const forward = http.request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent,
    }, (up) => {
      const parts = [];
      up.on("data", (c) => parts.push(c));
      up.on("end", () => {
        const entry = (counts.byKey[k] ??= { forwarded: 0, before: 0, after: 0 });
        entry.slowestMs = Math.max(entry.slowestMs ?? 0, Math.round(performance.now() - started));
        if (up.statusCode >= 400) bump(k, `status${up.statusCode}`);
        if (drop) {
          res.dropped = true;
          bump(k, "after");
          res.destroy(); // applied upstream, the answer lost on the way back
          return;
        }
        bump(k, "forwarded");
        const out = Buffer.concat(parts);
        const h = { ...up.headers, "content-length": out.length };
        delete h["transfer-encoding"];
        res.writeHead(up.statusCode, h).end(out);
      });
      up.on("error", () => res.destroy());
    });
    forward.on("error", () => {
      counts.upstreamErrors += 1;
      res.destroy();
    });
    forward.end(body);
  });
  // Idle client connections are left for the client to close (undici's idle timeout is 4 s, the
  // Node server default 5 s): the server closing one while a request is on its way is the same
  // uncounted network error, on the host's side.
  server.keepAliveTimeout = 65000;
  server.headersTimeout = 66000;
  await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counts,
    setRates(next) {
      Object.assign(rates, next);
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    }),
  };
}
