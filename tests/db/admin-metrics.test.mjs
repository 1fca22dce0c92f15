// The admin view's figures and sign-in (db/functions/admin_metrics.sql, otp.sql's admin_sign_in,
// answers.sql's first_token_ms) against PGlite and PostgreSQL 15: the dashboard's days, the
// store's metrics, the cores' warnings, and the operator's one-time codes.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { admin, DAY, MIN, T0 } from "./admin-support.mjs";
import { backends, json, pgSkip } from "./backends.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

const hex = () => randomBytes(32).toString("hex");
const key = (email) => createHash("sha256").update(`email|${email}`).digest("hex");
const MIDNIGHT = Date.UTC(2026, 11, 7);  // 2026-12-07 00:00 UTC; T0 is 10:00 that day

for (const backend of backends()) {
  describe(`admin figures and sign-in on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, a;
    before(async () => {
      db = await backend.open();
      a = admin(db.adapter);
    });
    after(() => db?.close());

    test("daily: exactly p_days UTC days, oldest first, zeros filled, each event on its day; the month's spend", async () => {
      const t = a.tenant("daily");
      const late = await a.chat(t, "k-late", ["late"], { started: MIDNIGHT - 1, at: MIDNIGHT - 1 });
      await a.chat(t, "k-early", ["early"], { started: MIDNIGHT, at: MIDNIGHT });
      await a.chat(t, "k-out", ["too old"], { started: MIDNIGHT - 3 * DAY, at: MIDNIGHT - 3 * DAY });
      await a.summary(t, late, "LEAD", MIDNIGHT - 1);
      await a.handoff(t, late, MIDNIGHT - 2 * DAY + 1);
      await a.llm(t, late, MIDNIGHT + 30 * MIN, { cost: 0.5 });
      await a.llm(t, late, MIDNIGHT - DAY / 2, { cost: 0.25 });
      await a.llm(t, null, Date.UTC(2026, 11, 1), { cost: 1 });                            // this month
      await a.llm(t, null, Date.UTC(2026, 11, 1) - 1, { cost: 8 });                        // last month

      const out = await a.rpc("salient_admin_daily", { p_tenant: t, p_days: 3, p_now_ms: T0 });
      assert.deepEqual(out.days, [
        { day: "2026-12-05", conversations: 0, leads: 0, handoffs: 1, cost_usd: 0 },
        { day: "2026-12-06", conversations: 1, leads: 1, handoffs: 0, cost_usd: 0.25 },
        { day: "2026-12-07", conversations: 1, leads: 0, handoffs: 0, cost_usd: 0.5 },
      ]);
      assert.equal(out.month_cost_usd, 1.75);
      const one = await a.rpc("salient_admin_daily", { p_tenant: t, p_days: 1, p_now_ms: MIDNIGHT - 1 });
      assert.deepEqual(one.days, [{ day: "2026-12-06", conversations: 1, leads: 1, handoffs: 0, cost_usd: 0.25 }]);
      const long = await a.rpc("salient_admin_daily", { p_tenant: "no-such-tenant", p_days: 90, p_now_ms: T0 });
      assert.equal(long.days.length, 90);
      assert.deepEqual([long.days[0].day, long.days[89].day], ["2026-09-09", "2026-12-07"]);
      assert.ok(long.days.every((d) => d.conversations === 0 && d.cost_usd === 0));
      await a.refused("salient_admin_daily", { p_tenant: t, p_days: 0, p_now_ms: T0 }, "22023", "p_days");
      await a.refused("salient_admin_daily", { p_tenant: t, p_days: 91, p_now_ms: T0 }, "22023", "p_days");
    });

    test("metrics: model calls by agent and model, percentiles of the last 24 hours, emails, counts", async () => {
      const t = a.tenant("metrics");
      const s = await a.chat(t, "k-1", ["one", "two"]);
      const s2 = await a.chat(t, "k-2", ["three"]);
      for (let i = 1; i <= 10; i += 1) {
        await a.llm(t, s, T0 - i * MIN, { latency: i * 100, first: i * 10, cost: 0.01, prompt: 100, completion: 20 });
      }
      await a.llm(t, s, T0 - DAY - 1, { latency: 99_999, first: 99_999, cost: 1 });  // counted, not in the percentiles
      await a.llm(t, s, T0 + 1, { latency: 99_999, first: 99_999, cost: 0 });       // after p_now_ms
      await a.llm(t, null, T0 - MIN, { model: "m2", latency: null, first: null, cost: 0.5, prompt: 7, completion: 3 });
      await a.summary(t, s, "LEAD", T0);
      await a.update(t, s2, "won");
      await a.handoff(t, s, T0, "closed");
      await a.handoff(t, s2, T0, "open");
      await a.email(t, s, { kind: "summary" });
      await a.email(t, s, { kind: "summary" });
      await a.email(t, s, { kind: "summary", status: "failed" });
      await a.email(t, s2, { kind: "otp_code", status: "queued" });

      const m = await a.rpc("salient_admin_metrics", { p_tenant: t, p_now_ms: T0 });
      assert.deepEqual(m.llm, [
        { agent: "sales", model: "m1", requests: 12, prompt_tokens: 1020, completion_tokens: 210, cost_usd: 1.1 },
        { agent: null, model: "m2", requests: 1, prompt_tokens: 7, completion_tokens: 3, cost_usd: 0.5 },
      ]);
      assert.deepEqual(m.answer_ms, { count: 10, p50: 500, p90: 900, p99: 1000 });
      assert.deepEqual(m.first_token_ms, { count: 10, p50: 50, p90: 90, p99: 100 });
      assert.deepEqual(m.emails, [{ kind: "otp_code", status: "queued", count: 1 },
        { kind: "summary", status: "failed", count: 1 }, { kind: "summary", status: "sent", count: 2 }]);
      assert.deepEqual([m.conversations, m.messages, m.leads], [2, 6, 2]);
      assert.deepEqual(m.handoffs, [{ status: "closed", count: 1 }, { status: "open", count: 1 }]);
      assert.equal(m.rate_limited_ok, true);
      const empty = await a.rpc("salient_admin_metrics", { p_tenant: t, p_now_ms: T0 + 3 * DAY });
      assert.deepEqual(empty.answer_ms, { count: 0, p50: null, p90: null, p99: null });
      assert.deepEqual(empty.first_token_ms, { count: 0, p50: null, p90: null, p99: null });
    });

    test("finish_turn stores first_token_ms; a negative or fractional one stores nothing", async () => {
      const t = a.tenant("first");
      const { turn_id } = await a.rpc("salient_begin_turn", a.turn({ p_tenant: t }));
      const finish = (llm) => ({ p_tenant: t, p_turn_id: turn_id, p_message_id: crypto.randomUUID(), p_content: "ok",
        p_llm_request: { model: "m", latency_ms: 900, ...llm } });
      await a.refused("salient_finish_turn", finish({ first_token_ms: -1 }), "22P02", "p_llm_request");
      await a.refused("salient_finish_turn", finish({ first_token_ms: 1.5 }), "22P02", "p_llm_request");
      assert.equal(await a.count("llm_requests r join tenants x on x.id = r.tenant_id", "x.slug = $1", [t]), 0);
      await a.rpc("salient_finish_turn", finish({ first_token_ms: 123 }));
      const [row] = await a.sql(`select first_token_ms, latency_ms from llm_requests r join tenants x on x.id = r.tenant_id
        where x.slug = $1`, [t]);
      assert.deepEqual(row, { first_token_ms: 123, latency_ms: 900 });
      // A claimed turn's answer time is the database's own: claim to stored answer.
      const second = await a.rpc("salient_begin_turn", a.turn({ p_tenant: t, p_idempotency_key: "idem-second-1" }));
      await a.sql(`update messages set stream_claimed_at = now() - interval '2.5 seconds' where id = $1`, [second.turn_id]);
      await a.rpc("salient_finish_turn", { ...finish({ first_token_ms: 40 }), p_turn_id: second.turn_id });
      const [claimed] = await a.sql(`select latency_ms from llm_requests r join messages m on m.id = r.message_id
        where m.turn_id = $1`, [second.turn_id]);
      assert.ok(claimed.latency_ms >= 2500 && claimed.latency_ms < 60000, `latency_ms ${claimed.latency_ms}`);
    });

    test("log_append keeps the newest 1000 lines; warnings newest first; a bad line stores nothing", async () => {
      const t = a.tenant("log");
      const line = (i, over = {}) => ({ ts_ms: T0 + i, level: i % 2 ? "error" : "warn", event: `e${i}`, module: "chat",
        fields: { i }, ...over });
      for (let batch = 0; batch < 11; batch += 1) {
        const lines = Array.from({ length: 100 }, (_, j) => line(batch * 100 + j));
        assert.deepEqual(await a.rpc("salient_log_append", { p_tenant: t, p_lines: json(lines) }), { stored: 100 });
      }
      const { warnings } = await a.rpc("salient_admin_warnings", { p_tenant: t, p_limit: 1000 });
      assert.equal(warnings.length, 1000);
      assert.deepEqual(warnings[0], { ts_ms: T0 + 1099, level: "error", event: "e1099", module: "chat", fields: { i: 1099 } });
      assert.equal(warnings.at(-1).event, "e100", "the oldest 100 are gone");
      assert.equal(await a.count("log_events l join tenants x on x.id = l.tenant_id", "x.slug = $1", [t]), 1000);
      // An older line arriving late is older than the newest 1000: it does not stay.
      await a.rpc("salient_log_append", { p_tenant: t, p_lines: json([line(-5)]) });
      assert.equal((await a.rpc("salient_admin_warnings", { p_tenant: t })).warnings.length, 100, "default limit");
      assert.equal((await a.rpc("salient_admin_warnings", { p_tenant: t, p_limit: 1000 })).warnings.at(-1).event, "e100");

      const u = a.tenant("log-bad");
      await a.rpc("salient_log_append", { p_tenant: u, p_lines: json([line(1, { module: undefined, fields: null })]) });
      const bad = [{ level: "info" }, { level: "WARN" }, { event: "" }, { event: "x".repeat(101) }, { module: "m".repeat(21) },
        { fields: "text" }, { fields: { big: "b".repeat(4100) } }, { ts_ms: "1" }, { ts_ms: 1.5 }, { ts_ms: -1 }];
      for (const over of bad) {
        await a.refused("salient_log_append", { p_tenant: u, p_lines: json([line(2), line(3, over)]) }, "22023", "p_lines");
      }
      const many = Array.from({ length: 101 }, (_, i) => line(i));
      await a.refused("salient_log_append", { p_tenant: u, p_lines: json(many) }, "22023", "p_lines");
      await a.refused("salient_log_append", { p_tenant: u, p_lines: json(line(4)) }, "22023", "p_lines");
      const { warnings: kept } = await a.rpc("salient_admin_warnings", { p_tenant: u });
      assert.deepEqual(kept, [{ ts_ms: T0 + 1, level: "error", event: "e1", module: "", fields: {} }], "only the good call's line");
      assert.deepEqual((await a.rpc("salient_admin_warnings", { p_tenant: "no-such-tenant" })).warnings, []);
      await a.refused("salient_admin_warnings", { p_tenant: u, p_limit: 0 }, "22023", "p_limit");
    });

    test("admin_sign_in codes: no conversation, verify links nothing, their own IP and daily limits", async () => {
      const t = a.tenant("signin");
      const issue = (email, { purpose = "admin_sign_in", ip = "ip-1", ipLimit = 5, cap = 2, tenant = t, now = T0 } = {}) =>
        a.rpc("salient_otp_issue", { p_tenant: tenant, p_agent: purpose === "admin_sign_in" ? "" : "sales",
          p_purpose: purpose, p_email: email, p_email_key: key(email), p_session_key: null, p_code_hash: hex(),
          p_ip_key: ip, p_now_ms: now, p_ip_limit: ipLimit, p_daily_cap: cap });
      async function sent(tenant, out, email) {
        const { email_id } = await a.rpc("salient_email_queue", { p_tenant: tenant, p_session_id: null, p_to: email,
          p_subject: "Sign in", p_text: "code ••••••", p_html: "<p>••••••</p>", p_kind: "admin_code", p_otp_id: out.otp_id });
        await a.rpc("salient_email_result", { p_tenant: tenant, p_email_id: email_id, p_status: "sent", p_provider_id: "x",
          p_provider_response: {}, p_now_ms: T0 });
      }
      await a.chat(t, "k-visitor", ["hello"]);
      const counts = async () => Promise.all(["sessions", "profiles", "consents", "erasures"].map((x) => a.count(x)));
      const before = await counts();

      const hash = hex();
      const out = await a.rpc("salient_otp_issue", { p_tenant: t, p_agent: null, p_purpose: "admin_sign_in",
        p_email: "Owner@Site.example", p_email_key: key("owner@site.example"), p_session_key: null, p_code_hash: hash,
        p_ip_key: "ip-0", p_now_ms: T0, p_ip_limit: 5, p_daily_cap: 5 });
      assert.equal(out.status, "issued", "an address that holds nothing still gets its code");
      assert.equal(out.session_id, null);
      await sent(t, out, "owner@site.example");
      const verify = (code, over = {}) => a.rpc("salient_otp_verify", { p_tenant: t, p_agent: "", p_purpose: "admin_sign_in",
        p_email: "owner@site.example", p_email_key: key("owner@site.example"), p_session_key: null, p_code_hash: code,
        p_now_ms: T0 + MIN, p_consent_version: null, ...over });
      assert.deepEqual(await verify(hex()), { status: "wrong", tries_left: 4 });
      assert.notEqual((await verify(hash, { p_purpose: "delete_data", p_agent: "sales" })).status, "erased", "bound to its purpose");
      assert.deepEqual(await verify(hash), { status: "verified" });
      assert.deepEqual(await verify(hash), { status: "expired" }, "used once");
      assert.deepEqual(await counts(), before, "no session, profile, consent or erasure touched");
      // A code never sent (an unlisted address's, made by flows/admin) is answered alike: wrong, then right.
      const unsentHash = hex();
      const unsent = await a.rpc("salient_otp_issue", { p_tenant: t, p_agent: null, p_purpose: "admin_sign_in",
        p_email: "else@site.example", p_email_key: key("else@site.example"), p_session_key: null, p_code_hash: unsentHash,
        p_ip_key: "ip-0", p_now_ms: T0, p_ip_limit: 5, p_daily_cap: 5 });
      assert.equal(unsent.status, "issued");
      const unlisted = { p_email: "else@site.example", p_email_key: key("else@site.example") };
      assert.deepEqual(await verify(hex(), unlisted), { status: "wrong", tries_left: 4 });
      assert.deepEqual(await verify(unsentHash, unlisted), { status: "verified" });

      // The daily cap counts only sign-in codes: two with cap 2, a third refused; visitors' codes still go out.
      const u = a.tenant("signin-cap");
      assert.equal((await issue("a1@site.example", { tenant: u, ip: "ip-a" })).status, "issued");
      assert.equal((await issue("a2@site.example", { tenant: u, ip: "ip-b" })).status, "issued");
      const capped = await issue("a3@site.example", { tenant: u, ip: "ip-c" });
      assert.deepEqual([capped.status, capped.limit], ["limited", "tenant"]);
      const visitor = await issue("v@example.com", { tenant: u, purpose: "delete_data", ip: "ip-d" });
      assert.equal(visitor.status, "nothing_held", "a visitor's code is not refused by the sign-in codes' cap");
      const w = a.tenant("signin-cap2");
      for (const e of ["v1", "v2"]) await issue(`${e}@example.com`, { tenant: w, purpose: "delete_data", ip: `ip-${e}` });
      assert.equal((await issue("a@site.example", { tenant: w, ip: "ip-z" })).status, "issued", "visitors' codes do not count");
      // And the per-IP limit likewise.
      const v = a.tenant("signin-ip");
      assert.equal((await issue("b1@site.example", { tenant: v, ipLimit: 1, cap: 9 })).status, "issued");
      const ipLimited = await issue("b2@site.example", { tenant: v, ipLimit: 1, cap: 9 });
      assert.deepEqual([ipLimited.status, ipLimited.limit], ["limited", "ip"]);
      const other = await issue("v3@example.com", { tenant: v, purpose: "delete_data", ipLimit: 1, cap: 9 });
      assert.equal(other.status, "nothing_held");
      await a.refused("salient_otp_issue", { p_tenant: t, p_agent: "sales", p_purpose: "sign_in", p_email: "x@y.z",
        p_email_key: key("x@y.z"), p_session_key: null, p_code_hash: hex(), p_ip_key: "i", p_now_ms: T0, p_ip_limit: 1,
        p_daily_cap: 1 }, "22P02", "p_purpose");
    });

    test("a visitor's delete_data code runs the same erasure, recorded as the visitor's", async () => {
      const t = a.tenant("privacy");
      const email = "pat@example.com";
      const s = await a.chat(t, "k-pat", [`I am ${email}`]);
      await a.update(t, s, "contacted");
      const hash = hex();
      const args = { p_tenant: t, p_agent: "sales", p_purpose: "delete_data", p_email: email, p_email_key: key(email),
        p_session_key: null, p_code_hash: hash };
      const out = await a.rpc("salient_otp_issue", { ...args, p_ip_key: "ip", p_now_ms: T0, p_ip_limit: 5, p_daily_cap: 5 });
      const { email_id } = await a.rpc("salient_email_queue", { p_tenant: t, p_session_id: null, p_to: email, p_subject: "c",
        p_text: "c", p_html: "c", p_kind: "otp_code", p_otp_id: out.otp_id });
      await a.rpc("salient_email_result", { p_tenant: t, p_email_id: email_id, p_status: "sent", p_provider_id: "x",
        p_provider_response: {}, p_now_ms: T0 });
      const erased = await a.rpc("salient_otp_verify", { ...args, p_now_ms: T0, p_consent_version: null });
      assert.equal(erased.status, "erased");
      assert.deepEqual([erased.counts.sessions, erased.counts.leads], [1, 1]);
      const [rec] = await a.sql(`select e.source, e.erased_by, e.email_key from erasures e join tenants x on x.id = e.tenant_id
        where x.slug = $1`, [t]);
      assert.deepEqual(rec, { source: "visitor", erased_by: null, email_key: key(email) });
    });
  });
}
