// How handoffs.test.mjs, handoffs-sweep.test.mjs and handoffs-limits.test.mjs drive
// db/functions/handoff*.sql: the calls the core makes (shared/flows), in its order:
// salient_handoff_start (the button) or _request (the stream), salient_email_queue with
// p_handoff_id + salient_email_result for the team email, salient_inbound_token_take +
// salient_handoff_lookup + _reply for Mailgun's inbound post, salient_session_updates for the
// widget's poll, salient_handoff_due + _forwarded / _notified for the sweep. The clock is the
// caller's (p_now_ms); conversations are stamped at known instants (summaries-support's say()).
//
// Not a test file itself (node --test runs *.test.mjs).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { summaries } from "./summaries-support.mjs";

export { DAY, MIN, T0 } from "./summaries-support.mjs";
export const LEASE = 120;   // seconds
export const QUIET = 30;    // minutes, handoff.quiet_minutes
export const DAYS = 7;      // handoff.reply_days

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
/** A fresh reply id of the core's form: 26 characters of lowercase base32 (random). */
export const replyId = () => Array.from(randomBytes(26), (b) => BASE32[b & 31]).join("");

/** The handoff calls over client(adapter) (backends.mjs). */
export function handoffs(c) {
  const { rpc, sql } = c;
  const { say } = summaries(c);

  const start = (tenant, key, now, { reply = replyId(), trigger = "button", perDay = 3, agent = "sales" } = {}) =>
    rpc("salient_handoff_start", { p_tenant: tenant, p_agent: agent, p_session_key: key, p_reply_id: reply,
      p_trigger: trigger, p_now_ms: now, p_reply_days: DAYS, p_quiet_minutes: QUIET, p_lease_seconds: LEASE,
      p_per_session_per_day: perDay });
  const request = (tenant, turnId, now, { reply = replyId(), perDay = 3 } = {}) =>
    rpc("salient_handoff_request", { p_tenant: tenant, p_turn_id: turnId, p_reply_id: reply, p_now_ms: now,
      p_reply_days: DAYS, p_quiet_minutes: QUIET, p_per_session_per_day: perDay });

  /** Queues an email of `kind` for the handoff → email_id. */
  async function queue(tenant, handoff, { kind = "handoff", to = "team@example.com" } = {}) {
    const { email_id } = await rpc("salient_email_queue", { p_tenant: tenant, p_session_id: handoff.session_id,
      p_to: to, p_subject: "A visitor asks for a person", p_text: "…", p_html: "<p>…</p>", p_kind: kind,
      p_otp_id: null, p_summary_id: null, p_handoff_id: handoff.id });
    return email_id;
  }
  const result = (tenant, emailId, status, now, providerId = "<first@mg.example.com>") =>
    rpc("salient_email_result", { p_tenant: tenant, p_email_id: emailId, p_status: status,
      p_provider_id: status === "sent" ? providerId : null, p_provider_response: { status: 200 }, p_now_ms: now });
  /** The team email of a claimed handoff, queued and answered (`outcome` null: no answer). → email_id */
  async function send(tenant, handoff, now, { outcome = "sent", providerId } = {}) {
    const emailId = await queue(tenant, handoff);
    if (outcome) assert.equal((await result(tenant, emailId, outcome, now, providerId)).status, outcome);
    return emailId;
  }
  /** A conversation in `key` at `atMs` and its handoff, started and its team email sent. → {session, handoff} */
  async function opened(tenant, key, atMs, { texts = ["I need a quote"], sent = true } = {}) {
    const session = await say(tenant, key, texts, atMs);
    const started = await start(tenant, key, atMs + 60_000);
    assert.equal(started.status, "claimed");
    if (sent) await send(tenant, started.handoff, atMs + 61_000);
    return { session, handoff: started.handoff };
  }

  const lookup = (tenant, reply, now) =>
    rpc("salient_handoff_lookup", { p_tenant: tenant, p_reply_id: reply, p_now_ms: now });
  /** Mailgun's token taken before anything else (the route's first call). */
  const take = (tenant, token, messageId, now) =>
    rpc("salient_inbound_token_take", { p_tenant: tenant, p_token: token, p_mail_message_id: messageId, p_now_ms: now });
  const reply = (tenant, replyIdValue, now, { token = randomBytes(25).toString("hex"),
    messageId = `<${randomBytes(8).toString("hex")}@mail.example.com>`, name = "Marta", text = "Hi, Marta here.",
    quiet = QUIET } = {}) =>
    rpc("salient_handoff_reply", { p_tenant: tenant, p_reply_id: replyIdValue, p_token: token,
      p_mail_message_id: messageId, p_name: name, p_text: text, p_now_ms: now, p_quiet_minutes: quiet });
  const updates = (tenant, key, now, { after = null, seen = true, agent = "sales" } = {}) =>
    rpc("salient_session_updates", { p_tenant: tenant, p_agent: agent, p_session_key: key,
      p_after: after === null ? null : new Date(after).toISOString(), p_mark_seen: seen, p_now_ms: now });
  const due = (tenant, now, { batch = 30, notify = 10, limit = 10, on = rpc } = {}) =>
    on("salient_handoff_due", { p_tenant: tenant, p_now_ms: now, p_batch_seconds: batch, p_notify_minutes: notify,
      p_lease_seconds: LEASE, p_limit: limit });
  const mark = (fn, tenant, handoffId, through) =>
    rpc(fn, { p_tenant: tenant, p_handoff: handoffId, p_through: through });

  /** The handoff's row as stored. */
  const row = async (id) => (await sql("select * from handoffs where id = $1", [id]))[0];
  /** Stamps messages at an instant (ms), as say() does. */
  const stamp = (ids, atMs) => sql("update messages set created_at = to_timestamp($2::bigint / 1000.0) where id = any($1)",
    [ids, atMs]);
  /** The visitor proves their address (a one-time code): the session's profile is verified. */
  const verify = (session, email) => sql(`select salient_link_session(tenant_id, id, $2, 'sales', now(), 'v1')
    from sessions where id = $1`, [session, email]);

  return { say, start, request, queue, result, send, opened, lookup, take, reply, updates, due, mark, row, stamp, verify };
}
