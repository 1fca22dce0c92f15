// The embedded store's HTTP face, as hosts that are not the dev server reach it (workerd, Deno,
// a Vercel function's Node): startStateServer (hosts/node-dev/state-server.js) serving PGlite in
// memory over real loopback HTTP, answering `POST /rest/v1/rpc/<fn>` with PostgREST's statuses
// and error bodies. PGlite only: PostgreSQL has no PostgREST here, and the SQL behind these
// answers runs on both in the other tests/db files.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startStateServer } from "../../hosts/node-dev/state-server.js";

let server;
before(async () => (server = await startStateServer({ port: 0 })));
after(() => server?.close());

async function rpc(fn, body, method = "POST") {
  const res = await fetch(`${server.url}/rest/v1/rpc/${fn}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(method === "POST" && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  assert.match(res.headers.get("content-type"), /application\/json/);
  return { status: res.status, body: await res.json() };
}
const turn = (over = {}) => ({
  p_tenant: "t1", p_agent: "sales", p_session_key: "sk-1", p_idempotency_key: crypto.randomUUID(),
  p_message_id: crypto.randomUUID(), p_content: "hello", ...over,
});
const refused = (res, status, code) => {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.code, code);
  assert.deepEqual(Object.keys(res.body).sort(), ["code", "details", "hint", "message"]);
};

test("a turn over HTTP: begin, attach, claim once, finish, the stored answer", async () => {
  const first = turn();
  const begun = await rpc("salient_begin_turn", first);
  assert.equal(begun.status, 200);
  assert.deepEqual(begun.body, { turn_id: first.p_message_id, session_id: begun.body.session_id, duplicate: false });
  const retrieval = { mode: "pinecone", sources: [{ title: "Prices", text: "A patio costs…", score: 0.8 }] };
  assert.deepEqual((await rpc("salient_attach_retrieval", { p_tenant: "t1", p_turn_id: first.p_message_id,
    p_retrieval: retrieval })).body, { status: "attached" });
  const claim = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: first.p_message_id });
  assert.deepEqual(claim, { status: 200, body: { status: "claimed", message: "hello", session_id: begun.body.session_id,
    agent: "sales", history: [], persona: null, profile: null, month_cost_usd: 0, retrieval, handoff: null } });
  assert.deepEqual((await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: first.p_message_id })).body,
    { status: "already_claimed" });
  const id = crypto.randomUUID();
  assert.deepEqual(await rpc("salient_finish_turn", { p_tenant: "t1", p_turn_id: first.p_message_id, p_message_id: id,
    p_content: "Hi!", p_metadata: { offline: true } }), { status: 200, body: { message_id: id } });
  assert.deepEqual((await rpc("salient_turn_answer", { p_tenant: "t1", p_turn_id: first.p_message_id })).body,
    { status: "answered", message_id: id, content: "Hi!", metadata: { offline: true } });
  // A JSON array for a text[] argument.
  const listed = await rpc("salient_list_sessions", { p_tenant: "t1", p_agent: "sales", p_session_keys: ["sk-1", "nope"] });
  assert.deepEqual(listed.body.sessions.map((s) => [s.session_key, s.title, s.message_count]), [["sk-1", "hello", 2]]);
});

test("PostgREST's answers for what no function matches: 404 PGRST202", async () => {
  const unknown = await rpc("salient_nope", { p_x: 1 });
  refused(unknown, 404, "PGRST202");
  assert.match(unknown.body.message, /Could not find the function public\.salient_nope\(p_x\)/);
  refused(await rpc("salient_tenant_id", { p_slug: "t", p_create: true }), 404, "PGRST202"); // a helper: not exposed
  // A required argument left out, or one the function does not have.
  const missing = await rpc("salient_begin_turn", { p_tenant: "t1" });
  refused(missing, 404, "PGRST202");
  assert.match(missing.body.message, /salient_begin_turn\(p_tenant\)/);
  refused(await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: crypto.randomUUID(), p_nope: 1 }), 404, "PGRST202");
  refused(await rpc("salient_sync_config", { p_tenant: "t1", p_personas: {} }), 404, "PGRST202");
  refused(await rpc("salient_claim_turn", null, "GET"), 405, "PGRST101");
});

test("PostgREST's answers for bad arguments and refusals: 400, 404, 409", async () => {
  refused(await rpc("salient_begin_turn", "{not json"), 400, "22P02");
  refused(await rpc("salient_claim_turn", "[]"), 400, "22P02");
  // Present but null or unreadable: a bad argument.
  refused(await rpc("salient_begin_turn", turn({ p_session_key: null })), 400, "22P02");
  refused(await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: "not-a-uuid" }), 400, "22P02");
  const { body } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-bad" }));
  for (const bad of [-1, 201, null, 2.5, "x"]) {
    refused(await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: body.turn_id, p_history_limit: bad }), 400, "22P02");
  }
  for (const bad of [null, "sk-1", Array.from({ length: 51 }, (_, i) => `k${i}`)]) {
    refused(await rpc("salient_list_sessions", { p_tenant: "t1", p_agent: "sales", p_session_keys: bad }), 400, "22P02");
  }
  // JSON that is not an object, for a jsonb argument, reaches the function as that JSON value.
  for (const bad of [["model"], "{\"model\":\"m\"}", 3]) {
    refused(await rpc("salient_finish_turn", { p_tenant: "t1", p_turn_id: body.turn_id, p_message_id: crypto.randomUUID(),
      p_content: "x", p_llm_request: bad }), 400, "22P02");
  }
  refused(await rpc("salient_attach_retrieval", { p_tenant: "t1", p_turn_id: body.turn_id, p_retrieval: "text" }), 400, "22P02");
  // A function's own SQLSTATE PTxyz is status xyz; a unique violation is 409.
  const unknownTurn = await rpc("salient_finish_turn", { p_tenant: "t2", p_turn_id: body.turn_id,
    p_message_id: crypto.randomUUID(), p_content: "x" });
  refused(unknownTurn, 404, "PT404");
  assert.equal(unknownTurn.body.message, `turn ${body.turn_id} not found`);
  const reused = await rpc("salient_finish_turn", { p_tenant: "t1", p_turn_id: body.turn_id, p_message_id: body.turn_id,
    p_content: "x" });
  refused(reused, 409, "23505");
  assert.match(reused.body.details, /already exists/);
  const off = await rpc("salient_sync_config", { p_tenant: "t3", p_personas: { p: { name: "P", system_prompt: "p" } },
    p_agents: { sales: { persona: "p", enabled: false } } });
  assert.equal(off.status, 200);
  const disabled = await rpc("salient_begin_turn", turn({ p_tenant: "t3" }));
  refused(disabled, 404, "PT404");
  assert.equal(disabled.body.message, 'agent "sales" is not enabled for tenant "t3"');
  assert.match(disabled.body.hint, /agents\.sales\.enabled: true/);
  const missing = await rpc("salient_sync_config", { p_tenant: "t3", p_personas: { p: "x" }, p_agents: {} });
  refused(missing, 400, "22P02");
  assert.match(missing.body.message, /persona p must be a JSON object/);
});

test("the state server's own backend is PGlite in memory, closed with it", async () => {
  const other = await startStateServer({ port: 0 });
  const { backend } = other;
  assert.equal(backend.dataDir, null);
  assert.deepEqual((await backend.call("salient_claim_turn", { p_tenant: "t1", p_turn_id: crypto.randomUUID() })).body,
    { status: "not_found" });
  assert.equal((await backend.dump()).messages.length, 0, "a database of its own");
  await other.close();
  await assert.rejects(backend.call("salient_claim_turn", { p_tenant: "t1", p_turn_id: crypto.randomUUID() }));
});
