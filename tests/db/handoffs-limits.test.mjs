// What caps a handoff (db/functions/handoff*.sql, issue 18's security review) on PGlite and on a
// real PostgreSQL 15 server: Mailgun's token taken once per tenant before anything else
// (salient_inbound_token_take: taken, a stored reply's retry a duplicate, anything else replayed)
// and a reply stored without a token of its own; new handoffs capped per conversation per day and
// per tenant per hour (30); forward emails capped per handoff per day (20), threaded under the
// sent team email's subject.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { backends, client, pgSkip } from "./backends.mjs";
import { DAY, handoffs, MIN, QUIET, T0 } from "./handoffs-support.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

const HOUR = 60 * MIN;
const ms = (iso) => Date.parse(iso);
const ids = (list) => list.map((w) => w.handoff.id).sort();

for (const backend of backends()) {
  describe(`handoff limits on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, c, h;
    before(async () => {
      db = await backend.open();
      c = client(db.adapter);
      h = handoffs(c);
    });
    after(() => db?.close());

    const tokensOf = async (tenant) => (await c.sql(`select token from inbound_tokens
        where tenant_id = (select id from tenants where slug = $1) order by token`, [tenant])).map((r) => r.token);
    const hits = async (tenant, bucket) => (await c.sql(`select count(*)::int as n from rate_hits
        where tenant_id = (select id from tenants where slug = $1) and bucket = $2`, [tenant, bucket]))[0].n;

    test("token take: once per tenant; a stored reply's retry is a duplicate, anything else replayed; pruned after a day", async () => {
      const t = "hl-token";
      const u = "hl-token-other";
      const { session, handoff } = await h.opened(t, "s-token", T0);
      const other = (await h.opened(u, "s-token", T0)).handoff;
      const token = "a".repeat(50);
      const m1 = "<m1@mail.example.com>";
      const at = T0 + 10 * MIN;

      assert.deepEqual(await h.take(t, token, m1, at), { status: "taken" });
      assert.deepEqual(await h.take(t, token, "<m2@mail.example.com>", at + 1000), { status: "replayed" },
        "a captured token with another email");
      assert.deepEqual(await h.take(t, token, m1, at + 1000), { status: "replayed" },
        "the same email again before its reply was stored: nothing to call a duplicate of");
      assert.deepEqual(await tokensOf(t), [token]);

      // The route took the token: the reply is stored without one of its own.
      const stored = await h.reply(t, handoff.reply_id, at, { token: null, messageId: m1, text: "Marta here." });
      assert.deepEqual([stored.status, stored.session_id, ms(stored.created_at)], ["stored", session, at]);
      const [message] = await c.sql("select role, content, idempotency_key from messages where id = $1",
        [stored.message_id]);
      assert.deepEqual(message, { role: "team", content: "Marta here.", idempotency_key: `mail:${m1}` });
      assert.equal((await h.row(handoff.id)).quiet_until.getTime(), at + QUIET * MIN);
      assert.deepEqual(await tokensOf(t), [token], "a reply without a token stores none");

      assert.deepEqual(await h.take(t, token, m1, at + 2000), { status: "duplicate", message_id: stored.message_id },
        "the token again with the stored reply's Message-Id");
      assert.deepEqual(await h.take(t, token, "<m2@mail.example.com>", at + 2000), { status: "replayed" });
      assert.deepEqual(await h.take(t, "b".repeat(50), m1, at + 3000), { status: "taken" },
        "Mailgun's retry comes under a fresh token…");
      assert.deepEqual(await h.reply(t, handoff.reply_id, at + 3000, { token: null, messageId: m1 }),
        { status: "duplicate", message_id: stored.message_id }, "…and the reply is stored once, by Message-Id");
      const [{ n }] = await c.sql("select count(*)::int as n from messages where session_id = $1 and role = 'team'",
        [session]);
      assert.equal(n, 1);

      // Tokens are per tenant: another tenant's use of one says nothing here.
      assert.deepEqual(await h.take(u, token, m1, at + 4000), { status: "taken" }, "the same token in another tenant");
      assert.deepEqual(await h.take(u, token, m1, at + 5000), { status: "replayed" },
        "another tenant's stored reply is no duplicate here");
      const own = await h.reply(u, other.reply_id, at + 5000, { token: "b".repeat(50) });
      assert.equal(own.status, "stored", "a token the reply takes itself is per tenant too");
      assert.deepEqual(await h.reply(u, other.reply_id, at + 6000, { token: "b".repeat(50) }), { status: "replayed" });
      assert.deepEqual(await tokensOf(u), [token, "b".repeat(50)]);

      // No such tenant: taken without storing anything (the lookup that follows answers unknown).
      assert.deepEqual(await h.take("hl-nobody", token, m1, at), { status: "taken" });
      assert.deepEqual(await h.take("hl-nobody", token, m1, at), { status: "taken" });
      assert.deepEqual(await h.reply("hl-nobody", handoff.reply_id, at, { token: null }), { status: "unknown" });
      const [{ n: tenants }] = await c.sql("select count(*)::int as n from tenants where slug = 'hl-nobody'");
      assert.equal(tenants, 0);

      // Older than a day: pruned (the route's timestamp check refuses such a post anyway).
      assert.deepEqual(await h.take(t, "c".repeat(50), "<m3@mail.example.com>", at + DAY + 1000),
        { status: "taken" });
      assert.deepEqual(await tokensOf(t), ["b".repeat(50), "c".repeat(50)], "a's day is over, b's is not");
      assert.deepEqual(await h.take(t, token, "<m4@mail.example.com>", at + DAY + 2000), { status: "taken" });

      for (const [name, args] of [["p_token", { p_token: "" }], ["p_mail_message_id", { p_mail_message_id: null }],
        ["p_tenant", { p_tenant: "" }], ["p_now_ms", { p_now_ms: null }]]) {
        const err = await c.rpcError("salient_inbound_token_take", { p_tenant: t, p_token: "d".repeat(50),
          p_mail_message_id: "<x@y>", p_now_ms: at, ...args });
        assert.equal(err.code, "22P02", name);
      }
      const err = await c.rpcError("salient_handoff_reply", { p_tenant: t, p_reply_id: handoff.reply_id, p_token: "",
        p_mail_message_id: "<x@y>", p_name: "Marta", p_text: "Hi", p_now_ms: at, p_quiet_minutes: QUIET });
      assert.equal(err.code, "22P02", "a token given must not be empty");
    });

    test("tenant cap: 30 new handoffs an hour across its conversations, then limited; an hour later again; the per-session cap still applies", async () => {
      const t = "hl-tenant";
      const keys = Array.from({ length: 32 }, (_, i) => `s-${i}`);
      for (const key of keys) await h.say(t, key, ["hello"], T0);
      const first = [];
      for (let i = 0; i < 30; i += 1) {
        const out = await h.start(t, keys[i], T0 + MIN + i * 1000, { perDay: 1 });
        assert.equal(out.status, "claimed", keys[i]);
        first.push(out.handoff);
      }
      assert.equal(await hits(t, "handoff_tenant"), 30);

      const at = T0 + 10 * MIN; // the oldest of the 30 leaves the hour at T0 + MIN + 1 h: 51 minutes on
      assert.deepEqual(await h.start(t, "s-30", at, { perDay: 1 }), { status: "limited", retry_after: 51 * 60 });
      const { turn_id } = await c.rpc("salient_begin_turn", c.turn({ p_tenant: t, p_session_key: "s-31",
        p_content: "a person please" }));
      assert.deepEqual(await h.request(t, turn_id, at), { status: "limited", retry_after: 51 * 60, handoff: null },
        "the stream's request counts the same");
      // A press on an open handoff is no new one: free.
      for (const key of ["s-0", "s-29"]) assert.equal((await h.start(t, key, at)).status, "open", key);
      // One given up after 5 failures: its press would send it again, so it counts.
      await c.sql("update handoffs set team_email = 'failed', retry_at = null, attempts = 5 where id = $1", [first[1].id]);
      assert.deepEqual(await h.start(t, "s-1", at, { perDay: 5 }), { status: "limited", retry_after: 51 * 60 });
      assert.equal((await h.row(first[1].id)).attempts, 5, "not tried again");
      assert.deepEqual([await hits(t, "handoff_tenant"), await hits(t, "handoff_session")], [30, 30],
        "a limited attempt records nothing");
      // Another tenant's hour is its own.
      await h.say("hl-tenant-other", "s-0", ["hello"], T0);
      assert.equal((await h.start("hl-tenant-other", "s-0", at)).status, "claimed");

      // An hour after the first: one slot free, the next a second later.
      const hour = T0 + MIN + HOUR;
      const again = await h.start(t, "s-30", hour, { perDay: 1 });
      assert.equal(again.status, "claimed");
      assert.deepEqual(await h.request(t, turn_id, hour), { status: "limited", retry_after: 1, handoff: null });
      assert.equal((await h.request(t, turn_id, hour + 1000)).status, "requested");
      assert.equal((await h.start(t, "s-1", hour + 2000, { perDay: 5 })).status, "claimed", "the given-up one resent");

      // Well within the tenant's hour, the conversation's own day still counts.
      await c.sql("update handoffs set status = 'closed' where id = $1", [again.handoff.id]);
      const later = T0 + 3 * HOUR;
      assert.deepEqual(await h.start(t, "s-30", later, { perDay: 1 }),
        { status: "limited", retry_after: (hour + DAY - later) / 1000 });
      assert.equal(await hits(t, "handoff_tenant"), 33, "limited by its day: no slot of the tenant's hour taken");
      assert.equal((await h.start(t, "s-30", later, { perDay: 2 })).status, "claimed");
    });

    test("forward cap: at most 20 forward emails a handoff a day; forwards carry the sent team email's subject", async () => {
      const t = "hl-forward";
      /** The handoff's team email under `subject`, answered `status` at `now`. */
      async function teamEmail(handoff, subject, status, now) {
        const { email_id } = await c.rpc("salient_email_queue", { p_tenant: t, p_session_id: handoff.session_id,
          p_to: "team@example.com", p_subject: subject, p_text: "…", p_html: "<p>…</p>", p_kind: "handoff",
          p_otp_id: null, p_summary_id: null, p_handoff_id: handoff.id });
        assert.equal((await h.result(t, email_id, status, now, `<team-${now}@mg.example.com>`)).status, status);
      }
      /** A forward email recorded (queued, sent) for the handoff at `atMs`. */
      async function forwardSent(handoff, atMs) {
        const id = await h.queue(t, handoff, { kind: "handoff_forward" });
        await h.result(t, id, "sent", atMs, `<fwd-${atMs}@mg.example.com>`);
        // Stamped by the caller's clock, as the sweep's p_now_ms (email_events.created_at is now()).
        await c.sql("update email_events set created_at = to_timestamp($2::bigint / 1000.0) where id = $1", [id, atMs]);
      }

      // The team email failed once, then went out under another subject: the thread is the sent one's.
      await h.say(t, "s-cap", ["I need a quote"], T0);
      const started = await h.start(t, "s-cap", T0 + MIN);
      await teamEmail(started.handoff, "First try", "failed", T0 + MIN);
      const retried = await h.start(t, "s-cap", T0 + 3 * MIN);
      assert.equal(retried.status, "claimed");
      await teamEmail(retried.handoff, "Patio quote: a visitor asks for a person", "sent", T0 + 3 * MIN);
      const capped = retried.handoff;
      const free = (await h.opened(t, "s-free", T0)).handoff; // its subject: "A visitor asks for a person"

      for (let i = 0; i < 19; i += 1) await forwardSent(capped, T0 + HOUR + i * MIN);
      await h.say(t, "s-cap", ["line 1"], T0 + 2 * HOUR);
      await h.say(t, "s-free", ["hello again"], T0 + 2 * HOUR);
      const nineteen = await h.due(t, T0 + 2 * HOUR + MIN);
      assert.deepEqual(ids(nineteen.forwards), [capped.id, free.id].sort(), "19 forwards in the day: one more");
      const subjects = Object.fromEntries(nineteen.forwards.map((w) => [w.handoff.id, w.subject]));
      assert.deepEqual(subjects, { [capped.id]: "Patio quote: a visitor asks for a person",
        [free.id]: "A visitor asks for a person" }, "the sent team email's, not the failed one's nor a forward's");
      for (const w of nineteen.forwards) await h.mark("salient_handoff_forwarded", t, w.handoff.id, w.through);
      await forwardSent(capped, T0 + 2 * HOUR + MIN);

      await h.say(t, "s-cap", ["line 2"], T0 + 3 * HOUR);
      await h.say(t, "s-free", ["still here"], T0 + 3 * HOUR);
      const twenty = await h.due(t, T0 + 3 * HOUR + MIN);
      assert.deepEqual(ids(twenty.forwards), [free.id], "20 forwards in the day: the capped one waits");
      assert.equal(twenty.more, false);
      await h.mark("salient_handoff_forwarded", t, free.id, twenty.forwards[0].through);
      assert.equal((await h.row(capped.id)).forward_lease_until, null, "not claimed");

      assert.deepEqual((await h.due(t, T0 + HOUR + DAY - 1000)).forwards, [], "the first forward is a day old at T0 + 1 h + 1 d");
      const [next] = (await h.due(t, T0 + HOUR + DAY)).forwards;
      assert.equal(next.handoff.id, capped.id, "a day after the first of the 20: 19 in the day");
      assert.deepEqual(next.messages.map((m) => m.content), ["line 2"], "what waited");
      assert.equal(next.subject, "Patio quote: a visitor asks for a person");
    });
  });
}
