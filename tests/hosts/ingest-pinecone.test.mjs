// `salient ingest --pinecone` (cli/pinecone_upload.h) end to end: the built CLI runs against the
// Pinecone and OpenAI fakes on 127.0.0.1 with a small temporary knowledge folder and
// configuration. Pins the contract with the runtime (ids "<source>#<n>", the metadata fields,
// the namespace), the wire formats, batching, the state file (resume and incremental runs),
// retries, and that keys never reach the output.
//
// The CLI: $SALIENT_CLI, else the newer of build/native/cli/salient and build/release/cli/salient
// (cmake --build build/native, or ./scripts/build). Skipped, saying so, when none is built.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, beforeEach, describe, test } from "node:test";
import { embedText, startFakeEmbeddings } from "../support/fake-embeddings.mjs";
import { startFakePinecone } from "../support/fake-pinecone.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PINECONE_KEY = "pcsk_secret_test_key_0123456789";
const OPENAI_KEY = "sk-test-secret-openai-9876543210";

function findCli() {
  if (process.env.SALIENT_CLI) return resolve(root, process.env.SALIENT_CLI);
  const built = ["build/native/cli/salient", "build/release/cli/salient"].map((p) => join(root, p)).filter((p) => existsSync(p));
  built.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return built[0];
}
const cli = findCli();
const skip = cli ? false : "the salient CLI is not built (cmake --build build/native, or ./scripts/build)";

// Four small documents (one chunk each) and one long enough for two chunks: 6 chunks.
const LONG_SECTION = (word) => `${Array.from({ length: 30 }, (_, i) => `${word} line ${i} about hedges and seasonal pruning.`).join(" ")}\n`;
const FILES = {
  "pricing.md": "---\ntitle: Prices\nurl: https://example.com/pricing\n---\n# Pricing\n\nThe hedge plan costs 40 dollars a month.\n",
  "refunds.md": "# Refunds\n\nRefunds are paid within 14 days of a cancelled visit.\n",
  "hours.txt": "Opening hours\n\nWe open at eight in the morning, Monday to Saturday.\n",
  "team/contact.html": "<html><head><title>Contact</title></head><body><h1 id=\"reach\">Reach us</h1><p>Call the office on weekdays.</p></body></html>\n",
  "guide.md": `# Guide\n\n## Spring\n\n${LONG_SECTION("spring")}\n## Autumn\n\n${LONG_SECTION("autumn")}`,
};
const IDS = ["guide.md#0", "guide.md#1", "hours.txt#0", "pricing.md#0", "refunds.md#0", "team/contact.html#0"];

let pinecone;
let openai;
let work;
before(async () => {
  if (skip) return;
  pinecone = await startFakePinecone({ textField: "text" });
  openai = await startFakeEmbeddings();
});
after(async () => {
  await pinecone?.close();
  await openai?.close();
});

let dir; // a fresh folder per test: knowledge/, salient.yaml, state
beforeEach(() => {
  if (skip) return;
  pinecone.reset();
  pinecone.clear();
  openai.reset();
  work ??= mkdtempSync(join(tmpdir(), "salient-ingest-pinecone-"));
  dir = mkdtempSync(join(work, "t-"));
  for (const [name, text] of Object.entries(FILES)) writeKnowledge(name, text);
});
after(() => work && rmSync(work, { recursive: true, force: true }));

function writeKnowledge(name, text) {
  const path = join(dir, "knowledge", name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function yaml({ indexName = "salient-test", host = "", perAgent = false, integrated = false, textField = "text", provider = "openai", model, dimensions = 0 } = {}) {
  const text = `app:
  tenant: acme
  default_agent: sales
agents:
  sales:
    name: Sales
  support:
    name: Support
vector:
  pinecone:
    index_name: "${indexName}"
    host: "${host}"
    namespace_per_agent: ${perAgent}
    integrated: ${integrated}
    text_field: ${textField}
embeddings:
  provider: ${provider}
${model ? `  model: ${model}\n` : ""}  dimensions: ${dimensions}
`;
  writeFileSync(join(dir, "salient.yaml"), text);
}

/** Runs the CLI in `dir` (asynchronously: the fakes live in this process's event loop). */
function run(extraArgs = [], { env = {}, withHost = true } = {}) {
  const base = {
    PATH: process.env.PATH,
    PINECONE_API_KEY: PINECONE_KEY,
    PINECONE_API_URL: pinecone.url,
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: openai.url,
    NO_PROXY: "127.0.0.1,localhost",
    ASAN_OPTIONS: "detect_leaks=0",
    ...(withHost ? { PINECONE_INDEX_HOST: pinecone.url } : {}),
  };
  const fullEnv = Object.fromEntries(Object.entries({ ...base, ...env }).filter(([, v]) => v !== undefined));
  const args = ["ingest", "knowledge", "--pinecone", "-o", "build/knowledge.bin", "--json", "build/chunks.json", ...extraArgs];
  return new Promise((resolve, reject) => {
    const child = spawn(cli, args, { cwd: dir, env: fullEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      for (const key of [PINECONE_KEY, OPENAI_KEY]) {
        assert.ok(!stdout.includes(key) && !stderr.includes(key), `a key appeared in the output:\n${stdout}\n${stderr}`);
      }
      resolve({ code, stdout, stderr });
    });
  });
}

const chunks = () => JSON.parse(readFileSync(join(dir, "build/chunks.json"), "utf8"));
const state = (file = "build/pinecone-ingest.json") => JSON.parse(readFileSync(join(dir, file), "utf8"));
const byPath = (fake, path) => fake.requests.filter((r) => r.path === path);
const upsertedIds = () => byPath(pinecone, "/vectors/upsert").flatMap((r) => r.body.vectors.map((v) => v.id));
const sorted = (xs) => [...xs].sort();

/** The metadata the runtime reads back for chunk `c` (empty strings left out). */
function metadataOf(c, textField = "text") {
  const m = { [textField]: c.text, title: c.title, heading: c.heading, url: c.url, source: c.source };
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== ""));
}

describe("salient ingest --pinecone", { skip }, () => {
  test("openai provider: ids, metadata, namespace = tenant, vectors = the text's embeddings; local index still built", async () => {
    yaml();
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(dir, "build/knowledge.bin")), "the local index is written too");
    const cs = chunks();
    assert.equal(cs.length, IDS.length);
    const records = pinecone.records("acme");
    assert.deepEqual(sorted(records.map((x) => x.id)), IDS);
    const counters = {};
    for (const c of cs) {
      const id = `${c.source}#${(counters[c.source] = (counters[c.source] ?? -1) + 1)}`;
      const rec = records.find((x) => x.id === id);
      assert.ok(rec, id);
      assert.deepEqual(rec.metadata, metadataOf(c));
      assert.deepEqual(rec.values, embedText(c.text, 1536), `${id}: the vector of its text`);
    }
    const pricing = records.find((x) => x.id === "pricing.md#0");
    assert.equal(pricing.metadata.title, "Prices");
    assert.equal(pricing.metadata.url, "https://example.com/pricing#pricing");
    assert.equal(pricing.metadata.source, "pricing.md");
    assert.ok(!("url" in records.find((x) => x.id === "refunds.md#0").metadata), "an empty url is left out, not null");
    // Wire format.
    const emb = byPath(openai, "/v1/embeddings");
    assert.equal(emb.length, 1, "one embeddings call for 6 chunks (batch 96)");
    assert.equal(emb[0].headers.authorization, `Bearer ${OPENAI_KEY}`);
    assert.deepEqual(Object.keys(emb[0].body).sort(), ["encoding_format", "input", "model"]);
    assert.equal(emb[0].body.model, "text-embedding-3-small");
    assert.equal(emb[0].body.encoding_format, "float");
    const ups = byPath(pinecone, "/vectors/upsert");
    assert.equal(ups.length, 1);
    assert.equal(ups[0].headers["api-key"], PINECONE_KEY);
    assert.equal(ups[0].apiVersion, "2025-10");
    assert.equal(ups[0].body.namespace, "acme");
    assert.equal(pinecone.requests.length, 1, "no index lookup when PINECONE_INDEX_HOST is set");
    // State and summary.
    const s = state();
    assert.equal(s.index_host, pinecone.url);
    assert.equal(s.namespace, "acme");
    assert.equal(s.provider, "openai");
    assert.equal(s.model, "text-embedding-3-small");
    assert.deepEqual(sorted(Object.keys(s.records)), IDS);
    assert.ok(Object.values(s.records).every((h) => /^[0-9a-f]{64}$/.test(h)));
    assert.match(r.stderr, new RegExp(`uploaded 6, unchanged 0, deleted 0 in namespace acme of index ${pinecone.url} \\(\\d+\\.\\d s\\)`));
    assert.match(r.stderr, /pinecone: 6\/6 chunks/, "progress, one line per batch when stderr is not a terminal");
  });

  test("batches of --batch chunks, with dimensions sent to OpenAI; progress per batch", async () => {
    yaml({ dimensions: 256 });
    const r = await run(["--batch", "4"]);
    assert.equal(r.code, 0, r.stderr);
    const emb = byPath(openai, "/v1/embeddings");
    assert.deepEqual(emb.map((x) => x.body.input.length), [4, 2]);
    assert.ok(emb.every((x) => x.body.dimensions === 256));
    assert.deepEqual(byPath(pinecone, "/vectors/upsert").map((x) => x.body.vectors.length), [4, 2]);
    assert.ok(pinecone.records("acme").every((x) => x.values.length === 256));
    assert.match(r.stderr, /pinecone: 4\/6 chunks\npinecone: 6\/6 chunks\n/);
    assert.equal((await run(["--batch", "97"])).code, 2, "--batch above 96 is a usage error");
  });

  test("pinecone provider: /embed with input_type passage, the model and dimension", async () => {
    yaml({ provider: "pinecone", dimensions: 384 });
    const r = await run([], { env: { OPENAI_API_KEY: undefined } });
    assert.equal(r.code, 0, r.stderr);
    const embeds = byPath(pinecone, "/embed");
    assert.equal(embeds.length, 1);
    assert.equal(embeds[0].headers["api-key"], PINECONE_KEY);
    assert.equal(embeds[0].apiVersion, "2025-10");
    assert.deepEqual(embeds[0].body.parameters, { input_type: "passage", truncate: "END", dimension: 384 });
    assert.equal(embeds[0].body.model, "llama-text-embed-v2");
    assert.equal(embeds[0].body.inputs.length, 6);
    assert.equal(openai.requests.length, 0);
    const cs = chunks();
    for (const rec of pinecone.records("acme")) {
      const c = cs.find((x) => x.text === rec.metadata.text);
      assert.deepEqual(rec.values, embedText(c.text, 384));
    }
    assert.equal(state().provider, "pinecone");
  });

  test("integrated index: NDJSON records upsert, no embeddings call, namespace per agent percent-encoded", async () => {
    yaml({ integrated: true, perAgent: true, textField: "text" });
    const r = await run(["--agent", "support"], { env: { OPENAI_API_KEY: undefined } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(openai.requests.length, 0);
    assert.equal(byPath(pinecone, "/embed").length, 0);
    const ups = pinecone.requests.filter((x) => x.path.endsWith("/upsert"));
    assert.equal(ups.length, 1);
    assert.equal(ups[0].path, "/records/namespaces/acme%3Asupport/upsert");
    assert.match(ups[0].headers["content-type"], /^application\/x-ndjson/);
    const lines = ups[0].raw.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 6);
    const cs = chunks();
    const pricing = lines.find((l) => l._id === "pricing.md#0");
    const { _id, ...fields } = pricing;
    assert.deepEqual(fields, metadataOf(cs.find((c) => c.source === "pricing.md")));
    assert.deepEqual(sorted(pinecone.records("acme:support").map((x) => x.id)), IDS);
    assert.equal(state().namespace, "acme:support");
    assert.equal(state().provider, "integrated");
  });

  test("namespace per agent: app.default_agent without --agent; an unknown agent is an error", async () => {
    yaml({ perAgent: true });
    let r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(pinecone.records("acme:sales").length, 6);
    assert.equal(pinecone.records("acme").length, 0);
    pinecone.reset();
    r = await run(["--agent", "nobody"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /agent nobody/);
    assert.equal(pinecone.requests.length, 0);
  });

  test("index host looked up with GET /indexes/{name}; an unknown index fails with Pinecone's message", async () => {
    yaml();
    let r = await run([], { withHost: false });
    assert.equal(r.code, 0, r.stderr);
    const lookup = pinecone.requests[0];
    assert.equal(lookup.method, "GET");
    assert.equal(lookup.path, "/indexes/salient-test");
    assert.equal(lookup.headers["api-key"], PINECONE_KEY);
    assert.equal(lookup.apiVersion, "2025-10");
    assert.equal(pinecone.records("acme").length, 6);
    pinecone.reset();
    yaml({ indexName: "missing-index" });
    r = await run([], { withHost: false });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 404: Resource missing-index not found/);
    assert.equal(pinecone.requests.length, 1);
  });

  test("a described host without a scheme is reached over https (so a plain HTTP server sees TLS attempts)", async () => {
    // Real Pinecone describes the host as "name-abc.svc.region.pinecone.io". Slow (~8 s): the
    // failed TLS handshakes are retried with backoff, as any connection failure is.
    let tlsAttempts = 0;
    const control = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ name: "salient-test", host: `127.0.0.1:${control.address().port}`, dimension: 1536 }));
    });
    control.on("clientError", (_err, socket) => {
      tlsAttempts += 1;
      socket.destroy();
    });
    await new Promise((resolve) => control.listen(0, "127.0.0.1", resolve));
    yaml({ integrated: true });
    let r;
    try {
      r = await run([], { withHost: false, env: { PINECONE_API_URL: `http://127.0.0.1:${control.address().port}` } });
    } finally {
      await new Promise((resolve) => control.close(resolve));
    }
    assert.equal(r.code, 1);
    assert.equal(tlsAttempts, 5, r.stderr);
    assert.match(r.stderr, /Pinecone records upsert: .*\(gave up after 5 attempts\)/);
    assert.ok(!existsSync(join(dir, "build/pinecone-ingest.json")), "nothing was uploaded");
  });

  test("resume: a 400 on batch 2 exits 1 keeping batch 1 in the state; the rerun uploads only the rest", async () => {
    yaml();
    pinecone.enqueue({ kind: "ok", path: "/vectors/upsert" }, { kind: "status", status: 400, message: "Metadata size exceeds the limit", path: "/vectors/upsert" });
    let r = await run(["--batch", "2"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Pinecone upsert: HTTP 400: Metadata size exceeds the limit/);
    assert.match(r.stderr, /run again to resume/);
    const first = byPath(pinecone, "/vectors/upsert")[0].body.vectors.map((v) => v.id);
    assert.equal(first.length, 2);
    assert.deepEqual(sorted(Object.keys(state().records)), sorted(first));
    assert.equal(byPath(pinecone, "/vectors/upsert").length, 2, "a 400 is not retried");
    pinecone.reset();
    openai.reset();
    r = await run(["--batch", "2"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sorted(upsertedIds()), IDS.filter((id) => !first.includes(id)));
    assert.equal(byPath(openai, "/v1/embeddings").flatMap((x) => x.body.input).length, 4);
    assert.deepEqual(sorted(pinecone.records("acme").map((x) => x.id)), IDS);
    assert.match(r.stderr, /uploaded 4, unchanged 2, deleted 0/);
  });

  test("incremental: only a changed file's chunks are upserted, a removed file's ids deleted; a no-op run sends nothing", async () => {
    yaml();
    assert.equal((await run()).code, 0);
    pinecone.reset();
    openai.reset();
    writeKnowledge("refunds.md", "# Refunds\n\nRefunds are paid within 30 days now.\n");
    unlinkSync(join(dir, "knowledge", "hours.txt"));
    writeKnowledge("new.md", "# New\n\nA new page about mulch.\n");
    let r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sorted(upsertedIds()), ["new.md#0", "refunds.md#0"]);
    const deletes = byPath(pinecone, "/vectors/delete");
    assert.equal(deletes.length, 1);
    assert.deepEqual(deletes[0].body, { ids: ["hours.txt#0"], namespace: "acme" });
    const records = pinecone.records("acme");
    assert.ok(!records.some((x) => x.id === "hours.txt#0"));
    assert.equal(records.find((x) => x.id === "refunds.md#0").metadata.text, "Refunds are paid within 30 days now.");
    assert.ok(!("hours.txt#0" in state().records));
    assert.match(r.stderr, /uploaded 2, unchanged 4, deleted 1/);
    pinecone.reset();
    openai.reset();
    r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(pinecone.requests.length, 0);
    assert.equal(openai.requests.length, 0);
    assert.match(r.stderr, /uploaded 0, unchanged 6, deleted 0/);
  });

  test("integrated index: removed ids are deleted with /vectors/delete too", async () => {
    yaml({ integrated: true });
    assert.equal((await run()).code, 0);
    pinecone.reset();
    unlinkSync(join(dir, "knowledge", "pricing.md"));
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(byPath(pinecone, "/vectors/delete").map((x) => x.body), [{ ids: ["pricing.md#0"], namespace: "acme" }]);
    assert.equal(pinecone.records("acme").length, 5);
  });

  test("a state for another model or namespace starts over, and says so", async () => {
    yaml();
    assert.equal((await run()).code, 0);
    pinecone.reset();
    yaml({ model: "text-embedding-3-large", dimensions: 1536 });
    let r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /starting over/);
    assert.equal(upsertedIds().length, 6);
    assert.equal(byPath(pinecone, "/vectors/delete").length, 0, "nothing is deleted from what may be another index");
    assert.equal(state().model, "text-embedding-3-large");
    assert.equal(state().dimensions, 1536);
    pinecone.reset();
    yaml({ model: "text-embedding-3-large", dimensions: 1536, perAgent: true });
    r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /starting over/);
    assert.equal(pinecone.records("acme:sales").length, 6);
  });

  test("upsert bodies stay under 2 MB: one embeddings call, several upserts", async () => {
    // 90 one-chunk pages + the 6 chunks above = 96, one batch; vectors of ~10 KB of JSON and
    // 20 KB titles make that batch about 3 MB of upsert.
    const words = (i) => Array.from({ length: 150 }, (_, j) => `w${i}q${j}z${(i * 7 + j * 13) % 97}`).join(" ");
    for (let i = 10; i < 100; i++) {
      writeKnowledge(`many/page-${i}.md`, `---\ntitle: ${`Page ${i} `.repeat(2500)}\n---\n${words(i)}\n`);
    }
    yaml();
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(byPath(openai, "/v1/embeddings").map((x) => x.body.input.length), [96]);
    const ups = byPath(pinecone, "/vectors/upsert");
    assert.ok(ups.length >= 2, `${ups.length} upserts`);
    assert.ok(ups.every((x) => Buffer.byteLength(x.raw) <= 2 * 1024 * 1024));
    assert.ok(ups.reduce((n, x) => n + Buffer.byteLength(x.raw), 0) > 2 * 1024 * 1024, "the batch was larger than one body");
    assert.equal(ups.reduce((n, x) => n + x.body.vectors.length, 0), 96);
    assert.equal(pinecone.records("acme").length, 96);
  });

  test("429 with Retry-After and a 503 are retried; the data is written once", async () => {
    yaml();
    pinecone.enqueue({ kind: "status", status: 429, retryAfter: 1, path: "/vectors/upsert" });
    openai.enqueue({ kind: "status", status: 503, retryAfter: 0 });
    const started = Date.now();
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(byPath(openai, "/v1/embeddings").length, 2);
    assert.equal(byPath(pinecone, "/vectors/upsert").length, 2);
    assert.ok(Date.now() - started >= 1000, "waited for Retry-After: 1");
    assert.match(r.stderr, /HTTP 429: .*retrying in 1\.0 s \(attempt 2 of 5\)/);
    assert.equal(pinecone.records("acme").length, 6);
  });

  test("a connection that goes away is retried; a malformed or short embeddings answer fails clearly", async () => {
    yaml();
    pinecone.enqueue({ kind: "reset", path: "/vectors/upsert" });
    let r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(byPath(pinecone, "/vectors/upsert").length, 2);
    pinecone.reset();
    pinecone.clear();
    openai.reset();
    unlinkSync(join(dir, "build/pinecone-ingest.json"));
    openai.enqueue({ kind: "malformed" });
    r = await run();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /OpenAI embeddings: the answer has no data list/);
    assert.equal(pinecone.requests.length, 0);
    // A server that answers one vector whatever it is asked.
    const short = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: [{ object: "embedding", index: 0, embedding: [0.5, 0.5] }], model: "m" }));
      });
    });
    await new Promise((resolve) => short.listen(0, "127.0.0.1", resolve));
    try {
      r = await run([], { env: { OPENAI_BASE_URL: `http://127.0.0.1:${short.address().port}/v1` } });
    } finally {
      await new Promise((resolve) => short.close(resolve));
    }
    assert.equal(r.code, 1);
    assert.match(r.stderr, /OpenAI embeddings: 1 vectors for 6 inputs/);
    assert.equal(pinecone.requests.length, 0);
  });

  test("missing PINECONE_API_KEY, OPENAI_API_KEY or index name, or a URL without scheme: exit 1 naming it, no request, nothing written", async () => {
    yaml();
    let r = await run([], { env: { PINECONE_API_KEY: undefined } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /PINECONE_API_KEY is not set/);
    r = await run([], { env: { OPENAI_API_KEY: "" } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /OPENAI_API_KEY is not set/);
    r = await run([], { env: { PINECONE_INDEX_HOST: "salient-test-abc.svc.pinecone.io" } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /PINECONE_INDEX_HOST must start with http:\/\/ or https:\/\//);
    yaml({ indexName: "" });
    r = await run([], { withHost: false });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /vector\.pinecone\.index_name is not set/);
    assert.equal(pinecone.requests.length + openai.requests.length, 0);
    assert.ok(!existsSync(join(dir, "build/pinecone-ingest.json")));
  });
});
