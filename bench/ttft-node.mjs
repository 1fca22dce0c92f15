// (d) Time to first token added by Salient, Node, on loopback, three processes: this one (the
// client), the fake OpenRouter (tests/support/fake-openrouter.mjs: default answer, no delay) and
// the Node dev server (hosts/node-dev/server.js, the canned state responder lib/canned-store.mjs,
// OPENROUTER_BASE_URL → the fake), each started by lib/ttft-server.mjs, so that each has its own event loop.
//
//   direct  POST {fake}/chat/completions (stream: true) with fetch, read until the first `data:`
//           event with non-empty content.
//   get     through Salient: POST /a/sales/chat (JSON) → stream_url, then GET it and read until
//           the first `event: token`. Timed from the GET (the part that calls the LLM).
//   full    the same turn timed from the POST: what a visitor waits for.
// Each turn reads both streams to the end; direct and Salient alternate turn by turn.
// added = get − direct per turn (p50/p95), and p50(get) − p50(direct).
// Where the GET's time goes: the dev server process times the claim (its canned store, called
// in-process) and its outbound LLM fetch on the clock performance.timeOrigin + performance.now(),
// shared by the processes.
//
//   node bench/ttft-node.mjs [--quick]
//   TTFT_PROF=<dir> node bench/ttft-node.mjs   also writes V8 CPU profiles of the two server processes to <dir>

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { log, MESSAGE, QUICK, REPO, section } from "./lib/common.mjs";
import { summary } from "./lib/stats.mjs";

const WARMUP = QUICK ? 10 : 20, TURNS = QUICK ? 50 : 100;
const decoder = new TextDecoder();
const now = () => performance.timeOrigin + performance.now();

/** Starts lib/ttft-server.mjs with `args`; resolves with its JSON line and a stop(). */
function server(...args) {
  const child = spawn(process.execPath, [...(process.env.TTFT_PROF ? ["--cpu-prof", "--cpu-prof-dir=" + process.env.TTFT_PROF] : []), path.join(REPO, "bench", "lib", "ttft-server.mjs"), ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`ttft-server ${args[0]} exited (${code})`)));
    createInterface({ input: child.stdout }).once("line", (line) => resolve({
      ...JSON.parse(line),
      stop: async () => {
        child.stdin.end();
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      },
    }));
  });
}

/** Reads `res` until `seen(text so far)`; returns the time (now()) of that read; then reads to the end. */
async function firstAndRest(res, seen) {
  const reader = res.body.getReader();
  let text = "", at = NaN;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (Number.isNaN(at)) {
      text += decoder.decode(value, { stream: true });
      if (seen(text)) at = now();
    }
  }
  if (Number.isNaN(at)) throw new Error(`no first token in: ${text.slice(0, 300)}`);
  return at;
}

section(async () => {
  const fake = await server("fake");
  const salient = await server("salient", fake.url).catch(async (err) => {
    await fake.stop();
    throw err;
  });
  let llmBody = null; // see direct()
  const raw = { direct: [], directHead: [], get: [], full: [], added: [], claimStart: [], claimRpc: [], claimToLlm: [], llmHead: [], llmHeadToToken: [], llmHeadToContent: [], contentToTokenWrite: [], tokenWriteToClient: [] };
  try {
    // The direct call sends the request Salient sent (its persona's prompt, the retrieved
    // passages, the message), taken from the first turn through Salient: the fake's work on a
    // longer prompt is the upstream's, not time Salient adds. Until then (warm-up), the message alone.
    const direct = async () => {
      const t0 = now();
      const res = await fetch(`${fake.url}/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer sk-or-bench", "content-type": "application/json", accept: "text/event-stream" },
        body: llmBody ?? JSON.stringify({ model: "openai/gpt-oss-20b:free", stream: true, messages: [{ role: "user", content: MESSAGE }] }),
      });
      const head = now() - t0;
      if (res.status !== 200) throw new Error(`direct: ${res.status} ${await res.text()}`);
      return { first: (await firstAndRest(res, (t) => /^data: .*"content":"[^"]/m.test(t))) - t0, head };
    };
    const through = async () => {
      const t0 = now();
      const post = await fetch(`${salient.url}/a/sales/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ message: MESSAGE, session_key: crypto.randomUUID(), idempotency_key: crypto.randomUUID() }),
      });
      if (post.status !== 200) throw new Error(`POST chat: ${post.status} ${await post.text()}`);
      const { stream_url } = await post.json();
      await (await fetch(`${salient.marks}/marks`)).arrayBuffer(); // clears them
      const t1 = now();
      const res = await fetch(new URL(stream_url, salient.url), { headers: { accept: "text/event-stream" } });
      if (res.status !== 200) throw new Error(`GET stream: ${res.status} ${await res.text()}`);
      const first = await firstAndRest(res, (t) => /^event: token$/m.test(t));
      const marks = await (await fetch(`${salient.marks}/marks`)).json();
      const claim = marks.find((m) => m.kind === "claim"), llm = marks.find((m) => m.kind === "llm");
      const content = marks.find((m) => m.kind === "llmContent"), tokenWrite = marks.find((m) => m.kind === "tokenWrite");
      if (!claim || !llm || !content || !tokenWrite) throw new Error(`ttft: a mark is missing: ${JSON.stringify(marks)}`);
      llmBody ??= llm.body;
      return {
        get: first - t1, full: first - t0,
        claimStart: claim.start - t1, claimRpc: claim.head - claim.start, claimToLlm: llm.start - claim.head,
        llmHead: llm.head - llm.start, llmHeadToToken: first - llm.head,
        llmHeadToContent: content.at - llm.head, contentToTokenWrite: tokenWrite.at - content.at, tokenWriteToClient: first - tokenWrite.at,
      };
    };
    for (let i = 0; i < WARMUP + TURNS; i++) {
      let d, s;
      if (i % 2) {
        s = await through();
        d = await direct();
      } else {
        d = await direct();
        s = await through();
      }
      if (i < WARMUP) continue;
      raw.direct.push(d.first);
      raw.directHead.push(d.head);
      raw.added.push(s.get - d.first);
      for (const k of ["get", "full", "claimStart", "claimRpc", "claimToLlm", "llmHead", "llmHeadToToken", "llmHeadToContent", "contentToTokenWrite", "tokenWriteToClient"]) raw[k].push(s[k]);
    }
  } finally {
    await salient.stop();
    await fake.stop();
  }
  log(`ttft: ${TURNS} turns after ${WARMUP} warm-up`);
  const out = { turns: TURNS, warmup: WARMUP, processes: "client, fake OpenRouter and dev server each in its own Node process",
    directRequestBytes: llmBody?.length ?? 0 };
  for (const [k, v] of Object.entries(raw)) out[k] = summary(v);
  out.addedP50Diff = out.get.p50 - out.direct.p50;
  out.addedFullP50Diff = out.full.p50 - out.direct.p50;
  return out;
});
