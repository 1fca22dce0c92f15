// The load test's verdict (bench/lib/load.mjs): the visitors' records (load-client.mjs) read
// against the database itself, not against what the hosts said.
//
// Lost (must be 0):
//   lostUser    a message whose chat POST was answered 2xx, with no stored user message for its
//               (session, idempotency key);
//   lostAnswer  a message whose stream ended (done, error, or given up and read from the
//               history) or was resumed, with no stored answer (a model's, an interrupted one,
//               or the offline fallback: any assistant row for the turn);
//   unanswered  a message whose first stream GET was refused (the turn was claimed but the
//               visitor never got a stream) and that has no stored answer.
// Duplicated (must be 0):
//   userCopies    two stored user messages for one (session, idempotency key);
//   answerCopies  two stored answers for one turn;
//   resubmitSplit a resubmission (same key) answered with another message id than the first.
// Also: mismatched, a stream that ended with `done` and a message id whose text (with what a
// resume added) is not the stored answer's, or whose id is not the stored answer's.

import { percentile } from "./stats.mjs";

const tally = (values) => values.reduce((acc, v) => ((acc[v] = (acc[v] ?? 0) + 1), acc), {});
const ended = new Set(["done", "error", "restored", "unrestored"]);

export async function checkRecords(store, records) {
  const sessions = [...new Set(records.map((r) => r.session))];
  const users = await store.query(`
    select s.session_key, m.id::text as id, m.idempotency_key
      from messages m join sessions s on s.id = m.session_id
     where m.role = 'user' and s.session_key = any($1::text[])`, [sessions]);
  const userRows = new Map(); // "session|key" → [id]
  for (const u of users) {
    const k = `${u.session_key}|${u.idempotency_key}`;
    userRows.set(k, [...(userRows.get(k) ?? []), u.id]);
  }
  const turnIds = users.map((u) => u.id);
  const answers = await store.query(`
    select m.turn_id::text as turn_id, m.id::text as id, m.content, m.metadata
      from messages m where m.role = 'assistant' and m.turn_id = any($1::uuid[])`, [turnIds]);
  const answerRows = new Map(); // turn id → [row]
  for (const a of answers) answerRows.set(a.turn_id, [...(answerRows.get(a.turn_id) ?? []), a]);

  const lost = { lostUser: 0, lostAnswer: 0, unanswered: 0 };
  const duplicated = { userCopies: 0, answerCopies: 0, resubmitSplit: 0 };
  const examples = [];
  let stored = 0;
  let answersStored = 0;
  let offline = 0;
  let interrupted = 0;
  let mismatched = 0;
  for (const r of records) {
    const ids = userRows.get(`${r.session}|${r.idem}`) ?? [];
    if (ids.length) stored += 1;
    if (ids.length > 1) duplicated.userCopies += 1;
    const turn = ids[0] ?? r.messageId;
    const rows = (turn && answerRows.get(turn)) || [];
    if (rows.length) answersStored += 1;
    if (rows.length > 1) duplicated.answerCopies += 1;
    if (rows[0]?.metadata?.mode === "offline") offline += 1;
    if (rows[0]?.metadata?.interrupted) interrupted += 1;
    if (r.resubmitIds.some((id) => id !== r.messageId)) duplicated.resubmitSplit += 1;
    let why = null;
    if (r.answered && ids.length === 0) why = "lostUser";
    else if (r.answered && (ended.has(r.outcome) || r.resumes > 0) && rows.length === 0) why = "lostAnswer";
    else if (r.outcome === "refused" && rows.length === 0) why = "unanswered";
    if (why) {
      lost[why] += 1;
      if (examples.length < 10) examples.push({ why, ...brief(r) });
    }
    // Every stream that ended with `done` naming its answer (cut, resumed or stalled ones too):
    // what the visitor read is that stored answer, byte for byte.
    if (r.doneMessageId && rows.length === 1 && (rows[0].content !== r.text || rows[0].id !== r.doneMessageId)) {
      mismatched += 1;
      if (examples.length < 10) examples.push({ why: "mismatched", ...brief(r), stored: rows[0].content.slice(0, 80) });
    }
  }

  const clean = records.filter((r) => r.outcome === "done" && !r.dropped && r.postStatuses.length === 1);
  const all = records.filter((r) => r.fullMs !== null);
  const pct = (values) => ({ n: values.length, p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99) });
  const nonOk = (statuses) => statuses.filter((s) => s !== 200).map(String);
  return {
    sent: records.length,
    postRequests: records.reduce((n, r) => n + r.postStatuses.length, 0),
    answered: records.filter((r) => r.answered).length,
    stored,
    answersStored,
    offlineAnswers: offline,
    interruptedAnswers: interrupted,
    outcomes: tally(records.map((r) => r.outcome ?? (r.answered ? "pending" : "not-accepted"))),
    lost: { total: lost.lostUser + lost.lostAnswer + lost.unanswered, ...lost },
    duplicated: { total: duplicated.userCopies + duplicated.answerCopies + duplicated.resubmitSplit, ...duplicated },
    mismatched,
    errors: {
      chatPost: tally(records.flatMap((r) => nonOk(r.postStatuses))),
      streamGet: tally(records.flatMap((r) => nonOk(r.streamStatuses))),
      resumeGet: tally(records.flatMap((r) => nonOk(r.resumeStatuses))),
      sseError: tally(records.flatMap((r) => r.errorCodes)),
      summary: tally(records.filter((r) => r.summaryStatus).map((r) => r.summaryStatus)),
    },
    resumed: records.filter((r) => r.resumes > 0).length,
    latencyMs: {
      // Clean turns: one POST, not cut by the client, ended with done (the visitor's usual case).
      ttft: pct(clean.map((r) => r.ttftMs).filter((x) => x !== null)),
      full: pct(clean.map((r) => r.fullMs)),
      // Every turn that ended with an answer, retries, resumes and faults included.
      fullAll: pct(all.map((r) => r.fullMs)),
    },
    examples,
  };
}

function brief(r) {
  return {
    session: r.session, idem: r.idem, messageId: r.messageId, outcome: r.outcome, posts: r.postStatuses,
    streams: r.streamStatuses, resumes: r.resumeStatuses, errors: r.errorCodes, dropped: r.dropped,
    resubmitted: r.resubmitted,
  };
}
