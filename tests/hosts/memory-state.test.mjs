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
  const t = turn({ p_session_key: "sk-claim", p_content: "what does a patio cost?" });
  const { body } = await rpc("salient_begin_turn", t);
  const other = await rpc("salient_claim_turn", { p_tenant: "t2", p_turn_id: body.turn_id });
  assert.deepEqual(other.body, { status: "not_found" });
  const first = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: body.turn_id });
  assert.deepEqual(first.body, {
    status: "claimed", message: "what does a patio cost?", session_id: body.session_id, agent: "sales",
    history: [], persona: null, profile: null, month_cost_usd: 0, retrieval: null,
  });
  const second = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: body.turn_id });
  assert.deepEqual(second.body, { status: "already_claimed" });
  const unknown = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: crypto.randomUUID() });
  assert.deepEqual(unknown.body, { status: "not_found" });
});

test("state: attach_retrieval stores passages with an unclaimed turn; claim_turn hands them back (0007)", async () => {
  const retrieval = { mode: "pinecone", sources: [{ title: "Prices", text: "A patio costs…", score: 0.8 }] };
  const { body } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-attach" }));
  const attach = (over) => rpc("salient_attach_retrieval", { p_tenant: "t1", p_turn_id: body.turn_id, p_retrieval: retrieval, ...over });
  assert.deepEqual((await attach({ p_tenant: "t2" })).body, { status: "not_found" });
  assert.deepEqual((await attach({ p_turn_id: crypto.randomUUID() })).body, { status: "not_found" });
  const bad = await attach({ p_retrieval: "text" });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, "22P02");
  assert.deepEqual((await attach()).body, { status: "attached" });
  const claim = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: body.turn_id });
  assert.deepEqual(claim.body.retrieval, retrieval);
  assert.deepEqual((await attach({ p_retrieval: { mode: "unavailable" } })).body, { status: "already_claimed" });
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
  // Another tenant's turn, or an unknown one: PostgREST's answer to SQLSTATE PT404.
  const missing = await rpc("salient_finish_turn", {
    p_tenant: "t2", p_turn_id: body.turn_id, p_message_id: crypto.randomUUID(), p_content: "x", p_metadata: {},
  });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.code, "PT404");
  assert.equal(missing.body.message, `turn ${body.turn_id} not found`);
  const unknown = await rpc("salient_finish_turn", {
    p_tenant: "t1", p_turn_id: crypto.randomUUID(), p_message_id: crypto.randomUUID(), p_content: "x",
  });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.code, "PT404");
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
  // A required argument left out, or one the function does not have: no such function.
  const missingArgs = await rpc("salient_begin_turn", { p_tenant: "t1" });
  assert.equal(missingArgs.status, 404);
  assert.equal(missingArgs.body.code, "PGRST202");
  assert.match(missingArgs.body.message, /salient_begin_turn\(p_tenant\)/);
  const extraArg = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: crypto.randomUUID(), p_nope: 1 });
  assert.equal(extraArg.status, 404);
  assert.equal(extraArg.body.code, "PGRST202");
  // Present but null or of the wrong type: a bad argument.
  const nullArg = await rpc("salient_begin_turn", turn({ p_session_key: null }));
  assert.equal(nullArg.status, 400);
  assert.equal(nullArg.body.code, "22P02");
  const wrongType = await rpc("salient_begin_turn", turn({ p_content: 5 }));
  assert.equal(wrongType.status, 400);
  assert.equal(wrongType.body.code, "22P02");
  const array = await rpc("salient_claim_turn", "[]");
  assert.equal(array.status, 400);
});

// A conversation in session `key`: turns begun, claimed and answered one after the other.
async function conversation(key, texts, { tenant = "t1", agent = "sales" } = {}) {
  const turns = [];
  for (const text of texts) {
    const { body } = await rpc("salient_begin_turn", turn({ p_tenant: tenant, p_agent: agent, p_session_key: key, p_content: text }));
    await rpc("salient_claim_turn", { p_tenant: tenant, p_turn_id: body.turn_id });
    const answer = crypto.randomUUID();
    await rpc("salient_finish_turn", {
      p_tenant: tenant, p_turn_id: body.turn_id, p_message_id: answer, p_content: `re: ${text}`, p_metadata: { mode: "llm" },
    });
    turns.push({ turn_id: body.turn_id, answer_id: answer, session_id: body.session_id });
  }
  return turns;
}

test("state: claim_turn carries the history before the turn, oldest first, at most p_history_limit", async () => {
  await conversation("sk-ctx", ["one", "two", "three"]);
  const { body: t } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-ctx", p_content: "four" }));
  const { body: later } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-ctx", p_content: "five" }));
  const claim = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: t.turn_id, p_history_limit: 4 });
  assert.equal(claim.status, 200);
  assert.deepEqual(claim.body.history.map((m) => [m.role, m.content]),
    [["user", "two"], ["assistant", "re: two"], ["user", "three"], ["assistant", "re: three"]],
    "the 4 most recent before the turn; neither the turn itself nor the later message");
  assert.ok(claim.body.history.every((m) => typeof m.created_at === "string"));
  assert.equal(claim.body.persona, null, "no personas synced for t1");
  assert.equal(claim.body.profile, null);
  const all = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: later.turn_id });
  assert.equal(all.body.history.length, 7, "default limit 20: everything before, including the unanswered turn");
  assert.equal(all.body.history.at(-1).content, "four");
  const { body: first } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-ctx-new" }));
  for (const bad of [-1, 201, null, 2.5, "x"]) {
    const res = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: first.turn_id, p_history_limit: bad });
    assert.equal(res.status, 400, `p_history_limit ${bad}`);
    assert.equal(res.body.code, "22P02");
  }
  const none = await rpc("salient_claim_turn", { p_tenant: "t1", p_turn_id: first.turn_id, p_history_limit: 0 });
  assert.equal(none.body.status, "claimed", "a refused limit did not use up the turn");
  assert.deepEqual(none.body.history, []);
});

test("state: finish_turn records one llm_requests row per answer", async () => {
  const { body } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-llm" }));
  const id = crypto.randomUUID();
  const finish = (llm) => rpc("salient_finish_turn", {
    p_tenant: "t1", p_turn_id: body.turn_id, p_message_id: id, p_content: "Hi!", p_llm_request: llm,
  });
  assert.equal((await finish({ model: "openai/gpt-4o-mini", prompt_tokens: 10, completion_tokens: 5,
    total_tokens: 15, cost: 0.0012, latency_ms: 830, request_body: { messages: [] } })).status, 200);
  const rows = () => server.backend.dump().llmRequests.filter((r) => r.message_id === id);
  assert.equal(rows().length, 1);
  assert.deepEqual({ ...rows()[0], id: undefined, created_at: undefined }, {
    id: undefined, created_at: undefined, tenant: "t1", session_id: body.session_id, message_id: id,
    provider: "openrouter", model: "openai/gpt-4o-mini", request_body: { messages: [] }, response_body: null,
    prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, unit_cost_prompt: null, unit_cost_completion: null,
    computed_cost: 0.0012, latency_ms: 830,
  });
  assert.equal((await finish({ model: "other/model", provider: "direct" })).status, 200);
  assert.equal(rows().length, 1, "a repeated finish replaces the row");
  assert.equal(rows()[0].model, "other/model");
  assert.equal(rows()[0].provider, "direct");
  assert.equal(rows()[0].prompt_tokens, null);
  for (const bad of [{}, { model: 5 }, { model: "" }, { model: "m", prompt_tokens: 1.5 }, { model: "m", cost: "1" },
    ["model"], "{\"model\":\"m\"}", 3]) {
    const res = await finish(bad);
    assert.equal(res.status, 400, JSON.stringify(bad));
    assert.equal(res.body.code, "22P02");
  }
  assert.equal((await finish(null)).status, 200, "null: no llm_requests row, the old one stays");
  assert.equal(rows().length, 1);
});

test("state: session_history shows one session of one tenant and agent, oldest first", async () => {
  const turns = await conversation("sk-hist", ["a", "b", "c"]);
  const history = (over = {}) => rpc("salient_session_history",
    { p_tenant: "t1", p_agent: "sales", p_session_key: "sk-hist", ...over });
  const all = await history();
  assert.equal(all.status, 200);
  assert.equal(all.body.session_key, "sk-hist");
  assert.equal(all.body.session_id, turns[0].session_id);
  assert.deepEqual(all.body.messages.map((m) => m.content), ["a", "re: a", "b", "re: b", "c", "re: c"]);
  assert.deepEqual(all.body.messages[1], { id: turns[0].answer_id, role: "assistant", content: "re: a",
    created_at: all.body.messages[1].created_at, metadata: { mode: "llm" }, turn_id: turns[0].turn_id });
  assert.deepEqual(all.body.messages[0].metadata, {});
  assert.equal(all.body.messages[0].turn_id, null);
  assert.deepEqual((await history({ p_limit: 3 })).body.messages.map((m) => m.content), ["re: b", "c", "re: c"]);
  const empty = (body) => assert.deepEqual(body, { session_key: body.session_key, session_id: null, messages: [] });
  empty((await history({ p_session_key: "sk-nope" })).body);
  empty((await history({ p_tenant: "t2" })).body);
  empty((await history({ p_agent: "support" })).body);
  for (const bad of [0, 201, null]) assert.equal((await history({ p_limit: bad })).body.code, "22P02");
  assert.equal((await history({ p_agent: "" })).body.code, "22P02");
  assert.ok(!server.backend.dump().sessions.some((s) => s.session_key === "sk-nope"), "creates nothing");
});

test("state: list_sessions summarises the given keys, most recently active first", async () => {
  const long = `  First\tline\n\n  of a ${"very ".repeat(20)}long question  `;
  await conversation("sk-list-a", [long, "second"]);
  await conversation("sk-list-b", ["short one"]);
  await conversation("sk-list-c", ["other tenant"], { tenant: "t2" });
  await conversation("sk-list-d", ["other agent"], { agent: "support" });
  const list = await rpc("salient_list_sessions",
    { p_tenant: "t1", p_agent: "sales", p_session_keys: ["sk-list-a", "sk-list-b", "sk-list-c", "sk-list-d", "nope"] });
  assert.equal(list.status, 200);
  const collapsed = `First line of a ${"very ".repeat(20)}long question`;
  assert.deepEqual(list.body.sessions.map(({ session_key, title, message_count }) => ({ session_key, title, message_count })), [
    { session_key: "sk-list-b", title: "short one", message_count: 2 },
    { session_key: "sk-list-a", title: `${collapsed.slice(0, 80)}…`, message_count: 4 },
  ]);
  const [b] = list.body.sessions;
  assert.ok(b.created_at <= b.last_activity_at);
  assert.deepEqual((await rpc("salient_list_sessions", { p_tenant: "t1", p_agent: "sales", p_session_keys: [] })).body,
    { sessions: [] });
  for (const bad of [null, "sk-list-a", Array.from({ length: 51 }, (_, i) => `k${i}`)]) {
    const res = await rpc("salient_list_sessions", { p_tenant: "t1", p_agent: "sales", p_session_keys: bad });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "22P02");
  }
});

test("state: claim_turn reports the tenant's model spend this month (0004)", async () => {
  const spend = async (tenant, cost) => {
    const { body } = await rpc("salient_begin_turn", turn({ p_tenant: tenant, p_session_key: "sk-spend" }));
    await rpc("salient_finish_turn", { p_tenant: tenant, p_turn_id: body.turn_id, p_message_id: crypto.randomUUID(),
      p_content: "a", p_llm_request: { model: "m", cost } });
  };
  await spend("spend-1", 0.5);
  await spend("spend-1", 0.25);
  await spend("spend-2", 3);
  const { body } = await rpc("salient_begin_turn", turn({ p_tenant: "spend-1", p_session_key: "sk-spend" }));
  const claim = await rpc("salient_claim_turn", { p_tenant: "spend-1", p_turn_id: body.turn_id });
  assert.equal(claim.body.month_cost_usd, 0.75);
});

// salient_sync_config (0005): the same contract as tests/db/rpc.test.mjs's sync_config cases.
const syncPersonas = (over = {}) => ({
  sales: { name: "Advisor", description: "Sells", system_prompt: "You sell for {{app_name}}." },
  support: { name: "Help desk", description: "", system_prompt: "You help." },
  ...over,
});
const sync = (tenant, personas, agents, defaultAgent = null) => rpc("salient_sync_config",
  { p_tenant: tenant, p_personas: personas, p_agents: agents, p_default_agent: defaultAgent });
const claimPersona = async (tenant, agent) => {
  const { body } = await rpc("salient_begin_turn", turn({ p_tenant: tenant, p_agent: agent, p_session_key: `sk-sync-${agent}` }));
  return (await rpc("salient_claim_turn", { p_tenant: tenant, p_turn_id: body.turn_id })).body.persona;
};
const defaults = (tenant) => server.backend.dump().personas.filter((p) => p.tenant === tenant && p.is_default)
  .map((p) => p.code);

test("state: sync_config stores personas and tenant_agents; claim_turn returns the agent's persona", async () => {
  assert.equal(await claimPersona("sync-1", "sales"), null, "no persona before a sync");
  const res = await sync("sync-1", syncPersonas(), { sales: { persona: "sales", enabled: true, name: "x", llm: {} } }, "sales");
  assert.deepEqual(res, { status: 200, body: { personas: 2, agents: 1 } });
  const dump = server.backend.dump();
  assert.deepEqual(dump.personas.filter((p) => p.tenant === "sync-1"), [
    { tenant: "sync-1", code: "sales", name: "Advisor", description: "Sells", system_prompt: "You sell for {{app_name}}.",
      is_default: true },
    { tenant: "sync-1", code: "support", name: "Help desk", description: "", system_prompt: "You help.", is_default: false },
  ]);
  assert.deepEqual(dump.tenantAgents.filter((t) => t.tenant === "sync-1"),
    [{ tenant: "sync-1", agent: "sales", is_enabled: true, persona: "sales" }]);
  assert.deepEqual(await claimPersona("sync-1", "sales"),
    { code: "sales", name: "Advisor", system_prompt: "You sell for {{app_name}}." });
  assert.equal(await claimPersona("sync-other", "sales"), null, "another tenant has none");
});

test("state: sync_config updates a changed prompt and moves the default", async () => {
  await sync("sync-2", syncPersonas(), { sales: { persona: "sales" } }, "sales");
  const changed = syncPersonas({ sales: { name: "Advisor 2", description: null, system_prompt: "New prompt." } });
  assert.deepEqual((await sync("sync-2", changed, { sales: { persona: "sales" }, support: { persona: "support", enabled: false } },
    "support")).body, { personas: 2, agents: 2 });
  assert.deepEqual(defaults("sync-2"), ["support"]);
  assert.deepEqual(await claimPersona("sync-2", "sales"), { code: "sales", name: "Advisor 2", system_prompt: "New prompt." });
  // support is switched off (enabled: false): 0006 refuses its turns.
  const off = await rpc("salient_begin_turn", turn({ p_tenant: "sync-2", p_agent: "support", p_session_key: "sk-sync-support" }));
  assert.deepEqual([off.status, off.body.code], [404, "PT404"]);
  assert.equal((await claimPersona("sync-2", "elsewhere")).code, "support", "an agent not in the config: the default");
  assert.deepEqual(server.backend.dump().tenantAgents.filter((t) => t.tenant === "sync-2").map((t) => [t.agent, t.is_enabled]),
    [["sales", true], ["support", false]]);
  // Personas the config no longer names stay; without a default agent no default changes.
  await sync("sync-2", {}, { sales: { persona: "support" } });
  assert.deepEqual(defaults("sync-2"), ["support"]);
  assert.equal(server.backend.dump().personas.filter((p) => p.tenant === "sync-2").length, 2);
  assert.equal((await claimPersona("sync-2", "sales")).code, "support");
});

// 0006: tenant_agents.is_enabled is enforced (the memory store's rows come from sync_config);
// a missing row is an enabled agent. The same contract as tests/db/rpc.test.mjs's cases.
const notEnabled = (res, tenant, agent) => {
  assert.equal(res.status, 404, JSON.stringify(res.body));
  assert.deepEqual(res.body, {
    code: "PT404", message: `agent "${agent}" is not enabled for tenant "${tenant}"`, details: null,
    hint: `enable it in salient.yaml (agents.${agent}.enabled: true) and sync the config, ` +
      "or set tenant_agents.is_enabled for this tenant",
  });
};
const storedFor = (tenant) => server.backend.dump().messages.filter(([, m]) => m.tenant === tenant).length;

test("state: sync_config's enabled: false switches the tenant's agent off (PT404) until enabled: true", async () => {
  const agents = (support, sales = true) =>
    ({ sales: { persona: "sales", enabled: sales }, support: { persona: "support", enabled: support } });
  const first = turn({ p_tenant: "switch-1", p_agent: "support", p_session_key: "sk-switch" });
  const pending = (await rpc("salient_begin_turn", first)).body;
  assert.equal(pending.duplicate, false, "no tenant_agents row yet: enabled");
  const theirs = (await rpc("salient_begin_turn", turn({ p_tenant: "switch-2", p_agent: "support", p_session_key: "sk-switch" }))).body;

  await sync("switch-1", syncPersonas(), agents(false), "sales");
  notEnabled(await rpc("salient_begin_turn", turn({ p_tenant: "switch-1", p_agent: "support", p_session_key: "sk-switch" })),
    "switch-1", "support");
  notEnabled(await rpc("salient_begin_turn", first), "switch-1", "support"); // a resubmission too
  assert.equal(storedFor("switch-1"), 1, "nothing stored");
  notEnabled(await rpc("salient_claim_turn", { p_tenant: "switch-1", p_turn_id: pending.turn_id }), "switch-1", "support");
  assert.equal(server.backend.dump().messages.find(([id]) => id === pending.turn_id)[1].claimed, false,
    "a refused claim does not use the turn up");
  notEnabled(await rpc("salient_session_history", { p_tenant: "switch-1", p_agent: "support", p_session_key: "sk-switch" }),
    "switch-1", "support");
  notEnabled(await rpc("salient_list_sessions", { p_tenant: "switch-1", p_agent: "support", p_session_keys: ["sk-switch"] }),
    "switch-1", "support");
  assert.deepEqual((await rpc("salient_claim_turn", { p_tenant: "switch-1", p_turn_id: crypto.randomUUID() })).body,
    { status: "not_found" }, "an unknown turn is still not_found");
  assert.equal((await rpc("salient_session_history",
    { p_tenant: "switch-1", p_agent: "support", p_session_key: "sk-switch", p_limit: 0 })).body.code, "22P02");

  // The tenant's other agents (named in the config or not), and another tenant's, are unaffected.
  const sales = (await rpc("salient_begin_turn", turn({ p_tenant: "switch-1", p_agent: "sales", p_session_key: "sk-switch-sales" })));
  assert.equal(sales.status, 200);
  assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "switch-1", p_agent: "elsewhere",
    p_session_key: "sk-switch-elsewhere" }))).status, 200);
  assert.equal((await rpc("salient_claim_turn", { p_tenant: "switch-2", p_turn_id: theirs.turn_id })).body.status, "claimed");
  assert.equal((await rpc("salient_session_history",
    { p_tenant: "switch-2", p_agent: "support", p_session_key: "sk-switch" })).body.messages.length, 1);

  // Switched on again: the pending turn is claimed (once), new turns are stored.
  await sync("switch-1", syncPersonas(), agents(true), "sales");
  const claim = await rpc("salient_claim_turn", { p_tenant: "switch-1", p_turn_id: pending.turn_id });
  assert.deepEqual([claim.status, claim.body.status, claim.body.agent], [200, "claimed", "support"]);
  assert.deepEqual((await rpc("salient_claim_turn", { p_tenant: "switch-1", p_turn_id: pending.turn_id })).body,
    { status: "already_claimed" });
  assert.deepEqual((await rpc("salient_begin_turn", first)).body, { ...pending, duplicate: true });
  assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "switch-1", p_agent: "support",
    p_session_key: "sk-switch" }))).body.duplicate, false);
  assert.equal((await rpc("salient_list_sessions",
    { p_tenant: "switch-1", p_agent: "support", p_session_keys: ["sk-switch"] })).body.sessions.length, 1);

  // sales switched off after its turn was stored: not claimable until it is back.
  await sync("switch-1", syncPersonas(), agents(true, false), "support");
  notEnabled(await rpc("salient_claim_turn", { p_tenant: "switch-1", p_turn_id: sales.body.turn_id }), "switch-1", "sales");
  await sync("switch-1", syncPersonas(), agents(true, true), "sales");
  assert.equal((await rpc("salient_claim_turn", { p_tenant: "switch-1", p_turn_id: sales.body.turn_id })).body.status,
    "claimed");
});

test("state: sync_config refuses bad shapes with 22P02 and stores nothing", async () => {
  const good = syncPersonas();
  const agents = { sales: { persona: "sales" } };
  const cases = [
    [{ p_tenant: "" }, /p_tenant/],
    [{ p_personas: null }, /p_personas: expected a JSON object/],
    [{ p_personas: ["sales"] }, /p_personas: expected a JSON object/],
    [{ p_personas: { sales: "x" } }, /persona sales must be a JSON object/],
    [{ p_personas: { ...good, sales: { system_prompt: "x" } } }, /persona sales: name must be a non-empty string/],
    [{ p_personas: { ...good, sales: { name: "S", system_prompt: 5 } } }, /persona sales: system_prompt must be a string/],
    [{ p_personas: { ...good, sales: { name: "S", system_prompt: "x", description: [] } } }, /description must be a string or null/],
    [{ p_agents: null }, /p_agents: expected a JSON object/],
    [{ p_agents: { sales: "sales" } }, /agent sales must be a JSON object/],
    [{ p_agents: { sales: {} } }, /agent sales: persona must be a non-empty string/],
    [{ p_agents: { sales: { persona: "sales", enabled: "yes" } } }, /agent sales: enabled must be true or false/],
    [{ p_agents: { sales: { persona: "nobody" } } }, /agent sales names persona nobody, which is neither in p_personas nor a persona of tenant bad-co/],
    [{ p_default_agent: "support" }, /p_default_agent: "support" is not one of the agents in p_agents/],
  ];
  for (const [over, message] of cases) {
    const res = await rpc("salient_sync_config",
      { p_tenant: "bad-co", p_personas: good, p_agents: agents, p_default_agent: "sales", ...over });
    assert.equal(res.status, 400, JSON.stringify(over));
    assert.equal(res.body.code, "22P02");
    assert.match(res.body.message, message);
  }
  assert.ok(!server.backend.dump().personas.some((p) => p.tenant === "bad-co"), "nothing stored");
  const missing = await rpc("salient_sync_config", { p_tenant: "bad-co", p_personas: good });
  assert.equal(missing.status, 404, "p_agents is required (no such function)");
});
