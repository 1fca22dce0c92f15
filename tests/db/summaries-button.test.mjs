// The "Email summary" button's claim, the lead on the profile, the transcript page's lookup and
// the model's cost row (db/functions/summaries.sql, issue 17 items 1 and 3) on PGlite and on a real
// PostgreSQL 15 server. The sweep under overlap, retries and failures: summaries.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { backends, client, pgSkip } from "./backends.mjs";
import { DAY, LATER, LEASE, MIN, T0, summaries } from "./summaries-support.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

const LEAD = { name: "Ana Lima", email: "ana@example.com", phone: "+351912345678", company: "Brightleaf",
  address: "Rua das Flores 1, Lisboa", preferred_time: "mornings", language: "pt", interests: ["patio", "deck"],
  outcome: "LEAD" };

for (const backend of backends()) {
  describe(`summary button, profile and transcript on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, c, s;
    before(async () => {
      db = await backend.open();
      c = client(db.adapter);
      s = summaries(c);
    });
    after(() => db?.close());

    test("button: no_conversation, claimed, then already_sent with the time it went", async () => {
      const t = "button-sent";
      assert.equal((await s.press(t, "sess-nobody", T0)).status, "no_conversation", "unknown tenant");
      await s.say(t, "sess-other", ["hi"], T0);
      assert.deepEqual(await s.press(t, "sess-nobody", T0), { status: "no_conversation" }, "unknown key");
      const id = await s.say(t, "sess-button", ["I'd like a quote"], T0);
      assert.deepEqual(await s.press(t, "sess-button", T0, { agent: "support" }), { status: "no_conversation" },
        "another agent's conversation");
      const pressed = await s.press(t, "sess-button", T0 + 5000);  // no idle wait for the button
      assert.equal(pressed.status, "claimed");
      assert.deepEqual(s.keys(pressed), ["sess-button"]);
      await s.send(t, pressed.claims[0], T0 + 6000, { trigger: "button" });
      const again = await s.press(t, "sess-button", T0 + 60_000);
      assert.equal(again.status, "already_sent");
      assert.equal(Date.parse(again.sent_at), T0 + 7000, "Mailgun's answer time");
      assert.match(again.sent_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, "the form the core answers a fresh send with");
      assert.deepEqual(s.keys(await s.sweep(t, T0 + 60 * MIN)), ["sess-other"], "nor does the sweep send it again");
      const rows = await s.summaryRows(id);
      assert.deepEqual(rows.map((r) => [r.status, r.trigger]), [["sent", "button"]]);
      assert.deepEqual(await s.emails(id), ["sent"]);

      await s.say(t, "sess-button", ["and the price of a deck?"], T0 + 2 * MIN);
      assert.equal((await s.press(t, "sess-button", T0 + 3 * MIN)).status, "claimed", "a new message: sendable again");
    });

    test("button: busy while a sweep holds the conversation", async () => {
      const t = "button-busy";
      const id = await s.say(t, "sess-busy", ["call me back"], T0);
      const swept = await s.sweep(t, T0 + 40 * MIN);
      assert.deepEqual(s.keys(swept), ["sess-busy"]);
      assert.deepEqual(await s.press(t, "sess-busy", T0 + 40 * MIN + 5000), { status: "busy" });
      await s.send(t, swept.claims[0], T0 + 40 * MIN + 10_000, { outcome: null });
      assert.deepEqual(await s.press(t, "sess-busy", T0 + 40 * MIN + LATER), { status: "busy" }, "still sending");
      await s.result(t, (await c.sql("select id from email_events where session_id = $1", [id]))[0].id, "sent",
        T0 + 40 * MIN + LATER);
      assert.equal((await s.press(t, "sess-busy", T0 + 41 * MIN + LATER)).status, "already_sent");
      assert.deepEqual(await s.emails(id), ["sent"]);
    });

    test("button: limited after summary.per_session_per_day presses within a day", async () => {
      const t = "button-limit";
      await s.say(t, "sess-limit", ["hello"], T0);
      const perDay = 2;
      // Two presses whose runs never stored anything (their leases ended): each counted.
      assert.equal((await s.press(t, "sess-limit", T0, { perDay })).status, "claimed");
      assert.equal((await s.press(t, "sess-limit", T0 + LATER, { perDay })).status, "claimed");
      const limited = await s.press(t, "sess-limit", T0 + 2 * LATER, { perDay });
      assert.equal(limited.status, "limited");
      assert.ok(limited.retry_after > 0 && limited.retry_after <= DAY / 1000, `retry_after ${limited.retry_after}`);
      assert.equal(limited.retry_after, Math.ceil((T0 + DAY - (T0 + 2 * LATER)) / 1000));
      assert.equal((await s.press(t, "sess-limit", T0 + DAY + 1000, { perDay })).status, "claimed", "a day later");
    });

    test("profile: the lead fills the session's profile, never a verified field", async () => {
      const t = "profile";
      const id = await s.say(t, "sess-profile", ["I'm Ana from Brightleaf"], T0);
      const [claim] = (await s.press(t, "sess-profile", T0)).claims;
      await s.send(t, claim, T0, { lead: LEAD });
      const [{ products_of_interest: interests, ...p }] = await c.sql(`select customer_name, email, phone, company,
        address, preferred_time, language, products_of_interest from profiles where session_id = $1`, [id]);
      assert.deepEqual(p, { customer_name: "Ana Lima", email: "ana@example.com", phone: "+351912345678",
        company: "Brightleaf", address: "Rua das Flores 1, Lisboa", preferred_time: "mornings", language: "pt" });
      assert.deepEqual(interests.sort(), ["deck", "patio"], "in no particular order");

      // A field marked verified on the session's own profile stays; empty lead values change nothing.
      await c.sql("update profiles set verified_fields = '{phone}' where session_id = $1", [id]);
      await s.say(t, "sess-profile", ["new number: 555"], T0 + MIN);
      const [next] = (await s.press(t, "sess-profile", T0 + 2 * MIN)).claims;
      await s.send(t, next, T0 + 2 * MIN, { lead: { name: "Ana L.", phone: "+15550100", company: "", interests: [] } });
      const [q] = await c.sql("select customer_name, phone, company from profiles where session_id = $1", [id]);
      assert.deepEqual(q, { customer_name: "Ana L.", phone: "+351912345678", company: "Brightleaf" });

      // The address a one-time code proved (salient_link_session, as salient_otp_verify calls it)
      // is never replaced by the one a summary read, on either profile.
      const v = await s.say(t, "sess-verified", ["hi"], T0);
      await c.sql(`select salient_link_session(tenant_id, id, 'proven@example.com', 'sales', now(), 'link-v1')
        from sessions where id = $1`, [v]);
      const [vc] = (await s.press(t, "sess-verified", T0 + MIN)).claims;
      assert.equal(vc.profile.verified, true);
      await s.send(t, vc, T0 + MIN, { lead: { ...LEAD, email: "typo@example.com" } });
      const profile = await c.rpc("salient_session_history", { p_tenant: t, p_agent: "sales", p_session_key: "sess-verified" });
      assert.equal(profile.profile.email, "proven@example.com");
      assert.equal(profile.profile.customer_name, "Ana Lima", "an unverified field is filled");
      const [own] = await c.sql("select email, customer_name from profiles where session_id = $1", [v]);
      assert.deepEqual(own, { email: null, customer_name: "Ana Lima" }, "the typed address is not taken either");
    });

    test("transcript: messages up to the summary; expired after link_expires_at; gone once erased", async () => {
      const t = "transcript";
      const id = await s.say(t, "sess-transcript", ["I'm Ana, ana@example.com", "a patio please"], T0);
      const [claim] = (await s.sweep(t, T0 + 31 * MIN)).claims;
      const sent = await s.send(t, claim, T0 + 31 * MIN, { lead: LEAD });
      await s.say(t, "sess-transcript", ["after the summary"], T0 + 40 * MIN);
      const read = (now, summaryId = sent.summary_id, tenant = t) =>
        c.rpc("salient_summary_transcript", { p_tenant: tenant, p_summary_id: summaryId, p_now_ms: now });
      const ok = await read(T0 + 41 * MIN);
      assert.equal(ok.status, "ok");
      assert.deepEqual(ok.messages.map((m) => [m.role, m.content]), [["user", "I'm Ana, ana@example.com"],
        ["assistant", "re: I'm Ana, ana@example.com"], ["user", "a patio please"], ["assistant", "re: a patio please"]]);
      assert.deepEqual([ok.agent, ok.outcome, ok.method, ok.lead], ["sales", "LEAD", "rules", LEAD]);
      const expires = T0 + 31 * MIN + 14 * DAY;
      assert.equal(Date.parse(ok.link_expires_at), expires);
      assert.equal(Date.parse(sent.link_expires_at), expires);
      assert.equal((await read(expires - 1000)).status, "ok");
      assert.deepEqual(await read(expires), { status: "expired" });
      assert.deepEqual(await read(T0, sent.summary_id, "someone-else"), { status: "gone" }, "another tenant's link");
      assert.deepEqual(await read(T0, crypto.randomUUID()), { status: "gone" });

      const erased = (await c.sql(`select salient_erase_visitor(tenant_id, 'ana@example.com', 'key-of-ana', now()) as r
        from sessions where id = $1`, [id]))[0].r;
      assert.equal(erased.summaries, 1);
      assert.deepEqual(await read(T0 + 41 * MIN), { status: "gone" });
      const [{ n }] = await c.sql("select count(*)::int as n from email_events where id = $1", [sent.email_id]);
      assert.equal(n, 0, "the summary's email record went with it");
    });

    test("the model's calls for a summary: one llm_requests row, counted in the month's spend", async () => {
      const t = "llm";
      const id = await s.say(t, "sess-llm", ["a quote for a fence"], T0);
      const [claim] = (await s.press(t, "sess-llm", T0)).claims;
      assert.equal(Number(claim.month_cost_usd), 0);
      const bad = await c.rpcError("salient_summary_store", { p_tenant: t, p_session_id: claim.session_id,
        p_claim: claim.claim, p_trigger: "button", p_method: "model", p_outcome: "LEAD", p_summary: "x", p_lead: {},
        p_through: claim.through, p_message_count: 2, p_now_ms: T0, p_link_days: 14, p_lease_seconds: LEASE,
        p_llm: { model: "m", prompt_tokens: 1.5 } });
      assert.equal(bad.code, "22P02");
      assert.deepEqual(await s.summaryRows(id), [], "a refused store writes nothing");
      const llm = { model: "openai/gpt-4o-mini", prompt_tokens: 900, completion_tokens: 200, total_tokens: 1100,
        cost: 0.00042 };
      await s.send(t, claim, T0 + 1000, { trigger: "button", llm });
      const rows = await c.sql(`select session_id, message_id, provider, model, prompt_tokens, completion_tokens,
        total_tokens, computed_cost::float8 as cost from llm_requests where session_id = $1`, [id]);
      assert.deepEqual(rows, [{ session_id: id, message_id: null, provider: "openrouter", model: llm.model,
        prompt_tokens: 900, completion_tokens: 200, total_tokens: 1100, cost: 0.00042 }]);
      await s.say(t, "sess-llm", ["and a gate"], T0 + MIN);
      const [next] = (await s.press(t, "sess-llm", T0 + 2 * MIN)).claims;
      assert.equal(Number(next.month_cost_usd), 0.00042, "counts against budget.monthly_usd");
      await s.send(t, next, T0 + 2 * MIN, { llm: null });
      const [{ n }] = await c.sql("select count(*)::int as n from llm_requests where session_id = $1", [id]);
      assert.equal(n, 1, "the rules path (no p_llm) writes no row");
    });
  });
}
