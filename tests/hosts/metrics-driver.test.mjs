// The driver's per-instance counters (hosts/driver/metrics.js) and its log flush
// (hosts/driver/log-flush.js), issue 20: requests counted by module, route NAME and status (never
// the raw path), upstream errors by upstream and kind through the real effect loop against local
// fake upstreams, 429s, the snapshot going to GET /metrics only, and the warnings queue: bounded,
// redacted, sent after a run to the otp module, one flush at a time, never its own lines.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { createSalient } from "../../hosts/driver.js";
import { runEffect } from "../../hosts/driver/effect.js";
import { createMetrics, errorKind, routeName, upstreamClassifier, wantsInstanceMetrics } from "../../hosts/driver/metrics.js";
import { createLogQueue, MAX_FIELDS_BYTES, queueingLog, storedLine } from "../../hosts/driver/log-flush.js";
import { redactingLog } from "../../hosts/driver/redact.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const built = (fn) => new WebAssembly.Module(readFileSync(path.join(root, `build/wasi/functions/${fn}.wasm`)));
const SECRET = "metrics-driver-test-secret-0123456789abcdef";
const METRICS_TOKEN = "metrics-driver-scrape-token-0123456789";

/** A fake upstream on 127.0.0.1: `answer(req, body)` → [status, json] or null (never answers). */
async function fakeUpstream(answer) {
  const seen = [];
  const hanging = new Set();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, body });
      const out = answer(req, body);
      if (!out) return void hanging.add(res);
      res.writeHead(out[0], { "content-type": "application/json" });
      res.end(JSON.stringify(out[1]));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

test("routes are counted by pattern name, never by the raw path", () => {
  const names = {
    "/a/sales/chat": "/a/{agent}/chat",
    "/a/sales/events/stream": "/a/{agent}/events/stream",
    "/a/sales": "/a/{agent}",
    "/a/sales/": "/a/{agent}/",
    "/a/sales/transcript/secret.token-123": "/a/{agent}/transcript/{token}",
    "/a/sales/privacy": "/a/{agent}/privacy",
    "/a/sales/jane@example.com": "other",
    "/a/Bad_Agent/chat": "other",
    "/otp/request": "/otp/request",
    "/otp/anything-else": "/otp/*",
    "/admin/": "/admin/",
    "/admin/conversations/0b9f6a8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b": "/admin/conversations/{id}",
    "/admin/leads/0b9f6a8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b": "/admin/leads/{id}",
    "/admin/whatever/x": "/admin/*",
    "/metrics": "/metrics",
    "/widget/salient.js": "/widget/*",
    "/assets/page.css": "/assets/*",
    "/": "other",
    "/+44 20 7946 0958": "other",
  };
  for (const [p, name] of Object.entries(names)) assert.equal(routeName(p), name, p);
  assert.equal(routeName(undefined), "other");
});

test("upstreams are named from the env's bases, then the services' hosts; kinds from failures and statuses", () => {
  const classify = upstreamClassifier({
    SUPABASE_URL: "http://127.0.0.1:54321", OPENROUTER_BASE_URL: "http://127.0.0.1:9001/api/v1",
    MAILGUN_BASE_URL: "http://127.0.0.1:9002", PINECONE_INDEX_HOST: "https://idx-abc.svc.pinecone.io",
  });
  assert.equal(classify("http://127.0.0.1:54321/rest/v1/rpc/salient_begin_turn"), "store");
  assert.equal(classify("http://127.0.0.1:9001/api/v1/chat/completions"), "openrouter");
  assert.equal(classify("http://127.0.0.1:9002/v3/example.com/messages"), "mailgun");
  assert.equal(classify("https://idx-abc.svc.pinecone.io/query"), "pinecone");
  assert.equal(classify("https://api.pinecone.io/embed"), "pinecone");
  assert.equal(classify("https://api.openai.com/v1/embeddings"), "embeddings");
  assert.equal(classify("https://openrouter.ai/api/v1/chat/completions"), "openrouter");
  assert.equal(classify("https://api.eu.mailgun.net/v3/x/messages"), "mailgun");
  assert.equal(classify("https://example.com/"), "other");
  assert.equal(classify("not a url"), "other");
  // One test double for everything: the path tells them apart.
  const one = upstreamClassifier({ SUPABASE_URL: "http://127.0.0.1:7000", OPENAI_BASE_URL: "http://127.0.0.1:7000/v1" });
  assert.equal(one("http://127.0.0.1:7000/rest/v1/rpc/x"), "store");
  assert.equal(one("http://127.0.0.1:7000/v1/embeddings"), "embeddings");
  assert.deepEqual([errorKind(404), errorKind(503), errorKind(200), errorKind("timeout"), errorKind("connect"), errorKind("network"), errorKind("aborted")],
    ["http_4xx", "http_5xx", null, "timeout", "network", "network", null]);
});

test("the snapshot goes to a GET /metrics head only; its shape is the ABI's", () => {
  assert.equal(wantsInstanceMetrics("GET", "/metrics"), true);
  for (const [m, p] of [["POST", "/metrics"], ["HEAD", "/metrics"], ["GET", "/metrics/"], ["GET", "/a/sales/metrics"], ["GET", "/admin/"]]) {
    assert.equal(wantsInstanceMetrics(m, p), false, `${m} ${p}`);
  }
  let t = 1765119600123;
  const m = createMetrics({ now: () => t });
  m.request("chat", "/a/sales/chat", 200);
  m.request("chat", "/a/other/chat", 200);
  m.request("chat", "/a/sales/chat", 429);
  m.request("otp", "/otp/request", "bad");
  m.upstreamError("https://openrouter.ai/api/v1/chat/completions", "timeout");
  m.upstreamError("https://openrouter.ai/api/v1/chat/completions", 200); // not an error
  assert.match(m.instance, /^[0-9a-f]{16}$/);
  assert.notEqual(createMetrics().instance, m.instance);
  assert.deepEqual(m.snapshot(), {
    instance: m.instance, started_ms: 1765119600123,
    requests: [
      { module: "chat", route: "/a/{agent}/chat", status: 200, count: 2 },
      { module: "chat", route: "/a/{agent}/chat", status: 429, count: 1 },
      { module: "otp", route: "/otp/request", status: 0, count: 1 },
    ],
    upstream_errors: [{ upstream: "openrouter", kind: "timeout", count: 1 }],
    rate_limited: [{ route: "/a/{agent}/chat", count: 1 }],
  });
});

/** The driver's effect loop (driver/effect.js) for one effect, on a stand-in for a run. */
function effectRun(metrics) {
  const events = [];
  const run = {
    effects: new Map(), finished: false, body: null, clientGone: false, waiters: [],
    host: { fetch: (url, init) => fetch(url, init), metrics },
    x: { salient_effect_head: "head", salient_effect_fail: "fail" },
    feed: (fn, id) => events.push(fn), feedChunk: () => events.push("chunk"), feedEnd: () => events.push("end"),
    wake() {},
  };
  return { run, events, go: (spec) => {
    const abort = new AbortController();
    run.effects.set(spec.id, abort);
    return { abort, done: runEffect(run, spec, abort) };
  } };
}

test("upstream errors are counted by the effect loop: http_4xx, http_5xx, timeout, network; a cancelled effect is not", async () => {
  const store = await fakeUpstream((req) => (req.url.includes("missing") ? [404, {}] : req.url.includes("hang") ? null : [503, { message: "down" }]));
  const llm = await fakeUpstream(() => null);
  const closed = await fakeUpstream(() => [200, {}]);
  await closed.close();
  try {
    const metrics = createMetrics({ env: { SUPABASE_URL: store.url, OPENROUTER_BASE_URL: `${llm.url}/api/v1`, MAILGUN_BASE_URL: closed.url } });
    const { go, run } = effectRun(metrics);
    await go({ id: 1, method: "POST", url: `${store.url}/rest/v1/rpc/salient_begin_turn` }).done;
    await go({ id: 2, method: "POST", url: `${store.url}/rest/v1/rpc/missing` }).done;
    await go({ id: 3, method: "POST", url: `${llm.url}/api/v1/chat/completions`, stream: true, timeout_ms: 100 }).done;
    await go({ id: 4, method: "POST", url: `${closed.url}/v3/x/messages`, timeout_ms: 2000 }).done;
    const cancelled = go({ id: 5, method: "POST", url: `${store.url}/rest/v1/rpc/hang`, timeout_ms: 5000 });
    await new Promise((r) => setTimeout(r, 50));
    run.effects.delete(5); // what run.abort does on CANCEL_EFFECT or the client leaving
    cancelled.abort.abort();
    await cancelled.done;
    assert.deepEqual(metrics.snapshot().upstream_errors, [
      { upstream: "mailgun", kind: "network", count: 1 },
      { upstream: "openrouter", kind: "timeout", count: 1 },
      { upstream: "store", kind: "http_4xx", count: 1 },
      { upstream: "store", kind: "http_5xx", count: 1 },
    ]);
  } finally {
    await store.close();
    await llm.close();
  }
});

test("the log queue: warnings and errors only, at most 100 (the dropped counted), fields bounded, flush runs' own lines ignored", () => {
  let t = 1000;
  const q = createLogQueue({ now: () => t });
  q.keep({ level: "info", event: "http.request" });
  q.keep({ level: "debug", event: "x" });
  assert.equal(q.size, 0);
  for (let i = 0; i < 150; i++) q.keep({ level: i % 2 ? "warn" : "error", event: `e.${i}`, module: "chat", request_id: `r-${i}`, n: i });
  assert.equal(q.size, 100);
  assert.equal(q.dropped, 50);
  q.ignored.add("flush-1");
  q.keep({ level: "error", event: "store.failed", request_id: "flush-1" });
  assert.equal(q.size, 100);
  const batch = q.take();
  assert.equal(batch.length, 100);
  assert.deepEqual(batch[0], { ts_ms: 1000, level: "warn", event: "host.log_dropped", module: "host", fields: { dropped: 50 } });
  assert.deepEqual(batch[1], { ts_ms: 1000, level: "error", event: "e.50", module: "chat", fields: { request_id: "r-50", n: 50 } });
  assert.equal(q.size, 1); // the batch is bounded too: the newest waits for the next flush
  assert.equal(q.dropped, 0);
  assert.equal(q.take()[0].event, "e.149");
  assert.deepEqual(q.take(), []);

  const big = storedLine({ level: "warn", event: "x".repeat(300), module: "a-very-long-module-name", time: "t", message: "m".repeat(10000), detail: { a: "b".repeat(5000) }, k: 1 }, 5);
  assert.equal(big.event.length, 100);
  assert.equal(big.module.length, 20);
  assert.ok(new TextEncoder().encode(JSON.stringify(big.fields)).length <= MAX_FIELDS_BYTES);
  assert.equal(big.fields.k, 1);
  assert.equal(big.fields.detail, "[too large]");
  assert.ok(!("time" in big.fields));
  assert.equal(storedLine({ level: "warn" }, 1).event, "unknown");
  assert.equal(storedLine(null, 1), null);
});

test("queued lines are the redacted ones (the queue sits behind the redaction, as in createSalient)", () => {
  const q = createLogQueue();
  const sink = [];
  const sinkLog = (e) => sink.push(e);
  sinkLog.close = () => "closed";
  const log = redactingLog(queueingLog(sinkLog, q), { SALIENT_STREAM_SECRET: SECRET });
  log({ level: "warn", event: "mail.failed", message: `to jane@example.com with ${SECRET}, call +44 20 7946 0958` });
  assert.equal(log.close(), "closed");
  const [line] = q.take();
  assert.equal(line.fields.message, "to [email] with [secret], call [phone]");
  assert.deepEqual(sink[0].message, line.fields.message);
});

/** A salient over the built modules with a fake store at SUPABASE_URL (`answer` as fakeUpstream's). */
async function driverWithStore(answer) {
  const store = await fakeUpstream(answer);
  const config = JSON.parse(readFileSync(path.join(root, "build/salient.json"), "utf8"));
  const logs = [];
  const env = {
    SALIENT_STREAM_SECRET: SECRET, SALIENT_ENABLE_TRAP_ROUTE: "1", SALIENT_METRICS_TOKEN: METRICS_TOKEN,
    SUPABASE_URL: store.url, SUPABASE_SERVICE_ROLE_KEY: "metrics-driver-service-role-key-0123",
  };
  const modules = Object.fromEntries(["chat", "stream", "otp", "summary"].map((fn) => [fn, built(fn)]));
  const salient = createSalient({ modules, config, env, log: (l) => logs.push(l) });
  const send = async (method, p, body = undefined, headers = {}) => {
    const res = await salient.handle(new Request(`http://salient.test${p}`, {
      method, headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }));
    return { status: res.status, text: await res.text() };
  };
  return { salient, store, logs, send };
}

const chatBody = (sessionKey) => ({ message: "Hello there", session_key: sessionKey, idempotency_key: `idem-${sessionKey}` });
const STORE_DOC = { llm: [{ agent: "sales", model: "m", requests: 1, prompt_tokens: 2, completion_tokens: 3, cost_usd: 0.5 }],
  first_token_ms: { count: 0, p50: null, p90: null, p99: null }, answer_ms: { count: 0, p50: null, p90: null, p99: null },
  emails: [], conversations: 1, messages: 2, leads: 0, handoffs: [], rate_limited_ok: true };

test("the real driver counts requests by route and status, 429s, and the store's errors; no path or id in a label", async (t) => {
  const { salient, store, send } = await driverWithStore((req, body) => {
    if (req.url.endsWith("/salient_begin_turn") && body.includes("limited-session")) {
      return [200, { status: "limited", limit: "messages_per_minute", scope: "session", retry_after: 30 }];
    }
    if (req.url.endsWith("/salient_admin_metrics")) return [200, STORE_DOC];
    return [503, { message: "store down" }];
  });
  try {
    assert.equal((await send("GET", "/a/sales/")).status, 200);
    assert.equal((await send("GET", "/a/sales/transcript/secret-token-abc")).status >= 400, true);
    assert.equal((await send("GET", "/nope/jane@example.com")).status, 404);
    assert.equal((await send("POST", "/a/sales/chat", chatBody("limited-session-1"))).status, 429);
    assert.equal((await send("POST", "/a/sales/chat", chatBody("limited-session-2"))).status, 429);
    const failed = await send("POST", "/a/sales/chat", chatBody("down-session-01"));
    assert.ok(failed.status >= 500, failed.text);
    const snap = salient.metrics();
    const count = (module, route, status) => snap.requests.find((r) => r.module === module && r.route === route && r.status === status)?.count;
    assert.equal(count("chat", "/a/{agent}/", 200), 1);
    assert.equal(count("chat", "/a/{agent}/chat", 429), 2);
    assert.equal(count("chat", "/a/{agent}/chat", failed.status), 1);
    assert.equal(count("chat", "other", 404), 1);
    assert.ok(snap.requests.some((r) => r.module === "summary" && r.route === "/a/{agent}/transcript/{token}"), JSON.stringify(snap));
    assert.deepEqual(snap.rate_limited, [{ route: "/a/{agent}/chat", count: 2 }]);
    assert.ok(snap.upstream_errors.some((e) => e.upstream === "store" && e.kind === "http_5xx" && e.count >= 1), JSON.stringify(snap));
    const labels = JSON.stringify(snap);
    for (const leak of ["sales", "secret-token", "jane", "example.com", "session"]) assert.ok(!labels.includes(leak), leak);

    // The scrape: once the otp module serves /metrics, its per-instance series are this snapshot's.
    const scrape = await send("GET", "/metrics", undefined, { accept: "text/plain", authorization: `Bearer ${METRICS_TOKEN}` });
    if (scrape.status !== 200) {
      t.diagnostic(`GET /metrics answered ${scrape.status}: the otp module does not serve it yet; the scrape is not checked`);
      return;
    }
    const families = Object.fromEntries(parsePrometheusTextFormat(scrape.text).map((f) => [f.name, f]));
    for (const name of ["salient_instance_requests_total", "salient_instance_upstream_errors_total", "salient_instance_rate_limited_total",
      "salient_instance_started_seconds", "salient_llm_cost_usd_total", "salient_conversations_total"]) {
      assert.ok(families[name], `${name} in ${scrape.text}`);
    }
    const limited = families.salient_instance_rate_limited_total.metrics;
    assert.deepEqual(limited.map((m) => [m.labels.instance, m.labels.route, Number(m.value)]), [[snap.instance, "/a/{agent}/chat", 2]]);
    const chat429 = families.salient_instance_requests_total.metrics.find((m) => m.labels.route === "/a/{agent}/chat" && m.labels.status === "429");
    assert.equal(Number(chat429.value), 2);
  } finally {
    await store.close();
  }
});

test("the warnings go to the otp module after the run, one flush at a time, never their own lines, a failure tolerated", async () => {
  const { salient, store, logs, send } = await driverWithStore((req, body) => {
    if (req.url.endsWith("/salient_log_append")) return [200, { stored: JSON.parse(body).p_lines?.length ?? 0 }];
    return [503, { message: "store down" }];
  });
  const flushes = () => salient.metrics().requests.filter((r) => r.route === "/internal/log-flush").reduce((n, r) => n + r.count, 0);
  const settled = async () => {
    for (let i = 0; i < 100 && flushes() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await salient.flushLog(); // the one in flight, if any
  };
  try {
    assert.deepEqual(await salient.flushLog(), { status: null, sent: 0 }); // nothing queued
    assert.equal((await send("GET", "/__salient/trap")).status, 500); // a host.trap error line
    await settled();
    assert.equal(flushes(), 1, "the run's end started one flush");
    const appended = store.seen.filter((s) => s.url.endsWith("/salient_log_append"));
    const failedLine = logs.find((l) => l.event === "host.log_flush_failed");
    if (appended.length > 0) { // the otp module stores them: what it was given is the queue's batch
      const lines = JSON.parse(appended[0].body).p_lines;
      assert.ok(lines.some((l) => l.event === "host.trap" && l.level === "error" && l.module === "chat"), JSON.stringify(lines));
      for (const l of lines) assert.deepEqual(Object.keys(l).sort(), ["event", "fields", "level", "module", "ts_ms"]);
    } else { // a module built before it: 404, one info line, not queued
      assert.ok(failedLine, JSON.stringify(logs.slice(-5)));
      assert.ok(["info", "warn"].includes(failedLine.level));
    }
    // Nothing the flush logged was queued: nothing left to send, no second flush.
    assert.deepEqual(await salient.flushLog(), { status: null, sent: 0 });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(flushes(), 1);

    // Two requests' worth of warnings; two calls while one flush is in flight share it.
    assert.equal((await send("GET", "/__salient/trap")).status, 500);
    const a = salient.flushLog();
    const b = salient.flushLog();
    assert.equal(a, b);
    await a;
    await settled();
    assert.ok(flushes() <= 3, `at most one flush per trigger, not a loop: ${flushes()}`);
    assert.deepEqual(await salient.flushLog(), { status: null, sent: 0 });
  } finally {
    await store.close();
  }
});
