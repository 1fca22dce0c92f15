// How summaries.test.mjs and summaries-button.test.mjs drive db/functions/summaries.sql: the same
// calls, in the same order, as the core (shared/flows/summary/): salient_summary_claim (the button
// with p_agent + p_session_key, the sweep with both null), salient_summary_store with the claim's
// token, salient_email_queue with p_summary_id, salient_email_result. The clock is the caller's
// (p_now_ms); messages are retimed to known instants so that idleness is exact.
//
// Not a test file itself (node --test runs *.test.mjs).
import assert from "node:assert/strict";

export const T0 = Date.UTC(2030, 0, 1, 9, 0, 0);
export const MIN = 60_000;
export const DAY = 24 * 60 * MIN;
export const LEASE = 120;          // seconds, as summary::lease_seconds
export const IDLE = 30;            // minutes, chat.inactivity_minutes' default
export const LATER = LEASE * 1000 + 1000; // just past a lease

/** The summary calls over client(adapter) (backends.mjs); `on` is another connection's rpc. */
export function summaries({ rpc, sql, turn }) {
  /** A conversation in session `key` of `tenant`: each text answered, stamped at `atMs` + 1 s each. */
  async function say(tenant, key, texts, atMs, { agent = "sales" } = {}) {
    const ids = [];
    let session;
    for (const text of texts) {
      const { turn_id, session_id } = await rpc("salient_begin_turn",
        turn({ p_tenant: tenant, p_agent: agent, p_session_key: key, p_content: text }));
      const answer = crypto.randomUUID();
      await rpc("salient_finish_turn", { p_tenant: tenant, p_turn_id: turn_id, p_message_id: answer,
        p_content: `re: ${text}`, p_metadata: { mode: "llm" } });
      ids.push(turn_id, answer);
      session = session_id;
    }
    await sql(`update messages m set created_at = to_timestamp(($2::bigint + (u.ord - 1) * 1000) / 1000.0)
      from unnest($1::uuid[]) with ordinality as u(id, ord) where m.id = u.id`, [ids, atMs]);
    return session;
  }
  /** The instant of the last message say() stamped for `texts` at `atMs`. */
  const lastAt = (texts, atMs) => atMs + (texts.length * 2 - 1) * 1000;

  const sweep = (tenant, now, { limit = 10, idle = IDLE, on = rpc } = {}) => on("salient_summary_claim", {
    p_tenant: tenant, p_agent: null, p_session_key: null, p_now_ms: now, p_idle_minutes: idle, p_limit: limit,
    p_lease_seconds: LEASE, p_per_session_per_day: 5 });
  const press = (tenant, key, now, { perDay = 5, agent = "sales" } = {}) => rpc("salient_summary_claim", {
    p_tenant: tenant, p_agent: agent, p_session_key: key, p_now_ms: now, p_idle_minutes: IDLE, p_limit: 1,
    p_lease_seconds: LEASE, p_per_session_per_day: perDay });

  const store = (tenant, claim, now, { token = claim.claim, trigger = "sweep", lead = {}, llm = null } = {}) =>
    rpc("salient_summary_store", { p_tenant: tenant, p_session_id: claim.session_id, p_claim: token,
      p_trigger: trigger, p_method: "rules", p_outcome: "LEAD", p_summary: "Asked about a patio.", p_lead: lead,
      p_through: claim.through, p_message_count: claim.message_count, p_now_ms: now, p_link_days: 14,
      p_lease_seconds: LEASE, p_llm: llm });
  async function queue(tenant, claim, summaryId) {
    const { email_id } = await rpc("salient_email_queue", { p_tenant: tenant, p_session_id: claim.session_id,
      p_to: "sales@example.com", p_subject: "New lead", p_text: "A lead.", p_html: "<p>A lead.</p>",
      p_kind: "summary", p_otp_id: null, p_summary_id: summaryId });
    return email_id;
  }
  const result = (tenant, emailId, status, now) => rpc("salient_email_result", { p_tenant: tenant,
    p_email_id: emailId, p_status: status, p_provider_id: status === "sent" ? "<id@mg>" : null,
    p_provider_response: { status: status === "sent" ? 200 : 503 }, p_now_ms: now });
  /**
   * Stores the claim's summary, queues its email and reports Mailgun's answer one second later
   * (`outcome` "sent" | "failed", or null: the run died before the answer). → { summary_id, email_id }
   */
  async function send(tenant, claim, now, { outcome = "sent", ...opts } = {}) {
    const stored = await store(tenant, claim, now, opts);
    assert.equal(stored.status, "stored");
    const email_id = await queue(tenant, claim, stored.summary_id);
    if (outcome) assert.equal((await result(tenant, email_id, outcome, now + 1000)).status, outcome);
    return { ...stored, email_id };
  }

  /** The session keys a claim answer names, sorted. */
  const keys = (answer) => answer.claims.map((c) => c.session_key).sort();
  /** The summary emails recorded for a session: their statuses, sorted. */
  const emails = async (sessionId) => (await sql(`select e.status from email_events e
      join conversation_summaries c on c.id = e.summary_id where c.session_id = $1`, [sessionId]))
    .map((r) => r.status).sort();
  const summaryRows = (sessionId) => sql(`select status, trigger, sent_at from conversation_summaries
      where session_id = $1 order by created_at`, [sessionId]);
  const session = async (id) => (await sql(`select summary_claim, summary_claim_until, summarized_through,
      summary_attempts, summary_retry_at from sessions where id = $1`, [id]))[0];

  return { say, lastAt, sweep, press, store, queue, result, send, keys, emails, summaryRows, session };
}
