// Forged requests on the hosts' own routes (issue 19): the dev server's /dev/* POSTs and its
// embedded state store refuse a browser page's cross-site request (the developer's browser is on
// the same machine, and a no-cors POST needs no preflight); the entries exempt by name
// (hosts/origin-exemptions.js) are authenticated by their secret instead, whatever the Origin;
// the core's routes, reached through the dev server, refuse every cross-site variant. The core's
// table of routes × variants is tests/core/forged_requests.test.cpp.
//
//   node --test tests/hosts/forged-requests.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ORIGIN_CHECK_EXEMPT } from "../../hosts/origin-exemptions.js";
import { startServer } from "../../hosts/node-dev/server.js";
import { browserReason } from "../../hosts/node-dev/postgrest.js";
import { postInbound, signedInboundForm } from "../../hosts/node-dev/mailgun-inbound.js";
import { authorized } from "../../hosts/vercel/sweep.js";
import { authorized as outboxAuthorized } from "../../hosts/node-dev/outbox.js";
import { REPO } from "../support/workerd.mjs";

const SIGNING_KEY = "forged-requests-signing-key-0123456789abc";
const SECRETS = {
  SALIENT_STREAM_SECRET: "forged-requests-stream-secret-0123456789abcd",
  SALIENT_OTP_SECRET: "forged-requests-code-secret-0123456789abcdefg",
  MAILGUN_WEBHOOK_SIGNING_KEY: SIGNING_KEY,
  SALIENT_STATE: "memory",
};
const CONFIG = (() => {
  const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  config.email = { ...config.email, sales_recipient: "sales@brightleaf.test" };
  delete config.email.mock_sales_recipient;
  return config;
})();

/** What a page on another site (or a sandboxed or data: one) sends; `same` is the server's own page. */
const CROSS_SITE = [
  ["cross-site Origin", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }],
  ["cross-site Origin, no Sec-Fetch-Site (an older browser)", { origin: "https://evil.example" }],
  ["Origin null", { origin: "null" }],
  ["Origin null, cross-site", { origin: "null", "sec-fetch-site": "cross-site" }],
  ["no Origin, cross-site", { "sec-fetch-site": "cross-site" }],
  ["same-site", { origin: "http://other.localhost:1", "sec-fetch-site": "same-site" }],
];

describe("the dev server's own routes", () => {
  let server;
  const lines = [];
  before(async () => {
    server = await startServer({ port: 0, env: SECRETS, config: CONFIG, log: (o) => lines.push(o) });
  });
  after(async () => server?.close());
  const post = (route, headers = {}, body = undefined) => fetch(server.url + route, { method: "POST", headers, body });
  const sweeps = () => lines.filter((l) => l.event === "host.sweep" && l.trigger === "cli").length;

  test("POST /dev/sweep: a browser's cross-site request is refused 403 and sweeps nothing", async () => {
    for (const [name, headers] of CROSS_SITE) {
      const before = sweeps();
      const r = await post("/dev/sweep", headers);
      assert.equal(r.status, 403, name);
      assert.equal((await r.json()).error.code, "cross_site", name);
      assert.equal(sweeps(), before, `${name}: nothing swept`);
    }
    // The server's own page, and a client that is no browser (`salient sweep`, curl): swept.
    for (const headers of [{ origin: server.url, "sec-fetch-site": "same-origin" }, {}]) {
      const r = await post("/dev/sweep", headers);
      assert.equal(r.status, 200, JSON.stringify(headers));
      await r.arrayBuffer();
    }
  });

  test("POST /dev/outbox/reply: a browser's cross-site request is refused 403 before the form is read", async () => {
    for (const [name, headers] of CROSS_SITE) {
      const r = await post("/dev/outbox/reply", { ...headers, accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
        "key=x&from=ana%40team.example&text=hi");
      assert.equal(r.status, 403, name);
      assert.equal((await r.json()).error.code, "cross_site", name);
    }
    // Past the check: the same post from the outbox's own page finds no such message (404).
    const own = await post("/dev/outbox/reply", { origin: server.url, "sec-fetch-site": "same-origin", accept: "application/json",
      "content-type": "application/x-www-form-urlencoded" }, "key=x&from=ana%40team.example&text=hi");
    assert.equal(own.status, 404);
    await own.arrayBuffer();
  });

  test("the embedded store answers no browser: a page could otherwise write or erase conversations", async () => {
    const rpc = "/rest/v1/rpc/salient_no_such_function";
    for (const [name, headers] of [...CROSS_SITE, ["the server's own page", { origin: server.url, "sec-fetch-site": "same-origin" }]]) {
      // text/plain: what a no-cors fetch or a form can send without a preflight.
      const r = await post(rpc, { ...headers, "content-type": "text/plain" }, "{}");
      assert.equal(r.status, 403, name);
      assert.match((await r.json()).message, /browser/, name);
    }
    // A core or a tool (no Origin, no Sec-Fetch-Site): through to the function lookup.
    const tool = await post(rpc, { "content-type": "application/json" }, "{}");
    assert.equal(tool.status, 404);
    assert.equal((await tool.json()).code, "PGRST202");
    assert.equal(browserReason(new Request("http://x/", { headers: { "sec-fetch-mode": "cors" } })), null,
      "Node's own fetch sends Sec-Fetch-Mode: not a browser");
  });

  test("exempt by name: the outbox's Mailgun API takes its key, whatever the Origin", async () => {
    assert.ok(ORIGIN_CHECK_EXEMPT.some((e) => e.entry === "POST /dev/mailgun/v3/<domain>/messages"));
    const form = new URLSearchParams({ from: "a@outbox.localhost", to: "b@example.com", subject: "s", text: "t" });
    const route = `/dev/mailgun/v3/${server.outbox.domain}/messages`;
    const evil = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    const basic = (key) => `Basic ${Buffer.from(`api:${key}`).toString("base64")}`;
    const ok = await post(route, { ...evil, authorization: basic(server.outbox.key) }, form);
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
    for (const authorization of [undefined, basic(`${server.outbox.key}x`), basic(server.outbox.key.slice(1)), basic("")]) {
      const r = await post(route, { ...evil, ...(authorization && { authorization }) }, form);
      assert.equal(r.status, 401, String(authorization));
      await r.arrayBuffer();
    }
  });

  test("exempt by name: /mail/inbound with a cross-site Origin is judged by its signature alone", async () => {
    assert.ok(ORIGIN_CHECK_EXEMPT.some((e) => e.entry === "POST /mail/inbound"));
    const reply = (signingKey) => signedInboundForm({
      signingKey, recipient: "reply+aaaaaaaaaaaaaaaaaaaaaaaaaa@outbox.localhost", from: "ana@team.example", text: "hello",
    });
    const evil = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    // Signed: past the signature and the token, to the reply address (which names no handoff).
    const signed = await postInbound(server.url + "/mail/inbound", reply(SIGNING_KEY), { headers: evil });
    assert.equal(signed.status, 406);
    assert.equal((await signed.json()).error.code, "unknown_reply");
    const forged = await postInbound(server.url + "/mail/inbound", reply("another-key-0123456789abcdefghijklmn"), { headers: evil });
    assert.equal(forged.status, 406);
    assert.equal((await forged.json()).error.code, "bad_signature");
  });

  test("the core's routes refuse every cross-site variant through the dev server", async () => {
    const routes = ["/a/sales/chat", "/a/sales/history", "/a/sales/sessions", "/a/sales/identify", "/a/sales/updates",
      "/a/sales/summary", "/a/sales/handoff", "/otp/request", "/otp/verify"];
    for (const route of routes) {
      for (const [name, headers] of CROSS_SITE) {
        const r = await post(route, { ...headers, accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
          "message=hi&session_key=visitor-0001&email=a%40example.com&purpose=delete_data");
        assert.equal(r.status, 403, `${route} × ${name}`);
        assert.equal((await r.json()).error.code, "forbidden", `${route} × ${name}`);
      }
    }
    // The modules' gate: any unsafe method, any path, before the routes (which would say 405 or 404).
    for (const [method, route] of [["PUT", "/a/sales/chat"], ["DELETE", "/a/sales/history"], ["POST", "/a/sales/no-such-route"],
      ["PATCH", "/otp/request"], ["POST", "/a/sales/events/stream"], ["POST", "/a/sales/transcript/x"]]) {
      const r = await fetch(server.url + route, { method, headers: { origin: "https://evil.example", accept: "application/json" }, body: "x" });
      assert.equal(r.status, 403, `${method} ${route}`);
      assert.equal((await r.json()).error.code, "forbidden", `${method} ${route}`);
    }
  });
});

describe("the secrets the hosts compare, each in constant time", () => {
  test("the outbox's Mailgun key: SHA-256 of both sides, then crypto.timingSafeEqual", () => {
    const key = "outbox-key-0123456789abcdefghij";
    const basic = (s) => `Basic ${Buffer.from(s).toString("base64")}`;
    assert.equal(outboxAuthorized(basic(`api:${key}`), key), true);
    for (const header of [basic(`api:${key}x`), basic(`api:${key.slice(0, -1)}`), basic(`API:${key}`), basic(""), `Bearer ${key}`,
      "Basic", "", null, undefined]) {
      assert.equal(outboxAuthorized(header, key), false, String(header));
    }
    const source = readFileSync(path.join(REPO, "hosts", "node-dev", "outbox.js"), "utf8");
    assert.match(source, /timingSafeEqual\(sha256\(given\), sha256\(wanted\)\)/);
  });
});

describe("exempt by name: the cron secret", () => {
  const SECRET = "forged-requests-cron-secret-0123";
  test("only the exact bearer passes, in constant time over equal-length digests", () => {
    assert.ok(ORIGIN_CHECK_EXEMPT.some((e) => e.entry === "GET /api/sweep"));
    assert.equal(authorized(`Bearer ${SECRET}`, SECRET), true);
    for (const header of [`Bearer ${SECRET}x`, `Bearer ${SECRET.slice(0, -1)}`, `bearer ${SECRET}`, SECRET, "", null, undefined,
      `Bearer ${SECRET.slice(0, -1)}X`]) {
      assert.equal(authorized(header, SECRET), false, String(header));
    }
    // The comparison is crypto.timingSafeEqual on two SHA-256 digests (never ===): the source says so.
    const source = readFileSync(path.join(REPO, "hosts", "vercel", "sweep.js"), "utf8");
    assert.match(source, /timingSafeEqual\(sha256\(header \?\? ""\), sha256\(`Bearer \$\{secret\}`\)\)/);
  });
});

describe("the list of exemptions", () => {
  test("names each entry with what authenticates it, and the core's list is within it", () => {
    const entries = ORIGIN_CHECK_EXEMPT.map((e) => e.entry);
    assert.deepEqual(entries, ["POST /mail/inbound", "GET /api/sweep", "scheduled()", "schedule */5 * * * *",
      "POST /dev/mailgun/v3/<domain>/messages"]);
    for (const e of ORIGIN_CHECK_EXEMPT) assert.ok(e.host && e.authenticatedBy, e.entry);
    // Every {method, path} of the core's origin_exemptions (shared/http/chat_input.h) is listed here.
    const header = readFileSync(path.join(REPO, "shared", "http", "chat_input.h"), "utf8");
    const core = [...header.matchAll(/\{"(GET|POST|PUT|PATCH|DELETE)", "(\/[^"]*)",/g)].map((m) => `${m[1]} ${m[2]}`);
    assert.ok(core.length > 0);
    for (const c of core) assert.ok(entries.includes(c), `${c} is exempt in the core but not listed in hosts/origin-exemptions.js`);
  });
});
