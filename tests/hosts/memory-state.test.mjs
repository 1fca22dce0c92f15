// The embedded state store over real loopback HTTP, as the core calls it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startStateServer } from "../../hosts/node-dev/memory-state.js";

let server;
before(async () => (server = await startStateServer({ port: 0 })));
after(() => server.close());

async function rpc(fn, body) {
  const res = await fetch(`${server.url}/rest/v1/rpc/${fn}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  assert.match(res.headers.get("content-type"), /application\/json/);
  return { status: res.status, body: await res.json() };
}

const turn = (over = {}) => ({
  p_tenant: "t1", p_agent: "sales", p_session_key: "sk-1", p_idempotency_key: crypto.randomUUID(),
  p_message_id: crypto.randomUUID(), p_content: "hello", ...over,
});

test("state: begin_turn stores a turn and creates the session once", async () => {
  const first = turn();
  const a = await rpc("salient_begin_turn", first);
  assert.equal(a.status, 200);
  assert.deepEqual(Object.keys(a.body).sort(), ["duplicate", "session_id", "turn_id"]);
  assert.equal(a.body.turn_id, first.p_message_id);
  assert.equal(a.body.duplicate, false);
  const b = await rpc("salient_begin_turn", turn());
  assert.equal(b.body.session_id, a.body.session_id, "same tenant + session key → same session");
  const c = await rpc("salient_begin_turn", turn({ p_tenant: "t2" }));
  assert.notEqual(c.body.session_id, a.body.session_id, "sessions are per tenant");
});

test("state: a repeated idempotency key returns the first turn and stores nothing", async () => {
  const first = turn({ p_session_key: "sk-idem" });
  const a = await rpc("salient_begin_turn", first);
  const again = await rpc("salient_begin_turn", { ...first, p_message_id: crypto.randomUUID(), p_content: "other" });
  assert.deepEqual(again.body, { ...a.body, duplicate: true });
  const claim = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: a.body.turn_id });
  assert.equal(claim.body.message, "hello", "the first content was kept");
});

test("state: claim_turn succeeds once, then already_claimed; other tenants see not_found", async () => {
  const t = turn({ p_content: "what does a patio cost?" });
  const { body } = await rpc("salient_begin_turn", t);
  const other = await rpc("salient_claim_turn", { p_tenant: "t2", p_turn_id: body.turn_id });
  assert.deepEqual(other.body, { status: "not_found" });
  const first = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: body.turn_id });
  assert.deepEqual(first.body, {
    status: "claimed", message: "what does a patio cost?", session_id: body.session_id, agent: "sales",
  });
  const second = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: body.turn_id });
  assert.deepEqual(second.body, { status: "already_claimed" });
  const unknown = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: crypto.randomUUID() });
  assert.deepEqual(unknown.body, { status: "not_found" });
});

test("state: finish_turn stores the answer", async () => {
  const { body } = await rpc("salient_begin_turn", turn());
  const id = crypto.randomUUID();
  const done = await rpc("salient_finish_turn", {
    p_tenant: "t1", p_turn_id: body.turn_id, p_message_id: id, p_content: "Hi!", p_metadata: { offline: true },
  });
  assert.deepEqual(done, { status: 200, body: { message_id: id } });
  const stored = server.backend.dump().messages.find(([key]) => key === id)[1];
  assert.equal(stored.role, "assistant");
  assert.deepEqual(stored.metadata, { offline: true });
  const missing = await rpc("salient_finish_turn", {
    p_tenant: "t2", p_turn_id: body.turn_id, p_message_id: crypto.randomUUID(), p_content: "x", p_metadata: {},
  });
  assert.equal(missing.status, 400);
});

test("state: PostgREST-shaped errors", async () => {
  const unknown = await rpc("salient_nope", { p_x: 1 });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, "PGRST202");
  assert.match(unknown.body.message, /Could not find the function public\.salient_nope\(p_x\)/);
  assert.deepEqual(Object.keys(unknown.body).sort(), ["code", "details", "hint", "message"]);
  const badJson = await rpc("salient_begin_turn", "{not json");
  assert.equal(badJson.status, 400);
  assert.equal(badJson.body.code, "22P02");
  const badArgs = await rpc("salient_begin_turn", { p_tenant: "t1" });
  assert.equal(badArgs.status, 400);
  assert.equal(badArgs.body.code, "22P02");
  const array = await rpc("salient_claim_turn", "[]");
  assert.equal(array.status, 400);
});
