// (e) Local retrieval: quality on the demo knowledge base and CPU per query inside the
// wasm on a 2,000-chunk index, each beside a peer measured in the same run: MiniSearch (npm
// `minisearch`, a well-kept JS full-text engine with BM25 ranking) over the same chunks.
//
//   quality   hit@3 over tests/retrieval/questions.json: a hit when one of the top 3 chunks
//             comes from an expected document. Ours: the stream module's salient_search on
//             build/knowledge.bin (what the stream function retrieves). Peer: MiniSearch over the
//             chunks `salient ingest --json` writes (title, heading and text fields, its defaults plus
//             the core's stop words).
//   speed     a synthetic 2,000-chunk knowledge base (sentences of the demo content recombined
//             deterministically, ~250 words, one chunk, one file per chunk) ingested by the same
//             CLI; the 80 questions asked in turn, k = 4 (rag.top_k's default). Ours: CPU per query
//             around salient_search (the copy in, the search, the JSON out, no parse). Peer:
//             MiniSearch.search on the same chunks. Both on Node, process.cpuUsage per batch of
//             all questions, p50 over batches.
//
//   node bench/retrieval.mjs [--quick]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import MiniSearch from "minisearch";
import { hitAt, knowledgeSearch, loadQuestions } from "../tests/support/knowledge-search.mjs";
import { BUILD, log, QUICK, REPO, section } from "./lib/common.mjs";
import { summary } from "./lib/stats.mjs";

const CLI = path.join(BUILD, "release", "cli", "salient");
const K = 4, SYNTHETIC_CHUNKS = 2000;
const BATCHES = QUICK ? 10 : 40, WARMUP = QUICK ? 3 : 10;

const cpuMsNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs `salient ingest` on `dir`; the index bytes and the chunks. */
function ingest(dir, scratch, name) {
  const bin = path.join(scratch, `${name}.bin`), json = path.join(scratch, `${name}.json`);
  execFileSync(CLI, ["ingest", dir, "-o", bin, "--json", json], { stdio: ["ignore", "ignore", "inherit"] });
  return { index: readFileSync(bin), chunks: JSON.parse(readFileSync(json, "utf8")) };
}

// The core's stop words (shared/knowledge/knowledge.cpp), given to the peer too: without them every
// question's "the"/"do"/"you" matches every chunk and the peer's time is mostly spent on them.
const STOP_WORDS = new Set(["a", "about", "am", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "how", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "our", "so", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "u", "us", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your"]);

function miniSearchOver(chunks) {
  const ms = new MiniSearch({
    fields: ["title", "heading", "text"], storeFields: ["source"], idField: "id",
    processTerm: (term) => (STOP_WORDS.has(term.toLowerCase()) ? null : term.toLowerCase()),
  });
  ms.addAll(chunks.map((c, i) => ({ id: i, source: c.source, title: c.title, heading: c.heading, text: c.text })));
  const search = (q, k) => ms.search(q).slice(0, k).map((h) => ({ source: h.source, score: h.score }));
  return search;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 2,000 one-chunk markdown files whose sentences are the demo's, recombined. */
function syntheticKnowledge(dir, demoChunks) {
  const sentences = demoChunks.flatMap((c) => c.text.split(/(?<=[.!?])\s+/)).filter((s) => s.split(" ").length >= 4);
  const titles = [...new Set(demoChunks.map((c) => c.title))];
  const rand = rng(42);
  for (let i = 0; i < SYNTHETIC_CHUNKS; i++) {
    let text = "", words = 0;
    while (words < 250) {
      const s = sentences[Math.floor(rand() * sentences.length)];
      text += s + " ";
      words += s.split(" ").length;
    }
    const title = `${titles[i % titles.length]} ${i}`;
    writeFileSync(path.join(dir, `doc-${String(i).padStart(4, "0")}.md`), `# ${title}\n\n## Part ${i % 7}\n\n${text.trim()}\n`);
  }
}

function timePerQuery(questions, run) {
  const perQueryUs = [];
  for (let b = 0; b < WARMUP + BATCHES; b++) {
    const c0 = cpuMsNow();
    for (const q of questions) run(q);
    const us = ((cpuMsNow() - c0) * 1000) / questions.length;
    if (b >= WARMUP) perQueryUs.push(us);
  }
  return summary(perQueryUs);
}

section(async () => {
  const questions = loadQuestions();
  const scratch = mkdtempSync(path.join(os.tmpdir(), "salient-retrieval-"));
  try {
    // ---- quality on the demo knowledge base -----------------------------------------------------
    const demo = ingest(path.join(REPO, "knowledge"), scratch, "demo");
    const ours = hitAt(questions, knowledgeSearch({ index: demo.index }), 3);
    const peer = hitAt(questions, miniSearchOver(demo.chunks), 3);
    log(`retrieval: demo hit@3 ours ${ours.hits}/${ours.total}, MiniSearch ${peer.hits}/${peer.total}`);

    // ---- speed on 2,000 chunks --------------------------------------------------------------------
    const dir = path.join(scratch, "synthetic");
    mkdirSync(dir);
    syntheticKnowledge(dir, demo.chunks);
    const big = ingest(dir, scratch, "synthetic");
    if (big.chunks.length < SYNTHETIC_CHUNKS) throw new Error(`synthetic index has ${big.chunks.length} chunks`);
    const search = knowledgeSearch({ index: big.index });
    const encoder = new TextEncoder();
    const encoded = questions.map(({ q }) => encoder.encode(q));
    const oursSpeed = timePerQuery(encoded, (q) => search.raw(q, K));
    const mini = miniSearchOver(big.chunks);
    const peerSpeed = timePerQuery(questions.map(({ q }) => q), (q) => mini(q, K));
    log(`retrieval: ${big.chunks.length} chunks, ours ${oursSpeed.p50.toFixed(1)} µs/query, MiniSearch ${peerSpeed.p50.toFixed(1)} µs/query`);

    return {
      questions: questions.length,
      demo: {
        chunks: demo.chunks.length,
        indexBytes: demo.index.length,
        ours: { hits: ours.hits, rate: ours.rate, misses: ours.misses.map((m) => m.q) },
        miniSearch: { hits: peer.hits, rate: peer.rate },
      },
      synthetic: {
        chunks: big.chunks.length,
        indexBytes: big.index.length,
        k: K,
        batches: BATCHES,
        warmup: WARMUP,
        oursCpuUsPerQuery: oursSpeed,
        miniSearchCpuUsPerQuery: peerSpeed,
        ratio: peerSpeed.p50 / oursSpeed.p50,
      },
      versions: { minisearch: JSON.parse(readFileSync(path.join(REPO, "node_modules/minisearch/package.json"), "utf8")).version },
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
