// Retrieval quality on the demo knowledge base: the stream module's local index
// (build/knowledge.bin, written by `salient ingest knowledge` in ./scripts/build) answers the
// committed questions (tests/retrieval/questions.json) with an expected source in its top 3 for
// at least 80 % of them. bench/retrieval.mjs reports the same figure with a peer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hitAt, knowledgeSearch, loadQuestions } from "../support/knowledge-search.mjs";

test("retrieval: BM25 hit@3 on the demo knowledge base is at least 0.8", () => {
  const questions = loadQuestions();
  assert.ok(questions.length >= 40, `only ${questions.length} questions`);
  const result = hitAt(questions, knowledgeSearch(), 3);
  const misses = result.misses.map((m) => `  ${m.q} → ${m.got.join(", ")} (expected ${m.expect.join(" | ")})`).join("\n");
  assert.ok(result.rate >= 0.8, `hit@3 ${result.hits}/${result.total} = ${result.rate.toFixed(3)}; misses:\n${misses}`);
});

test("retrieval: hits carry where they come from, best first, and unrelated text finds nothing", () => {
  const search = knowledgeSearch();
  const hits = search("how much is the deposit", 5);
  assert.ok(hits.length > 0 && hits.length <= 5);
  for (const h of hits) {
    assert.equal(typeof h.source, "string");
    assert.ok(h.source.length > 0 && !h.source.startsWith("/"), h.source);
    assert.equal(typeof h.title, "string");
    assert.ok(h.score > 0);
  }
  for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
  assert.deepEqual(search("zzqx qqzv", 3), []);
});
