// The scheduled sweep's contract (db/functions/summaries.sql, issue 17 items 4 and 5) on PGlite and
// on a real PostgreSQL 15 server: idle conversations summarized once, even when sweeps overlap
// (on PostgreSQL truly at once, on two connections), a run is retried or a trigger comes twice;
// a send whose lease ends unanswered becomes `unknown` and is never sent again by itself; Mailgun
// failures retried with backoff, given up after 5. Every case counts the emails per conversation.
// The button, the profile, the transcript and the model's cost: summaries-button.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { pgAdapter } from "../../db/migrate.mjs";
import { backends, client, pgSkip } from "./backends.mjs";
import { IDLE, LATER, LEASE, MIN, T0, summaries } from "./summaries-support.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

for (const backend of backends()) {
  describe(`summary sweep on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, c, s, second;
    before(async () => {
      db = await backend.open();
      c = client(db.adapter);
      s = summaries(c);
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

    test("claims only conversations idle long enough with messages newer than their last summary", async () => {
      const t = "sweep-idle";
      const A = ["I need a patio", "about 20 m2"];
      const a = await s.say(t, "sess-idle-a", A, T0);
      const b = await s.say(t, "sess-idle-b", ["hi"], T0 + 20 * MIN);
      const first = await s.sweep(t, T0 + 31 * MIN);
      assert.deepEqual(s.keys(first), ["sess-idle-a"], "b spoke 11 minutes ago");
      assert.deepEqual([first.more, first.unknown], [false, 0]);
      const [claim] = first.claims;
      assert.equal(claim.session_id, a);
      assert.equal(claim.agent, "sales");
      assert.equal(claim.message_count, 4);
      assert.equal(Date.parse(claim.through), s.lastAt(A, T0));
      assert.deepEqual(claim.messages.map((m) => m.content), ["I need a patio", "re: I need a patio", "about 20 m2",
        "re: about 20 m2"]);
      await s.send(t, claim, T0 + 32 * MIN);
      assert.equal(Date.parse((await s.session(a)).summarized_through), s.lastAt(A, T0));

      assert.deepEqual(s.keys(await s.sweep(t, T0 + 40 * MIN)), [], "a sent; b not idle yet");
      const late = await s.sweep(t, T0 + 60 * MIN);
      assert.deepEqual(s.keys(late), ["sess-idle-b"], "a stays summarized");
      await s.send(t, late.claims[0], T0 + 60 * MIN);

      // A new message in a: claimed again once it has been idle, with the whole conversation.
      await s.say(t, "sess-idle-a", ["and a deck?"], T0 + 70 * MIN);
      assert.deepEqual(s.keys(await s.sweep(t, T0 + 80 * MIN)), [], "not idle yet");
      const again = await s.sweep(t, T0 + 70 * MIN + IDLE * MIN + 2000);
      assert.deepEqual(s.keys(again), ["sess-idle-a"]);
      assert.equal(again.claims[0].message_count, 6);
      assert.equal(Date.parse(again.claims[0].through), T0 + 70 * MIN + 1000);
      await s.send(t, again.claims[0], T0 + 102 * MIN);
      assert.deepEqual(s.keys(await s.sweep(t, T0 + 200 * MIN)), []);
      assert.deepEqual(await s.emails(a), ["sent", "sent"], "one email per new stretch of conversation");
      assert.deepEqual(await s.emails(b), ["sent"]);
    });

    test("at most p_limit per run, oldest first; the rest next run (`more`)", async () => {
      const t = "sweep-limit";
      for (let i = 0; i < 3; i += 1) await s.say(t, `sess-limit-${i}`, ["hello"], T0 + i * MIN);
      const first = await s.sweep(t, T0 + 60 * MIN, { limit: 2 });
      assert.deepEqual(s.keys(first), ["sess-limit-0", "sess-limit-1"]);
      assert.equal(first.more, true);
      const rest = await s.sweep(t, T0 + 61 * MIN, { limit: 2 });
      assert.deepEqual([s.keys(rest), rest.more], [["sess-limit-2"], false]);
      for (const bad of [0, 101, null]) {
        assert.equal((await c.rpcError("salient_summary_claim", { p_tenant: t, p_agent: null, p_session_key: null,
          p_now_ms: T0, p_idle_minutes: IDLE, p_limit: bad, p_lease_seconds: LEASE })).code, "22P02", `limit ${bad}`);
      }
    });

    test("overlapping sweeps claim disjoint conversations; the second gets nothing while the first's lease holds", async () => {
      const t = "sweep-overlap";
      const ids = [];
      for (let i = 0; i < 4; i += 1) ids.push(await s.say(t, `sess-overlap-${i}`, ["quote please"], T0 + i * 1000));
      const now = T0 + 60 * MIN;
      let one, two;
      if (second) {
        // Two connections, two transactions at once: skip locked keeps them apart.
        const other = client(pgAdapter(second));
        [one, two] = await Promise.all([s.sweep(t, now, { limit: 2 }), s.sweep(t, now, { limit: 2, on: other.rpc })]);
      } else {
        one = await s.sweep(t, now, { limit: 2 });
        two = await s.sweep(t, now, { limit: 2 });
      }
      const claimed = [...s.keys(one), ...s.keys(two)];
      assert.equal(new Set(claimed).size, claimed.length, `disjoint: ${claimed}`);
      const rest = await s.sweep(t, now + 1000);
      const all = [...claimed, ...s.keys(rest)].sort();
      assert.deepEqual(all, ids.map((_, i) => `sess-overlap-${i}`), "every conversation claimed exactly once");
      assert.deepEqual(s.keys(await s.sweep(t, now + 2000)), [], "all leases hold");
      for (const claim of [...one.claims, ...two.claims, ...rest.claims]) await s.send(t, claim, now + 5000);
      assert.deepEqual(s.keys(await s.sweep(t, now + LATER + 5000)), [], "all sent");
      for (const id of ids) assert.deepEqual(await s.emails(id), ["sent"]);
    });

    test("on PostgreSQL, a sweep running while another's transaction holds its claims skips them without waiting",
      { skip: backend.name === "PGlite" ? "one connection: no two transactions at once" : false }, async () => {
        const t = "sweep-concurrent";
        await s.say(t, "sess-conc-a", ["hi"], T0);
        await s.say(t, "sess-conc-b", ["hi"], T0 + 1000);
        const other = client(pgAdapter(second));
        await second.query("begin");
        let mine;
        try {
          mine = await s.sweep(t, T0 + 60 * MIN, { on: other.rpc });
          assert.deepEqual(s.keys(mine), ["sess-conc-a", "sess-conc-b"]);
          await c.sql("set statement_timeout = 5000"); // a lock wait would fail the case, not hang it
          const meanwhile = await s.sweep(t, T0 + 60 * MIN);
          assert.deepEqual(s.keys(meanwhile), [], "rows locked by the open transaction are skipped");
        } finally {
          await c.sql("set statement_timeout = 0");
          await second.query("commit");
        }
        assert.deepEqual(s.keys(await s.sweep(t, T0 + 61 * MIN)), [], "committed: the lease holds");
        const back = await s.sweep(t, T0 + 60 * MIN + LATER);
        assert.deepEqual(s.keys(back), ["sess-conc-a", "sess-conc-b"], "lease over, nothing stored: claimed again");
      });

    test("a retried run or a duplicated trigger claims nothing; a stale or foreign claim token stores nothing", async () => {
      const t = "sweep-retry";
      const x = await s.say(t, "sess-retry-x", ["call me"], T0);
      const y = await s.say(t, "sess-retry-y", ["email me"], T0);
      const now = T0 + 45 * MIN;
      const first = await s.sweep(t, now);
      assert.deepEqual(s.keys(first), ["sess-retry-x", "sess-retry-y"]);
      assert.deepEqual(s.keys(await s.sweep(t, now)), [], "the same trigger delivered twice");
      assert.deepEqual(s.keys(await s.sweep(t, now + 30_000)), [], "a retried run within the lease");
      const [cx, cy] = first.claims.sort((p, q) => p.session_key.localeCompare(q.session_key));
      assert.deepEqual(await s.store(t, cx, now + 1000, { token: crypto.randomUUID() }), { status: "lost" }, "foreign token");

      // The first run stalls past its lease; the next run claims both again.
      const next = await s.sweep(t, now + LATER);
      assert.deepEqual(s.keys(next), ["sess-retry-x", "sess-retry-y"]);
      assert.deepEqual(await s.store(t, cx, now + LATER + 1000), { status: "lost" }, "the stalled run's token is stale");
      for (const claim of next.claims) await s.send(t, claim, now + LATER + 2000);
      assert.deepEqual(await s.store(t, cy, now + LATER + 3000), { status: "lost" });
      // A claim whose lease ended with no one else claiming is no better.
      await s.say(t, "sess-retry-x", ["one more thing"], now + 10 * MIN);
      const [late] = (await s.sweep(t, now + 45 * MIN)).claims;
      assert.deepEqual(await s.store(t, late, now + 45 * MIN + LATER), { status: "lost" }, "stored after its lease");
      assert.deepEqual(await s.emails(x), ["sent"]);
      assert.deepEqual(await s.emails(y), ["sent"]);
      const [{ n }] = await c.sql("select count(*)::int as n from conversation_summaries where session_id = any($1)", [[x, y]]);
      assert.equal(n, 2, "a lost store writes no summary");
    });

    test("a crash between `sending` and Mailgun's answer: unknown after the lease, never sent again by itself", async () => {
      const t = "sweep-crash";
      const id = await s.say(t, "sess-crash", ["I want a quote"], T0);
      const now = T0 + 31 * MIN;
      const [claim] = (await s.sweep(t, now)).claims;
      const sending = await s.send(t, claim, now + 2000, { outcome: null }); // the run dies here
      const [row] = await s.summaryRows(id);
      assert.equal(row.status, "sending");
      const during = await s.sweep(t, now + 60_000);
      assert.deepEqual([s.keys(during), during.unknown], [[], 0], "the send's lease holds");
      assert.deepEqual(await s.press(t, "sess-crash", now + 60_000), { status: "busy" });
      // The claim's lease ended before the send's: the button still may not start a second email.
      assert.deepEqual(await s.press(t, "sess-crash", now + LEASE * 1000 + 1000), { status: "busy" });

      const after = await s.sweep(t, now + 2000 + LATER);
      assert.deepEqual([s.keys(after), after.unknown], [[], 1]);
      assert.deepEqual(await s.summaryRows(id), [{ ...row, status: "unknown" }]);
      assert.deepEqual(await s.emails(id), ["unknown"]);
      const [{ summary_id }] = await c.sql("select summary_id from email_events where id = $1", [sending.email_id]);
      assert.equal(summary_id, sending.summary_id);
      const quiet = await s.sweep(t, now + 60 * MIN);
      assert.deepEqual([s.keys(quiet), quiet.unknown], [[], 0], "counted once; the conversation is done");
      assert.equal((await s.press(t, "sess-crash", now + 61 * MIN)).status, "already_sent", "nor by the button");

      await s.say(t, "sess-crash", ["any news?"], now + 2 * 60 * MIN);
      const fresh = await s.sweep(t, now + 3 * 60 * MIN);
      assert.deepEqual(s.keys(fresh), ["sess-crash"], "a new message is a new summary");
      await s.send(t, fresh.claims[0], now + 3 * 60 * MIN);
      assert.deepEqual(await s.emails(id), ["sent", "unknown"]);
    });

    test("a send that left but got no answer (timeout) is unknown at once and never retried", async () => {
      const t = "sweep-timeout";
      const id = await s.say(t, "sess-timeout", ["Please call me back"], T0);
      const now = T0 + 31 * MIN;
      const [claim] = (await s.sweep(t, now)).claims;
      await s.send(t, claim, now + 2000, { outcome: "unknown" });
      assert.deepEqual((await s.summaryRows(id)).map((r) => r.status), ["unknown"]);
      assert.deepEqual(await s.emails(id), ["unknown"]);
      for (const later of [now + 10 * MIN, now + 60 * MIN]) assert.deepEqual(s.keys(await s.sweep(t, later)), []);
      assert.equal((await s.press(t, "sess-timeout", now + 61 * MIN)).status, "already_sent");
    });

    test("an erased conversation's summary is not queued", async () => {
      const t = "sweep-erased";
      const id = await s.say(t, "sess-erased", ["Quote please"], T0);
      const [claim] = (await s.sweep(t, T0 + 31 * MIN)).claims;
      const stored = await s.store(t, claim, T0 + 31 * MIN);
      await c.sql("delete from sessions where id = $1", [id]); // the visitor erased everything meanwhile
      await assert.rejects(s.queue(t, claim, stored.summary_id), /no longer being sent/);
      const [{ n }] = await c.sql(`select count(*)::int as n from email_events
        where tenant_id = (select id from tenants where slug = $1)`, [t]);
      assert.equal(n, 0, "no email row, so nothing sent");
    });

    test("Mailgun failures: retried with backoff (2, 4, 8, 16 min), given up after 5, each visible", async () => {
      const t = "sweep-fail";
      const id = await s.say(t, "sess-fail", ["please call"], T0);
      let now = T0 + 31 * MIN;
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const got = await s.sweep(t, now);
        assert.deepEqual(s.keys(got), ["sess-fail"], `attempt ${attempt}`);
        await s.send(t, got.claims[0], now, { outcome: "failed" });
        const state = await s.session(id);
        assert.equal(state.summary_claim, null);
        if (attempt === 5) {
          assert.deepEqual([state.summary_attempts, state.summary_retry_at], [0, null], "given up");
          break;
        }
        const retryAt = now + 1000 + 2 ** attempt * MIN;
        assert.equal(Date.parse(state.summary_retry_at), retryAt);
        assert.deepEqual(s.keys(await s.sweep(t, retryAt - 1000)), [], "before retry_at");
        now = retryAt;
      }
      assert.deepEqual(s.keys(await s.sweep(t, now + 24 * 60 * MIN)), [], "a permanent failure is not retried");
      assert.deepEqual(await s.emails(id), Array(5).fill("failed"), "every failure is in email_events");
      assert.deepEqual((await s.summaryRows(id)).map((r) => r.status), Array(5).fill("failed"));
      // Nothing was ever sent: the visitor's button may still try (an explicit press, not a retry).
      const pressed = await s.press(t, "sess-fail", now + 25 * 60 * MIN);
      assert.equal(pressed.status, "claimed");
      await s.send(t, pressed.claims[0], now + 25 * 60 * MIN, { trigger: "button" });
      assert.deepEqual(await s.emails(id), [...Array(5).fill("failed"), "sent"]);
    });
  });
}
