// The admin view's conversations, leads and erasure (db/functions/admin.sql) against PGlite and
// PostgreSQL 15: search, filters and paging of the list, one conversation in full, the leads and
// their follow-up status, and an operator's erasure (the privacy page's, recorded as the admin's).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { admin, MIN, T0 } from "./admin-support.mjs";
import { backends, pgSkip } from "./backends.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

const ms = (at, us = 0) => at + Math.floor(us / 1000);

for (const backend of backends()) {
  describe(`admin conversations and leads on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, a;
    before(async () => {
      db = await backend.open();
      a = admin(db.adapter);
    });
    after(() => db?.close());

    test("the list: newest first, each row's fields; search by address, name and text, % and _ literal", async () => {
      const t = a.tenant("search");
      const units = await a.chat(t, "k-units", ["we need 100 units", "hello world"], { at: T0 + 3000, started: T0 - MIN });
      const bob = await a.chat(t, "k-bob", ["hi there"], { at: T0 + 2000 });
      await a.identify(t, "k-bob", "Bob@Example.com", "Bob Smith");
      const snake = await a.chat(t, "k-snake", ["discount of 100% please", "snake_case"], { at: T0 + 1000 });
      await a.chat(a.tenant("other"), "k-units", ["we need 100 units"]);  // another tenant's: never listed

      const all = await a.list(t);
      assert.deepEqual(all.conversations.map((r) => r.session_id), [units, bob, snake]);
      assert.equal(all.next_before_ms, null);
      assert.deepEqual(all.conversations[0], { session_id: units, agent: "sales", started_ms: T0 - MIN,
        last_activity_ms: T0 + 3000, message_count: 4, email: null, name: null, outcome: null, lead_status: null,
        handoff: null, first_message: "we need 100 units" });
      assert.deepEqual([all.conversations[1].email, all.conversations[1].name], ["Bob@Example.com", "Bob Smith"]);

      assert.deepEqual(await a.ids(t, { p_query: "  bob@EXAMPLE.com " }), [bob], "the address, any case, trimmed");
      assert.deepEqual(await a.ids(t, { p_query: "smith" }), [bob], "the name");
      assert.deepEqual(await a.ids(t, { p_query: "WORLD" }), [units], "a later message's text");
      assert.deepEqual(await a.ids(t, { p_query: "re: hi" }), [bob], "an answer's text");
      assert.deepEqual(await a.ids(t, { p_query: "100%" }), [snake], "% is a percent sign, not a wildcard");
      assert.deepEqual(await a.ids(t, { p_query: "%" }), [snake]);
      assert.deepEqual(await a.ids(t, { p_query: "o_w" }), [], "_ is an underscore, not any character");
      assert.deepEqual(await a.ids(t, { p_query: "e_c" }), [snake]);
      assert.deepEqual(await a.ids(t, { p_query: "\\" }), [], "a backslash is itself");
      assert.deepEqual(await a.ids(t, { p_query: "nobody" }), []);
      assert.deepEqual(await a.ids(t, { p_query: `${"x".repeat(300)}` }), [], "a long query is cut, not an error");
      assert.deepEqual((await a.list("no-such-tenant")).conversations, []);
      await a.refused("salient_admin_conversations", { p_tenant: t, p_limit: 0 }, "22023", "p_limit");
      await a.refused("salient_admin_conversations", { p_tenant: t, p_limit: 201 }, "22023", "p_limit");
      await a.refused("salient_admin_conversations", { p_tenant: "" }, "22023", "p_tenant");
    });

    test("outcome filters: the newest summary's, none, handoff; first message cut at 200", async () => {
      const t = a.tenant("outcome");
      const lead = await a.chat(t, "k-1", ["x".repeat(250)], { at: T0 + 5000 });
      const callback = await a.chat(t, "k-2", ["call me"], { at: T0 + 4000 });
      const changed = await a.chat(t, "k-3", ["just looking"], { at: T0 + 3000 });
      const none = await a.chat(t, "k-4", ["hm"], { at: T0 + 2000 });
      const handed = await a.chat(t, "k-5", ["a person please"], { at: T0 + 1000 });
      await a.summary(t, lead, "LEAD", T0);
      await a.summary(t, callback, "CALLBACK", T0);
      await a.summary(t, changed, "LEAD", T0);
      await a.summary(t, changed, "INFO_ONLY", T0 + MIN);
      await a.handoff(t, handed, T0, "closed");
      await a.handoff(t, handed, T0 + MIN, "open");

      assert.deepEqual(await a.ids(t, { p_outcome: "LEAD" }), [lead], "the newest summary decides");
      assert.deepEqual(await a.ids(t, { p_outcome: "CALLBACK" }), [callback]);
      assert.deepEqual(await a.ids(t, { p_outcome: "INFO_ONLY" }), [changed]);
      assert.deepEqual(await a.ids(t, { p_outcome: "SPAM" }), []);
      assert.deepEqual(await a.ids(t, { p_outcome: "none" }), [none, handed]);
      assert.deepEqual(await a.ids(t, { p_outcome: "handoff" }), [handed]);
      assert.deepEqual(await a.ids(t, { p_outcome: "LEAD", p_query: "xxx" }), [lead], "filter and search together");
      assert.deepEqual(await a.ids(t, { p_outcome: "CALLBACK", p_query: "xxx" }), []);
      const rows = (await a.list(t)).conversations;
      assert.deepEqual(rows.map((r) => [r.outcome, r.handoff]),
        [["LEAD", null], ["CALLBACK", null], ["INFO_ONLY", null], [null, null], [null, "open"]]);
      assert.equal(rows[0].first_message, "x".repeat(200));
      await a.refused("salient_admin_conversations", { p_tenant: t, p_outcome: "lead" }, "22023", "p_outcome");
    });

    test("paging with next_before_ms: every conversation once, a millisecond never split", async () => {
      const t = a.tenant("paging");
      const made = [];
      for (let i = 0; i < 5; i += 1) made.push(await a.chat(t, `k-${i}`, [`m ${i}`], { at: T0 - i * 1000 }));
      const pages = [];
      let before = null;
      do {
        const page = await a.list(t, { p_limit: 2, p_before_ms: before });
        pages.push(page.conversations.map((r) => r.session_id));
        before = page.next_before_ms;
        if (before !== null) assert.equal(before, page.conversations.at(-1).last_activity_ms);
      } while (before !== null);
      assert.deepEqual(pages, [made.slice(0, 2), made.slice(2, 4), made.slice(4)]);

      // Three conversations active within one millisecond (microseconds apart), across a page's end.
      const u = a.tenant("ties");
      const newest = await a.chat(u, "k-n", ["n"], { at: T0 + 5 });
      const tied = [];
      for (const us of [900, 500, 100]) tied.push(await a.chat(u, `k-${us}`, [`t ${us}`], { at: T0, us }));
      const older = await a.chat(u, "k-o", ["o"], { at: T0 - 5 });
      const first = await a.list(u, { p_limit: 2 });
      assert.deepEqual(first.conversations.map((r) => r.session_id), [newest, ...tied], "the page takes the whole millisecond");
      assert.equal(first.next_before_ms, ms(T0));
      const second = await a.list(u, { p_limit: 2, p_before_ms: first.next_before_ms });
      assert.deepEqual(second.conversations.map((r) => r.session_id), [older]);
      assert.equal(second.next_before_ms, null);
      const exact = await a.list(u, { p_limit: 4 });
      assert.equal(exact.conversations.length, 4);
      assert.equal(exact.next_before_ms, ms(T0), "more remain");
      const tail = await a.list(u, { p_limit: 2, p_before_ms: T0 + 5 });
      assert.deepEqual(tail.conversations.map((r) => r.session_id), tied, "the whole millisecond, the older one next");
      assert.equal(tail.next_before_ms, ms(T0));
    });

    test("one conversation: not_found, or everything about it", async () => {
      const t = a.tenant("detail");
      const cites = [{ title: "Prices", url: "https://example.com/prices" }];
      const s = await a.chat(t, "abcdefghijkl", ["what does it cost?"], { at: T0, started: T0 - MIN, citations: cites });
      await a.identify(t, "abcdefghijkl", "ada@example.com", "Ada");
      const sum = await a.summary(t, s, "LEAD", T0 + 1000, { text: "Wants prices", lead: { name: "Ada" } });
      const mail = await a.email(t, s, { kind: "summary" });
      await a.handoff(t, s, T0 + 2000);
      const other = await a.chat(a.tenant("x"), "k", ["mine"]);

      assert.deepEqual(await a.rpc("salient_admin_conversation", { p_tenant: t, p_session_id: crypto.randomUUID() }),
        { status: "not_found" });
      assert.deepEqual(await a.rpc("salient_admin_conversation", { p_tenant: t, p_session_id: other }),
        { status: "not_found" }, "another tenant's conversation");
      const d = await a.rpc("salient_admin_conversation", { p_tenant: t, p_session_id: s });
      assert.equal(d.status, "found");
      assert.deepEqual(d.session, { session_id: s, agent: "sales", session_key_hint: "abcdef", started_ms: T0 - MIN,
        last_activity_ms: T0, email: null, email_verified: false });
      assert.equal(d.profile.customer_name, "Ada");
      assert.equal(d.profile.email, "ada@example.com");
      assert.equal(d.profile.verified, false);
      assert.deepEqual(d.messages.map((m) => [m.role, m.content, m.created_ms, m.citations]), [
        ["user", "what does it cost?", T0 - MIN + 1000, []],
        ["assistant", "re: what does it cost?", T0 - MIN + 2000, cites]]);
      assert.deepEqual(d.summaries.map((x) => [x.id, x.outcome, x.summary, x.lead, x.created_ms, x.status]),
        [[sum, "LEAD", "Wants prices", { name: "Ada" }, T0 + 1000, "sent"]]);
      assert.deepEqual(d.emails.map((e) => [e.id, e.kind, e.to, e.status, e.sent_ms]),
        [[mail, "summary", "team@example.com", "sent", T0]]);
      assert.deepEqual(d.handoffs.map((h) => [h.status, h.created_ms, h.trigger]), [["open", T0 + 2000, "button"]]);
      assert.equal(d.lead, null);
      await a.update(t, s, "contacted", "called", T0 + MIN);
      const again = await a.rpc("salient_admin_conversation", { p_tenant: t, p_session_id: s });
      assert.deepEqual(again.lead, { status: "contacted", notes: "called", updated_ms: T0 + MIN, updated_by: "op@site.example" });
      assert.equal((await a.list(t)).conversations[0].lead_status, "contacted");
    });

    test("leads: LEAD and CALLBACK conversations and those with a status; the update and its checks", async () => {
      const t = a.tenant("leads");
      const lead = await a.chat(t, "k-1", ["I want 3"], { at: T0 + 4000 });
      const callback = await a.chat(t, "k-2", ["call me"], { at: T0 + 3000 });
      const changed = await a.chat(t, "k-3", ["browsing"], { at: T0 + 2000 });
      const marked = await a.chat(t, "k-4", ["no summary yet"], { at: T0 + 1000 });
      await a.identify(t, "k-1", "lead@example.com", "Lena");
      await a.summary(t, lead, "INFO_ONLY", T0 - 2 * MIN);
      await a.summary(t, lead, "LEAD", T0 - MIN, { text: "y".repeat(400), lead: { phone: "555", company: "Acme" } });
      await a.summary(t, callback, "CALLBACK", T0, { lead: { name: "Carl", email: "carl@example.com" } });
      await a.summary(t, changed, "LEAD", T0);
      await a.summary(t, changed, "SPAM", T0 + MIN);

      const before = (await a.leads(t)).leads;
      assert.deepEqual(before.map((l) => l.session_id), [lead, callback]);
      assert.deepEqual(before[0], { session_id: lead, agent: "sales", name: "Lena", email: "lead@example.com",
        phone: "555", company: "Acme", outcome: "LEAD", summary: "y".repeat(300), status: "new", notes: "",
        created_ms: T0 - 2 * MIN, updated_ms: null, last_activity_ms: T0 + 4000 });
      assert.deepEqual([before[1].name, before[1].email], ["Carl", "carl@example.com"], "the summary's lead fills gaps");

      const r = await a.update(t, marked, "contacted", "left a voicemail", T0 + MIN);
      assert.deepEqual(r, { status: "updated", lead: { status: "contacted", notes: "left a voicemail",
        updated_ms: T0 + MIN, updated_by: "op@site.example" } });
      await a.update(t, lead, "won", "signed", T0 + 2 * MIN);
      const upsert = await a.update(t, lead, "lost", "", T0 + 3 * MIN, "other@site.example");
      assert.deepEqual(upsert.lead, { status: "lost", notes: "", updated_ms: T0 + 3 * MIN, updated_by: "other@site.example" });
      assert.equal(await a.count("leads", "session_id = $1", [lead]), 1, "one row per conversation");

      const after = (await a.leads(t)).leads;
      assert.deepEqual(after.map((l) => [l.session_id, l.status]), [[lead, "lost"], [callback, "new"], [marked, "contacted"]]);
      assert.equal(after[2].created_ms, T0 + MIN, "no summary: when its row was made");
      assert.equal(after[2].outcome, null);
      assert.deepEqual((await a.leads(t, { p_status: "new" })).leads.map((l) => l.session_id), [callback]);
      assert.deepEqual((await a.leads(t, { p_status: "contacted" })).leads.map((l) => l.session_id), [marked]);
      assert.deepEqual((await a.leads(t, { p_limit: 1 })).leads.map((l) => l.session_id), [lead]);

      assert.deepEqual(await a.update(t, crypto.randomUUID(), "won"), { status: "not_found" });
      assert.deepEqual(await a.update(a.tenant("x"), lead, "won"), { status: "not_found" }, "another tenant's");
      const update = (over) => ({ p_tenant: t, p_session_id: lead, p_status: "won", p_notes: "", p_by: "op", p_now_ms: T0, ...over });
      await a.refused("salient_admin_lead_update", update({ p_status: "maybe" }), "22023", "p_status");
      await a.refused("salient_admin_lead_update", update({ p_status: null }), "22023", "p_status");
      await a.refused("salient_admin_lead_update", update({ p_notes: "n".repeat(4001) }), "22023", "p_notes");
      assert.equal((await a.update(t, lead, "won", "n".repeat(4000))).status, "updated");
      await a.refused("salient_admin_leads", { p_tenant: t, p_status: "open" }, "22023", "p_status");
    });

    test("erase: the visitor's conversations, messages, summaries, profiles, leads and emails; recorded as the admin's", async () => {
      const t = a.tenant("erase");
      const s1 = await a.chat(t, "k-v1", ["hello"]);
      await a.identify(t, "k-v1", "vera@example.com", "Vera");
      const s2 = await a.chat(t, "k-v2", ["reach me at vera@example.com"]);
      const kept = await a.chat(t, "k-other", ["I am someone else, avera@example.com"]);
      await a.summary(t, s1, "LEAD", T0);
      await a.update(t, s1, "contacted", "called Vera");
      await a.update(t, kept, "won", "");
      await a.email(t, s2, { kind: "summary" });
      await a.email(t, null, { kind: "handoff_notify", to: "VERA@example.com" });
      await a.llm(t, s1, T0, { cost: 0.1 });

      const out = await a.rpc("salient_admin_erase", { p_tenant: t, p_email: "  Vera@Example.com ", p_by: "op@site.example",
        p_now_ms: T0 + MIN });
      assert.equal(out.status, "erased");
      assert.deepEqual(out.erased, { sessions: 2, messages: 4, summaries: 1, profiles: 1, emails: 2, llm_requests: 1,
        codes: 0, consents: 0, leads: 1 });
      for (const table of ["sessions", "messages", "conversation_summaries", "profiles", "leads", "llm_requests"]) {
        const where = table === "sessions" ? "id = any($1::uuid[])" : "session_id = any($1::uuid[])";
        assert.equal(await a.count(table, where, [[s1, s2]]), 0, `${table} of the visitor`);
      }
      assert.equal(await a.count("email_events", "lower(to_email) like '%vera@%' and to_email not like 'avera%'"), 0);
      assert.deepEqual((await a.list(t)).conversations.map((r) => r.session_id), [kept], "someone else's is kept");
      assert.deepEqual((await a.leads(t)).leads.map((l) => l.session_id), [kept]);
      const [rec] = await a.sql(`select e.source, e.erased_by, e.email_key, e.counts, e.erased_at from erasures e
        join tenants t on t.id = e.tenant_id where t.slug = $1`, [t]);
      assert.deepEqual({ ...rec, erased_at: new Date(rec.erased_at).getTime() }, { source: "admin",
        erased_by: "op@site.example", email_key: null, counts: out.erased, erased_at: T0 + MIN });

      const again = await a.rpc("salient_admin_erase", { p_tenant: t, p_email: "vera@example.com", p_by: "op@site.example",
        p_now_ms: T0 + 2 * MIN, p_email_key: "k".repeat(64) });
      assert.equal(again.erased.sessions, 0, "nothing left");
      assert.equal(await a.count("erasures", "email_key = $1 and source = 'admin'", ["k".repeat(64)]), 1);
      const base = { p_tenant: t, p_email: "vera@example.com", p_by: "op", p_now_ms: T0 };
      await a.refused("salient_admin_erase", { ...base, p_email: " " }, "22023", "p_email");
      await a.refused("salient_admin_erase", { ...base, p_by: "" }, "22023", "p_by");
    });
  });
}
