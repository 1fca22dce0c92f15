// Tests of the Pinecone fake (tests/support/fake-pinecone.mjs) over real HTTP with fetch.
// Retrieval tests trust it to speak Pinecone's wire format and to rank like a cosine index,
// so formats, limits, filters, namespaces and faults are pinned here.

import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { cosine, embedText } from "../support/fake-embeddings.mjs";
import {
  MAX_RECORDS_PER_UPSERT, MAX_UPSERT_VECTORS, filterProblem, matches, startFakePinecone,
} from "../support/fake-pinecone.mjs";

const KEY = "pcsk_test";
const VERSION = "2025-10";
const DIM = 1536;
let fake;
before(async () => {
  fake = await startFakePinecone({ port: 0, dimension: DIM });
});
after(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.clear();
});

function call(path, body, { key = KEY, version = VERSION, method = "POST", signal, contentType = "application/json" } = {}) {
  const headers = { "Content-Type": contentType };
  if (key !== null) headers["Api-Key"] = key;
  if (version !== null) headers["X-Pinecone-Api-Version"] = version;
  return fetch(`${fake.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
}
const json = async (res) => ({ status: res.status, body: await res.json() });

const DOCS = [
  { id: "pricing", text: "The Pro plan costs 49 dollars per month and includes priority support.", metadata: { kind: "faq", tenant: "acme", year: 2024, tags: ["billing", "plans"] } },
  { id: "refunds", text: "Refunds are available within 30 days of purchase for annual plans.", metadata: { kind: "policy", tenant: "acme", year: 2023, tags: ["billing"] } },
  { id: "office", text: "Our office in Berlin opens at nine in the morning.", metadata: { kind: "faq", tenant: "acme", year: 2022 } },
  { id: "shipping", text: "Shipping to Europe takes five business days.", metadata: { kind: "policy", tenant: "globex", year: 2024 } },
];
const seedDocs = (ns = "tenant-a") => fake.seed(ns, DOCS);
const q = (text, extra = {}) => ({ namespace: "tenant-a", vector: embedText(text, DIM), topK: 3, includeMetadata: true, includeValues: false, ...extra });

test("binds loopback only, on a free port", () => {
  assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test("query: Pinecone's response shape; the record sharing the query's words ranks first", async () => {
  seedDocs();
  const { status, body } = await json(await call("/query", q("how much does the pro plan cost per month")));
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(body).sort(), ["matches", "namespace", "results", "usage"]);
  assert.equal(body.namespace, "tenant-a");
  assert.deepEqual(body.results, []);
  assert.equal(typeof body.usage.readUnits, "number");
  assert.equal(body.matches.length, 3);
  assert.equal(body.matches[0].id, "pricing");
  assert.deepEqual(body.matches[0].metadata, { chunk_text: DOCS[0].text, ...DOCS[0].metadata });
  assert.deepEqual(body.matches[0].values, []);
  const scores = body.matches.map((m) => m.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "best first");
  assert.ok(Math.abs(scores[0] - cosine(embedText("how much does the pro plan cost per month", DIM), embedText(DOCS[0].text, DIM))) < 1e-12);
  // Another query picks another record.
  const refunds = await json(await call("/query", q("can I get a refund on annual plans")));
  assert.equal(refunds.body.matches[0].id, "refunds");
});

test("query: includeValues returns the stored vector; no includeMetadata omits metadata; topK limits", async () => {
  seedDocs();
  const { body } = await json(await call("/query", q("office Berlin", { topK: 1, includeValues: true, includeMetadata: false })));
  assert.equal(body.matches.length, 1);
  assert.equal(body.matches[0].id, "office");
  assert.equal(body.matches[0].values.length, DIM);
  assert.ok(!("metadata" in body.matches[0]));
  const all = await json(await call("/query", q("anything", { topK: 100 })));
  assert.equal(all.body.matches.length, DOCS.length, "topK above the count gives every record");
});

test("query: by id; identical scores are ordered by id", async () => {
  fake.seed("ties", [{ id: "b", values: [1, 0, ...Array(DIM - 2).fill(0)] }, { id: "a", values: [1, 0, ...Array(DIM - 2).fill(0)] }]);
  const { body } = await json(await call("/query", { namespace: "ties", id: "b", topK: 2 }));
  assert.deepEqual(body.matches.map((m) => m.id), ["a", "b"]);
  assert.ok(body.matches.every((m) => Math.abs(m.score - 1) < 1e-12));
});

test("query: validation — topK range, vector or id, dimension, strict members, bad JSON", async () => {
  seedDocs();
  const v = embedText("x", DIM);
  const cases = [
    { namespace: "tenant-a", vector: v },
    { namespace: "tenant-a", vector: v, topK: 0 },
    { namespace: "tenant-a", vector: v, topK: 10001 },
    { namespace: "tenant-a", topK: 3 },
    { namespace: "tenant-a", vector: v, id: "pricing", topK: 3 },
    { namespace: "tenant-a", vector: [0.1, 0.2, 0.3], topK: 3 },
    { namespace: "tenant-a", vector: v, top_k: 3, topK: 3 },
    { namespace: "tenant-a", vector: v, topK: 3, include_metadata: true },
    { namespace: "tenant-a", vector: v, topK: 3, filter: { kind: { $regex: "f.*" } } },
  ];
  for (const body of cases) {
    const res = await json(await call("/query", body));
    assert.equal(res.status, 400, JSON.stringify(body).slice(0, 120));
    assert.equal(res.body.code, 3);
    assert.equal(typeof res.body.message, "string");
    assert.deepEqual(res.body.details, []);
  }
  const dim = await json(await call("/query", { namespace: "tenant-a", vector: [0.1, 0.2, 0.3], topK: 3 }));
  assert.match(dim.body.message, /dimension 3 does not match the dimension of the index 1536/);
  assert.equal((await call("/query", "{oops")).status, 400);
  assert.equal((await call("/query", { namespace: "tenant-a", vector: v, topK: 10000 })).status, 200);
});

test("strict: false lets unknown members through", async () => {
  const lax = await startFakePinecone({ strict: false, dimension: 4 });
  try {
    const res = await fetch(`${lax.url}/query`, {
      method: "POST",
      headers: { "Api-Key": KEY, "Content-Type": "application/json" },
      body: JSON.stringify({ vector: [1, 0, 0, 0], topK: 1, extra: true }),
    });
    assert.equal(res.status, 200);
  } finally {
    await lax.close();
  }
});

test("filters: bare value, $eq, $in, $and, $or, $ne, $nin, ranges, $exists, list fields", async () => {
  seedDocs();
  const ids = async (filter) => (await json(await call("/query", q("plan", { topK: 10, filter })))).body.matches.map((m) => m.id).sort();
  assert.deepEqual(await ids({ kind: "faq" }), ["office", "pricing"]);
  assert.deepEqual(await ids({ kind: { $eq: "policy" } }), ["refunds", "shipping"]);
  assert.deepEqual(await ids({ year: { $in: [2022, 2023] } }), ["office", "refunds"]);
  assert.deepEqual(await ids({ $and: [{ kind: "policy" }, { tenant: { $eq: "acme" } }] }), ["refunds"]);
  assert.deepEqual(await ids({ $or: [{ year: 2022 }, { tenant: "globex" }] }), ["office", "shipping"]);
  assert.deepEqual(await ids({ kind: "faq", year: { $gte: 2023 } }), ["pricing"], "several fields are ANDed");
  assert.deepEqual(await ids({ year: { $gt: 2022, $lt: 2024 } }), ["refunds"], "several operators are ANDed");
  assert.deepEqual(await ids({ year: { $lte: 2022 } }), ["office"]);
  assert.deepEqual(await ids({ tenant: { $ne: "acme" } }), ["shipping"]);
  assert.deepEqual(await ids({ tags: "plans" }), ["pricing"], "a list field matches when an element does");
  assert.deepEqual(await ids({ tags: { $in: ["billing"] } }), ["pricing", "refunds"]);
  assert.deepEqual(await ids({ tags: { $nin: ["plans"] } }), ["office", "refunds", "shipping"], "missing field passes $nin");
  assert.deepEqual(await ids({ tags: { $exists: true } }), ["pricing", "refunds"]);
  assert.deepEqual(await ids({ tags: { $exists: false } }), ["office", "shipping"]);
  assert.deepEqual(await ids({ kind: "nothing" }), []);
  // The pure functions, for tests that want them without HTTP.
  assert.equal(matches({ a: 1 }, { a: { $in: [1, 2] } }), true);
  assert.match(filterProblem({ $nor: [] }), /illegal operator/);
  assert.match(filterProblem({ a: { $in: "x" } }), /needs an array/);
  assert.match(filterProblem({ $and: [] }), /non-empty/);
});

test("namespaces are isolated; the default namespace is '' or '__default__'", async () => {
  seedDocs("tenant-a");
  fake.seed("tenant-b", [{ id: "b-only", text: "The Pro plan is not sold here." }]);
  fake.seed("", [{ id: "default-doc", text: "default namespace pro plan" }]);
  const a = await json(await call("/query", q("pro plan", { topK: 10 })));
  assert.ok(a.body.matches.every((m) => DOCS.some((d) => d.id === m.id)));
  const b = await json(await call("/query", q("pro plan", { namespace: "tenant-b", topK: 10 })));
  assert.deepEqual(b.body.matches.map((m) => m.id), ["b-only"]);
  const none = await json(await call("/query", q("pro plan", { namespace: "tenant-c" })));
  assert.deepEqual(none.body.matches, []);
  const d1 = await json(await call("/query", { vector: embedText("pro plan", DIM), topK: 5 }));
  const d2 = await json(await call("/query", { namespace: "__default__", vector: embedText("pro plan", DIM), topK: 5 }));
  assert.deepEqual(d1.body.matches.map((m) => m.id), ["default-doc"]);
  assert.deepEqual(d2.body.matches.map((m) => m.id), ["default-doc"]);
  assert.equal(d1.body.namespace, "");
});

test("upsert: {upsertedCount}, overwrite by id, stored exactly; visible to query and stats", async () => {
  const vectors = [
    { id: "v1", values: embedText("alpha", DIM), metadata: { n: 1 } },
    { id: "v2", values: embedText("beta", DIM) },
  ];
  let res = await json(await call("/vectors/upsert", { vectors, namespace: "up" }));
  assert.deepEqual(res, { status: 200, body: { upsertedCount: 2 } });
  res = await json(await call("/vectors/upsert", { vectors: [{ id: "v1", values: embedText("gamma", DIM), metadata: { n: 2 } }], namespace: "up" }));
  assert.equal(res.body.upsertedCount, 1);
  const stored = fake.records("up");
  assert.deepEqual(stored.map((r) => r.id), ["v2", "v1"]);
  assert.deepEqual(stored[1].metadata, { n: 2 });
  assert.deepEqual(stored[1].values, embedText("gamma", DIM));
  const hit = await json(await call("/query", { namespace: "up", vector: embedText("gamma", DIM), topK: 1, includeMetadata: true }));
  assert.equal(hit.body.matches[0].id, "v1");
  const stats = await json(await call("/describe_index_stats", {}));
  assert.deepEqual(stats.body, {
    namespaces: { up: { vectorCount: 2 } }, dimension: DIM, indexFullness: 0, totalVectorCount: 2, metric: "cosine", vectorType: "dense",
  });
});

test("upsert: limits and validation — 1000 vectors, dimension, zeros, null metadata, 2 MB", async () => {
  const small = await startFakePinecone({ dimension: 2 });
  const up = (body) => fetch(`${small.url}/vectors/upsert`, { method: "POST", headers: { "Api-Key": KEY, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  try {
    const many = (n) => Array.from({ length: n }, (_, i) => ({ id: `v${i}`, values: [1, i] }));
    assert.equal((await up({ vectors: many(MAX_UPSERT_VECTORS), namespace: "n" })).status, 200);
    const over = await up({ vectors: many(MAX_UPSERT_VECTORS + 1), namespace: "n" });
    assert.equal(over.status, 400);
    assert.match((await over.json()).message, /1001 vectors/);
    for (const vectors of [
      [{ id: "x", values: [1, 2, 3] }],
      [{ id: "x", values: [0, 0] }],
      [{ id: "x", values: [1, 2], metadata: { a: null } }],
      [{ id: "x", values: [1, 2], metadata: { a: [1, 2] } }],
      [{ id: "", values: [1, 2] }],
      [{ values: [1, 2] }],
      [],
    ]) {
      const res = await up({ vectors, namespace: "n" });
      assert.equal(res.status, 400, JSON.stringify(vectors));
      assert.equal((await res.json()).code, 3);
    }
    const big = await up({ vectors: [{ id: "big", values: [1, 2], metadata: { pad: "x".repeat(20000) } }], namespace: "n" });
    assert.equal(big.status, 200, "40 KB metadata limit is per vector; 20 KB is fine");
    const huge = many(1).map((v) => ({ ...v, metadata: { pad: "y".repeat(39000) } }));
    const tooBig = await up({ vectors: Array.from({ length: 60 }, (_, i) => ({ ...huge[0], id: `h${i}` })), namespace: "n" });
    assert.equal(tooBig.status, 400);
    assert.match((await tooBig.json()).message, /exceeds the maximum supported size/);
    assert.equal(small.records("n").length, MAX_UPSERT_VECTORS + 1, "rejected requests wrote nothing");
  } finally {
    await small.close();
  }
  // Without the dimension option, the first write fixes it.
  const open = await startFakePinecone();
  try {
    assert.equal(open.dimension, null);
    open.seed("n", [{ id: "a", values: [1, 0, 0] }]);
    assert.equal(open.dimension, 3);
    assert.throws(() => open.seed("n", [{ id: "b", values: [1, 0] }]), /dimension 2 does not match/);
  } finally {
    await open.close();
  }
});

test("delete by ids, by filter and deleteAll; fetch", async () => {
  seedDocs("d");
  assert.deepEqual(await json(await call("/vectors/delete", { ids: ["office"], namespace: "d" })), { status: 200, body: {} });
  assert.deepEqual(fake.records("d").map((r) => r.id), ["pricing", "refunds", "shipping"]);
  await call("/vectors/delete", { filter: { tenant: "globex" }, namespace: "d" });
  assert.deepEqual(fake.records("d").map((r) => r.id), ["pricing", "refunds"]);
  const fetched = await json(await call("/vectors/fetch?ids=pricing&ids=missing&namespace=d", undefined, { method: "GET" }));
  assert.deepEqual(Object.keys(fetched.body.vectors), ["pricing"]);
  assert.equal(fetched.body.vectors.pricing.values.length, DIM);
  assert.equal(fetched.body.namespace, "d");
  await call("/vectors/delete", { deleteAll: true, namespace: "d" });
  assert.deepEqual(fake.records("d"), []);
  assert.equal((await call("/vectors/delete", { namespace: "d" })).status, 400, "one of ids, deleteAll, filter");
  assert.equal((await call("/vectors/delete", { ids: ["a"], deleteAll: true, namespace: "d" })).status, 400);
  assert.equal((await call("/vectors/delete", { ids: Array(1001).fill("x"), namespace: "d" })).status, 400);
});

test("embed: Pinecone inference shape, 1024 dims for llama-text-embed-v2, same vectors as embedText", async () => {
  const body = { model: "llama-text-embed-v2", parameters: { input_type: "query", truncate: "END" }, inputs: [{ text: "pro plan price" }, { text: "refunds" }] };
  const res = await json(await call("/embed", body));
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(res.body).sort(), ["data", "model", "usage", "vector_type"]);
  assert.equal(res.body.model, "llama-text-embed-v2");
  assert.equal(res.body.vector_type, "dense");
  assert.equal(res.body.data.length, 2);
  assert.deepEqual(res.body.data[0].values, embedText("pro plan price", 1024));
  assert.equal(res.body.data[1].values.length, 1024);
  assert.equal(res.body.usage.total_tokens, 4);
  const small = await json(await call("/embed", { ...body, parameters: { ...body.parameters, dimension: 384 } }));
  assert.equal(small.body.data[0].values.length, 384);
  const e5 = await json(await call("/embed", { ...body, model: "multilingual-e5-large" }));
  assert.equal(e5.body.data[0].values.length, 1024);
});

test("embed: validation — model, input_type, dimension, batch of 96, data-plane or control-plane errors", async () => {
  const base = { model: "llama-text-embed-v2", parameters: { input_type: "passage", truncate: "END" }, inputs: [{ text: "x" }] };
  for (const body of [
    { ...base, model: "nope" },
    { ...base, parameters: { input_type: "document" } },
    { ...base, parameters: { input_type: "query", dimension: 1000 } },
    { ...base, inputs: [] },
    { ...base, inputs: ["x"] },
    { ...base, inputs: Array(97).fill({ text: "x" }) },
  ]) {
    const res = await json(await call("/embed", body));
    assert.equal(res.status, 400, JSON.stringify(body).slice(0, 100));
    assert.equal(res.body.code, 3);
  }
  assert.equal((await call("/embed", { ...base, inputs: Array(96).fill({ text: "x" }) })).status, 200);
  const control = await startFakePinecone({ embedErrors: "control" });
  try {
    const res = await fetch(`${control.url}/embed`, { method: "POST", headers: { "Api-Key": KEY, "Content-Type": "application/json" }, body: JSON.stringify({ ...base, model: "nope" }) });
    assert.equal(res.status, 400);
    const err = await res.json();
    assert.equal(err.status, 400);
    assert.equal(err.error.code, "INVALID_ARGUMENT");
    assert.equal(typeof err.error.message, "string");
  } finally {
    await control.close();
  }
});

test("embed + query: a query embedded by /embed finds text seeded at 1024 dims", async () => {
  const idx = await startFakePinecone(); // dimension fixed by the first write: text → 1024
  const post = (path, body) => fetch(`${idx.url}${path}`, { method: "POST", headers: { "Api-Key": KEY, "Content-Type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json());
  try {
    idx.seed("kb", DOCS);
    assert.equal(idx.dimension, 1024);
    const emb = await post("/embed", { model: "llama-text-embed-v2", parameters: { input_type: "query", truncate: "END" }, inputs: [{ text: "shipping to europe" }] });
    const res = await post("/query", { namespace: "kb", vector: emb.data[0].values, topK: 1, includeMetadata: true });
    assert.equal(res.matches[0].id, "shipping");
  } finally {
    await idx.close();
  }
});

test("integrated search and NDJSON records upsert", async () => {
  const idx = await startFakePinecone(); // integrated index: 1024 dims, field_map text → chunk_text
  const headers = { "Api-Key": KEY, "X-Pinecone-Api-Version": VERSION };
  try {
    const ndjson = [
      { _id: "r1", chunk_text: "Apple pie recipe with cinnamon", category: "food" },
      { id: "r2", chunk_text: "Apple iPhone battery replacement", category: "tech" },
      { _id: "r3", chunk_text: "Banana bread recipe", category: "food" },
    ].map((r) => JSON.stringify(r)).join("\n") + "\n";
    const up = await fetch(`${idx.url}/records/namespaces/ns1/upsert`, { method: "POST", headers: { ...headers, "Content-Type": "application/x-ndjson" }, body: ndjson });
    assert.equal(up.status, 201);
    assert.equal(await up.text(), "");
    assert.deepEqual(idx.records("ns1").map((r) => r.metadata), [
      { chunk_text: "Apple pie recipe with cinnamon", category: "food" },
      { chunk_text: "Apple iPhone battery replacement", category: "tech" },
      { chunk_text: "Banana bread recipe", category: "food" },
    ]);
    const search = (body) => fetch(`${idx.url}/records/namespaces/ns1/search`, { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body) });
    let res = await search({ query: { inputs: { text: "apple pie recipe" }, top_k: 2 }, fields: ["category", "chunk_text"] });
    assert.equal(res.status, 200);
    let body = await res.json();
    assert.deepEqual(Object.keys(body).sort(), ["result", "usage"]);
    assert.equal(body.result.hits.length, 2);
    assert.equal(body.result.hits[0]._id, "r1");
    assert.deepEqual(body.result.hits[0].fields, { category: "food", chunk_text: "Apple pie recipe with cinnamon" });
    assert.equal(typeof body.result.hits[0]._score, "number");
    assert.equal(body.usage.embed_total_tokens, 3);
    assert.equal(typeof body.usage.read_units, "number");
    body = await (await search({ query: { inputs: { text: "apple" }, top_k: 5, filter: { category: { $eq: "tech" } } }, fields: ["category"] })).json();
    assert.deepEqual(body.result.hits.map((h) => [h._id, h.fields]), [["r2", { category: "tech" }]]);
    body = await (await search({ query: { inputs: { text: "recipe" }, top_k: 3 }, rerank: { model: "bge-reranker-v2-m3", rank_fields: ["chunk_text"], top_n: 1 } })).json();
    assert.equal(body.result.hits.length, 1);
    assert.equal(body.usage.rerank_units, 1);
    assert.equal((await search({ query: { inputs: { text: "x" } } })).status, 400, "top_k required");
    assert.equal((await search({ query: { top_k: 2 } })).status, 400, "no inputs, vector or id");
    // Record limits: 96 per request; the text field is required.
    const tooMany = Array.from({ length: MAX_RECORDS_PER_UPSERT + 1 }, (_, i) => JSON.stringify({ _id: `m${i}`, chunk_text: "t" })).join("\n");
    const r = await fetch(`${idx.url}/records/namespaces/ns1/upsert`, { method: "POST", headers: { ...headers, "Content-Type": "application/x-ndjson" }, body: tooMany });
    assert.equal(r.status, 400);
    const noText = await fetch(`${idx.url}/records/namespaces/ns1/upsert`, { method: "POST", headers: { ...headers, "Content-Type": "application/x-ndjson" }, body: JSON.stringify({ _id: "z", text: "wrong field" }) });
    assert.equal(noText.status, 400);
    assert.match((await noText.json()).message, /chunk_text/);
  } finally {
    await idx.close();
  }
});

test("auth: missing or wrong Api-Key is 401 {code:16, message, details:[]} on every endpoint", async () => {
  for (const path of ["/query", "/vectors/upsert", "/vectors/delete", "/describe_index_stats", "/embed", "/records/namespaces/x/search"]) {
    const res = await call(path, {}, { key: null });
    assert.equal(res.status, 401, path);
    assert.deepEqual(await res.json(), { code: 16, message: "Unauthorized", details: [] });
  }
  const strict = await startFakePinecone({ apiKey: "pcsk_right" });
  try {
    const stats = (key) => fetch(`${strict.url}/describe_index_stats`, { method: "POST", headers: { "Api-Key": key } });
    assert.equal((await stats("pcsk_wrong")).status, 401);
    assert.equal((await stats("pcsk_right")).status, 200);
  } finally {
    await strict.close();
  }
  assert.equal((await call("/nope", {})).status, 404);
});

test("requests are recorded, with the API version header (missing is recorded, not refused)", async () => {
  seedDocs();
  await call("/query", q("plan"));
  const res = await call("/query", q("plan"), { version: null });
  assert.equal(res.status, 200);
  const [a, b] = fake.requests;
  assert.equal(a.method, "POST");
  assert.equal(a.path, "/query");
  assert.equal(a.headers["api-key"], KEY);
  assert.equal(a.apiVersion, VERSION);
  assert.equal(a.body.topK, 3);
  assert.equal(a.body.vector.length, DIM);
  assert.equal(b.apiVersion, null);
});

// --- scripted faults --------------------------------------------------------------------

const STATS = ["/describe_index_stats", {}];

test("status faults in Pinecone's error shape: 429 + Retry-After, 500, 502, 503", async () => {
  fake.enqueue({ kind: "status", status: 429, retryAfter: 3 }, { kind: "status", status: 500 }, { kind: "status", status: 502 }, { kind: "status", status: 503 });
  let res = await call(...STATS);
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "3");
  assert.deepEqual(Object.keys(await res.json()).sort(), ["code", "details", "message"]);
  const codes = [];
  for (let i = 0; i < 3; i++) {
    res = await call(...STATS);
    codes.push([res.status, (await res.json()).code]);
  }
  assert.deepEqual(codes, [[500, 13], [502, 14], [503, 14]]);
  assert.equal((await call(...STATS)).status, 200);
});

test("a failed upsert writes nothing; a malformed answer to an upsert still wrote", async () => {
  const body = { vectors: [{ id: "v", values: embedText("v", DIM) }], namespace: "w" };
  fake.enqueue({ kind: "status", status: 503 }, "malformed");
  assert.equal((await call("/vectors/upsert", body)).status, 503);
  assert.deepEqual(fake.records("w"), []);
  const res = await call("/vectors/upsert", body);
  await assert.rejects(res.json(), SyntaxError);
  assert.equal(fake.records("w").length, 1);
});

test("slow, stall, reset and truncate", async () => {
  fake.enqueue({ kind: "slow", delayMs: 120 });
  const t0 = performance.now();
  assert.equal((await call(...STATS)).status, 200);
  assert.ok(performance.now() - t0 >= 110);

  fake.enqueue("stall");
  await assert.rejects(call(...STATS, { signal: AbortSignal.timeout(100) }), { name: "TimeoutError" });
  await fake.settled();
  assert.equal(fake.requests.at(-1).aborted, true);

  fake.enqueue("reset");
  await assert.rejects(call(...STATS), TypeError);

  fake.enqueue("truncate");
  const res = await call(...STATS);
  assert.equal(res.status, 200);
  await assert.rejects(res.json(), SyntaxError);
});

test("magic namespace fake/<name> and magic /embed model; path-scoped scenarios", async () => {
  let res = await call("/query", q("x", { namespace: "fake/rate-limit" }));
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "1");
  assert.equal((await call("/records/namespaces/fake%2Fstatus-500/search", { query: { inputs: { text: "x" }, top_k: 1 } })).status, 500);
  assert.equal((await call("/embed", { model: "fake/status-503", inputs: [{ text: "x" }] })).status, 503);
  assert.equal((await call("/query", q("x", { namespace: "fake/unknown" }))).status, 400);
  fake.enqueue({ kind: "status", status: 500, path: "/query" });
  assert.equal((await call(...STATS)).status, 200, "stats passes the /query-only scenario by");
  assert.equal((await call("/query", q("x"))).status, 500);
});

test("control plane: GET /indexes/{name} describes the index, with fake.url as its host; others are 404", async () => {
  assert.equal(fake.indexName, "salient-test");
  let res = await call(`/indexes/${fake.indexName}`, undefined, { method: "GET" });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body, {
    name: "salient-test",
    dimension: DIM,
    metric: "cosine",
    host: fake.url, // a deviation: the real host has no scheme
    spec: {},
    status: { ready: true, state: "Ready" },
    vector_type: "dense",
    deletion_protection: "disabled",
  });
  res = await call("/indexes/nope", undefined, { method: "GET" });
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: { code: "NOT_FOUND", message: "Resource nope not found" }, status: 404 });
  res = await call(`/indexes/${fake.indexName}`, undefined, { method: "GET", key: null });
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { error: { code: "UNAUTHENTICATED", message: "Unauthorized" }, status: 401 });
  const other = await startFakePinecone({ indexName: "docs" });
  try {
    const r = await fetch(`${other.url}/indexes/docs`, { headers: { "Api-Key": KEY } });
    assert.equal((await r.json()).host, other.url);
    assert.equal((await fetch(`${other.url}/indexes/salient-test`, { headers: { "Api-Key": KEY } })).status, 404);
  } finally {
    await other.close();
  }
});
