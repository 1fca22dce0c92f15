// A person takes over by email (db/functions/handoffs.sql, issue 18) on PGlite and on a real
// PostgreSQL 15 server: the button and the stream's request start one handoff per conversation,
// its team email's outcomes, the reply address looked up (unknown, another tenant's, expired,
// erased), a team member's reply stored once however Mailgun retries it, the widget's poll, and
// what the next answer's claim says about the person engaged. The sweep: handoffs-sweep.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { backends, client, pgSkip } from "./backends.mjs";
import { DAY, DAYS, handoffs, LEASE, MIN, QUIET, replyId, T0 } from "./handoffs-support.mjs";
import { summaries } from "./summaries-support.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

const H_KEYS = ["agent", "created_at", "expires_at", "id", "last_team_reply_at", "quiet_until", "reply_id", "session_id",
  "status", "team_email", "thread_message_id"];
const ms = (iso) => (iso === null ? null : Date.parse(iso));

for (const backend of backends()) {
  describe(`handoffs on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, c, h;
    before(async () => {
      db = await backend.open();
      c = client(db.adapter);
      h = handoffs(c);
    });
    after(() => db?.close());

    test("start: a new handoff is claimed with the conversation; pressing again while it sends or once sent sends nothing", async () => {
      const t = "ho-start";
      assert.deepEqual(await h.start(t, "s-start", T0), { status: "no_conversation" }, "no such tenant yet");
      const session = await h.say(t, "s-start", ["I need a quote", "for a patio"], T0);
      assert.deepEqual(await h.start(t, "s-none", T0), { status: "no_conversation" });
      assert.deepEqual(await h.start(t, "s-start", T0, { agent: "support" }), { status: "no_conversation" },
        "another agent's widget");
      const reply = replyId();
      const first = await h.start(t, "s-start", T0 + MIN, { reply });
      assert.equal(first.status, "claimed");
      assert.deepEqual(Object.keys(first.handoff).sort(), H_KEYS);
      const { handoff, claim } = first;
      assert.deepEqual([handoff.reply_id, handoff.agent, handoff.session_id, handoff.status, handoff.team_email],
        [reply, "sales", session, "open", "sending"]);
      assert.deepEqual([ms(handoff.created_at), ms(handoff.expires_at)], [T0 + MIN, T0 + MIN + DAYS * DAY]);
      assert.deepEqual([handoff.quiet_until, handoff.last_team_reply_at, handoff.thread_message_id], [null, null, null]);
      assert.deepEqual([claim.claim, claim.session_id, claim.session_key, claim.agent, claim.message_count],
        [handoff.id, session, "s-start", "sales", 4], "the summary's claim, for the lead card and the transcript");
      assert.deepEqual(claim.messages.map((m) => m.content), ["I need a quote", "re: I need a quote", "for a patio",
        "re: for a patio"]);
      assert.equal((await h.row(handoff.id)).trigger, "button");

      const during = await h.start(t, "s-start", T0 + MIN + 5000, { reply: replyId() });
      assert.deepEqual([during.status, during.handoff.id, during.handoff.team_email], ["open", handoff.id, "sending"],
        "the lease holds: one email");
      const emailId = await h.send(t, handoff, T0 + MIN + 6000, { providerId: "<thread@mg.example.com>" });
      const sent = await h.start(t, "s-start", T0 + 2 * MIN);
      assert.deepEqual([sent.status, sent.handoff.team_email, sent.handoff.thread_message_id],
        ["open", "sent", "<thread@mg.example.com>"]);
      const [event] = await c.sql("select handoff_id, kind, status from email_events where id = $1", [emailId]);
      assert.deepEqual(event, { handoff_id: handoff.id, kind: "handoff", status: "sent" });

      // The thread's later emails are only recorded: the first email's id stays the thread's.
      const forward = await h.queue(t, handoff, { kind: "handoff_forward" });
      await h.result(t, forward, "sent", T0 + 3 * MIN, "<later@mg.example.com>");
      const failed = await h.queue(t, handoff, { kind: "handoff_notify", to: "visitor@example.com" });
      await h.result(t, failed, "failed", T0 + 3 * MIN);
      const row = await h.row(handoff.id);
      assert.deepEqual([row.team_email, row.thread_message_id, row.attempts], ["sent", "<thread@mg.example.com>", 0]);
      assert.equal((await c.rpcError("salient_email_queue", { p_tenant: t, p_session_id: session, p_to: "x@example.com",
        p_subject: "s", p_text: "t", p_html: null, p_kind: "handoff", p_otp_id: null, p_handoff_id: handoff.id })).code,
      "PT404", "a team email not claimed is not sent again");
      const [{ n }] = await c.sql("select count(*)::int as n from handoffs where session_id = $1", [session]);
      assert.equal(n, 1);

      for (const [name, over] of [["p_reply_id", { reply: "ABCDEFGHIJKLMNOPQRSTUVWXYZ" }], ["p_reply_id", { reply: "abc" }],
        ["p_trigger", { trigger: "model" }]]) {
        const err = await c.rpcError("salient_handoff_start", { p_tenant: t, p_agent: "sales", p_session_key: "s-start",
          p_reply_id: over.reply ?? replyId(), p_trigger: over.trigger ?? "button", p_now_ms: T0, p_reply_days: DAYS,
          p_quiet_minutes: QUIET, p_lease_seconds: LEASE, p_per_session_per_day: 3 });
        assert.equal(err.code, "22P02", name);
        assert.match(err.message, new RegExp(name));
      }
    });

    test("start: a send that never answered is unknown after its lease; failures retried with backoff; given up, a press tries again", async () => {
      const t = "ho-retry";
      await h.say(t, "s-crash", ["hello"], T0);
      const { handoff } = await h.start(t, "s-crash", T0 + MIN);
      const emailId = await h.send(t, handoff, T0 + MIN, { outcome: null }); // the run dies here
      const later = await h.start(t, "s-crash", T0 + MIN + LEASE * 1000 + 1000);
      assert.deepEqual([later.status, later.handoff.team_email], ["open", "unknown"], "Mailgun may have it");
      assert.deepEqual((await c.sql("select status from email_events where id = $1", [emailId]))[0], { status: "unknown" });
      await h.result(t, emailId, "sent", T0 + 10 * MIN);
      assert.equal((await h.row(handoff.id)).team_email, "sent", "a late answer still counts");
      await h.say(t, "s-timeout", ["hello"], T0);
      const timedOut = await h.start(t, "s-timeout", T0 + MIN);
      await h.send(t, timedOut.handoff, T0 + MIN, { outcome: "unknown" }); // it left; no answer came back
      const state = await h.start(t, "s-timeout", T0 + 60 * MIN);
      assert.deepEqual([state.status, state.handoff.team_email], ["open", "unknown"], "never sent again by itself");

      await h.say(t, "s-fail", ["hello"], T0);
      let now = T0 + MIN;
      let id = null;
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const got = await h.start(t, "s-fail", now);
        assert.equal(got.status, "claimed", `attempt ${attempt}`);
        id ??= got.handoff.id;
        assert.equal(got.handoff.id, id, "the same handoff, claimed again");
        await h.send(t, got.handoff, now, { outcome: "failed" });
        const row = await h.row(id);
        assert.deepEqual([row.team_email, row.attempts], ["failed", attempt]);
        if (attempt === 5) {
          assert.equal(row.retry_at, null, "given up");
          break;
        }
        assert.equal(row.retry_at.getTime(), now + 2 ** attempt * MIN);
        const early = await h.start(t, "s-fail", now + 2 ** attempt * MIN - 1000);
        assert.deepEqual([early.status, early.handoff.team_email], ["open", "failed"], "before retry_at");
        now += 2 ** attempt * MIN;
      }
      // Given up: a press tries again (counted like a new handoff: 2 of perDay 2), then the limit holds.
      const again = await h.start(t, "s-fail", now + MIN, { perDay: 2 });
      assert.deepEqual([again.status, again.handoff.id, again.handoff.team_email], ["claimed", id, "sending"]);
      assert.equal((await h.row(id)).attempts, 0, "from the first backoff step");
      await h.send(t, again.handoff, now + MIN, { outcome: "failed" });
      await c.sql("update handoffs set attempts = 5, retry_at = null where id = $1", [id]);
      const limited = await h.start(t, "s-fail", now + 2 * MIN, { perDay: 2 });
      assert.equal(limited.status, "limited");
      assert.ok(limited.retry_after > 0 && limited.retry_after <= 86400);
    });

    test("limited: new handoffs per session per day; presses on the open one are free; an expired one is closed", async () => {
      const t = "ho-limit";
      const session = await h.say(t, "s-limit", ["hello"], T0);
      const first = await h.start(t, "s-limit", T0 + MIN, { perDay: 1 });
      await h.send(t, first.handoff, T0 + MIN);
      for (let i = 0; i < 4; i += 1) assert.equal((await h.start(t, "s-limit", T0 + 2 * MIN, { perDay: 1 })).status, "open");
      await c.sql("update handoffs set status = 'closed' where id = $1", [first.handoff.id]);
      assert.deepEqual(await h.start(t, "s-limit", T0 + 2 * MIN, { perDay: 1 }), { status: "limited", retry_after: DAY / 1000 - 60 });
      const next = await h.start(t, "s-limit", T0 + MIN + DAY, { perDay: 1 });
      assert.equal(next.status, "claimed");
      assert.notEqual(next.handoff.id, first.handoff.id);
      await h.send(t, next.handoff, T0 + MIN + DAY);

      // Past expires_at: closed first, then a new handoff with a new reply address.
      const expiry = ms(next.handoff.expires_at);
      assert.equal((await h.start(t, "s-limit", expiry - 1000, { perDay: 5 })).status, "open");
      const fresh = await h.start(t, "s-limit", expiry, { perDay: 5 });
      assert.equal(fresh.status, "claimed");
      assert.notEqual(fresh.handoff.reply_id, next.handoff.reply_id);
      assert.equal((await h.row(next.handoff.id)).status, "closed");
      assert.deepEqual(await h.lookup(t, next.handoff.reply_id, expiry), { status: "expired" });
      assert.equal((await h.lookup(t, fresh.handoff.reply_id, expiry)).status, "ok");
      const open = await c.sql("select count(*)::int as n from handoffs where session_id = $1 and status = 'open'", [session]);
      assert.equal(open[0].n, 1, "one open handoff per conversation");
    });

    test("request: the stream's intent opens a pending handoff once; the button then sends it", async () => {
      const t = "ho-request";
      const { turn_id, session_id } = await c.rpc("salient_begin_turn",
        c.turn({ p_tenant: t, p_session_key: "s-req", p_content: "can I talk to a human?" }));
      const requested = await h.request(t, turn_id, T0);
      assert.deepEqual([requested.status, requested.handoff.team_email, requested.handoff.session_id],
        ["requested", "pending", session_id]);
      assert.deepEqual(Object.keys(requested.handoff).sort(), H_KEYS);
      assert.deepEqual([(await h.row(requested.handoff.id)).trigger, (await h.row(requested.handoff.id)).lease_until],
        ["intent", null]);
      const twice = await h.request(t, turn_id, T0 + 1000);
      assert.deepEqual([twice.status, twice.handoff.id], ["open", requested.handoff.id]);
      const pressed = await h.start(t, "s-req", T0 + 2000);
      assert.deepEqual([pressed.status, pressed.handoff.id, pressed.handoff.team_email],
        ["claimed", requested.handoff.id, "sending"]);
      assert.equal((await c.rpcError("salient_handoff_request", { p_tenant: t, p_turn_id: crypto.randomUUID(),
        p_reply_id: replyId(), p_now_ms: T0, p_reply_days: DAYS, p_quiet_minutes: QUIET })).code, "PT404");

      await c.sql("update handoffs set status = 'closed' where id = $1", [requested.handoff.id]);
      assert.deepEqual(await h.request(t, turn_id, T0 + 3000, { perDay: 1 }),
        { status: "limited", retry_after: DAY / 1000 - 3, handoff: null });
    });

    test("lookup: unknown, another tenant's, expired, ok; erased with the visitor's data → unknown", async () => {
      const t = "ho-lookup";
      const { handoff } = await h.opened(t, "s-lookup", T0, { texts: ["I'm Ana, ana@example.com"] });
      await h.say("ho-lookup-other", "s-other", ["hi"], T0);
      const ok = await h.lookup(t, handoff.reply_id, T0 + 2 * MIN);
      assert.deepEqual([ok.status, ok.handoff.id, ok.handoff.team_email], ["ok", handoff.id, "sent"]);
      assert.deepEqual(Object.keys(ok.handoff).sort(), H_KEYS);
      assert.deepEqual(await h.lookup(t, replyId(), T0), { status: "unknown" });
      assert.deepEqual(await h.lookup("ho-lookup-other", handoff.reply_id, T0), { status: "unknown" }, "another tenant's id");
      assert.deepEqual(await h.lookup("no-such-tenant", handoff.reply_id, T0), { status: "unknown" });
      assert.deepEqual(await h.reply("ho-lookup-other", handoff.reply_id, T0 + 2 * MIN), { status: "unknown" });
      const expiry = ms(handoff.expires_at);
      assert.equal((await h.lookup(t, handoff.reply_id, expiry - 1)).status, "ok");
      assert.deepEqual(await h.lookup(t, handoff.reply_id, expiry), { status: "expired" });
      assert.deepEqual(await h.reply(t, handoff.reply_id, expiry), { status: "expired" });

      const [{ r }] = await c.sql(`select salient_erase_visitor(tenant_id, 'ana@example.com', 'key-of-ana', now()) as r
        from sessions where session_key = 's-lookup'`);
      assert.equal(r.sessions, 1);
      assert.deepEqual(await h.lookup(t, handoff.reply_id, T0 + 3 * MIN), { status: "unknown" }, "revoked");
      assert.deepEqual(await h.reply(t, handoff.reply_id, T0 + 3 * MIN), { status: "unknown" });
      const [{ n }] = await c.sql(`select count(*)::int as n from messages where role = 'team'
        and tenant_id in (select id from tenants where slug like 'ho-lookup%')`);
      assert.equal(n, 0, "nothing stored for an unknown, foreign, expired or erased address");
    });

    test("reply: stored once however Mailgun retries it; a replayed token refused; the assistant quiet; not visitor activity", async () => {
      const t = "ho-reply";
      const s = summaries(c);
      const { session, handoff } = await h.opened(t, "s-reply", T0);
      // The conversation's summary went out before the reply: the reply must not make it due again.
      const [sweep] = (await s.sweep(t, T0 + 31 * MIN)).claims;
      await s.send(t, sweep, T0 + 31 * MIN);
      const [{ last_activity_at: before }] = await c.sql("select last_activity_at from sessions where id = $1", [session]);

      const first = { token: "a".repeat(50), messageId: "<m1@mail.example.com>", text: "Hello, Marta here." };
      const stored = await h.reply(t, handoff.reply_id, T0 + 40 * MIN, first);
      assert.deepEqual(Object.keys(stored).sort(), ["created_at", "message_id", "session_id", "status"]);
      assert.deepEqual([stored.status, stored.session_id, ms(stored.created_at)], ["stored", session, T0 + 40 * MIN]);
      const [message] = await c.sql("select role, content, metadata, session_id from messages where id = $1",
        [stored.message_id]);
      assert.deepEqual(message, { role: "team", content: "Hello, Marta here.", session_id: session,
        metadata: { name: "Marta", handoff_id: handoff.id, mail_message_id: "<m1@mail.example.com>" } },
      "the name from the config; no sender address");
      let row = await h.row(handoff.id);
      assert.deepEqual([row.last_team_reply_at.getTime(), row.quiet_until.getTime()],
        [T0 + 40 * MIN, T0 + (40 + QUIET) * MIN]);

      assert.deepEqual(await h.reply(t, handoff.reply_id, T0 + 41 * MIN, first),
        { status: "duplicate", message_id: stored.message_id }, "Mailgun's retry of the same post");
      assert.deepEqual(await h.reply(t, handoff.reply_id, T0 + 41 * MIN, { ...first, token: "b".repeat(50) }),
        { status: "duplicate", message_id: stored.message_id }, "the same email under a new token");
      assert.deepEqual(await h.reply(t, handoff.reply_id, T0 + 41 * MIN, { ...first, messageId: "<other@mail>" }),
        { status: "replayed" }, "a captured token with another email");
      assert.equal((await h.row(handoff.id)).quiet_until.getTime(), T0 + (40 + QUIET) * MIN, "a duplicate changes nothing");

      const second = await h.reply(t, handoff.reply_id, T0 + 50 * MIN, { text: "Shall I call you?", name: "Joe" });
      assert.equal(second.status, "stored");
      row = await h.row(handoff.id);
      assert.equal(row.quiet_until.getTime(), T0 + (50 + QUIET) * MIN);
      const team = await c.sql("select content from messages where session_id = $1 and role = 'team' order by created_at",
        [session]);
      assert.deepEqual(team.map((m) => m.content), ["Hello, Marta here.", "Shall I call you?"]);
      const [{ last_activity_at: afterwards }] = await c.sql("select last_activity_at from sessions where id = $1", [session]);
      assert.deepEqual(afterwards, before, "a team reply is not the visitor's activity");
      assert.deepEqual(s.keys(await s.sweep(t, T0 + 200 * MIN)), [], "nor a reason to summarize again");
      assert.equal((await s.press(t, "s-reply", T0 + 200 * MIN)).status, "already_sent");

      // Tokens older than a day are pruned (the timestamp check refuses them anyway).
      await h.reply(t, handoff.reply_id, T0 + 2 * DAY, { token: "c".repeat(50) });
      const tokens = await c.sql(`select token from inbound_tokens where tenant_id = (select id from tenants where slug = $1)`, [t]);
      assert.deepEqual(tokens.map((r) => r.token), ["c".repeat(50)]);
      const err = await c.rpcError("salient_handoff_reply", { p_tenant: t, p_reply_id: handoff.reply_id, p_token: "d",
        p_mail_message_id: "<x@y>", p_name: "Marta", p_text: "", p_now_ms: T0, p_quiet_minutes: QUIET });
      assert.equal(err.code, "22P02");
    });

    test("updates: what came after the client's newest message; seen marks the replies shown; unread counts the rest", async () => {
      const t = "ho-updates";
      const key = "s-updates";
      const { handoff } = await h.opened(t, key, T0, { texts: ["first", "second"] });
      const none = await h.updates(t, key, T0 + 2 * MIN, { seen: false });
      assert.deepEqual(none.handoff, { status: "open", team_email: "sent", created_at: handoff.created_at,
        expires_at: handoff.expires_at, quiet_until: null, last_team_reply_at: null });
      assert.deepEqual([none.messages.map((m) => m.role), none.unread], [["user", "assistant", "user", "assistant"], 0]);
      assert.deepEqual(Object.keys(none.messages[0]).sort(), ["content", "created_at", "id", "metadata", "role"]);

      const r1 = await h.reply(t, handoff.reply_id, T0 + 5 * MIN, { text: "one" });
      const r2 = await h.reply(t, handoff.reply_id, T0 + 6 * MIN, { text: "two", name: "Joe" });
      const polled = await h.updates(t, key, T0 + 7 * MIN, { after: T0 + 3000, seen: false });
      assert.deepEqual(polled.messages.map((m) => [m.id, m.role, m.content, m.metadata.name]),
        [[r1.message_id, "team", "one", "Marta"], [r2.message_id, "team", "two", "Joe"]]);
      assert.equal(polled.unread, 2);
      assert.equal(ms(polled.handoff.quiet_until), T0 + (6 + QUIET) * MIN);
      let row = await h.row(handoff.id);
      assert.deepEqual([row.visitor_seen_at, row.seen_through], [null, null], "the closed widget's badge marks nothing");

      const seen = await h.updates(t, key, T0 + 7 * MIN, { after: ms(r1.created_at) });
      assert.deepEqual([seen.messages.map((m) => m.content), seen.unread], [["two"], 0], "strictly after `after`");
      row = await h.row(handoff.id);
      assert.deepEqual([row.visitor_seen_at.getTime(), row.seen_through.getTime()], [T0 + 7 * MIN, ms(r2.created_at)]);
      const r3 = await h.reply(t, handoff.reply_id, T0 + 8 * MIN, { text: "three" });
      assert.equal((await h.updates(t, key, T0 + 9 * MIN, { after: ms(r2.created_at), seen: false })).unread, 1);
      // Nothing new, but the client holds everything up to `after`: marked shown all the same.
      const held = await h.updates(t, key, T0 + 9 * MIN, { after: ms(r3.created_at) });
      assert.deepEqual([held.messages, held.unread], [[], 0]);
      assert.equal((await h.row(handoff.id)).seen_through.getTime(), ms(r3.created_at));

      const empty = { handoff: null, messages: [], unread: 0 };
      assert.deepEqual(await h.updates(t, key, T0, { agent: "support" }), empty, "another agent's widget");
      assert.deepEqual(await h.updates(t, "s-nobody", T0), empty);
      assert.deepEqual(await h.updates("ho-nobody", key, T0), empty);
      await c.sql(`insert into tenant_agents (tenant_id, agent_id, is_enabled) select t.id, a.id, false
        from tenants t, agents a where t.slug = $1 and a.code = 'sales'
        on conflict (tenant_id, agent_id) do update set is_enabled = false`, [t]);
      assert.equal((await c.rpcError("salient_session_updates", { p_tenant: t, p_agent: "sales", p_session_key: key,
        p_after: null, p_mark_seen: true, p_now_ms: T0 })).code, "PT404", "a switched-off agent, as history");
      await c.sql("update tenant_agents set is_enabled = true where tenant_id = (select id from tenants where slug = $1)", [t]);

      // The history shows the replies with their names; at most 50 messages per poll.
      const history = await c.rpc("salient_session_history", { p_tenant: t, p_agent: "sales", p_session_key: key });
      assert.deepEqual(history.messages.filter((m) => m.role === "team").map((m) => [m.content, m.metadata.name]),
        [["one", "Marta"], ["two", "Joe"], ["three", "Marta"]]);
      await h.say(t, key, Array.from({ length: 30 }, (_, i) => `more ${i}`), T0 + 20 * MIN);
      const page = await h.updates(t, key, T0 + 30 * MIN, { after: T0 + 3000, seen: false });
      assert.equal(page.messages.length, 50);
      assert.deepEqual(page.messages.slice(0, 3).map((m) => m.content), ["one", "two", "three"], "the first 50 after");
      const last = await h.updates(t, key, T0 + 30 * MIN, { seen: false });
      assert.equal(last.messages.at(-1).content, "re: more 29", "without `after`: the last 50, oldest first");
      assert.equal(last.messages.length, 50);
    });

    test("claim_turn: the open handoff (quiet while a person is engaged, then a resumed note once) and the team's replies in history", async () => {
      const t = "ho-turn";
      const turnAt = async (key, atMs) => {
        const { turn_id } = await c.rpc("salient_begin_turn", c.turn({ p_tenant: t, p_session_key: key, p_content: `at ${atMs}` }));
        await h.stamp([turn_id], atMs);
        return { turn_id, claim: await c.rpc("salient_claim_turn", { p_tenant: t, p_turn_id: turn_id }) };
      };
      const answer = (turnId, metadata) => c.rpc("salient_finish_turn", { p_tenant: t, p_turn_id: turnId,
        p_message_id: crypto.randomUUID(), p_content: "…", p_metadata: metadata });
      const key = "s-turn";
      const { handoff } = await h.opened(t, key, T0);
      await h.say(t, "s-turn-none", ["hello"], T0);
      assert.equal((await turnAt("s-turn-none", T0 + 10_000)).claim.handoff, null, "no handoff");
      const before = (await turnAt(key, T0 + 2 * MIN)).claim;
      assert.deepEqual(before.handoff, { id: handoff.id, quiet: false, resumed_note_due: false,
        created_at: handoff.created_at, last_team_reply_at: null }, "asked for, nobody replied yet");

      const replied = await h.reply(t, handoff.reply_id, T0 + 5 * MIN, { text: "I'll check stock." });
      const quiet = await turnAt(key, T0 + 6 * MIN);
      assert.deepEqual([quiet.claim.handoff.quiet, quiet.claim.handoff.resumed_note_due], [true, false]);
      assert.equal(ms(quiet.claim.handoff.last_team_reply_at), T0 + 5 * MIN);
      const team = quiet.claim.history.filter((m) => m.role === "team");
      assert.deepEqual(team, [{ role: "team", content: "I'll check stock.", created_at: replied.created_at, name: "Marta" }]);
      assert.deepEqual(quiet.claim.history.at(-1).role, "team", "in order, before the turn");
      await answer(quiet.turn_id, { handoff: "quiet" });
      assert.deepEqual((await c.rpc("salient_turn_answer", { p_tenant: t, p_turn_id: quiet.turn_id })).metadata,
        { handoff: "quiet" }, "the stream's marker is stored as given");

      // The window ends (claim_turn reads the database's clock): one answer says the assistant is back.
      await c.sql("update handoffs set quiet_until = now() - interval '1 minute' where id = $1", [handoff.id]);
      const back = await turnAt(key, T0 + 7 * MIN);
      assert.deepEqual([back.claim.handoff.quiet, back.claim.handoff.resumed_note_due], [false, true]);
      await answer(back.turn_id, { handoff: "resumed" });
      const next = await turnAt(key, T0 + 8 * MIN);
      assert.deepEqual([next.claim.handoff.quiet, next.claim.handoff.resumed_note_due], [false, false], "said once");
      await c.sql("update handoffs set status = 'closed' where id = $1", [handoff.id]);
      assert.equal((await turnAt(key, T0 + 9 * MIN)).claim.handoff, null, "a closed handoff is none");
    });
  });
}
