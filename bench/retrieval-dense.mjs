// (e) Dense retrieval through Pinecone: hit@3 over tests/retrieval/questions.json, end to
// end through our own code: `salient ingest --pinecone` loads knowledge/ into a namespace, then
// each question goes through the Node dev server (chat POST → embeddings → Pinecone query →
// passages stored with the turn → stream). There is no LLM key, so the offline answer quotes the
// top 3 passages and cites each: a hit when one of the cited sources is an expected document.
// The same run asks the same questions of the local BM25 index (Pinecone not configured) through
// the same route, as the peer.
//
//   with keys    OPENAI_API_KEY (or embeddings.provider pinecone), PINECONE_API_KEY and
//                PINECONE_INDEX_HOST (or vector.pinecone.index_name in salient.yaml): the real
//                services; a fresh namespace "eval-<time>" is written (and left for inspection;
//                delete it in Pinecone's console).
//   without      the local fakes (tests/support/fake-embeddings.mjs, fake-pinecone.mjs). Their
//                vectors are hashed words, not a language model: the figure checks the pipeline,
//                it says nothing about dense retrieval's quality.
//
//   node bench/retrieval-dense.mjs        (after ./scripts/build)
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServer } from "../hosts/node-dev/server.js";
import { startFakeEmbeddings } from "../tests/support/fake-embeddings.mjs";
import { startFakePinecone } from "../tests/support/fake-pinecone.mjs";
import { parseSse } from "../tests/support/sse.mjs";
import { loadQuestions } from "../tests/support/knowledge-search.mjs";
import { BUILD, log, REPO, section } from "./lib/common.mjs";
import { summary } from "./lib/stats.mjs";

const CLI = path.join(BUILD, "release", "cli", "salient");
const real = Boolean(process.env.PINECONE_API_KEY);

/** Asks every question through `server`; hit@3 from the offline answer's cited sources. */
async function evaluate(url, questions) {
  let hits = 0, cited = 0;
  const postMs = [], misses = [];
  for (const { q, expect } of questions) {
    const t0 = performance.now();
    const post = await fetch(`${url}/a/sales/chat`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ message: q, session_key: crypto.randomUUID(), idempotency_key: crypto.randomUUID() }),
    });
    if (post.status !== 200) throw new Error(`POST ${q}: ${post.status} ${await post.text()}`);
    const { stream_url } = await post.json();
    postMs.push(performance.now() - t0);
    const events = parseSse(await (await fetch(url + stream_url)).text());
    const notice = events.find((e) => e.event === "notice");
    if (notice) throw new Error(`retrieval failed for "${q}": ${notice.data}`);
    const list = events.filter((e) => e.event === "citations").flatMap((e) => JSON.parse(e.data).citations);
    if (list.length > 0) cited++;
    if (list.slice(0, 3).some((c) => expect.includes(c.source))) hits++;
    else misses.push(q);
  }
  return { hits, total: questions.length, rate: hits / questions.length, cited, misses, postMs: summary(postMs) };
}

section(async () => {
  const questions = loadQuestions();
  const scratch = mkdtempSync(path.join(os.tmpdir(), "salient-dense-"));
  const compiled = JSON.parse(readFileSync(path.join(BUILD, "salient.json"), "utf8"));
  const stop = [];
  try {
    const tenant = real ? `eval-${Date.now()}` : "eval";
    const env = { SALIENT_STREAM_SECRET: "bench-dense-secret-0123456789abcdefghijklmno" };
    if (real) {
      for (const k of ["PINECONE_API_KEY", "PINECONE_INDEX_HOST", "PINECONE_API_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"])
        if (process.env[k]) env[k] = process.env[k];
    } else {
      const embeddings = await startFakeEmbeddings({ port: 0 });
      const pinecone = await startFakePinecone({ port: 0, textField: "text" });
      stop.push(() => embeddings.close(), () => pinecone.close());
      Object.assign(env, { PINECONE_API_KEY: "pc-fake", PINECONE_INDEX_HOST: pinecone.url, OPENAI_API_KEY: "sk-fake",
        OPENAI_BASE_URL: embeddings.url });
    }
    // The demo's salient.yaml, with the eval's tenant (its namespace) and an index name.
    const yaml = readFileSync(path.join(REPO, "salient.yaml"), "utf8")
      .replace(/^(\s+tenant:\s*)\S+/m, `$1${tenant}`)
      .replace(/^(\s+index_name:\s*)""/m, `$1${compiled.vector.pinecone.index_name || "salient-eval"}`);
    const config = path.join(scratch, "salient.yaml");
    writeFileSync(config, yaml);
    const t0 = performance.now();
    // Not execFileSync: the fakes answer from this process's event loop.
    const { stderr } = await promisify(execFile)(CLI, ["ingest", path.join(REPO, "knowledge"), "-o", path.join(scratch, "kb.bin"),
      "--pinecone", "--config", config, "--state", path.join(scratch, "state.json")], { env: { ...process.env, ...env } });
    log(stderr.trim().split("\n").at(-1));
    const ingestSeconds = (performance.now() - t0) / 1000;

    const withConfig = structuredClone(compiled);
    withConfig.app.tenant = tenant;
    withConfig.vector.pinecone.index_name = compiled.vector.pinecone.index_name || "salient-eval";
    const results = {};
    // The peer: no Pinecone variables at all (a PINECONE_INDEX_HOST alone turns Pinecone on).
    const localEnv = { SALIENT_STREAM_SECRET: env.SALIENT_STREAM_SECRET };
    for (const [name, cfg, vars] of [["pinecone", withConfig, env], ["local", compiled, localEnv]]) {
      // The real store (PGlite in memory): the passages found travel from the chat POST to the
      // stream with the turn (salient_attach_retrieval, then the claim).
      const server = await startServer({ port: 0, config: cfg, env: { ...vars, SALIENT_STATE: "memory" }, log: () => {} });
      try {
        results[name] = await evaluate(server.url, questions);
      } finally {
        await server.close();
      }
      log(`retrieval-dense: ${name} hit@3 ${results[name].hits}/${results[name].total}, POST p50 ${results[name].postMs.p50.toFixed(1)} ms`);
    }
    return {
      services: real ? "real (keys from the environment)" : "local fakes: hashed-word vectors, not a model (a pipeline check, not a quality figure)",
      embeddings: compiled.embeddings, namespace: tenant, ingestSeconds, questions: questions.length, ...results,
    };
  } finally {
    for (const s of stop) await s();
    rmSync(scratch, { recursive: true, force: true });
  }
});
