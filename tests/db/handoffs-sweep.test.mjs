// The scheduled sweep's side of a handoff (db/functions/handoffs_due.sql, issue 18) on PGlite and on
// a real PostgreSQL 15 server: team emails still to send claimed once (a lease that ends unanswered
// is `unknown`, never sent again by itself), the visitor's later messages batched to the team, unseen
// replies emailed to an absent visitor with a verified address, the completion marks, and two
// sweeps at once (on PostgreSQL truly at once, on two connections) never claiming the same work.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { pgAdapter } from "../../db/migrate.mjs";
import { backends, client, pgSkip } from "./backends.mjs";
import { handoffs, LEASE, MIN, T0 } from "./handoffs-support.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

const LATER = LEASE * 1000 + 1000; // just past a lease
const ms = (iso) => Date.parse(iso);
const ids = (list) => list.map((w) => w.handoff.id).sort();

for (const backend of backends()) {
  describe(`handoff sweep on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, c, h, second;
    before(async () => {
      db = await backend.open();
      c = client(db.adapter);
      h = handoffs(c);
      if (db.server) { // a second connection to the same database: a sweep that runs at the same time
        const { host, port, user } = db.server;
        second = new pg.Client({ host, port, user, database: "postgres" });
        await second.connect();
      }
    });
    after(async () => {
      await second?.end().catch(() => {});
      await db?.close();
    });

    /** A conversation whose visitor asked for a person in its text: a pending handoff. → handoff */
    async function requested(tenant, key, now) {
      const { turn_id } = await c.rpc("salient_begin_turn", c.turn({ p_tenant: tenant, p_session_key: key,
        p_content: "a person please" }));
      const out = await h.request(tenant, turn_id, now);
      assert.equal(out.status, "requested");
      return out.handoff;
    }

    test("team emails: pending ones and due retries claimed once; a lease that ends unanswered is unknown, never sent again", async () => {
      const t = "hs-team";
      const a = await requested(t, "s-a", T0);
      await h.say(t, "s-b", ["hello"], T0);
      const b = (await h.start(t, "s-b", T0)).handoff;
      await h.send(t, b, T0, { outcome: "failed" }); // retry at T0 + 2 min

      const first = await h.due(t, T0 + MIN);
      assert.deepEqual(ids(first.team_emails), [a.id], "b waits for its retry");
      const [work] = first.team_emails;
      assert.deepEqual(Object.keys(work).sort(), ["claim", "handoff"]);
      assert.deepEqual([work.handoff.team_email, work.claim.claim, work.claim.session_key], ["sending", a.id, "s-a"]);
      assert.deepEqual([first.forwards, first.notifies, first.more], [[], [], false]);
      assert.deepEqual((await h.due(t, T0 + MIN + 1000)).team_emails, [], "the same trigger twice: the lease holds");
      const emailId = await h.send(t, work.handoff, T0 + MIN, { outcome: null }); // the run dies here

      const next = await h.due(t, T0 + MIN + LATER);
      assert.deepEqual(ids(next.team_emails), [b.id], "b's retry is due; a is not claimed again");
      assert.equal((await h.row(a.id)).team_email, "unknown", "Mailgun may have it");
      assert.deepEqual((await c.sql("select status from email_events where id = $1", [emailId]))[0], { status: "unknown" });
      await h.send(t, next.team_emails[0].handoff, T0 + MIN + LATER);
      assert.deepEqual((await h.due(t, T0 + 60 * MIN)).team_emails, [], "nothing left to send");
      assert.deepEqual([(await h.row(b.id)).team_email, (await h.row(b.id)).attempts], ["sent", 1]);

      for (let i = 0; i < 3; i += 1) await requested(t, `s-limit-${i}`, T0 + i * 1000);
      const some = await h.due(t, T0 + 61 * MIN, { limit: 2 });
      assert.deepEqual([some.team_emails.map((w) => w.claim.session_key), some.more], [["s-limit-0", "s-limit-1"], true],
        "oldest first; `more` when others remain");
      const rest = await h.due(t, T0 + 61 * MIN, { limit: 2 });
      assert.deepEqual([rest.team_emails.map((w) => w.claim.session_key), rest.more], [["s-limit-2"], false]);
      for (const bad of [{ limit: 0 }, { limit: 101 }, { notify: 0 }, { batch: -1 }]) {
        assert.equal((await c.rpcError("salient_handoff_due", { p_tenant: t, p_now_ms: T0, p_batch_seconds: bad.batch ?? 30,
          p_notify_minutes: bad.notify ?? 10, p_lease_seconds: LEASE, p_limit: bad.limit ?? 10 })).code, "22P02",
        JSON.stringify(bad));
      }
    });

    test("forwards: the visitor's messages after the team email, once they paused; at most 20; marked by forwarded", async () => {
      const t = "hs-forward";
      const key = "s-forward";
      const { handoff } = await h.opened(t, key, T0, { texts: ["I need a quote"] });
      const pending = await h.opened(t, "s-unsent", T0, { sent: false });
      await h.say(t, "s-unsent", ["still there?"], T0 + 5 * MIN);
      assert.deepEqual((await h.due(t, T0 + 2 * MIN)).forwards, [], "the transcript covered what came before");

      await h.say(t, key, ["one", "two"], T0 + 5 * MIN); // visitor at +0 s and +2 s, answers at +1 s and +3 s
      assert.deepEqual((await h.due(t, T0 + 5 * MIN + 10_000)).forwards, [], "still typing: 8 s since the last");
      const due = await h.due(t, T0 + 5 * MIN + 40_000);
      assert.deepEqual(ids(due.forwards), [handoff.id], "not the handoff whose team email was not sent: no thread yet");
      const [work] = due.forwards;
      assert.deepEqual(Object.keys(work).sort(), ["handoff", "messages", "subject", "through"]);
      assert.deepEqual(work.messages.map((m) => [m.content, ms(m.created_at)]),
        [["one", T0 + 5 * MIN], ["two", T0 + 5 * MIN + 2000]]);
      assert.deepEqual(Object.keys(work.messages[0]).sort(), ["content", "created_at"]);
      assert.equal(ms(work.through), T0 + 5 * MIN + 2000);
      assert.deepEqual((await h.due(t, T0 + 5 * MIN + 41_000)).forwards, [], "the lease holds");
      assert.deepEqual(await h.mark("salient_handoff_forwarded", t, handoff.id, work.through), { status: "ok" });
      assert.equal((await h.row(handoff.id)).forward_lease_until, null);
      assert.deepEqual((await h.due(t, T0 + 6 * MIN)).forwards, [], "forwarded");

      await h.say(t, key, ["three"], T0 + 10 * MIN);
      const failed = (await h.due(t, T0 + 11 * MIN)).forwards;
      assert.deepEqual(failed[0].messages.map((m) => m.content), ["three"], "only what came after the mark");
      // Its email failed: not marked, so the next run after the lease forwards the same message.
      const retried = (await h.due(t, T0 + 11 * MIN + LATER)).forwards;
      assert.deepEqual(retried[0].messages.map((m) => m.content), ["three"]);
      await h.mark("salient_handoff_forwarded", t, handoff.id, retried[0].through);
      await h.mark("salient_handoff_forwarded", t, handoff.id, work.through); // a late, older completion
      assert.equal((await h.row(handoff.id)).forwarded_through.getTime(), T0 + 10 * MIN, "never backwards");
      assert.deepEqual(await h.mark("salient_handoff_forwarded", "hs-other", handoff.id, work.through),
        { status: "not_found" }, "another tenant's handoff");

      await h.say(t, key, Array.from({ length: 25 }, (_, i) => `line ${i}`), T0 + 20 * MIN);
      const batch = (await h.due(t, T0 + 30 * MIN)).forwards[0];
      assert.equal(batch.messages.length, 20);
      assert.deepEqual([batch.messages[0].content, batch.messages[19].content], ["line 0", "line 19"]);
      assert.equal(batch.through, batch.messages[19].created_at);
      await h.mark("salient_handoff_forwarded", t, handoff.id, batch.through);
      const tail = (await h.due(t, T0 + 31 * MIN)).forwards[0];
      assert.deepEqual(tail.messages.map((m) => m.content), ["line 20", "line 21", "line 22", "line 23", "line 24"]);
      assert.equal((await h.row(pending.handoff.id)).forwarded_through.getTime(), T0,
        "the unsent handoff: only its team email's transcript counts as told");
    });

    test("notifies: unseen replies to an absent visitor whose address is verified, once; marked by notified", async () => {
      const t = "hs-notify";
      const verified = await h.opened(t, "s-verified", T0);
      await h.verify(verified.session, "ana@example.com");
      const typed = await h.opened(t, "s-typed", T0);
      await c.rpc("salient_identify", { p_tenant: t, p_agent: "sales", p_session_key: "s-typed",
        p_email: "typed@example.com", p_name: "Bo" });
      const seen = await h.opened(t, "s-seen", T0);
      await h.verify(seen.session, "cy@example.com");
      const present = await h.opened(t, "s-present", T0);
      await h.verify(present.session, "di@example.com");
      for (const { handoff } of [verified, typed, seen, present]) {
        await h.reply(t, handoff.reply_id, T0 + 5 * MIN, { text: "Marta here", name: "Marta" });
      }
      await h.updates(t, "s-seen", T0 + 6 * MIN); // the open widget showed it
      // A widget that polled within notify_minutes is present: the reply may be on its way to the screen.
      await c.sql("update handoffs set visitor_seen_at = to_timestamp($2::bigint / 1000.0) where id = $1",
        [present.handoff.id, T0 + 12 * MIN]);

      assert.deepEqual((await h.due(t, T0 + 14 * MIN)).notifies, [], "the reply is 9 minutes old");
      const due = await h.due(t, T0 + 15 * MIN);
      assert.deepEqual(ids(due.notifies), [verified.handoff.id], "not unverified, seen, or present");
      const [work] = due.notifies;
      assert.deepEqual(Object.keys(work).sort(), ["email", "handoff", "messages", "through"]);
      assert.equal(work.email, "ana@example.com");
      assert.deepEqual(work.messages.map((m) => [m.content, m.name, ms(m.created_at)]), [["Marta here", "Marta", T0 + 5 * MIN]]);
      assert.equal(ms(work.through), T0 + 5 * MIN);
      assert.deepEqual((await h.due(t, T0 + 15 * MIN + 1000)).notifies, [], "the lease holds");
      assert.deepEqual(await h.mark("salient_handoff_notified", t, verified.handoff.id, work.through), { status: "ok" });
      assert.deepEqual(ids((await h.due(t, T0 + 25 * MIN)).notifies), [present.handoff.id],
        "once: the notified reply is not sent again; the present visitor has left since");

      // A later reply, and one just after it: one email with both once the first is old enough.
      await h.reply(t, verified.handoff.reply_id, T0 + 30 * MIN, { text: "Any questions?", name: "Joe" });
      await h.reply(t, verified.handoff.reply_id, T0 + 35 * MIN, { text: "Call me", name: "Joe" });
      const again = (await h.due(t, T0 + 40 * MIN)).notifies.find((w) => w.handoff.id === verified.handoff.id);
      assert.deepEqual(again.messages.map((m) => m.content), ["Any questions?", "Call me"]);
      assert.equal(ms(again.through), T0 + 35 * MIN);
    });

    test("two sweeps at once claim disjoint work; a sweep skips what another's open transaction holds, without waiting", async () => {
      const t = "hs-overlap";
      const all = [];
      for (let i = 0; i < 4; i += 1) all.push((await requested(t, `s-overlap-${i}`, T0 + i * 1000)).id);
      const now = T0 + MIN;
      let one, two;
      if (second) {
        const other = client(pgAdapter(second));
        [one, two] = await Promise.all([h.due(t, now, { limit: 2 }), h.due(t, now, { limit: 2, on: other.rpc })]);
      } else {
        one = await h.due(t, now, { limit: 2 });
        two = await h.due(t, now, { limit: 2 });
      }
      const claimed = [...ids(one.team_emails), ...ids(two.team_emails)];
      assert.equal(new Set(claimed).size, claimed.length, `disjoint: ${claimed}`);
      const rest = await h.due(t, now + 1000);
      assert.deepEqual([...claimed, ...ids(rest.team_emails)].sort(), [...all].sort(), "each claimed exactly once");

      if (!second) return; // one connection: no two transactions at once
      const late = [];
      for (let i = 0; i < 2; i += 1) late.push((await requested(t, `s-late-${i}`, T0 + 2 * MIN)).id);
      const other = client(pgAdapter(second));
      await second.query("begin");
      try {
        const mine = await h.due(t, T0 + 3 * MIN, { on: other.rpc });
        assert.deepEqual(ids(mine.team_emails), [...late].sort());
        await c.sql("set statement_timeout = 5000"); // a lock wait would fail the case, not hang it
        assert.deepEqual((await h.due(t, T0 + 3 * MIN)).team_emails, [], "rows locked by the open transaction are skipped");
      } finally {
        await c.sql("set statement_timeout = 0");
        await second.query("commit");
      }
      assert.deepEqual((await h.due(t, T0 + 3 * MIN + 1000)).team_emails, [], "committed: the lease holds");
    });
  });
}
