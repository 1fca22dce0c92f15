// Cross-origin embedding: same-origin by default; a site listed in app.allowed_origins
// may call the chat, history and stream endpoints from its pages. Through the real modules in
// the Node dev server, with a config whose allowlist names one site; then the API's grants on
// each platform's host (workerd, the Netlify edge function under Deno, the Vercel function), and
// the static widget files' `Access-Control-Allow-Origin: *` (never with credentials) as the dev
// server, build/public/_headers (Cloudflare, Netlify) and vercel.json serve them.
//
//   node --test tests/e2e/cors.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { startBesideStore } from "../support/host-process.mjs";
import { PLATFORM_HOSTS as HOSTS } from "../support/platform-hosts.mjs";
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

// The API's grants on the platforms' hosts: only the listed site, never credentials, and the
// forged post refused with no grant (the same core, but each host passes Origin through itself).
const HOST_SECRETS = {
  SALIENT_STREAM_SECRET: "e2e-cors-hosts-stream-secret-0123456789abcdef",
  SALIENT_OTP_SECRET: "e2e-cors-hosts-code-secret-0123456789abcdefgh",
};

for (const { name, start, skip } of HOSTS) {
  describe(`CORS on ${name}`, { skip }, () => {
    let host;
    before(async () => {
      host = await startBesideStore(start, { salientConfig: config, env: (url) => ({ ...HOST_SECRETS, SUPABASE_URL: url }) });
    });
    after(() => host?.stop());

    test("the API names the listed site only, never with credentials; another site's post is refused", async () => {
      for (const route of ["/a/sales/chat", "/a/sales/history", "/otp/request"]) {
        const ok = await fetch(host.url + route, { method: "OPTIONS",
          headers: { origin: SITE, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
        assert.equal(ok.status, 204, route);
        assert.equal(ok.headers.get("access-control-allow-origin"), SITE, route);
        assert.equal(ok.headers.get("access-control-allow-credentials"), null, route);
        const no = await fetch(host.url + route, { method: "OPTIONS", headers: { origin: OTHER, "access-control-request-method": "POST" } });
        assert.equal(no.status, 403, route);
        assert.equal(no.headers.get("access-control-allow-origin"), null, route);
        await Promise.all([ok.arrayBuffer(), no.arrayBuffer()]);
      }
      const session_key = crypto.randomUUID();
      const chat = (origin) => fetch(`${host.url}/a/sales/chat`, { method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", origin },
        body: JSON.stringify({ message: "hello", session_key, idempotency_key: crypto.randomUUID() }) });
      const listed = await chat(SITE);
      assert.equal(listed.status, 200, await listed.clone().text());
      assert.equal(listed.headers.get("access-control-allow-origin"), SITE);
      assert.equal(listed.headers.get("access-control-allow-credentials"), null);
      assert.match(listed.headers.get("vary") ?? "", /Origin/i);
      const { stream_url } = await listed.json();
      const stream = await fetch(host.url + stream_url, { headers: { origin: SITE, accept: "text/event-stream" } });
      assert.equal(stream.headers.get("access-control-allow-origin"), SITE);
      await stream.text();
      for (const origin of [OTHER, "null"]) {
        const forged = await chat(origin);
        assert.equal(forged.status, 403, origin);
        assert.equal(forged.headers.get("access-control-allow-origin"), null, origin);
        await forged.arrayBuffer();
      }
    });
  });
}

describe("the static widget files: Access-Control-Allow-Origin: * without credentials, on every host", () => {
  const WIDGET_FILES = ["/widget/salient.js", "/widget/pane.js", "/widget/salient-widget-core.wasm"];

  test("the dev server serves them so, and nothing else static gets a grant", async () => {
    const server = await startServer({ port: 0, config, log: () => {},
      env: { SALIENT_STREAM_SECRET: "e2e-cors-stream-secret-0123456789abcdefghijk", SALIENT_STATE: "memory" } });
    try {
      for (const file of WIDGET_FILES) {
        const r = await fetch(server.url + file, { headers: { origin: OTHER } });
        assert.equal(r.status, 200, file);
        assert.equal(r.headers.get("access-control-allow-origin"), "*", file);
        assert.equal(r.headers.get("access-control-allow-credentials"), null, file);
        assert.equal(r.headers.get("x-content-type-options"), "nosniff", file);
        await r.arrayBuffer();
      }
      const css = await fetch(`${server.url}/assets/page.css`, { headers: { origin: OTHER } });
      assert.equal(css.headers.get("access-control-allow-origin"), null, "the pages' own assets are not the widget's");
      await css.arrayBuffer();
    } finally {
      await server.close();
    }
  });

  test("Cloudflare and Netlify (build/public/_headers) and Vercel (vercel.json) grant * to /widget/ only", () => {
    // _headers: a path line, then its indented "Name: value" lines (both platforms' syntax).
    const rules = [];
    for (const line of readFileSync(path.join(REPO, "build", "public", "_headers"), "utf8").split("\n")) {
      if (!line.trim() || line.trim().startsWith("#")) continue;
      if (!/^\s/.test(line)) rules.push({ path: line.trim(), headers: {} });
      else {
        const at = line.indexOf(":");
        rules.at(-1).headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
      }
    }
    const vercel = JSON.parse(readFileSync(path.join(REPO, "vercel.json"), "utf8")).headers ?? [];
    const granted = [
      ...rules.map((r) => [r.path, r.headers]),
      ...vercel.map((r) => [r.source, Object.fromEntries(r.headers.map((h) => [h.key.toLowerCase(), h.value]))]),
    ].filter(([, h]) => "access-control-allow-origin" in h);
    assert.deepEqual(granted.map(([p, h]) => [p, h["access-control-allow-origin"]]), [["/widget/*", "*"], ["/widget/(.*)", "*"]]);
    for (const [p, h] of granted) assert.equal(h["access-control-allow-credentials"], undefined, p);
    // Every static file is nosniff and same-origin referrer on both (rules for every path).
    const everyPath = [rules.find((r) => r.path === "/*")?.headers,
      Object.fromEntries((vercel.find((r) => r.source === "/(.*)")?.headers ?? []).map((h) => [h.key.toLowerCase(), h.value]))];
    for (const h of everyPath) {
      assert.equal(h?.["x-content-type-options"], "nosniff");
      assert.equal(h?.["referrer-policy"], "same-origin");
    }
  });
});
