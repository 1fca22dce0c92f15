// Cross-origin embedding: same-origin by default; a site listed in app.allowed_origins
// may call the chat, history and stream endpoints from its pages. Through the real modules in
// the Node dev server, with a config whose allowlist names one site.
//
//   node --test tests/e2e/cors.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { REPO } from "../support/workerd.mjs";

const SITE = "https://shop.example";
const OTHER = "https://evil.example";
const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
config.app.allowed_origins = [SITE];

describe("CORS for an embedding site", () => {
  let server;
  before(async () => {
    server = await startServer({
      port: 0, config, log: () => {},
      env: { SALIENT_STREAM_SECRET: "e2e-cors-stream-secret-0123456789abcdefghijk", SALIENT_STATE: "memory" },
    });
  });
  after(async () => server?.close());

  const post = (route, body, origin) => fetch(`${server.url}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...(origin && { origin }) },
    body: JSON.stringify(body),
  });
  const preflight = (route, origin) => fetch(`${server.url}${route}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
  });

  test("a preflight from the listed site is allowed; from another site refused", async () => {
    for (const route of ["/a/sales/chat", "/a/sales/history", "/a/sales/events/stream", "/otp/request", "/otp/verify"]) {
      const ok = await preflight(route, SITE);
      assert.equal(ok.status, 204, route);
      assert.equal(ok.headers.get("access-control-allow-origin"), SITE);
      assert.match(ok.headers.get("access-control-allow-methods"), /POST/);
      assert.match(ok.headers.get("access-control-allow-headers"), /content-type/);
      assert.match(ok.headers.get("access-control-allow-headers"), /last-event-id/);
      assert.equal(ok.headers.get("access-control-allow-credentials"), null, "no credentials involved");
      const no = await preflight(route, OTHER);
      assert.equal(no.status, 403, route);
      assert.equal(no.headers.get("access-control-allow-origin"), null);
      assert.equal((await no.json()).error.code, "forbidden");
    }
  });

  test("the listed site's chat, stream and history responses name it; Vary: Origin on every answer", async () => {
    const session_key = crypto.randomUUID();
    const res = await post("/a/sales/chat", { message: "hello", session_key, idempotency_key: crypto.randomUUID() }, SITE);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), SITE);
    assert.equal(res.headers.get("access-control-expose-headers"), "Retry-After", "the widget may read when to retry");
    assert.match(res.headers.get("vary") ?? "", /Origin/i);
    const { stream_url } = await res.json();
    const stream = await fetch(server.url + stream_url, { headers: { origin: SITE, accept: "text/event-stream" } });
    assert.equal(stream.headers.get("access-control-allow-origin"), SITE);
    assert.match(await stream.text(), /event: done/);
    const history = await post("/a/sales/history", { session_key }, SITE);
    assert.equal(history.headers.get("access-control-allow-origin"), SITE);
    assert.equal((await history.json()).messages.length, 2);

    const same = await post("/a/sales/history", { session_key });
    assert.equal(same.headers.get("access-control-allow-origin"), null, "same-origin needs none");
    assert.match(same.headers.get("vary") ?? "", /Origin/i);
    await same.arrayBuffer();
  });

  test("another site's POST is refused and its responses carry no CORS grant", async () => {
    const res = await post("/a/sales/chat", { message: "hi", session_key: crypto.randomUUID(), idempotency_key: crypto.randomUUID() }, OTHER);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    const page = await fetch(`${server.url}/a/sales/`, { headers: { origin: OTHER } });
    assert.equal(page.headers.get("access-control-allow-origin"), null);
    await page.arrayBuffer();
  });
});
