// How admin.test.mjs and admin-metrics.test.mjs set up what the admin view reads
// (db/functions/admin*.sql): conversations begun and answered through the RPCs, then stamped at
// known instants; summaries, handoffs and model calls written as the other functions would.
//
// Not a test file itself (node --test runs *.test.mjs).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { client } from "./backends.mjs";

export const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);   // 2026-12-07 10:00 UTC
export const MIN = 60_000;
export const DAY = 86_400_000;

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const replyId = () => Array.from(randomBytes(26), (b) => BASE32[b & 31]).join("");
const TENANT = "(select id from tenants where slug = $1)";
const AT = (p) => `to_timestamp($${p}::numeric / 1000)`;

/** The admin calls and the seeding helpers over client(adapter) (backends.mjs). */
export function admin(adapter) {
  const c = client(adapter);
  const { sql, rpc, rpcError } = c;
  let n = 0;

  /** A fresh tenant slug per case, so that cases never see each other's rows. */
  const tenant = (what = "t") => `adm-${what}-${++n}`;

  /**
   * A conversation of `slug` in session `key`: each text begun and answered (citations on the
   * answers when given), then last active at `at` (epoch ms, plus `us` microseconds) and started
   * at `started` (default: `at`). → session id.
   */
  async function chat(slug, key, texts, { at = T0, us = 0, started = at, citations = null } = {}) {
    let session;
    const stored = [];
    for (const text of texts) {
      const { turn_id, session_id } = await rpc("salient_begin_turn", c.turn({ p_tenant: slug, p_session_key: key, p_content: text }));
      const answer = crypto.randomUUID();
      await rpc("salient_finish_turn", { p_tenant: slug, p_turn_id: turn_id, p_message_id: answer,
        p_content: `re: ${text}`, p_metadata: citations ? { mode: "llm", citations } : { mode: "llm" } });
      session = session_id;
      stored.push(turn_id, answer);
    }
    // Messages one second apart from `started`, in the order they were stored.
    await sql(`update messages m set created_at = ${AT(2)} + make_interval(secs => u.i)
      from unnest($1::uuid[]) with ordinality u(id, i) where m.id = u.id`, [stored, started]);
    await sql(`update sessions set created_at = ${AT(2)}, last_activity_at = ${AT(3)} + make_interval(secs => $4::numeric / 1e6)
      where id = $1`, [session, started, at, us]);
    return session;
  }

  const identify = (slug, key, email, name) =>
    rpc("salient_identify", { p_tenant: slug, p_agent: "sales", p_session_key: key, p_email: email, p_name: name });

  /** A summary of the session with `outcome`, stored at `at`. → its id. */
  async function summary(slug, session, outcome, at, { text = `summary: ${outcome}`, lead = {} } = {}) {
    const [row] = await sql(`insert into conversation_summaries (tenant_id, session_id, summary, outcome, status, lead, created_at)
      values (${TENANT}, $2, $3, $4, 'sent', $5::jsonb, ${AT(6)}) returning id`,
    [slug, session, text, outcome, JSON.stringify(lead), at]);
    return row.id;
  }

  /** A handoff of the session asked for at `at`. */
  const handoff = (slug, session, at, status = "open") =>
    sql(`insert into handoffs (tenant_id, session_id, reply_id, trigger, status, created_at, expires_at)
      values (${TENANT}, $2, $3, 'button', $4, ${AT(5)}, ${AT(5)} + interval '7 days')`,
    [slug, session, replyId(), status, at]);

  /** A model call of the session (null: of none) at `at`. */
  const llm = (slug, session, at, { model = "m1", cost = 0, latency = null, first = null, prompt = 10, completion = 5 } = {}) =>
    sql(`insert into llm_requests (tenant_id, session_id, model, computed_cost, latency_ms, first_token_ms,
        prompt_tokens, completion_tokens, created_at)
      values (${TENANT}, $2, $3, $4, $5, $6, $7, $8, ${AT(9)})`,
    [slug, session, model, cost, latency, first, prompt, completion, at]);

  /** An email about the session (kind, to), reported `status`. → its id. */
  async function email(slug, session, { kind = "summary", to = "team@example.com", status = "sent", at = T0 } = {}) {
    const { email_id } = await rpc("salient_email_queue", { p_tenant: slug, p_session_id: session, p_to: to,
      p_subject: `about ${kind}`, p_text: "…", p_html: "<p>…</p>", p_kind: kind, p_otp_id: null });
    if (status !== "queued") {
      await rpc("salient_email_result", { p_tenant: slug, p_email_id: email_id, p_status: status,
        p_provider_id: null, p_provider_response: { status: 200 }, p_now_ms: at });
    }
    return email_id;
  }

  const list = (slug, over = {}) => rpc("salient_admin_conversations", { p_tenant: slug, ...over });
  const ids = async (slug, over = {}) => (await list(slug, over)).conversations.map((r) => r.session_id);
  const leads = (slug, over = {}) => rpc("salient_admin_leads", { p_tenant: slug, ...over });
  const update = (slug, session, status, notes = "", now = T0, by = "op@site.example") =>
    rpc("salient_admin_lead_update", { p_tenant: slug, p_session_id: session, p_status: status, p_notes: notes,
      p_by: by, p_now_ms: now });

  /** The call fails with SQLSTATE `code` and a message naming `arg`. */
  async function refused(fn, args, code, arg) {
    const err = await rpcError(fn, args);
    assert.equal(err.code, code, `${fn}: ${err.message}`);
    if (arg) assert.match(err.message, new RegExp(`invalid input for argument ${arg}`));
  }

  const count = async (table, where = "true", params = []) =>
    (await sql(`select count(*)::int as n from ${table} where ${where}`, params))[0].n;

  return { ...c, tenant, chat, identify, summary, handoff, llm, email, list, ids, leads, update, refused, count };
}
