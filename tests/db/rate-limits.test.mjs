// The chat's abuse limits in the state store (issue 19) on PGlite and a real PostgreSQL 15:
// salient_begin_turn's p_limits (messages per minute and tokens per day, per client address,
// session and tenant; a refused message stores nothing; a resubmission is not counted), the
// address's key carried onto the answer's llm_requests row, emails per hour inside the
// functions that claim an email (all or nothing), and salient_sync_config mirroring an agent's
// rate_limits into tenant_agents.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { backends, client, json, pgSkip } from "./backends.mjs";
import { replyId } from "./handoffs-support.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

const limits = (over = {}) => json({
  ip_key: over.ip_key ?? "ip-a",
  messages_per_minute: { ip: 0, session: 0, tenant: 0, ...over.messages_per_minute },
  tokens_per_day: { ip: 0, session: 0, tenant: 0, ...over.tokens_per_day },
});

for (const backend of backends()) {
  describe(`rate limits on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, c;
    before(async () => {
      db = await backend.open();
      c = client(db.adapter);
    });
    after(() => db?.close());

    let n = 0;
    const begin = (tenant, session, p_limits, key = `idem-${++n}-${Date.now()}`) => c.rpc("salient_begin_turn", {
      p_tenant: tenant, p_agent: "sales", p_session_key: session, p_idempotency_key: key,
      p_message_id: crypto.randomUUID(), p_content: `message ${n}`, p_limits,
    });
    const userMessages = async (tenant) => (await c.sql(`select count(*)::int as n from messages
        where tenant_id = (select id from tenants where slug = $1) and role = 'user'`, [tenant]))[0].n;
    const answer = async (tenant, turn, tokens) => c.rpc("salient_finish_turn", {
      p_tenant: tenant, p_turn_id: turn, p_message_id: crypto.randomUUID(), p_content: "answer",
      p_metadata: json({ mode: "llm" }), p_llm_request: json({ model: "m/x", total_tokens: tokens }),
    });

    test("messages per minute per session: the next is refused with its wait, stores nothing; a resubmission passes", async () => {
      const t = "rl-session";
      const lim = limits({ messages_per_minute: { session: 2 } });
      const first = await begin(t, "sess-one-aaaa", lim, "idem-first");
      await begin(t, "sess-one-aaaa", lim);
      const refused = await begin(t, "sess-one-aaaa", lim);
      assert.equal(refused.status, "limited");
      assert.equal(refused.limit, "messages_per_minute");
      assert.equal(refused.scope, "session");
      assert.ok(refused.retry_after >= 1 && refused.retry_after <= 60, `retry_after ${refused.retry_after}`);
      assert.equal(await userMessages(t), 2, "the refused message is not stored");
      const again = await begin(t, "sess-one-aaaa", lim, "idem-first");
      assert.deepEqual([again.turn_id, again.duplicate], [first.turn_id, true], "a resubmission is answered, not limited");
      const other = await begin(t, "sess-two-aaaa", lim);
      assert.ok(other.turn_id, "another session has its own count");
    });

    test("messages per minute per address and per tenant; an empty address key skips the address's limit", async () => {
      const t = "rl-ip";
      const lim = limits({ ip_key: "ip-b", messages_per_minute: { ip: 2 } });
      await begin(t, "sess-ip-1aaa", lim);
      await begin(t, "sess-ip-2aaa", lim);
      const refused = await begin(t, "sess-ip-3aaa", lim);
      assert.deepEqual([refused.status, refused.scope], ["limited", "ip"], "new sessions from one address are counted together");
      assert.ok((await begin(t, "sess-ip-3aaa", limits({ ip_key: "ip-c", messages_per_minute: { ip: 2 } }))).turn_id);
      assert.ok((await begin(t, "sess-ip-4aaa", limits({ ip_key: "", messages_per_minute: { ip: 1 } }))).turn_id);

      const u = "rl-tenant";
      const tl = (ip) => limits({ ip_key: ip, messages_per_minute: { tenant: 3 } });
      for (const ip of ["x1", "x2", "x3"]) assert.ok((await begin(u, `sess-${ip}-aaaa`, tl(ip))).turn_id);
      const full = await begin(u, "sess-x4-aaaa", tl("x4"));
      assert.deepEqual([full.status, full.scope], ["limited", "tenant"]);
      assert.ok((await begin("rl-tenant-other", "sess-x4-aaaa", tl("x4"))).turn_id, "another tenant is not affected");
    });

    test("all or nothing: a refusal by the tenant's limit counts no slot of the address or session", async () => {
      const t = "rl-atomic";
      await begin(t, "sess-at-1aaa", limits({ ip_key: "ip-z", messages_per_minute: { tenant: 1 } }));
      const lim = limits({ ip_key: "ip-y", messages_per_minute: { ip: 1, session: 1, tenant: 1 } });
      assert.equal((await begin(t, "sess-at-2aaa", lim)).scope, "tenant");
      const hits = await c.sql(`select bucket, count(*)::int as n from rate_hits
          where tenant_id = (select id from tenants where slug = $1) group by bucket order by bucket`, [t]);
      assert.deepEqual(hits, [{ bucket: "chat_tenant", n: 1 }], "only the first message's tenant slot");
    });

    test("tokens per day: the address's key reaches the answer's llm_requests row; over the session's, address's or tenant's tokens is refused", async () => {
      const t = "rl-tokens";
      const a = await begin(t, "sess-tok-1aa", limits({ ip_key: "ip-t" }));
      await answer(t, a.turn_id, 900);
      const [row] = await c.sql("select ip_key, total_tokens from llm_requests where session_id = $1", [a.session_id]);
      assert.deepEqual(row, { ip_key: "ip-t", total_tokens: 900 });

      const session = await begin(t, "sess-tok-1aa", limits({ ip_key: "ip-t", tokens_per_day: { session: 900 } }));
      assert.deepEqual([session.status, session.limit, session.scope], ["limited", "tokens_per_day", "session"]);
      assert.ok(session.retry_after > 86000 && session.retry_after <= 86400, `a day's wait, got ${session.retry_after}`);
      assert.ok((await begin(t, "sess-tok-1aa", limits({ ip_key: "ip-t", tokens_per_day: { session: 901 } }))).turn_id);

      const ip = await begin(t, "sess-tok-2aa", limits({ ip_key: "ip-t", tokens_per_day: { ip: 500 } }));
      assert.deepEqual([ip.status, ip.scope], ["limited", "ip"], "a new session from the same address");
      assert.ok((await begin(t, "sess-tok-2aa", limits({ ip_key: "ip-u", tokens_per_day: { ip: 500 } }))).turn_id);

      const tenant = await begin(t, "sess-tok-3aa", limits({ ip_key: "ip-v", tokens_per_day: { tenant: 900 } }));
      assert.deepEqual([tenant.status, tenant.scope], ["limited", "tenant"]);
      // Yesterday's tokens do not count.
      await c.sql("update llm_requests set created_at = now() - interval '25 hours' where tenant_id = (select id from tenants where slug = $1)", [t]);
      assert.ok((await begin(t, "sess-tok-3aa", limits({ ip_key: "ip-v", tokens_per_day: { tenant: 900 } }))).turn_id);
    });

    test("no limits (null) behaves as before; a bad p_limits is refused before anything is written", async () => {
      const t = "rl-none";
      assert.ok((await begin(t, "sess-none-aa", null)).turn_id);
      const e = await c.rpcError("salient_begin_turn", {
        p_tenant: t, p_agent: "sales", p_session_key: "sess-none-aa", p_idempotency_key: "idem-bad-limits",
        p_message_id: crypto.randomUUID(), p_content: "x", p_limits: json({ ip_key: "k", tokens_per_day: [1] }),
      });
      assert.equal(e.code, "22P02");
      assert.equal(await userMessages(t), 1);
    });

    test("emails per hour, inside the functions that claim an email: all or nothing, 0 and empty keys skipped", async () => {
      const t = "rl-email";
      const now = Date.parse("2026-12-07T10:00:00Z");
      const limitsOf = (ip, session, { perIp = 2, perSession = 1, perTenant = 0 } = {}) => json([
        { scope: "ip", bucket: "email_ip", key: ip, limit: perIp, window_seconds: 3600 },
        { scope: "session", bucket: "email_session", key: session, limit: perSession, window_seconds: 3600 },
        { scope: "tenant", bucket: "email_tenant", key: "all", limit: perTenant, window_seconds: 3600 },
      ]);
      const say = async (session) => begin(t, session, null);
      const press = (session, at, limits) => c.rpc("salient_summary_claim", {
        p_tenant: t, p_agent: "sales", p_session_key: session, p_now_ms: at, p_idle_minutes: 30, p_limit: 1,
        p_lease_seconds: 300, p_per_session_per_day: 50, p_email_limits: limits });
      const handoff = (session, at, limits) => c.rpc("salient_handoff_start", {
        p_tenant: t, p_agent: "sales", p_session_key: session, p_reply_id: replyId(),
        p_trigger: "button", p_now_ms: at, p_reply_days: 30, p_quiet_minutes: 15, p_lease_seconds: 300,
        p_per_session_per_day: 50, p_email_limits: limits });
      const issue = (session, at, limits) => c.rpc("salient_otp_issue", {
        p_tenant: t, p_agent: "sales", p_purpose: "link_session", p_email: `${session}@example.com`,
        p_email_key: `ek-${session}-${at}`, p_session_key: session, p_code_hash: `h-${at}`, p_ip_key: "", p_now_ms: at,
        p_ip_limit: 100, p_daily_cap: 100, p_email_limits: limits });
      const hits = async (bucket) => (await c.sql(`select count(*)::int as n from rate_hits
          where tenant_id = (select id from tenants where slug = $1) and bucket = $2`, [t, bucket]))[0].n;

      await say("sess-em-1aaa");
      assert.equal((await press("sess-em-1aaa", now, limitsOf("ipA", "sess-em-1aaa"))).status, "claimed");
      await say("sess-em-1aaa");
      const refused = await handoff("sess-em-1aaa", now + 60_000, limitsOf("ipA", "sess-em-1aaa"));
      assert.deepEqual(refused, { status: "limited", limit: "emails_per_hour", scope: "session", retry_after: 3540 });
      assert.equal(await hits("email_ip"), 1, "the refusal took no slot of the address");
      assert.equal((await c.sql(`select count(*)::int as n from handoffs h join sessions s on s.id = h.session_id
          where s.session_key = 'sess-em-1aaa'`))[0].n, 0, "no handoff made");

      await say("sess-em-2aaa");
      assert.equal((await handoff("sess-em-2aaa", now + 60_000, limitsOf("ipA", "sess-em-2aaa"))).status, "claimed");
      await say("sess-em-3aaa");
      const byIp = await issue("sess-em-3aaa", now + 120_000, limitsOf("ipA", "sess-em-3aaa"));
      assert.deepEqual([byIp.status, byIp.limit, byIp.scope], ["limited", "emails_per_hour", "ip"]);
      assert.equal((await c.sql("select count(*)::int as n from otp_links where tenant_id = (select id from tenants where slug = $1)", [t]))[0].n, 0);
      const noIp = await issue("sess-em-3aaa", now + 120_000, limitsOf("", "sess-em-3aaa"));
      assert.equal(noIp.status, "issued", "no client address: its limit is skipped");
      await say("sess-em-4aaa");
      await say("sess-em-5aaa");
      assert.equal((await press("sess-em-4aaa", now + 180_000, limitsOf("ipB", "sess-em-4aaa", { perTenant: 1 }))).status,
        "claimed");
      const tenantCap = await press("sess-em-5aaa", now + 180_000, limitsOf("ipC", "sess-em-5aaa", { perTenant: 1 }));
      assert.deepEqual([tenantCap.status, tenantCap.scope], ["limited", "tenant"]);
      assert.equal((await press("sess-em-5aaa", now + 180_000, null)).status, "claimed", "no limits: as before");
    });

    test("salient_sync_config mirrors each agent's rate_limits into tenant_agents", async () => {
      const t = "rl-sync";
      const rl = { messages_per_minute: { ip: 5, session: 4, tenant: 100 } };
      await c.rpc("salient_sync_config", {
        p_tenant: t, p_personas: json({ sales: { name: "Sales", system_prompt: "Be helpful." } }),
        p_agents: json({ sales: { persona: "sales", enabled: true, rate_limits: rl } }),
      });
      const [row] = await c.sql(`select ta.rate_limits from tenant_agents ta join agents a on a.id = ta.agent_id
          where ta.tenant_id = (select id from tenants where slug = $1) and a.code = 'sales'`, [t]);
      assert.deepEqual(row.rate_limits, rl);
    });
  });
}
