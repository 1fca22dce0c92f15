// Two tenants in one database, against PGlite and a real PostgreSQL 15 server
// (tests/db/backends.mjs): what one may do to the other's rows through the RPCs (nothing: not
// see, claim, finish, list or read the history of its sessions, not change its personas or
// agents), and row-level security per tenant for the roles Supabase gives its API keys.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { backends, client, pgSkip } from "./backends.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

for (const backend of backends()) {
  describe(`two tenants on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, sql, rpc, rpcError, as, turn, conversation;
    before(async () => {
      db = await backend.open();
      ({ sql, rpc, rpcError, as, turn, conversation } = client(db.adapter));
      console.log(`# ${backend.name}: started in ${db.startMs} ms`);
    });
    after(() => db?.close());

    const count = async (query, params) => (await sql(`select count(*)::int as n from ${query}`, params))[0].n;
    const messagesOf = (tenant) => count("messages m join tenants t on t.id = m.tenant_id where t.slug = $1", [tenant]);

    test("the same session key and idempotency key in two tenants are two sessions and two turns", async () => {
      const keys = { p_session_key: "sk-same", p_idempotency_key: "idem-same" };
      const acme = await rpc("salient_begin_turn", turn({ ...keys, p_content: "acme's question" }));
      const globex = await rpc("salient_begin_turn", turn({ ...keys, p_tenant: "globex", p_content: "globex's question" }));
      assert.equal(globex.duplicate, false, "not a resubmission of acme's message");
      assert.notEqual(globex.session_id, acme.session_id);
      assert.notEqual(globex.turn_id, acme.turn_id);
      // Each tenant's resubmission is its own first turn.
      assert.deepEqual(await rpc("salient_begin_turn", turn({ ...keys, p_tenant: "globex" })), { ...globex, duplicate: true });
      assert.deepEqual(await rpc("salient_begin_turn", turn(keys)), { ...acme, duplicate: true });
      assert.equal((await rpc("salient_claim_turn", { p_tenant: "globex", p_turn_id: globex.turn_id })).message,
        "globex's question");
    });

    test("another tenant can neither claim, attach to, finish nor read the answer of a turn", async () => {
      const { turn_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-iso" }));
      await rpc("salient_begin_turn", turn({ p_tenant: "globex", p_session_key: "sk-other" }));
      assert.deepEqual(await rpc("salient_claim_turn", { p_tenant: "globex", p_turn_id: turn_id }), { status: "not_found" });
      assert.deepEqual(await rpc("salient_attach_retrieval", { p_tenant: "globex", p_turn_id: turn_id,
        p_retrieval: { mode: "unavailable", reason: "theirs" } }), { status: "not_found" });
      const finish = await rpcError("salient_finish_turn", {
        p_tenant: "globex", p_turn_id: turn_id, p_message_id: crypto.randomUUID(), p_content: "x", p_metadata: {},
      });
      assert.equal(finish.code, "PT404", "PostgREST: 404");
      assert.equal(finish.message, `turn ${turn_id} not found`);
      assert.equal(await count("messages where turn_id = $1", [turn_id]), 0, "nothing was stored for the other tenant");
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "globex", p_turn_id: turn_id }), { status: "not_found" });
      const [{ metadata, claimed }] = await sql(`select metadata, stream_claimed_at is not null as claimed
        from messages where id = $1`, [turn_id]);
      assert.deepEqual([metadata, claimed], [{}, false], "the turn is as it was");
      // And the owner still can.
      const claim = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual([claim.status, claim.retrieval], ["claimed", null]);
      await rpc("salient_finish_turn", { p_tenant: "acme", p_turn_id: turn_id, p_message_id: crypto.randomUUID(), p_content: "ok" });
      assert.equal((await rpc("salient_turn_answer", { p_tenant: "globex", p_turn_id: turn_id })).status, "not_found");
      assert.equal((await rpc("salient_turn_answer", { p_tenant: "acme", p_turn_id: turn_id })).status, "answered");
    });

    test("another tenant's session keys show it nothing: history, the list of sessions, identify", async () => {
      await conversation("sk-acme-only", ["acme secret"]);
      await conversation("sk-both", ["acme in both"]);
      await conversation("sk-both", ["globex in both"], { tenant: "globex" });
      const history = (tenant, key) => rpc("salient_session_history", { p_tenant: tenant, p_agent: "sales", p_session_key: key });
      assert.deepEqual(await history("globex", "sk-acme-only"), { session_key: "sk-acme-only", session_id: null, messages: [] });
      assert.deepEqual((await history("globex", "sk-both")).messages.map((m) => m.content), ["globex in both", "re: globex in both"]);
      assert.deepEqual((await history("acme", "sk-both")).messages.map((m) => m.content), ["acme in both", "re: acme in both"]);
      const list = async (tenant) => (await rpc("salient_list_sessions", { p_tenant: tenant, p_agent: "sales",
        p_session_keys: ["sk-acme-only", "sk-both"] })).sessions.map((s) => [s.session_key, s.title]);
      assert.deepEqual(await list("globex"), [["sk-both", "globex in both"]]);
      assert.deepEqual((await list("acme")).sort(), [["sk-acme-only", "acme secret"], ["sk-both", "acme in both"]]);
      // identify on acme's key, as globex: no session there, and acme's profile is untouched.
      assert.deepEqual(await rpc("salient_identify", { p_tenant: "globex", p_agent: "sales", p_session_key: "sk-acme-only",
        p_email: "mallory@example.com", p_name: "Mallory" }), { status: "no_session" });
      assert.equal(await count(`profiles p join sessions s on s.id = p.session_id where s.session_key = 'sk-acme-only'`), 0);
      const { turn_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-acme-only" }));
      assert.equal((await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id })).profile, null);
    });

    test("sync_config of one tenant leaves the other's personas and agents alone", async () => {
      const rows = async (tenant) => ({
        personas: await sql(`select p.code, p.name, p.system_prompt, p.is_default from personas p
          join tenants t on t.id = p.tenant_id where t.slug = $1 order by p.code`, [tenant]),
        agents: await sql(`select a.code as agent, ta.is_enabled, p.code as persona from tenant_agents ta
          join tenants t on t.id = ta.tenant_id join agents a on a.id = ta.agent_id
          left join personas p on p.id = ta.persona_id where t.slug = $1 order by a.code`, [tenant]),
      });
      const sync = (tenant, personas, agents, defaultAgent) => rpc("salient_sync_config",
        { p_tenant: tenant, p_personas: personas, p_agents: agents, p_default_agent: defaultAgent });
      await sync("sync-a", { sales: { name: "A", system_prompt: "You sell for A." }, help: { name: "A help", system_prompt: "A helps." } },
        { sales: { persona: "sales" }, support: { persona: "help" } }, "sales");
      const before = await rows("sync-a");
      // The other tenant: the same persona and agent codes, other prompts, the agent switched
      // off, another default; then again with fewer personas and no default.
      await sync("sync-b", { sales: { name: "B", system_prompt: "You sell for B." } },
        { sales: { persona: "sales", enabled: false }, support: { persona: "sales" } }, "support");
      await sync("sync-b", {}, { support: { persona: "sales", enabled: false } }, null);
      assert.deepEqual(await rows("sync-a"), before);
      assert.deepEqual(before.agents, [{ agent: "sales", is_enabled: true, persona: "sales" },
        { agent: "support", is_enabled: true, persona: "help" }]);
      assert.deepEqual((await rows("sync-b")).agents, [{ agent: "sales", is_enabled: false, persona: "sales" },
        { agent: "support", is_enabled: false, persona: "sales" }]);
      assert.equal(await count("agents where code in ('sales', 'support')"), 2, "the agents rows are shared, not copied");

      // A's turns: A's prompt, and its agents are on; B's agent of the same code is refused.
      const claimA = async (agent) => {
        const { turn_id } = await rpc("salient_begin_turn", turn({ p_tenant: "sync-a", p_agent: agent, p_session_key: `sk-a-${agent}` }));
        return (await rpc("salient_claim_turn", { p_tenant: "sync-a", p_turn_id: turn_id })).persona;
      };
      assert.deepEqual(await claimA("sales"), { code: "sales", name: "A", system_prompt: "You sell for A." });
      assert.deepEqual(await claimA("support"), { code: "help", name: "A help", system_prompt: "A helps." });
      assert.equal((await rpcError("salient_begin_turn", turn({ p_tenant: "sync-b", p_agent: "sales" }))).code, "PT404");
      // B may not name A's persona as if it were its own.
      const err = await rpcError("salient_sync_config", { p_tenant: "sync-b", p_personas: {},
        p_agents: { sales: { persona: "help" } }, p_default_agent: null });
      assert.equal(err.code, "22P02");
      assert.match(err.message, /agent sales names persona help, which is neither in p_personas nor a persona of tenant sync-b/);
    });

    test("an inactive tenant is refused alone", async () => {
      await rpc("salient_begin_turn", turn({ p_tenant: "asleep" }));
      await rpc("salient_begin_turn", turn({ p_tenant: "awake" }));
      await sql("update tenants set is_active = false where slug = 'asleep'");
      assert.equal((await rpcError("salient_begin_turn", turn({ p_tenant: "asleep" }))).code, "PT403");
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "awake" }))).duplicate, false);
      assert.equal(await messagesOf("awake"), 2);
    });

    test("row-level security: authenticated sees and writes only its tenant's rows, by setting or by JWT claim", async () => {
      const a = await rpc("salient_begin_turn", turn({ p_session_key: "sk-rls-a", p_content: "a secret" }));
      const b = await rpc("salient_begin_turn", turn({ p_tenant: "globex", p_session_key: "sk-rls-b" }));
      await rpc("salient_finish_turn", { p_tenant: "globex", p_turn_id: b.turn_id, p_message_id: crypto.randomUUID(),
        p_content: "b", p_llm_request: { model: "m", cost: 1 } });
      await rpc("salient_identify", { p_tenant: "globex", p_agent: "sales", p_session_key: "sk-rls-b", p_email: "b@example.com",
        p_name: null });
      const seen = async () => {
        const list = async (query) => (await sql(query)).map((r) => Object.values(r)[0]);
        return {
          tenants: await list("select slug from tenants order by slug"),
          sessions: await list("select session_key from sessions"),
          messages: await list("select id from messages"),
          tenantAgents: await list("select t.slug from tenant_agents ta join tenants t on t.id = ta.tenant_id"),
          profiles: await list("select email from profiles"),
          llm: await list("select model from llm_requests"),
        };
      };
      const other = (tenant) => (tenant === "acme" ? "globex" : "acme");
      const turnOf = (tenant) => (tenant === "acme" ? a.turn_id : b.turn_id);
      const acme = await as("authenticated", "acme", async () => ({
        ...await seen(),
        claimOther: await rpc("salient_claim_turn", { p_tenant: "globex", p_turn_id: turnOf("globex") }),
        historyOther: await rpc("salient_session_history", { p_tenant: "globex", p_agent: "sales", p_session_key: "sk-rls-b" }),
      }));
      assert.deepEqual(acme.tenants, ["acme"]);
      assert.ok(acme.sessions.includes("sk-rls-a") && !acme.sessions.includes("sk-rls-b"));
      assert.ok(acme.messages.includes(a.turn_id) && !acme.messages.includes(b.turn_id));
      assert.deepEqual([...new Set(acme.tenantAgents)], ["acme"]);
      assert.ok(!acme.profiles.includes("b@example.com"));
      assert.equal(acme.llm.length, await count(`llm_requests l join tenants t on t.id = l.tenant_id where t.slug = 'acme'`));
      assert.deepEqual(acme.claimOther, { status: "not_found" }, "the RPCs stay inside the caller's tenant");
      assert.equal(acme.historyOther.session_id, null);

      // The same through PostgREST's verified JWT claims (a per-tenant key on Supabase).
      const globex = await as("authenticated", "", async () => {
        await sql("select set_config('request.jwt.claims', $1, true)", [JSON.stringify({ role: "authenticated", tenant: "globex" })]);
        return { ...await seen(), claimOther: await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turnOf("acme") }) };
      });
      assert.deepEqual(globex.tenants, ["globex"]);
      assert.ok(globex.messages.includes(b.turn_id) && !globex.messages.includes(a.turn_id));
      assert.deepEqual(globex.profiles, ["b@example.com"]);
      assert.deepEqual(globex.llm, ["m"]);
      assert.deepEqual(globex.claimOther, { status: "not_found" });
      const none = await as("authenticated", "", seen);
      assert.deepEqual(Object.values(none), [[], [], [], [], [], []], "no tenant → no rows");

      // Writes: another tenant's rows can be neither added nor changed, even through the RPCs.
      const [{ tenant_id: globexId }] = await sql("select tenant_id from sessions where session_key = 'sk-rls-b'");
      const own = await as("authenticated", "acme", () => sql(`insert into sessions (tenant_id, session_key)
        select id, 'sk-own' from tenants where slug = 'acme' returning session_key`));
      assert.deepEqual(own, [{ session_key: "sk-own" }], "its own tenant's row: allowed (then rolled back)");
      const insert = await as("authenticated", "acme", () => sql(`insert into sessions (tenant_id, session_key)
        values ($1, 'sk-forged')`, [globexId]));
      assert.equal(insert.code, "42501", "new row violates row-level security policy");
      const update = await as("authenticated", "acme", () => sql(`update sessions set email = 'x@example.com'
        where session_key = 'sk-rls-b' returning id`));
      assert.deepEqual(update, [], "globex's session is invisible, so unchanged");
      for (const [fn, args] of [
        ["salient_begin_turn", turn({ p_tenant: "globex", p_session_key: "sk-rls-forged" })],
        ["salient_sync_config", { p_tenant: "globex", p_personas: { x: { name: "X", system_prompt: "x" } }, p_agents: {} }],
      ]) {
        const err = await as("authenticated", "acme", () => rpc(fn, args));
        assert.equal(err.code, "42501", `${fn} for globex as acme: ${err.message}`);
      }
      assert.equal(await count("sessions where session_key = 'sk-rls-forged'"), 0);
      assert.equal(await count("personas where code = 'x'"), 0);
      // service_role (the functions' key) bypasses row-level security: both tenants.
      const service = await as("service_role", "", () => sql("select slug from tenants where slug in ('acme', 'globex') order by 1"));
      assert.deepEqual(service.map((r) => r.slug), ["acme", "globex"]);
    });

    test("execute grants: anon may call no salient_* function nor read a tenant table; authenticated may", async () => {
      const { turn_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-grants" }));
      for (const [fn, args] of [
        ["salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id }],
        ["salient_session_history", { p_tenant: "acme", p_agent: "sales", p_session_key: "sk-grants" }],
        ["salient_sync_config", { p_tenant: "anon-co", p_personas: {}, p_agents: {} }],
        ["salient_begin_turn", turn({ p_tenant: "anon-co" })],
      ]) {
        const refused = await as("anon", "acme", () => rpc(fn, args));
        assert.equal(refused.code, "42501", `${fn}: permission denied (PostgREST: 401 for anon)`);
      }
      // Supabase granted anon the tables, but their policies call salient_current_tenant_id().
      const table = await as("anon", "acme", () => sql("select id from messages"));
      assert.equal(table.code, "42501", String(table.message));
      const allowed = await as("authenticated", "acme", () => rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id }));
      assert.equal(allowed.status, "claimed", String(allowed.message ?? ""));
      assert.equal(await count("tenants where slug = 'anon-co'"), 0);
    });
  });
}
