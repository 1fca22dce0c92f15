// One store fault at a time, deterministically: the Node dev server reaching its state store
// (PGlite behind our PostgREST layer on its own port) through the fault proxy
// (tests/support/fault-proxy.mjs), which fails every call of one function, one way. What the
// load test (tests/e2e/load.test.mjs, bench/load.mjs) finds by chance, each case here shows on
// one message, read back from the database.
//
// Two cases are `todo`: the core does not survive them yet (issue 19's load run found them).
//   - salient_finish_turn answered 503: the answer is not retried, so it is never stored; the
//     visitor got its tokens, then an `unavailable` error and `done` without a message id.
//   - salient_claim_turn applied but its answer lost: the stream GET is a 503, the widget's retry
//     a 410 ("already streamed"), and the turn stays claimed and unanswered.
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

  test("claim_turn answered 503 before the database: the widget's retry of the stream answers", async () => {
    const session = crypto.randomUUID();
    const { stream_url } = await (await post({ message: "Hello", session_key: session, idempotency_key: crypto.randomUUID() })).json();
    fail("salient_claim_turn", "before");
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

  test("finish_turn answered 503 before the database: the answer is stored all the same", {
    todo: "the core does not retry salient_finish_turn (shared/flows/stream/llm_answer.cpp)",
  }, async () => {
    const session = crypto.randomUUID();
    const { stream_url } = await (await post({ message: "Prices?", session_key: session, idempotency_key: crypto.randomUUID() })).json();
    fail("salient_finish_turn", "before");
    const events = parseSse(await (await fetch(server.url + stream_url, { headers: { accept: "text/event-stream" } })).text());
    assert.equal(events.at(-1).event, "done");
    assert.equal((await rows(session, "assistant")).length, 1, `stored; the stream said ${JSON.stringify(events.slice(-2))}`);
  });

  test("claim_turn applied, its answer lost: the visitor still gets an answer", {
    todo: "a claim whose answer is lost leaves the turn claimed by nobody: every later GET is a 410",
  }, async () => {
    const session = crypto.randomUUID();
    const body = { message: "Opening hours?", session_key: session, idempotency_key: crypto.randomUUID() };
    const { stream_url } = await (await post(body)).json();
    fail("salient_claim_turn", "after");
    const statuses = [(await fetch(server.url + stream_url)).status];
    const retry = await fetch(server.url + stream_url, { headers: { accept: "text/event-stream" } });
    statuses.push(retry.status);
    await retry.text();
    // Resubmitting the message with its key is the visitor's other way out.
    const again = await (await post(body)).json();
    const third = await fetch(server.url + again.stream_url, { headers: { accept: "text/event-stream" } });
    statuses.push(third.status);
    await third.text();
    assert.equal((await rows(session, "assistant")).length, 1, `answered; the GETs were ${statuses.join(", ")}`);
  });
});
