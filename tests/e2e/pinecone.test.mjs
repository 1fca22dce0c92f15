// Retrieval through Pinecone, end to end: the real modules in the Node dev server, in workerd,
// in Deno (the Netlify Edge Function) and in the Vercel function, calling the fake OpenAI
// embeddings, the fake Pinecone and the fake OpenRouter over loopback HTTP (tests/support/).
// The fake index holds two tenants' passages in two namespaces; the demo tenant must only ever
// see its own. Each host gets the same cases.
//
//   node --test tests/e2e/pinecone.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { embedText, startFakeEmbeddings } from "../support/fake-embeddings.mjs";
import { startFakeOpenRouter } from "../support/fake-openrouter.mjs";
import { startFakePinecone } from "../support/fake-pinecone.mjs";
import { parseSse } from "../support/sse.mjs";
import { startBesideStore } from "../support/host-process.mjs";
import { startNetlifyEdge } from "../support/netlify-edge.mjs";
import { startVercel } from "../support/vercel.mjs";
import { REPO, startWorkerd } from "../support/workerd.mjs";

const SECRET = "e2e-pinecone-stream-secret-0123456789abcdefgh";
const PINECONE_KEY = "pc-e2e-test-key";
const OPENAI_KEY = "sk-openai-e2e-test-key";

const compiled = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
const TENANT = compiled.app.tenant;
const config = structuredClone(compiled);
config.vector.pinecone.index_name = "salient-test";
config.rag.timeout_ms = 400; // a stalled Pinecone is given up on within the test
config.resilience.breaker_failures = 100;

// The demo tenant's passages, and another tenant's (same index, another namespace).
const OURS = [
  { id: "pricing.md#0", metadata: { text: "Patio paving costs from 95 euros per square metre, laid.", title: "Pricing",
    heading: "Patios", url: "/pricing#patios", source: "pricing.md" } },
  { id: "about.md#0", metadata: { text: "Brightleaf Gardens is a family business founded in 1998.", title: "About us",
    url: "/about", source: "about.md" } },
];
const THEIRS = [
  { id: "x.md#0", metadata: { text: "Patio paving costs 12 dollars at Globex, secret wholesale price.", title: "Globex",
    url: "/globex", source: "x.md" } },
];

let llm, embeddings, pinecone;
before(async () => {
  llm = await startFakeOpenRouter({ port: 0 });
  embeddings = await startFakeEmbeddings({ port: 0, apiKey: OPENAI_KEY });
  pinecone = await startFakePinecone({ port: 0, apiKey: PINECONE_KEY, dimension: 1536, textField: "text" });
  pinecone.seed(TENANT, OURS);
  pinecone.seed("globex", THEIRS);
});
after(async () => {
  await llm?.close();
  await embeddings?.close();
  await pinecone?.close();
});

const env = (extra) => ({
  SALIENT_STREAM_SECRET: SECRET, OPENROUTER_API_KEY: "sk-or-e2e", OPENROUTER_BASE_URL: llm.url,
  PINECONE_API_KEY: PINECONE_KEY, OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: embeddings.url, ...extra,
});

const besideStore = (start) => startBesideStore(start, {
  salientConfig: config,
  env: (stateUrl) => env({ SUPABASE_URL: stateUrl, PINECONE_INDEX_HOST: pinecone.url }),
});
const hosts = {
  // The index host looked up by name (GET /indexes/salient-test).
  "node-dev": async () => {
    const server = await startServer({
      port: 0, config, env: env({ PINECONE_API_URL: pinecone.url, SALIENT_STATE: "memory" }), log: () => {},
    });
    return { url: server.url, stop: server.close };
  },
  // The index host given (PINECONE_INDEX_HOST): no lookup.
  workerd: () => besideStore(startWorkerd),
  "netlify-edge": () => besideStore(startNetlifyEdge),
  vercel: () => besideStore(startVercel),
};

for (const [hostName, startHost] of Object.entries(hosts)) {
  describe(`Pinecone retrieval on ${hostName}`, () => {
    let host;
    before(async () => {
      host = await startHost();
    });
    after(async () => host && (await host.stop()));

    function resetFakes() {
      llm.reset();
      embeddings.reset();
      pinecone.reset();
    }

    async function answer(message) {
      const post = await fetch(`${host.url}/a/sales/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ message, session_key: crypto.randomUUID(), idempotency_key: crypto.randomUUID() }),
      });
      assert.equal(post.status, 200, await post.clone().text());
      const res = await fetch(host.url + (await post.json()).stream_url);
      assert.equal(res.status, 200);
      const events = parseSse(await res.text());
      const text = events.filter((e) => e.event === "token").map((e) => JSON.parse(e.data).text).join("");
      const of = (name) => events.filter((e) => e.event === name).map((e) => JSON.parse(e.data));
      return { events, text, notices: of("notice"), citations: of("citations")[0]?.citations ?? [], last: events.at(-1) };
    }

    test("the question is embedded, the tenant's namespace queried, its passages cited; never another tenant's", async () => {
      resetFakes();
      llm.enqueue({ kind: "ok", text: "Patios cost from 95 euros per square metre [1]." });
      const { citations, notices, last } = await answer("How much does patio paving cost?");
      assert.equal(last.event, "done");
      assert.deepEqual(notices, []);

      const embed = embeddings.requests.find((r) => r.path === "/v1/embeddings");
      assert.equal(embed.body.model, "text-embedding-3-small");
      assert.equal(embed.body.input, "How much does patio paving cost?");
      assert.equal(embed.headers.authorization, `Bearer ${OPENAI_KEY}`);
      const query = pinecone.requests.find((r) => r.path === "/query");
      assert.equal(query.body.namespace, TENANT);
      assert.equal(query.body.topK, config.rag.top_k);
      assert.equal(query.body.includeMetadata, true);
      assert.equal(query.headers["api-key"], PINECONE_KEY);
      assert.equal(query.apiVersion, "2025-10");
      assert.deepEqual(query.body.vector.map((v) => Math.round(v * 1e5)),
        embedText("How much does patio paving cost?", 1536).map((v) => Math.round(v * 1e5)), "the embedding as sent");

      const prompt = llm.requests[0].body.messages[0].content;
      assert.match(prompt, /95 euros per square metre/);
      assert.doesNotMatch(prompt, /Globex|wholesale/, "another tenant's passage never reaches the prompt");
      assert.equal(citations.length, 1);
      assert.equal(citations[0].url, "/pricing#patios");
      assert.equal(citations[0].source, "pricing.md");
    });

    test("Pinecone failing twice: the answer uses the local index, with a notice", async () => {
      resetFakes();
      pinecone.enqueue({ kind: "status", status: 503, times: 2, path: "/query" });
      const { notices, citations, last, text } = await answer("How much deposit do you take?");
      assert.equal(pinecone.requests.filter((r) => r.path === "/query").length, 2, "retried once");
      assert.equal(notices.length, 1);
      assert.equal(notices[0].code, "retrieval_unavailable");
      assert.match(notices[0].message, /saved copy of our pages/);
      assert.ok(text.length > 0);
      assert.equal(last.event, "done");
      // The fallback's passages are the bundled demo pages, not Pinecone's.
      const prompt = llm.requests[0].body.messages[0].content;
      assert.match(prompt, /deposit/i);
      assert.doesNotMatch(prompt, /95 euros per square metre/);
      for (const c of citations) assert.notEqual(c.source, "pricing.md");
    });

    test("embeddings 429 with Retry-After: retried after the wait, then Pinecone answers", async () => {
      resetFakes();
      embeddings.enqueue({ kind: "status", status: 429, retryAfter: 1 });
      llm.enqueue({ kind: "ok", text: "We were founded in 1998 [1]." });
      const started = performance.now();
      const { notices, citations } = await answer("When was Brightleaf Gardens founded as a family business?");
      assert.ok(performance.now() - started >= 900, "Retry-After was honoured");
      assert.equal(embeddings.requests.length, 2);
      assert.deepEqual(notices, []);
      assert.equal(citations[0]?.source, "about.md");
    });

    test("a stalled Pinecone is given up on after rag.timeout_ms, twice; the stream never hangs", async () => {
      resetFakes();
      pinecone.enqueue({ kind: "stall", times: 2, path: "/query" });
      const started = performance.now();
      const { notices, last } = await answer("How much does patio paving cost?");
      assert.equal(last.event, "done");
      assert.equal(notices.length, 1);
      assert.ok(performance.now() - started < 5000, "bounded by two timeouts and a backoff");
    });
  });
}
