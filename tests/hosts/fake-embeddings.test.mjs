// Tests of the OpenAI embeddings fake (tests/support/fake-embeddings.mjs) over real HTTP with
// fetch. Retrieval tests trust its vectors and its wire format, so both are pinned here; the
// fault scenarios it shares with fake-pinecone.mjs are exercised here in full.

import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import {
  MAX_INPUTS, cosine, countTokens, embedText, fromBase64, startFakeEmbeddings,
} from "../support/fake-embeddings.mjs";

const KEY = "sk-test-embeddings";
let fake;
before(async () => {
  fake = await startFakeEmbeddings({ port: 0 });
});
after(() => fake.close());
beforeEach(() => fake.reset());

function embed(body, { key = KEY, signal } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  return fetch(`${fake.url}/embeddings`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
}

const norm = (v) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

test("binds loopback only, on a free port", () => {
  assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  assert.ok(fake.port > 0);
});

test("a single string input: OpenAI's response shape, 1536 floats, unit length", async () => {
  const res = await embed({ model: "text-embedding-3-small", input: "What does the Pro plan cost?", encoding_format: "float" });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  const json = await res.json();
  assert.deepEqual(Object.keys(json).sort(), ["data", "model", "object", "usage"]);
  assert.equal(json.object, "list");
  assert.equal(json.model, "text-embedding-3-small");
  assert.equal(json.data.length, 1);
  const [item] = json.data;
  assert.equal(item.object, "embedding");
  assert.equal(item.index, 0);
  assert.equal(item.embedding.length, 1536);
  assert.ok(item.embedding.every((x) => typeof x === "number" && Number.isFinite(x)));
  assert.ok(Math.abs(norm(item.embedding) - 1) < 1e-9);
  const tokens = countTokens("What does the Pro plan cost?");
  assert.deepEqual(json.usage, { prompt_tokens: tokens, total_tokens: tokens });
  assert.deepEqual(item.embedding, embedText("What does the Pro plan cost?", 1536), "the exported function gives the same vector");
});

test("an array input keeps order and indexes; usage sums the inputs", async () => {
  const input = ["alpha beta", "gamma", "delta epsilon zeta"];
  const json = await (await embed({ model: "text-embedding-3-small", input })).json();
  assert.deepEqual(json.data.map((d) => d.index), [0, 1, 2]);
  json.data.forEach((d, i) => assert.deepEqual(d.embedding, embedText(input[i], 1536)));
  assert.equal(json.usage.prompt_tokens, 6);
});

test("dimensions shortens; text-embedding-3-large is 3072; ada-002 refuses dimensions", async () => {
  let json = await (await embed({ model: "text-embedding-3-small", input: "x y", dimensions: 256 })).json();
  assert.equal(json.data[0].embedding.length, 256);
  json = await (await embed({ model: "text-embedding-3-large", input: "x y" })).json();
  assert.equal(json.data[0].embedding.length, 3072);
  let res = await embed({ model: "text-embedding-ada-002", input: "x", dimensions: 256 });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.param, "dimensions");
  res = await embed({ model: "text-embedding-3-small", input: "x", dimensions: 1537 });
  assert.equal(res.status, 400);
});

test("encoding_format base64 is little-endian float32 of the same vector", async () => {
  const json = await (await embed({ model: "text-embedding-3-small", input: "base sixty four", encoding_format: "base64", dimensions: 64 })).json();
  assert.equal(typeof json.data[0].embedding, "string");
  const decoded = fromBase64(json.data[0].embedding);
  const expected = embedText("base sixty four", 64);
  assert.equal(decoded.length, 64);
  decoded.forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-6));
  const res = await embed({ model: "text-embedding-3-small", input: "x", encoding_format: "int8" });
  assert.equal(res.status, 400);
});

test("token-array inputs are accepted and deterministic", async () => {
  const json = await (await embed({ model: "text-embedding-3-small", input: [[1, 2, 3], [1, 2, 3]], dimensions: 32 })).json();
  assert.deepEqual(json.data[0].embedding, json.data[1].embedding);
  assert.equal(json.usage.prompt_tokens, 6);
});

test("determinism: same text, same vector, across calls and fake instances", async () => {
  const other = await startFakeEmbeddings();
  try {
    const body = { model: "text-embedding-3-small", input: "Refund policy for annual plans" };
    const a = (await (await embed(body)).json()).data[0].embedding;
    const b = (await (await embed(body)).json()).data[0].embedding;
    const c = (await (await fetch(`${other.url}/embeddings`, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })).json()).data[0].embedding;
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
  } finally {
    await other.close();
  }
});

test("similarity: shared words score high, unrelated texts near zero, case and punctuation ignored", () => {
  const q = embedText("How much does the Pro plan cost per month?");
  const a = embedText("The Pro plan costs 49 dollars per month, billed monthly.");
  const b = embedText("Our office is in Berlin and opens at nine.");
  assert.ok(cosine(q, a) > 0.3, `related ${cosine(q, a)}`);
  assert.ok(Math.abs(cosine(q, b)) < 0.15, `unrelated ${cosine(q, b)}`);
  assert.ok(cosine(q, a) > cosine(q, b) + 0.2);
  assert.ok(Math.abs(cosine(embedText("Hello, WORLD!"), embedText("hello world")) - 1) < 1e-12);
  // Inflections overlap through trigrams even though the words differ.
  assert.ok(cosine(embedText("prices"), embedText("price")) > 0.3);
  // No word characters still gives a unit vector (Pinecone refuses all-zero vectors).
  assert.ok(Math.abs(norm(embedText("???")) - 1) < 1e-9);
  assert.ok(Math.abs(norm(embedText("", 8)) - 1) < 1e-9);
});

test("auth: no header, a non-Bearer header and a wrong key are 401 in OpenAI's error shape", async () => {
  for (const res of [await embed({ model: "text-embedding-3-small", input: "x" }, { key: null }),
    await fetch(`${fake.url}/embeddings`, { method: "POST", headers: { Authorization: "Basic abc" }, body: "{}" })]) {
    assert.equal(res.status, 401);
    const json = await res.json();
    assert.equal(typeof json.error.message, "string");
    assert.equal(json.error.type, "invalid_request_error");
    assert.ok("code" in json.error && "param" in json.error);
  }
  const strict = await startFakeEmbeddings({ apiKey: "sk-right" });
  try {
    const call = (key) => fetch(`${strict.url}/embeddings`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ model: "text-embedding-3-small", input: "x" }),
    });
    const wrong = await call("sk-wrong");
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).error.code, "invalid_api_key");
    assert.equal((await call("sk-right")).status, 200);
  } finally {
    await strict.close();
  }
});

test("validation: bad JSON, no model, unknown model, empty and oversized inputs", async () => {
  const cases = [
    ["{not json", 400],
    [{ input: "x" }, 400],
    [{ model: "text-embedding-9", input: "x" }, 404],
    [{ model: "text-embedding-3-small" }, 400],
    [{ model: "text-embedding-3-small", input: "" }, 400],
    [{ model: "text-embedding-3-small", input: [] }, 400],
    [{ model: "text-embedding-3-small", input: ["ok", ""] }, 400],
    [{ model: "text-embedding-3-small", input: [{ text: "x" }] }, 400],
    [{ model: "text-embedding-3-small", input: Array(MAX_INPUTS + 1).fill("x") }, 400],
    [{ model: "text-embedding-3-small", input: "word ".repeat(8193) }, 400],
  ];
  for (const [body, status] of cases) {
    const res = await embed(body);
    assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
    const json = await res.json();
    assert.equal(typeof json.error.message, "string");
  }
  const res = await embed({ model: "text-embedding-3-small", input: Array(MAX_INPUTS).fill("x"), dimensions: 4 });
  assert.equal(res.status, 200, "exactly 2048 inputs is allowed");
  assert.equal((await res.json()).data.length, MAX_INPUTS);
});

test("unknown paths are 404; GET /v1/models lists the models", async () => {
  assert.equal((await fetch(`${fake.url}/nope`, { headers: { Authorization: `Bearer ${KEY}` } })).status, 404);
  const json = await (await fetch(`${fake.url}/models`, { headers: { Authorization: `Bearer ${KEY}` } })).json();
  assert.ok(json.data.some((m) => m.id === "text-embedding-3-small"));
});

test("requests are recorded with method, path, headers and parsed body", async () => {
  await embed({ model: "text-embedding-3-small", input: "record me" });
  assert.equal(fake.requests.length, 1);
  const [r] = fake.requests;
  assert.equal(r.method, "POST");
  assert.equal(r.path, "/v1/embeddings");
  assert.equal(r.headers.authorization, `Bearer ${KEY}`);
  assert.deepEqual(r.body, { model: "text-embedding-3-small", input: "record me" });
  assert.deepEqual(r.scenario, { kind: "ok" });
});

// --- scripted faults (the machinery fake-pinecone shares) ------------------------------------

const OK = { model: "text-embedding-3-small", input: "fault test", dimensions: 8 };

test("status faults: 429 with Retry-After, 500, 502, 503 in OpenAI's error shape, then normal", async () => {
  fake.enqueue({ kind: "status", status: 429, retryAfter: 2 }, { kind: "status", status: 500 }, { kind: "status", status: 502 }, { kind: "status", status: 503 });
  let res = await embed(OK);
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "2");
  assert.equal((await res.json()).error.code, "rate_limit_exceeded");
  for (const status of [500, 502, 503]) {
    res = await embed(OK);
    assert.equal(res.status, status);
    assert.equal((await res.json()).error.type, "server_error");
  }
  assert.equal((await embed(OK)).status, 200);
  assert.equal(fake.requests.length, 5);
});

test("times repeats a scenario; rejected requests do not consume it; body overrides the shape", async () => {
  fake.enqueue({ kind: "status", status: 503, times: 2, body: "<html>upstream down</html>" });
  assert.equal(fake.pending, 2);
  assert.equal((await embed(OK, { key: null })).status, 401, "auth failure first");
  assert.equal(fake.pending, 2, "not consumed by a rejected request");
  for (let i = 0; i < 2; i++) {
    const res = await embed(OK);
    assert.equal(res.status, 503);
    assert.match(res.headers.get("content-type"), /^text\/plain/);
    assert.equal(await res.text(), "<html>upstream down</html>");
  }
  assert.equal((await embed(OK)).status, 200);
});

test("a scenario with `path` waits for a request to that path", async () => {
  fake.enqueue({ kind: "status", status: 500, path: "/v1/embeddings" });
  assert.equal((await fetch(`${fake.url}/models`, { headers: { Authorization: `Bearer ${KEY}` } })).status, 200);
  assert.equal((await embed(OK)).status, 500);
});

test("slow: the answer comes after delayMs", async () => {
  fake.enqueue({ kind: "slow", delayMs: 150 });
  const t0 = performance.now();
  const res = await embed(OK);
  assert.equal(res.status, 200);
  await res.json();
  assert.ok(performance.now() - t0 >= 140, "delayed");
});

test("stall: no answer until the client gives up; the abort is recorded", async () => {
  fake.enqueue("stall");
  await assert.rejects(embed(OK, { signal: AbortSignal.timeout(150) }), { name: "TimeoutError" });
  await fake.settled();
  assert.equal(fake.requests[0].aborted, true);
  assert.equal((await embed(OK)).status, 200, "the next request is served");
});

test("reset: the connection is destroyed before any answer", async () => {
  fake.enqueue("reset");
  await assert.rejects(embed(OK), TypeError); // fetch: "fetch failed" (socket hang up)
  assert.equal(fake.requests[0].aborted, false, "a server-side destroy is not a client abort");
});

test("malformed and truncate: HTTP 200 with a body that does not parse", async () => {
  fake.enqueue("malformed", "truncate");
  for (let i = 0; i < 2; i++) {
    const res = await embed(OK);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^application\/json/);
    const text = await res.text();
    assert.ok(text.length > 0);
    assert.throws(() => JSON.parse(text), SyntaxError);
  }
});

test("magic model fake/<name> plays a scenario; unknown names are 400; unknown kinds throw", async () => {
  let res = await embed({ ...OK, model: "fake/rate-limit" });
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "1");
  res = await embed({ ...OK, model: "fake/status-503" });
  assert.equal(res.status, 503);
  res = await embed({ ...OK, model: "fake/ok" });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).data[0].embedding.length, 8);
  assert.equal((await embed({ ...OK, model: "fake/nope" })).status, 400);
  assert.throws(() => fake.enqueue({ kind: "explode" }), /unknown scenario kind/);
});

test("close() ends stalled connections", async () => {
  const other = await startFakeEmbeddings();
  other.enqueue("stall");
  const pending = fetch(`${other.url}/embeddings`, {
    method: "POST",
    headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify(OK),
  });
  while (other.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
  await other.close();
  await assert.rejects(pending, TypeError);
});
