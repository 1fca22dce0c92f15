// The one-time-code rules, the general rate check, the email records and erasure
// (db/functions/{otp,visitors,email,rate_limits}.sql) against PGlite and PostgreSQL 15. The
// clock is the caller's (p_now_ms): every expiry and window is tested by moving it.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { backends, client, pgSkip } from "./backends.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const MIN = 60_000;
const hex = () => randomBytes(32).toString("hex");

for (const backend of backends()) {
  describe(`one-time codes on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, sql, rpc, turn;
    before(async () => {
      db = await backend.open();
      ({ sql, rpc, turn } = client(db.adapter));
    });
    after(() => db?.close());

    let n = 0;
    /** A fresh address (and its key) per case, so cases do not share counters. */
    function visitor(purpose = "link_session", over = {}) {
      n += 1;
      const email = `visitor${n}@example.com`;
      return { p_tenant: "acme", p_agent: "sales", p_purpose: purpose, p_email: email, // The core sends keyed hashes (HMAC with SALIENT_OTP_SECRET); a plain hash stands in here.
      p_email_key: createHash("sha256").update(`email|${email}`).digest("hex"),
        p_session_key: purpose === "link_session" ? `sess-otp-${n}` : null, ...over };
    }
    async function chat(v, content = "hello") {
      await rpc("salient_begin_turn", turn({ p_tenant: v.p_tenant, p_session_key: v.p_session_key ?? `s-${v.p_email}`, p_content: content }));
    }
    /** Issues a code and reports its email sent: { hash, otp_id } (or the refusal). */
    async function issue(v, now = T0, { sent = true, ip = createHash("sha256").update(`ip|${v.p_email}`).digest("hex"), ipLimit = 10, cap = 500 } = {}) {
      const hash = hex();
      const out = await rpc("salient_otp_issue", { ...v, p_code_hash: hash, p_ip_key: ip, p_now_ms: now,
        p_ip_limit: ipLimit, p_daily_cap: cap });
      if (out.status !== "issued") return out;
      const { email_id } = await rpc("salient_email_queue", { p_tenant: v.p_tenant, p_session_id: out.session_id,
        p_to: v.p_email, p_subject: "Your code", p_text: "code ••••••", p_html: "<p>••••••</p>", p_kind: "otp_code",
        p_otp_id: out.otp_id });
      await rpc("salient_email_result", { p_tenant: v.p_tenant, p_email_id: email_id, p_status: sent ? "sent" : "failed",
        p_provider_id: sent ? "<id@mg>" : null, p_provider_response: { status: sent ? 200 : 503 }, p_now_ms: now });
      return { ...out, hash };
    }
    const verify = (v, hash, now = T0) =>
      rpc("salient_otp_verify", { ...v, p_code_hash: hash, p_now_ms: now, p_consent_version: "link-v1" });

    test("a code verifies once; it is stored only as its hash", async () => {
      const v = visitor();
      await chat(v);
      const code = await issue(v);
      assert.equal(code.status, "issued");
      const [row] = await sql("select otp_hash, status, email from otp_links where id = $1", [code.otp_id]);
      assert.deepEqual(row, { otp_hash: code.hash, status: "sent", email: v.p_email });
      const ok = await verify(v, code.hash, T0 + MIN);
      assert.equal(ok.status, "verified");
      assert.equal(ok.profile.email, v.p_email);
      assert.equal(ok.profile.verified, true);
      assert.deepEqual(ok.session_keys, [v.p_session_key]);
      assert.equal((await verify(v, code.hash, T0 + 2 * MIN)).status, "expired", "replay refused");
      const [s] = await sql("select email, is_anonymous, profile_id is not null as linked from sessions where session_key = $1", [v.p_session_key]);
      assert.deepEqual(s, { email: v.p_email, is_anonymous: false, linked: true });
      const [c] = await sql(`select c.purpose, c.text_version from consents c join sessions s on s.id = c.session_id
        where s.session_key = $1`, [v.p_session_key]);
      assert.deepEqual(c, { purpose: "link_session", text_version: "link-v1" });
    });

    test("a code whose email failed never verifies", async () => {
      const v = visitor();
      await chat(v);
      const code = await issue(v, T0, { sent: false });
      assert.equal((await verify(v, code.hash)).status, "expired");
      const [row] = await sql("select status from otp_links where id = $1", [code.otp_id]);
      assert.equal(row.status, "failed");
    });

    test("a code expires after 10 minutes; only the newest code is valid", async () => {
      const v = visitor();
      await chat(v);
      const old = await issue(v);
      const late = await verify(v, old.hash, T0 + 10 * MIN + 1000);
      assert.equal(late.status, "expired");
      const first = await issue(v, T0 + 11 * MIN);
      const second = await issue(v, T0 + 12 * MIN);
      assert.notEqual((await verify(v, first.hash, T0 + 12 * MIN)).status, "verified", "superseded");
      assert.equal((await verify(v, second.hash, T0 + 12 * MIN)).status, "verified");
    });

    test("five wrong tries kill a code: the right one is refused after", async () => {
      const v = visitor();
      await chat(v);
      const code = await issue(v);
      const left = [];
      for (let i = 0; i < 5; i += 1) {
        const r = await verify(v, hex());
        left.push(r.status === "wrong" ? r.tries_left : r.status);
      }
      assert.deepEqual(left, [4, 3, 2, 1, "dead"]);
      assert.equal((await verify(v, code.hash)).status, "dead");
    });

    test("a code is bound to purpose, tenant and session", async () => {
      const v = visitor();
      await chat(v);
      const code = await issue(v);
      assert.notEqual((await verify({ ...v, p_purpose: "delete_data", p_session_key: null }, code.hash)).status, "verified");
      assert.notEqual((await verify({ ...v, p_tenant: "globex" }, code.hash)).status, "verified");
      const other = { ...v, p_session_key: "another-session" };
      await chat(other);
      assert.notEqual((await verify(other, code.hash)).status, "verified");
      assert.equal((await verify(v, code.hash)).status, "verified", "still valid for its own session");
    });

    test("at most 3 codes per address per 15 minutes", async () => {
      const v = visitor();
      await chat(v);
      for (let i = 0; i < 3; i += 1) assert.equal((await issue(v, T0 + i * 1000)).status, "issued");
      const refused = await issue(v, T0 + 5000);
      assert.equal(refused.status, "limited");
      assert.equal(refused.limit, "email");
      assert.ok(refused.retry_after > 800 && refused.retry_after <= 900, `retry_after ${refused.retry_after}`);
      assert.equal((await issue(v, T0 + 15 * MIN + 1000)).status, "issued");
    });

    test("brute force: every limit exhausted with wrong codes, the right code refused until 24 hours pass", async () => {
      const v = visitor();
      await chat(v);
      let now = T0;
      let failures = 0;
      let last;
      while (failures < 10) {
        const code = await issue(v, now);
        assert.equal(code.status, "issued", `code ${failures}`);
        for (let i = 0; i < 5 && failures < 10; i += 1) {
          last = await verify(v, hex(), now);
          failures += 1;
        }
        now += 16 * MIN;  // past the 3-per-15-minutes window
      }
      assert.equal(last.status, "locked");
      const refused = await issue(v, now);
      assert.deepEqual([refused.status, refused.limit], ["limited", "locked"]);
      // Codes issued before the lock, the right one included, cannot be used either.
      const w = visitor();
      await chat(w);
      const good = await issue(w, now);
      for (let i = 0; i < 4; i += 1) await verify(w, hex(), now);
      const fresh = await issue(w, now + 1000);
      for (let i = 0; i < 6; i += 1) await verify(w, hex(), now + 2000);
      assert.equal((await verify(w, fresh.hash, now + 3000)).status, "locked");
      assert.equal((await verify(w, good.hash, now + 3000)).status, "locked");
      const later = now + 24 * 60 * MIN + 5000;
      const again = await issue(w, later);
      assert.equal(again.status, "issued");
      assert.equal((await verify(w, again.hash, later)).status, "verified");
    });

    test("per-IP limit and per-tenant daily cap", async () => {
      const ip = `ip-${hex()}`;
      for (let i = 0; i < 2; i += 1) {
        const v = visitor("delete_data");
        assert.equal((await issue(v, T0, { ip, ipLimit: 2 })).status, "nothing_held");
      }
      const refused = await issue(visitor("delete_data"), T0, { ip, ipLimit: 2 });
      assert.deepEqual([refused.status, refused.limit], ["limited", "ip"]);
      const tenant = `cap-${n}`;
      for (let i = 0; i < 2; i += 1) {
        assert.equal((await issue(visitor("delete_data", { p_tenant: tenant }), T0, { cap: 2 })).status, "nothing_held");
      }
      const capped = await issue(visitor("delete_data", { p_tenant: tenant }), T0, { cap: 2 });
      assert.deepEqual([capped.status, capped.limit], ["limited", "tenant"]);
    });

    test("salient_rate_check counts within a sliding window", async () => {
      const args = { p_tenant: "acme", p_bucket: "test", p_key: hex(), p_limit: 2, p_window_seconds: 60 };
      const a = await rpc("salient_rate_check", { ...args, p_now_ms: T0 });
      const b = await rpc("salient_rate_check", { ...args, p_now_ms: T0 + 1000 });
      const c = await rpc("salient_rate_check", { ...args, p_now_ms: T0 + 2000 });
      assert.deepEqual([a.allowed, b.allowed, c.allowed], [true, true, false]);
      assert.equal(c.retry_after, 58);
      assert.equal((await rpc("salient_rate_check", { ...args, p_now_ms: T0 + 60_500 })).allowed, true);
    });

    test("link_session joins a visitor's conversations into one profile", async () => {
      const v = visitor();
      await chat(v);
      const code = await issue(v);
      await verify(v, code.hash);
      const w = { ...v, p_session_key: `${v.p_session_key}-b` };
      await chat(w);
      await rpc("salient_identify", { p_tenant: "acme", p_agent: "sales", p_session_key: w.p_session_key,
        p_email: "someone-else@example.com", p_name: "Ada" });
      const again = await issue(w, T0 + 20 * MIN);
      const ok = await verify(w, again.hash, T0 + 20 * MIN);
      assert.equal(ok.status, "verified");
      assert.deepEqual(new Set(ok.session_keys), new Set([v.p_session_key, w.p_session_key]));
      assert.equal(ok.profile.email, v.p_email, "the verified address, not identify()'s");
      assert.equal(ok.profile.customer_name, "Ada", "an empty field filled from the conversation");
      const [{ n: profiles }] = await sql("select count(*)::int as n from profiles where email = $1 and session_id is null", [v.p_email]);
      assert.equal(profiles, 1);
      const history = await rpc("salient_session_history", { p_tenant: "acme", p_agent: "sales", p_session_key: w.p_session_key });
      assert.deepEqual(history.profile, { customer_name: "Ada", email: v.p_email, phone: null, products_of_interest: [],
        services_of_interest: [], verified: true }, "the history carries the profile card");
      const unverified = { ...v, p_session_key: `${v.p_session_key}-c` };
      await chat(unverified);
      await rpc("salient_identify", { p_tenant: "acme", p_agent: "sales", p_session_key: unverified.p_session_key,
        p_email: "told@example.com", p_name: null });
      const told = await rpc("salient_session_history", { p_tenant: "acme", p_agent: "sales", p_session_key: unverified.p_session_key });
      assert.equal(told.profile.email, "told@example.com");
      assert.equal(told.profile.verified, false, "identify() is not verified");
    });

    test("delete_data: nothing held → no code; otherwise one transaction erases every row", async () => {
      const unknown = visitor("delete_data");
      assert.equal((await issue(unknown)).status, "nothing_held");
      // A guess answers as for a held address: a decoy code no one knows stands in for the real one.
      assert.deepEqual(await verify(unknown, hex()), { status: "wrong", tries_left: 4 });

      const link = visitor();
      await chat(link, "hi");
      await chat(link, `write to me at ${link.p_email.toUpperCase()} please`);
      await verify(link, (await issue(link)).hash);
      const typed = { ...link, p_session_key: `${link.p_session_key}-typed` };
      await chat(typed, `my address is ${link.p_email}.`);
      // Longer addresses that contain this one are someone else's: those conversations stay.
      const others = [`a${link.p_email}`, `${link.p_email}.au`, `${link.p_email.replace("@", "+x@")}`];
      for (const [i, other] of others.entries()) await chat({ ...link, p_session_key: `other-${n}-${i}` }, `mine is ${other}`);
      const del = { ...link, p_purpose: "delete_data", p_session_key: null };
      const code = await issue(del, T0 + MIN);
      assert.equal(code.status, "issued");
      const erased = await verify(del, code.hash, T0 + MIN);
      assert.equal(erased.status, "erased");
      assert.equal(erased.counts.sessions, 2);
      assert.ok(erased.counts.messages >= 3);
      // No table holds a row naming the address (erasures keep only its key).
      const tables = await sql(`select table_name as t from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE'`);
      const alone = (await sql("select salient_address_pattern($1) as p", [link.p_email]))[0].p;
      for (const { t } of tables) {
        const rows = await sql(`select count(*)::int as n from "${t}" r where lower(r::text) ~ $1`, [alone]);
        assert.equal(rows[0].n, 0, `${t} still names the address`);
      }
      const [{ kept }] = await sql("select count(*)::int as kept from sessions where session_key like $1", [`other-${n}-%`]);
      assert.equal(kept, others.length, "conversations naming longer addresses are kept");
      const [e] = await sql("select counts from erasures where email_key = $1", [link.p_email_key]);
      assert.equal(e.counts.sessions, 2);
    });
  });
}
