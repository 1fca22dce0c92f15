// salient.yaml's personas and agents in the tenant's rows (salient_sync_config), the persona a
// claim then carries, and the per-tenant agent switch (tenant_agents.is_enabled), against PGlite
// and a real PostgreSQL 15 server (tests/db/backends.mjs).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { configSyncArgs } from "../../db/migrate.mjs";
import { backends, client, json, pgSkip } from "./backends.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const compiled = JSON.parse(readFileSync(path.join(root, "build", "salient.json"), "utf8"));
if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

for (const backend of backends()) {
  describe(`personas and agents on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, sql, rpc, rpcError, turn;
    before(async () => {
      db = await backend.open();
      ({ sql, rpc, rpcError, turn } = client(db.adapter));
      console.log(`# ${backend.name}: started in ${db.startMs} ms`);
    });
    after(() => db?.close());

    // salient_sync_config: the config's personas and agents into the tenant's rows.
    const syncPersonas = (over = {}) => ({
      sales: { name: "Advisor", description: "Sells", system_prompt: "You sell for {{app_name}}." },
      support: { name: "Help desk", description: "", system_prompt: "You help." },
      ...over,
    });
    const sync = (personas, agents, defaultAgent = null, tenant = "synced-co") => rpc("salient_sync_config",
      { p_tenant: tenant, p_personas: personas, p_agents: agents, p_default_agent: defaultAgent });
    const syncedRows = async (tenant = "synced-co") => ({
      personas: await sql(`select p.code, p.name, p.description, p.system_prompt, p.is_default from personas p
        join tenants t on t.id = p.tenant_id where t.slug = $1 order by p.code`, [tenant]),
      agents: await sql(`select a.code as agent, ta.is_enabled, p.code as persona from tenant_agents ta
        join tenants t on t.id = ta.tenant_id join agents a on a.id = ta.agent_id
        left join personas p on p.id = ta.persona_id where t.slug = $1 order by a.code`, [tenant]),
    });
    const claimFor = async (agent, tenant = "synced-co") => {
      const { turn_id } = await rpc("salient_begin_turn", turn({ p_tenant: tenant, p_agent: agent, p_session_key: `sk-sync-${agent}` }));
      return (await rpc("salient_claim_turn", { p_tenant: tenant, p_turn_id: turn_id })).persona;
    };

    test("sync_config creates the tenant, its personas and tenant_agents; claim_turn returns the agent's persona", async () => {
      assert.deepEqual(await sync(syncPersonas(), { sales: { persona: "sales", enabled: true, name: "x", llm: {} } }, "sales"),
        { personas: 2, agents: 1 });
      assert.deepEqual(await syncedRows(), {
        personas: [
          { code: "sales", name: "Advisor", description: "Sells", system_prompt: "You sell for {{app_name}}.", is_default: true },
          { code: "support", name: "Help desk", description: "", system_prompt: "You help.", is_default: false },
        ],
        agents: [{ agent: "sales", is_enabled: true, persona: "sales" }],
      });
      assert.deepEqual(await claimFor("sales"),
        { code: "sales", name: "Advisor", system_prompt: "You sell for {{app_name}}." });
      // Re-running the same config changes nothing.
      const before = await sql(`select p.* from personas p join tenants t on t.id = p.tenant_id where t.slug = 'synced-co'
        order by p.code`);
      assert.deepEqual(await sync(syncPersonas(), { sales: { persona: "sales", enabled: true } }, "sales"),
        { personas: 2, agents: 1 });
      assert.deepEqual(await sql(`select p.* from personas p join tenants t on t.id = p.tenant_id
        where t.slug = 'synced-co' order by p.code`), before);
      const [{ n }] = await sql("select count(*)::int as n from tenants where slug = 'synced-co'");
      assert.equal(n, 1);
    });

    test("sync_config updates a changed prompt, moves the default, and leaves other personas alone", async () => {
      await sync(syncPersonas(), { sales: { persona: "sales", enabled: true } }, "sales", "resync-co");
      // A persona made by hand, not in the config.
      await sql(`insert into personas (tenant_id, code, name, system_prompt)
        select id, 'by-hand', 'By hand', 'Hand-written.' from tenants where slug = 'resync-co'`);
      const changed = syncPersonas({ sales: { name: "Advisor 2", description: null, system_prompt: "New prompt." } });
      assert.deepEqual(await sync(changed, { sales: { persona: "sales" }, support: { persona: "support", enabled: false } },
        "support", "resync-co"), { personas: 2, agents: 2 });
      assert.deepEqual(await syncedRows("resync-co"), {
        personas: [
          { code: "by-hand", name: "By hand", description: null, system_prompt: "Hand-written.", is_default: false },
          { code: "sales", name: "Advisor 2", description: null, system_prompt: "New prompt.", is_default: false },
          { code: "support", name: "Help desk", description: "", system_prompt: "You help.", is_default: true },
        ],
        agents: [
          { agent: "sales", is_enabled: true, persona: "sales" },
          { agent: "support", is_enabled: false, persona: "support" },
        ],
      });
      assert.deepEqual(await claimFor("sales", "resync-co"), { code: "sales", name: "Advisor 2", system_prompt: "New prompt." });
      // support is switched off (enabled: false): its turns are refused, and nothing is stored.
      const off = await rpcError("salient_begin_turn",
        turn({ p_tenant: "resync-co", p_agent: "support", p_session_key: "sk-sync-support" }));
      assert.equal(off.code, "PT404");
      // An agent the config does not name gets the tenant's default.
      assert.equal((await claimFor("elsewhere", "resync-co")).code, "support");
      // An agent may use a hand-made persona; the default moves to it, and without a default
      // agent no is_default changes.
      await sync({}, { sales: { persona: "by-hand" } }, "sales", "resync-co");
      assert.deepEqual((await syncedRows("resync-co")).personas.filter((p) => p.is_default).map((p) => p.code), ["by-hand"]);
      assert.equal((await claimFor("sales", "resync-co")).code, "by-hand");
      await sync({}, { sales: { persona: "sales" } }, null, "resync-co");
      assert.deepEqual((await syncedRows("resync-co")).personas.filter((p) => p.is_default).map((p) => p.code), ["by-hand"]);
      assert.equal((await claimFor("sales", "resync-co")).code, "sales");
      // Another tenant's rows are untouched throughout.
      assert.equal((await syncedRows()).personas.find((p) => p.code === "sales").system_prompt, "You sell for {{app_name}}.");
    });

    test("sync_config refuses bad shapes with 22P02 and writes nothing", async () => {
      const good = syncPersonas();
      const agents = { sales: { persona: "sales" } };
      const cases = [
        [{ p_tenant: "" }, /p_tenant/],
        [{ p_personas: null }, /p_personas: expected a JSON object/],
        [{ p_personas: json(["sales"]) }, /p_personas: expected a JSON object/],
        [{ p_personas: json("sales") }, /p_personas: expected a JSON object/],
        [{ p_personas: { sales: "x" } }, /persona sales must be a JSON object/],
        [{ p_personas: { ...good, sales: { system_prompt: "x" } } }, /persona sales: name must be a non-empty string/],
        [{ p_personas: { ...good, sales: { name: "", system_prompt: "x" } } }, /persona sales: name must be/],
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
        const err = await rpcError("salient_sync_config",
          { p_tenant: "bad-co", p_personas: good, p_agents: agents, p_default_agent: "sales", ...over });
        assert.equal(err.code, "22P02", JSON.stringify(over));
        assert.match(err.message, message);
      }
      const [{ n }] = await sql("select count(*)::int as n from tenants where slug = 'bad-co'");
      assert.equal(n, 0, "nothing was written, not even the tenant");
    });

    test("configSyncArgs: the compiled config as sync_config's arguments", async () => {
      const args = configSyncArgs(compiled);
      assert.equal(args.p_tenant, compiled.app.tenant);
      assert.equal(args.p_default_agent, compiled.app.default_agent);
      assert.deepEqual(Object.keys(args.p_personas), Object.keys(compiled.personas));
      for (const a of Object.values(args.p_agents)) assert.deepEqual(Object.keys(a), ["persona", "enabled"]);
      assert.deepEqual(await rpc("salient_sync_config", { ...args, p_tenant: "compiled-co" }),
        { personas: Object.keys(compiled.personas).length, agents: Object.keys(compiled.agents).length });
      const persona = compiled.agents[compiled.app.default_agent].persona;
      assert.equal((await claimFor(compiled.app.default_agent, "compiled-co")).system_prompt,
        compiled.personas[persona].system_prompt);
    });

    // tenant_agents.is_enabled is enforced; a missing row is an enabled agent.
    const setEnabled = (tenant, agent, enabled) => sql(`update tenant_agents set is_enabled = $3
      where tenant_id = (select id from tenants where slug = $1) and agent_id = (select id from agents where code = $2)`,
    [tenant, agent, enabled]);
    const notEnabled = (err, tenant, agent) => {
      assert.equal(err.code, "PT404", `PostgREST: 404 (${err.message})`);
      assert.equal(err.message, `agent "${agent}" is not enabled for tenant "${tenant}"`);
      assert.equal(err.hint, `enable it in salient.yaml (agents.${agent}.enabled: true) and sync the config, ` +
        "or set tenant_agents.is_enabled for this tenant");
    };
    const storedFor = async (tenant) => (await sql(`select count(*)::int as n from messages m
      join tenants t on t.id = m.tenant_id where t.slug = $1`, [tenant]))[0].n;

    test("a tenant's disabled agent: begin_turn, claim_turn and the history functions are PT404 until re-enabled", async () => {
      const first = turn({ p_tenant: "switch-co", p_agent: "support", p_session_key: "sk-switch" });
      const pending = await rpc("salient_begin_turn", first);
      assert.equal(pending.duplicate, false, "no row yet: the agent is enabled, and begin_turn makes its row");
      const [row] = await sql(`select ta.is_enabled from tenant_agents ta join tenants t on t.id = ta.tenant_id
        join agents a on a.id = ta.agent_id where t.slug = 'switch-co' and a.code = 'support'`);
      assert.deepEqual(row, { is_enabled: true });
      const theirs = await rpc("salient_begin_turn",
        turn({ p_tenant: "switch-other", p_agent: "support", p_session_key: "sk-switch" }));

      await setEnabled("switch-co", "support", false);
      notEnabled(await rpcError("salient_begin_turn", turn({ p_tenant: "switch-co", p_agent: "support",
        p_session_key: "sk-switch" })), "switch-co", "support");
      notEnabled(await rpcError("salient_begin_turn", first), "switch-co", "support"); // a resubmission too
      notEnabled(await rpcError("salient_begin_turn", turn({ p_tenant: "switch-co", p_agent: "support",
        p_session_key: "sk-switch-new" })), "switch-co", "support");
      assert.equal(await storedFor("switch-co"), 1, "nothing stored");
      notEnabled(await rpcError("salient_claim_turn", { p_tenant: "switch-co", p_turn_id: pending.turn_id }),
        "switch-co", "support");
      const [{ claimed }] = await sql("select stream_claimed_at is not null as claimed from messages where id = $1",
        [pending.turn_id]);
      assert.equal(claimed, false, "a refused claim does not use the turn up");
      notEnabled(await rpcError("salient_session_history",
        { p_tenant: "switch-co", p_agent: "support", p_session_key: "sk-switch" }), "switch-co", "support");
      notEnabled(await rpcError("salient_list_sessions",
        { p_tenant: "switch-co", p_agent: "support", p_session_keys: ["sk-switch"] }), "switch-co", "support");
      // An unknown turn is still not_found, and bad arguments are still 22P02.
      assert.deepEqual(await rpc("salient_claim_turn", { p_tenant: "switch-co", p_turn_id: crypto.randomUUID() }),
        { status: "not_found" });
      assert.equal((await rpcError("salient_session_history",
        { p_tenant: "switch-co", p_agent: "support", p_session_key: "sk-switch", p_limit: 0 })).code, "22P02");

      // The tenant's other agents, and the same agent of another tenant, are unaffected.
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "switch-co", p_agent: "sales",
        p_session_key: "sk-switch-sales" }))).duplicate, false);
      assert.equal((await rpc("salient_claim_turn", { p_tenant: "switch-other", p_turn_id: theirs.turn_id })).status,
        "claimed");
      assert.equal((await rpc("salient_session_history",
        { p_tenant: "switch-other", p_agent: "support", p_session_key: "sk-switch" })).messages.length, 1);

      // Switched on again: the pending turn is claimed (once), new turns are stored.
      await setEnabled("switch-co", "support", true);
      const claim = await rpc("salient_claim_turn", { p_tenant: "switch-co", p_turn_id: pending.turn_id });
      assert.equal(claim.status, "claimed");
      assert.equal(claim.agent, "support");
      assert.deepEqual(await rpc("salient_claim_turn", { p_tenant: "switch-co", p_turn_id: pending.turn_id }),
        { status: "already_claimed" });
      assert.deepEqual(await rpc("salient_begin_turn", first), { ...pending, duplicate: true });
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "switch-co", p_agent: "support",
        p_session_key: "sk-switch" }))).duplicate, false);
      assert.equal((await rpc("salient_session_history",
        { p_tenant: "switch-co", p_agent: "support", p_session_key: "sk-switch" })).messages.length, 2);
      assert.equal((await rpc("salient_list_sessions",
        { p_tenant: "switch-co", p_agent: "support", p_session_keys: ["sk-switch"] })).sessions.length, 1);
    });

    test("sync_config's enabled: false switches the tenant's agent off, enabled: true on again", async () => {
      const agents = (support, sales = true) =>
        ({ sales: { persona: "sales", enabled: sales }, support: { persona: "support", enabled: support } });
      await sync(syncPersonas(), agents(false), "sales", "sync-switch-co");
      const support = turn({ p_tenant: "sync-switch-co", p_agent: "support", p_session_key: "sk-sync-switch" });
      notEnabled(await rpcError("salient_begin_turn", support), "sync-switch-co", "support");
      assert.equal(await storedFor("sync-switch-co"), 0);
      const sales = await rpc("salient_begin_turn",
        turn({ p_tenant: "sync-switch-co", p_agent: "sales", p_session_key: "sk-sync-sales" }));
      // An agent the config does not name has no row: enabled.
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "sync-switch-co", p_agent: "elsewhere",
        p_session_key: "sk-sync-elsewhere" }))).duplicate, false);
      // Another tenant's support agent is not switched off by this tenant's config.
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "sync-switch-other", p_agent: "support",
        p_session_key: "sk-sync-switch" }))).duplicate, false);

      await sync(syncPersonas(), agents(true), "sales", "sync-switch-co");
      assert.equal((await rpc("salient_begin_turn", support)).duplicate, false);
      // sales switched off after its turn was stored: the turn cannot be claimed until it is back.
      await sync(syncPersonas(), agents(true, false), "support", "sync-switch-co");
      notEnabled(await rpcError("salient_claim_turn", { p_tenant: "sync-switch-co", p_turn_id: sales.turn_id }),
        "sync-switch-co", "sales");
      await sync(syncPersonas(), agents(true, true), "sales", "sync-switch-co");
      assert.equal((await rpc("salient_claim_turn", { p_tenant: "sync-switch-co", p_turn_id: sales.turn_id })).status,
        "claimed");
    });

  });
}
