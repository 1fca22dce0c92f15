// The Node dev server's own parts: static files, .env parsing, startup. (The chat flow through
// it is tests/e2e/chat-flow.test.mjs.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { parseEnvFile, startServer } from "../../hosts/node-dev/server.js";

/** A raw GET, so that paths reach the server exactly as written (fetch would normalise `..`). */
function rawGet(base, path, headers = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http.get({ hostname, port, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on("error", reject);
  });
}

describe("node-dev static files", () => {
  let server;
  before(async () => (server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} })));
  after(() => server.close());

  test("/ is the demo page, assets have their types and cache-control", async () => {
    const index = await rawGet(server.url, "/");
    assert.equal(index.status, 200);
    assert.match(index.headers["content-type"], /^text\/html/);
    assert.match(index.body, /Brightleaf Gardens/);
    assert.match(index.body, /href="\/a\/sales\/"/);
    for (const [path, type] of [["/assets/page.js", /^text\/javascript/], ["/assets/page.css", /^text\/css/],
      ["/assets/htmx.min.js", /^text\/javascript/], ["/assets/sse.min.js", /^text\/javascript/]]) {
      const res = await rawGet(server.url, path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers["content-type"], type, path);
      assert.equal(res.headers["cache-control"], "no-cache");
      assert.equal(res.headers["x-content-type-options"], "nosniff");
    }
  });

  test("an unchanged file revalidates with 304", async () => {
    const first = await rawGet(server.url, "/assets/page.css");
    const again = await rawGet(server.url, "/assets/page.css", { "if-none-match": first.headers.etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, "");
  });

  test("no way out of build/public", async () => {
    for (const path of ["/../package.json", "/assets/../../package.json", "/%2e%2e/package.json",
      "/assets/%2e%2e/%2e%2e/salient.json", "/..%2fpackage.json", "/%00", "/assets/%ZZ"]) {
      const res = await rawGet(server.url, path);
      assert.notEqual(res.status, 200, path);
      assert.doesNotMatch(res.body, /"devDependencies"|"limits"/, path);
    }
  });

  test("unknown paths go to the chat module's 404 page", async () => {
    const res = await rawGet(server.url, "/nope.txt");
    assert.equal(res.status, 404);
    assert.match(res.headers["content-type"], /^text\/html/);
  });
});

test("node-dev: SUPABASE_URL defaults to the embedded store; a stream secret is generated", async () => {
  const server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} });
  try {
    assert.equal(server.generatedSecret, true);
    const res = await fetch(`${server.url}/rest/v1/rpc/salient_claim_turn`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ p_tenant: "t", p_turn_id: crypto.randomUUID() }),
    });
    assert.deepEqual(await res.json(), { status: "not_found" });
  } finally {
    await server.close();
  }
});

test("node-dev: its core reaches the embedded store in-process, not through fetch; the socket serves it too", async () => {
  // Wrapped before the server starts, so whatever fetch its driver is given is this one or calls it.
  const realFetch = globalThis.fetch, stateFetches = [];
  globalThis.fetch = (url, init) => {
    if (String(url).includes("/rest/v1/")) stateFetches.push(String(url));
    return realFetch(url, init);
  };
  let server;
  try {
    server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} });
  } catch (err) {
    globalThis.fetch = realFetch;
    throw err;
  }
  const sessionKey = crypto.randomUUID();
  try {
    const res = await realFetch(`${server.url}/a/sales/chat`, {
      method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ message: "What are your opening hours?", session_key: sessionKey, idempotency_key: crypto.randomUUID() }),
    });
    assert.equal(res.status, 200);
    const { stream_url } = await res.json();
    const stream = await (await realFetch(new URL(stream_url, server.url), { headers: { accept: "text/event-stream" } })).text();
    assert.match(stream, /^event: done$/m);
    assert.deepEqual(stateFetches, []); // begin, claim and finish all went in-process
    // The store has the turn, read back through the socket's own RPC endpoint.
    const history = await (await realFetch(`${server.url}/rest/v1/rpc/salient_session_history`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ p_tenant: JSON.parse(readFileSync(new URL("../../build/salient.json", import.meta.url), "utf8")).app.tenant,
        p_agent: "sales", p_session_key: sessionKey, p_limit: 10 }),
    })).json();
    assert.deepEqual(history.messages.map((m) => m.role), ["user", "assistant"]);
    // An RPC error keeps PostgREST's shape in-process as over the socket.
    const bad = await realFetch(`${server.url}/rest/v1/rpc/salient_claim_turn`, { method: "POST", body: "{not json" });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).code, "22P02");
  } finally {
    globalThis.fetch = realFetch;
    await server.close();
  }
});

test("node-dev: the compiled config's personas are synced into the embedded store at start", async () => {
  const server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} });
  try {
    const compiled = JSON.parse(readFileSync(new URL("../../build/salient.json", import.meta.url), "utf8"));
    const { tenant, default_agent: agent } = compiled.app;
    assert.match(server.syncDescription, new RegExp(`^personas: \\d+ from the compiled config synced into tenant ${tenant} `));
    const call = async (fn, args) => (await fetch(`${server.url}/rest/v1/rpc/${fn}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(args),
    })).json();
    const { turn_id } = await call("salient_begin_turn", { p_tenant: tenant, p_agent: agent, p_session_key: "sk",
      p_idempotency_key: "k", p_message_id: crypto.randomUUID(), p_content: "hi" });
    const claim = await call("salient_claim_turn", { p_tenant: tenant, p_turn_id: turn_id });
    const code = compiled.agents[agent].persona;
    assert.deepEqual(claim.persona, { code, name: compiled.personas[code].name,
      system_prompt: compiled.personas[code].system_prompt });
  } finally {
    await server.close();
  }
});

test("node-dev: .env parsing", () => {
  assert.deepEqual(parseEnvFile([
    "# comment", "", "A=1", "export B = two words ", 'C="quoted # not a comment"', "D='single'", "E=",
    "not a line", "F=x=y",
  ].join("\n")), { A: "1", B: "two words", C: "quoted # not a comment", D: "single", E: "", F: "x=y" });
});
