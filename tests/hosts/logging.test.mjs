// Structured logs: JSON lines with request id, tenant, session, event and
// latency — and never the visitor's text, the stream id or a secret.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { jsonlLogger } from "../../hosts/node-dev/jsonl-log.js";

const SECRET = "logging-test-secret-0123456789abcdefghij";
const QUESTION = "my very private question about hedges";

test("a chat turn leaves JSON-line logs with ids and latency, and no message text or secrets", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "salient-logs-"));
  const file = path.join(dir, "logs", "app.jsonl");
  const log = jsonlLogger({ file, level: "INFO", stdout: false });
  const server = await startServer({ port: 0, env: { SALIENT_STREAM_SECRET: SECRET, SALIENT_STATE: "memory" }, log });
  let streamId;
  try {
    const post = await fetch(`${server.url}/a/sales/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ message: QUESTION, session_key: "logging-session-1", idempotency_key: "logging-idem-1" }),
    });
    assert.equal(post.status, 200);
    const { stream_url } = await post.json();
    streamId = new URL(stream_url, server.url).searchParams.get("stream_id");
    const stream = await fetch(server.url + stream_url);
    assert.equal(stream.status, 200);
    await stream.text();
  } finally {
    await server.close();
    await log.close();
  }
  const text = readFileSync(file, "utf8");
  rmSync(dir, { recursive: true, force: true });
  const entries = text.trim().split("\n").map((line) => JSON.parse(line));
  for (const forbidden of [QUESTION, "private question", SECRET, streamId]) {
    assert.ok(!text.includes(forbidden), `the logs must not contain ${forbidden.slice(0, 12)}…`);
  }
  const requests = entries.filter((e) => e.event === "http.request");
  const chat = requests.find((e) => e.method === "POST" && e.path === "/a/sales/chat");
  const sse = requests.find((e) => e.path === "/a/sales/events/stream");
  for (const e of [chat, sse]) {
    assert.ok(e, JSON.stringify(requests));
    assert.equal(e.status, 200);
    assert.ok(Number.isInteger(e.latency_ms) && e.latency_ms >= 0);
    assert.match(e.request_id, /\S/);
    assert.match(e.time, /^\d{4}-\d\d-\d\dT/);
  }
  const stored = entries.find((e) => e.event === "chat.turn_stored");
  assert.ok(stored, "the core's entry for the stored turn");
  assert.equal(stored.request_id, chat.request_id, "core and host entries share the request id");
  assert.ok(stored.tenant && stored.session_id && stored.agent);
  assert.ok(entries.some((e) => e.event === "stream.answered" && e.session_id === stored.session_id));
});

test("entries below the configured level are dropped", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "salient-logs-"));
  const file = path.join(dir, "app.jsonl");
  const log = jsonlLogger({ file, level: "WARN", stdout: false });
  log({ level: "info", event: "quiet" });
  log({ level: "error", event: "loud" });
  await log.close();
  const events = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l).event);
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(events, ["loud"]);
});
