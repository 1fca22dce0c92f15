// One store fault at a time, deterministically: the Node dev server reaching its state store
// (PGlite behind our PostgREST layer on its own port) through the fault proxy
// (tests/support/fault-proxy.mjs), which fails calls of one function, one way. What the load
// test (tests/e2e/load.test.mjs, bench/load.mjs) finds by chance, each case here shows on one
// message, read back from the database.
//
// The load run found two losses here, fixed in c87a812 (the stream sends claim_turn and
// finish_turn again on a lost connection, a timeout or 502/503/504; claim_turn takes the
// request's own claim token): a finish_turn answered 503 left the answer unstored (the visitor
// got its tokens, then `unavailable` and `done` without a message id), and a claim_turn applied
// whose answer was lost left the turn claimed by nobody (503, then 410 on every GET).
//
//   node --test tests/e2e/store-faults.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../bench/lib/load.mjs";
import { startServer } from "../../hosts/node-dev/server.js";
import { startStateServer } from "../../hosts/node-dev/state-server.js";
import { startFakeOpenRouter } from "../support/fake-openrouter.mjs";
import { startFaultProxy } from "../support/fault-proxy.mjs";
import { parseSse } from "../support/sse.mjs";

const ENV = { SALIENT_STREAM_SECRET: "store-faults-stream-secret-0123456789abcdefgh", OPENROUTER_API_KEY: "sk-or-faults" };

describe("one store fault at a time, on the dev server", () => {
  let state, openrouter, proxy, server;
  const fault = { fn: null, times: 0 };
  before(async () => {
    state = await startStateServer();
    const config = loadConfig();
    await state.backend.call("salient_sync_config", {
      p_tenant: config.app.tenant, p_personas: {}, p_agents: {}, p_default_agent: null,
    });
    openrouter = await startFakeOpenRouter({ port: 0 });
    proxy = await startFaultProxy({
      target: state.url, before: 0, after: 0, random: () => 0.5, // fail() sets the rates
      // Only the chosen function, as many times as asked.
      eligible: (path) => path.endsWith(`/${fault.fn}`) && fault.times-- > 0,
      key: (path) => path.split("/").pop(),
      errorBody: () => ({ code: "PGRST000", message: "fault proxy", details: null, hint: null }),
    });
    server = await startServer({ port: 0, config, log: () => {},
      env: { ...ENV, SUPABASE_URL: proxy.url, OPENROUTER_BASE_URL: openrouter.url } });
  });
  after(async () => {
    await server?.close();
    await proxy?.close();
    await openrouter?.close();
    await state?.close();
  });

  const post = (body) => fetch(`${server.url}/a/sales/chat`, {
    method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body),
  });
  const rows = (session, role) => state.backend.query(
    `select m.id::text, m.content, m.idempotency_key, m.turn_id::text from messages m
       join sessions s on s.id = m.session_id where s.session_key = $1 and m.role = $2`, [session, role]);
  const fail = (fn, kind, times = 1) => {
    Object.assign(fault, { fn, times });
    proxy.setRates({ before: kind === "before" ? 1 : 0, after: kind === "after" ? 1 : 0 });
  };

  test("begin_turn applied, its answer lost: the retry with the same key is the same turn, stored once", async () => {
    const session = crypto.randomUUID();
    const body = { message: "Do you deliver?", session_key: session, idempotency_key: crypto.randomUUID() };
    fail("salient_begin_turn", "after");
    const first = await post(body);
    assert.ok(first.status >= 500, `the store's answer was lost: ${first.status}`);
    const again = await post(body);
    assert.equal(again.status, 200);
    const { message_id, duplicate } = await again.json();
    assert.equal(duplicate, true, "the first try had stored it");
    assert.deepEqual((await rows(session, "user")).map((r) => r.id), [message_id]);
  });

  async function streamed(session, message) {
    const { stream_url } = await (await post({ message, session_key: session, idempotency_key: crypto.randomUUID() })).json();
    return stream_url;
  }

  test("claim_turn answered 503 once: the stream sends it again and answers", async () => {
    const session = crypto.randomUUID();
    const stream_url = await streamed(session, "Hello");
    fail("salient_claim_turn", "before");
    const res = await fetch(server.url + stream_url, { headers: { accept: "text/event-stream" } });
    assert.equal(res.status, 200);
    assert.equal(parseSse(await res.text()).at(-1).event, "done");
    assert.equal((await rows(session, "assistant")).length, 1);
  });

  test("claim_turn answered 503 on every try of a GET: the widget's retry of the stream answers", async () => {
    const session = crypto.randomUUID();
    const stream_url = await streamed(session, "Hello again");
    fail("salient_claim_turn", "before", 3); // the stream's own tries (shared/flows/store_retry.h)
    assert.equal((await fetch(server.url + stream_url)).status, 503);
    const retry = await fetch(server.url + stream_url, { headers: { accept: "text/event-stream" } });
    assert.equal(retry.status, 200);
    assert.equal(parseSse(await retry.text()).at(-1).event, "done");
    assert.equal((await rows(session, "assistant")).length, 1);
  });

  test("a resume's turn_answer answered 503: the next try resumes", async () => {
    const session = crypto.randomUUID();
    openrouter.enqueue({ kind: "ok", delayMs: 40 });
    const { stream_url } = await (await post({ message: "Tell me more", session_key: session, idempotency_key: crypto.randomUUID() })).json();
    const abort = new AbortController();
    const res = await fetch(server.url + stream_url, { signal: abort.signal, headers: { accept: "text/event-stream" } });
    let raw = "";
    const reader = res.body.getReader();
    while (!raw.includes("event: token")) raw += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const lastId = parseSse(raw.slice(0, raw.lastIndexOf("\n\n") + 2)).at(-1).id;
    fail("salient_turn_answer", "before");
    const statuses = [];
    for (let i = 0; i < 40 && statuses.at(-1) !== 200; i++) {
      const resumed = await fetch(server.url + stream_url, { headers: { accept: "text/event-stream", "last-event-id": lastId } });
      statuses.push(resumed.status);
      await resumed.text();
      if (resumed.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(statuses[0], 503);
    assert.equal(statuses.at(-1), 200);
    assert.equal((await rows(session, "assistant")).length, 1);
  });

  test("finish_turn answered 503 before the database: the answer is stored all the same", async () => {
    const session = crypto.randomUUID();
    const { stream_url } = await (await post({ message: "Prices?", session_key: session, idempotency_key: crypto.randomUUID() })).json();
    fail("salient_finish_turn", "before");
    const events = parseSse(await (await fetch(server.url + stream_url, { headers: { accept: "text/event-stream" } })).text());
    assert.equal(events.at(-1).event, "done");
    assert.ok(!events.some((e) => e.event === "error"), `no "could not be saved": ${JSON.stringify(events.slice(-2))}`);
    const [answer] = await rows(session, "assistant");
    assert.equal(JSON.parse(events.at(-1).data).message_id, answer?.id, "done names the stored answer");
  });

  test("claim_turn applied, its answer lost: the same GET claims again with its token and answers", async () => {
    const session = crypto.randomUUID();
    const stream_url = await streamed(session, "Opening hours?");
    fail("salient_claim_turn", "after");
    const res = await fetch(server.url + stream_url, { headers: { accept: "text/event-stream" } });
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    assert.equal(events.at(-1).event, "done");
    assert.ok(!events.some((e) => e.event === "error"), JSON.stringify(events.slice(-2)));
    assert.equal((await rows(session, "assistant")).length, 1);
    // Anyone else (a replayed URL) is still refused: the claim is the first GET's.
    assert.equal((await fetch(server.url + stream_url)).status, 410);
  });
});
