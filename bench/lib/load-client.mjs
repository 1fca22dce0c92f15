// One simulated visitor of the load test (bench/lib/load.mjs): a conversation that sends
// messages until the deadline, each through the chat POST and its event stream, the way the
// widget does (widget/pane/server.js, widget/pane/stream.js):
//   - a chat POST answered 5xx/429 or cut by the network is retried with the SAME idempotency
//     key (Retry-After honoured, else a short backoff), as the widget's send does;
//   - a share of messages is resubmitted with the same key (a double click: half of them while
//     the first POST is still in flight, half right after it) — the answer must name one turn;
//   - a share of streams is cut by the client after a few tokens and resumed with Last-Event-ID
//     (backoff 400/1000/2000/4000 ms, reset when a try made progress; 503/5xx/429 or a network
//     error is another try; 410 or tries run out → the stored answer from the history);
//   - a share of turns presses the summary button (POST /a/sales/summary), so email is sent.
// Every message leaves a record (see `newRecord`) that the checks read against the database.

import { parseSse } from "../../tests/support/sse.mjs";

const RECONNECT_MS = [400, 1000, 2000, 4000]; // widget/pane/stream.js
const POST_TRIES = 8;
const HISTORY_TRIES = 6; // widget/pane/server.js storedAnswer: one per second

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function newRecord(host, session, idem) {
  return {
    host, session, idem,
    postStatuses: [], // every POST's status (or "network")
    answered: false, // a POST was answered 2xx
    messageId: null,
    resubmitted: false, resubmitIds: [],
    dropped: false, resumes: 0, resumeStatuses: [],
    outcome: null, // "done" | "error" | "restored" | "unrestored" | "refused" (stream never delivered)
    streamStatuses: [],
    errorCodes: [], // SSE error events' codes
    doneMessageId: null,
    text: "",
    ttftMs: null, fullMs: null,
    summaryStatus: null,
  };
}

/** Splits a growing SSE text into whole events and the unfinished rest. */
function takeEvents(buffer) {
  const normal = buffer.replace(/\r\n?/g, "\n");
  const end = normal.lastIndexOf("\n\n");
  if (end < 0) return { events: [], rest: normal };
  return { events: parseSse(normal.slice(0, end + 2)), rest: normal.slice(end + 2) };
}

const jsonOf = (data) => {
  try {
    return JSON.parse(data);
  } catch {
    return {};
  }
};

/**
 * Runs one visitor until `deadline` (ms, performance.now()). `opts`: { base, host, random,
 * dropShare, resubmitShare, summaryShare, thinkMs: [min, max], records (array to push to) }.
 */
export async function visitor(opts) {
  const { base, random, deadline, records } = opts;
  const session = crypto.randomUUID();
  let turn = 0;
  while (performance.now() < deadline) {
    turn += 1;
    const idem = crypto.randomUUID();
    const record = newRecord(opts.host, session, idem);
    records.push(record);
    const message = turn === 1
      ? `Hi, I'm a load test visitor (lead.${session.slice(0, 8)}@example.com). Do you deliver to Fernhill?`
      : `Question ${turn}: what does a garden design cost for ${Math.floor(random() * 90) + 10} square metres?`;
    await oneMessage(opts, record, message);
    if (record.outcome && random() < opts.summaryShare) {
      record.summaryStatus = await pressSummary(base, session);
    }
    const [min, max] = opts.thinkMs;
    await sleep(min + random() * (max - min));
  }
}

async function post(base, path, body) {
  try {
    const res = await fetch(base + path, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: jsonOf(text), retryAfter: Number(res.headers.get("retry-after")) || 0 };
  } catch {
    return { status: "network", json: {}, retryAfter: 0 };
  }
}

async function pressSummary(base, session) {
  const r = await post(base, "/a/sales/summary", { session_key: session });
  return r.status === 200 || r.status === 202 ? `${r.status}:${r.json.status ?? "?"}` : String(r.status);
}

/** The chat POST with the widget's retries; the reply, or null when it never got a 2xx. */
async function send(opts, record, body) {
  for (let i = 0; i < POST_TRIES; i++) {
    const r = await post(opts.base, "/a/sales/chat", body);
    record.postStatuses.push(r.status);
    if (r.status === 200) return r.json;
    const retryable = r.status === "network" || r.status === 429 || r.status >= 500;
    if (!retryable) return null;
    await sleep(r.retryAfter ? r.retryAfter * 1000 : 250 * (i + 1));
  }
  return null;
}

async function oneMessage(opts, record, message) {
  const { base, random } = opts;
  const body = { message, session_key: record.session, idempotency_key: record.idem };
  const started = performance.now();
  const resubmit = random() < opts.resubmitShare;
  const together = resubmit && random() < 0.5;
  const first = send(opts, record, body);
  const second = together ? send(opts, record, body) : null;
  const reply = await first;
  if (!reply) return;
  record.answered = true;
  record.messageId = reply.message_id;
  if (resubmit) {
    record.resubmitted = true;
    const again = await (second ?? send(opts, record, body));
    if (again) record.resubmitIds.push(again.message_id);
  }
  const drop = random() < opts.dropShare;
  await stream(opts, record, reply.stream_url, started, drop ? 1 + Math.floor(random() * 4) : 0);
}

/** The widget's readEvents: resumes after drops; sets record.outcome. */
async function stream(opts, record, streamUrl, started, dropAfterTokens) {
  const { base } = opts;
  let lastId = "";
  let tries = 0;
  let tokens = 0;
  while (!record.outcome) {
    let dropped = false;
    let progressed = false;
    const controller = new AbortController();
    try {
      const headers = { accept: "text/event-stream" };
      if (lastId) headers["last-event-id"] = lastId;
      const res = await fetch(base + streamUrl, { headers, signal: controller.signal });
      (lastId ? record.resumeStatuses : record.streamStatuses).push(res.status);
      if (!res.ok || !res.body) {
        await res.text().catch(() => "");
        if (lastId && res.status === 410) record.outcome = "restore";
        else if (res.status >= 500 || res.status === 429) dropped = true;
        else record.outcome = "refused";
      } else {
        const decoder = new TextDecoder();
        let buffer = "";
        for await (const chunk of res.body) {
          buffer += decoder.decode(chunk, { stream: true });
          const { events, rest } = takeEvents(buffer);
          buffer = rest;
          for (const event of events) {
            progressed = true;
            if (event.id) lastId = event.id;
            const data = jsonOf(event.data);
            if (event.event === "token" && typeof data.text === "string") {
              record.text += data.text;
              tokens += 1;
              record.ttftMs ??= performance.now() - started;
            } else if (event.event === "error") {
              record.errorCodes.push(data.code ?? "?");
            } else if (event.event === "done") {
              record.doneMessageId = data.message_id || null;
              record.fullMs = performance.now() - started;
              record.outcome = record.errorCodes.length ? "error" : "done";
            }
          }
          if (record.outcome) break;
          if (dropAfterTokens && !record.dropped && tokens >= dropAfterTokens) {
            record.dropped = true; // the visitor's connection is cut mid-answer
            controller.abort();
            break;
          }
        }
        if (!record.outcome) dropped = true; // ended (or cut) before `done`
      }
    } catch {
      dropped = true; // a network error, or our own abort
    }
    if (dropped && !record.outcome) {
      // With nothing to resume from (no id yet), the widget opens the same URL again: the server
      // answers it if no stream took the turn, else refuses it (410: "refused" above).
      if (progressed) tries = 0;
      if (tries >= RECONNECT_MS.length) record.outcome = "restore";
      else {
        await sleep(RECONNECT_MS[tries++]);
        if (lastId) record.resumes += 1;
      }
    }
  }
  if (record.outcome === "restore" || record.outcome === "refused") {
    const stored = await storedAnswer(base, record);
    // A refused first GET is an error the widget shows; the history is read here only to
    // tell whether the answer exists at all (record.storedAfterRefusal).
    if (record.outcome === "refused") record.storedAfterRefusal = Boolean(stored);
    else if (stored) {
      record.text = stored.content;
      record.outcome = "restored";
      record.fullMs = performance.now() - started;
    } else record.outcome = "unrestored";
  }
}

/** widget/pane/server.js storedAnswer: the answer after our message in the history. */
async function storedAnswer(base, record) {
  for (let i = 0; i < HISTORY_TRIES; i++) {
    if (i) await sleep(1000);
    const r = await post(base, "/a/sales/history", { session_key: record.session });
    if (r.status !== 200 || !Array.isArray(r.json.messages)) continue;
    const messages = r.json.messages;
    const asked = messages.findIndex((m) => m?.id === record.messageId);
    const found = asked >= 0 && messages.slice(asked + 1).find((m) => m?.role === "assistant");
    if (found && typeof found.content === "string") return found;
  }
  return null;
}
