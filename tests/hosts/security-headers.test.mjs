// Security headers on the answers the hosts give themselves (issue 19): the driver's 500 when an
// instance traps, the Vercel cron route's, the dev server's /dev/* routes and static files. The
// core's own answers are tests/core/security_headers.test.cpp; the platforms' static files
// (build/public/_headers, vercel.json) tests/e2e/cors.test.mjs.
//
//   node --test tests/hosts/security-headers.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { internalError } from "../../hosts/driver/http.js";
import { startServer } from "../../hosts/node-dev/server.js";
import sweepRoute from "../../hosts/vercel/sweep.js";
import { REPO } from "../support/workerd.mjs";

const common = (r, where) => {
  assert.equal(r.headers.get("x-content-type-options"), "nosniff", where);
  assert.equal(r.headers.get("cache-control"), "no-store", where);
};

test("the driver's own 500: nosniff, no-store, and a CSP on its page", async () => {
  const page = internalError(new Request("http://x/a/sales/", { headers: { accept: "text/html" } }));
  common(page, "page");
  assert.equal(page.headers.get("referrer-policy"), "same-origin");
  assert.match(page.headers.get("content-security-policy"), /default-src 'none'.*frame-ancestors 'none'/);
  const json = internalError(new Request("http://x/a/sales/chat", { headers: { accept: "application/json" } }));
  common(json, "json");
  assert.equal(json.headers.get("content-security-policy"), null);
  assert.equal((await json.json()).error.code, "internal");
});

test("the Vercel cron route's refusals: nosniff, no-store", async () => {
  const saved = process.env.CRON_SECRET;
  process.env.CRON_SECRET = "security-headers-cron-secret-0123";
  try {
    const r = await sweepRoute.fetch(new Request("https://site.test/api/sweep", { headers: { authorization: "Bearer wrong" } }), {});
    assert.equal(r.status, 401);
    common(r, "401");
    const m = await sweepRoute.fetch(new Request("https://site.test/api/sweep", { method: "POST" }), {});
    assert.equal(m.status, 405);
    common(m, "405");
  } finally {
    if (saved === undefined) delete process.env.CRON_SECRET;
    else process.env.CRON_SECRET = saved;
  }
});

describe("the dev server's own answers", () => {
  let server;
  before(async () => {
    const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
    server = await startServer({ port: 0, config, log: () => {},
      env: { SALIENT_STREAM_SECRET: "security-headers-stream-secret-0123456789ab", SALIENT_STATE: "memory" } });
  });
  after(async () => server?.close());

  test("/dev/sweep and /dev/outbox/reply answers, the outbox's page and its Mailgun API", async () => {
    for (const [route, init] of [["/dev/sweep", { method: "GET" }], ["/dev/sweep", { method: "POST", headers: { origin: "null" } }],
      ["/dev/sweep?limit=0", { method: "POST" }], ["/dev/outbox/reply", { method: "POST", headers: { "sec-fetch-site": "cross-site" } }],
      ["/dev/mailgun/v3/outbox.localhost/messages", { method: "POST" }]]) {
      const r = await fetch(server.url + route, init);
      assert.ok(r.status >= 400, `${route}: ${r.status}`);
      common(r, `${init.method} ${route}`);
      await r.arrayBuffer();
    }
    const page = await fetch(`${server.url}/dev/outbox`);
    common(page, "outbox page");
    assert.match(page.headers.get("content-security-policy"), /frame-ancestors 'none'/);
    await page.arrayBuffer();
  });

  test("static files: nosniff and same-origin referrer; the widget's with *", async () => {
    for (const file of ["/", "/assets/page.js", "/widget/salient.js"]) {
      const r = await fetch(server.url + file);
      assert.equal(r.status, 200, file);
      assert.equal(r.headers.get("x-content-type-options"), "nosniff", file);
      assert.equal(r.headers.get("referrer-policy"), "same-origin", file);
      assert.equal(r.headers.get("access-control-allow-origin"), file.startsWith("/widget/") ? "*" : null, file);
      await r.arrayBuffer();
    }
  });
});
