// The stream module's local retrieval, called directly (salient_search, docs/ABI.md) on an
// index file: what the stream function retrieves, for the retrieval evaluation
// (tests/wasm/retrieval.test.mjs) and benchmark (bench/retrieval.mjs).
//
//   const search = await knowledgeSearch({ index: bytes });   // build/knowledge.bin by default
//   search("how much is a deposit", 3) → [{ chunk, score, source, title, heading, url }]
//   hitAt(questions, search, 3) → { hits, total, rate, misses }
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const encoder = new TextEncoder(), decoder = new TextDecoder();

export function knowledgeSearch({
  module = new WebAssembly.Module(readFileSync(path.join(REPO, "build/wasi/functions/stream.wasm"))),
  index = readFileSync(path.join(REPO, "build/knowledge.bin")),
} = {}) {
  let memory;
  const imports = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (from === "wasi_snapshot_preview1" && kind === "function") imports[name] = () => 52; // ENOSYS
  }
  imports.random_get = (ptr, len) => {
    crypto.getRandomValues(new Uint8Array(memory.buffer, ptr, len));
    return 0;
  };
  const x = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports }).exports;
  memory = x.memory;
  x._initialize();
  let scratch = 0, scratchLen = 0;
  const put = (bytes) => {
    if (bytes.length > scratchLen) {
      if (scratch) x.salient_free(scratch);
      scratchLen = Math.max(bytes.length, 4096);
      scratch = x.salient_alloc(scratchLen);
    }
    new Uint8Array(memory.buffer, scratch, bytes.length).set(bytes);
    return scratch;
  };
  const output = () => decoder.decode(new Uint8Array(memory.buffer, x.salient_output_ptr(), x.salient_output_len()));
  const configure = encoder.encode(JSON.stringify({ config: {}, env: {} }));
  if (x.salient_configure(put(configure), configure.length) !== 0) throw new Error(`configure: ${output()}`);
  const bytes = new Uint8Array(index);
  if (x.salient_knowledge(put(bytes), bytes.length) !== 0) throw new Error(`knowledge: ${output()}`);

  const search = (query, k) => {
    const q = encoder.encode(query);
    x.salient_search(put(q), q.length, k);
    return JSON.parse(output());
  };
  /** The bare call, for timing: no JSON parse of the answer. */
  search.raw = (queryBytes, k) => x.salient_search(put(queryBytes), queryBytes.length, k);
  return search;
}

/** hit@k over questions [{q, expect: [source…]}]: a hit when any of the top k comes from an expected source. */
export function hitAt(questions, search, k) {
  let hits = 0;
  const misses = [];
  for (const { q, expect } of questions) {
    const got = search(q, k).map((h) => h.source);
    if (got.some((s) => expect.includes(s))) hits++;
    else misses.push({ q, expect, got });
  }
  return { hits, total: questions.length, rate: hits / questions.length, misses };
}

export function loadQuestions() {
  return JSON.parse(readFileSync(path.join(REPO, "tests/retrieval/questions.json"), "utf8"));
}
