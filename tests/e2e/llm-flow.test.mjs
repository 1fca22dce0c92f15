// Answers from the language model, end to end: the real modules in the Node dev server, in
// workerd, in Deno as the Netlify Edge Function and in Node as the Vercel function, calling the
// fake OpenRouter (tests/support/fake-openrouter.mjs) over loopback HTTP through
// OPENROUTER_BASE_URL. Each host gets the same cases; the fake plays each fault.
//
//   node --test tests/e2e/llm-flow.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { answerFor, startFakeOpenRouter } from "../support/fake-openrouter.mjs";
import { parseSse } from "../support/sse.mjs";
import { startBesideStore } from "../support/host-process.mjs";
import { startNetlifyEdge } from "../support/netlify-edge.mjs";
import { startVercel } from "../support/vercel.mjs";
import { REPO, startWorkerd } from "../support/workerd.mjs";

const SECRET = "e2e-llm-stream-secret-0123456789abcdefghijk";
const KEY = "sk-or-e2e-test-key";

// The demo's compiled config with a short model timeout (a stalled upstream is noticed within
// the test) and a breaker that does not open: these tests fail the upstream on purpose, one
// after another, and each must reach the model (the breaker has its own core tests).
const compiled = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
const quickConfig = structuredClone(compiled);
quickConfig.llm.timeout_ms = 1500;
for (const agent of Object.values(quickConfig.agents)) agent.llm.timeout_ms = 1500;
quickConfig.resilience.breaker_failures = 100;

let fake;
before(async () => {
  fake = await startFakeOpenRouter({ port: 0 });
});
after(async () => fake?.close());

const besideStore = (start) => startBesideStore(start, {
  salientConfig: quickConfig,
  env: (stateUrl) => ({ SALIENT_STREAM_SECRET: SECRET, SUPABASE_URL: stateUrl, OPENROUTER_API_KEY: KEY, OPENROUTER_BASE_URL: fake.url }),
});
const hosts = {
  "node-dev": async () => {
    const server = await startServer({
      port: 0,
      config: quickConfig,
      env: { SALIENT_STREAM_SECRET: SECRET, OPENROUTER_API_KEY: KEY, OPENROUTER_BASE_URL: fake.url, SALIENT_STATE: "memory" },
      log: () => {},
    });
    return { url: server.url, backend: server.state, stop: server.close };
  },
  workerd: () => besideStore(startWorkerd),
  "netlify-edge": () => besideStore(startNetlifyEdge),
  vercel: () => besideStore(startVercel),
};

for (const [hostName, startHost] of Object.entries(hosts)) {
  describe(`LLM answers on ${hostName}`, () => {
    let host;
    before(async () => {
      host = await startHost();
    });
    after(async () => host && (await host.stop()));

    async function ask(message, sessionKey = crypto.randomUUID()) {
      const res = await fetch(`${host.url}/a/sales/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ message, session_key: sessionKey, idempotency_key: crypto.randomUUID() }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      return res.json();
    }

    async function answer(message, sessionKey) {
      const { stream_url } = await ask(message, sessionKey);
      const res = await fetch(host.url + stream_url);
      assert.equal(res.status, 200);
      const events = parseSse(await res.text());
      const text = events.filter((e) => e.event === "token").map((e) => JSON.parse(e.data).text).join("");
      return { events, text, meta: JSON.parse(events[0].data), last: events.at(-1) };
    }

    async function storedAnswer(sessionKey) {
      const res = await fetch(`${host.url}/a/sales/history`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ session_key: sessionKey }),
      });
      return (await res.json()).messages.filter((m) => m.role === "assistant").at(-1);
    }

    test("the model's answer streams token by token and is stored", async () => {
      fake.reset();
      const session = crypto.randomUUID();
      const { events, text, meta, last } = await answer("Do you deliver to Fernhill?", session);
      assert.deepEqual(meta, { mode: "llm", model: compiled.agents.sales.llm.model, allow_basic_html: compiled.ui.allow_basic_html });
      const expected = answerFor({ messages: [{ role: "user", content: "Do you deliver to Fernhill?" }] });
      assert.equal(text, expected);
      assert.ok(events.filter((e) => e.event === "token").length > 5, "streamed in pieces");
      assert.equal(last.event, "done");
      const [call] = fake.requests;
      assert.equal(call.headers.authorization, `Bearer ${KEY}`);
      assert.equal(call.body.stream, true);
      assert.equal(call.body.model, compiled.agents.sales.llm.model);
      assert.equal(call.body.messages[0].role, "system");
      assert.match(call.body.messages[0].content, /Brightleaf Gardens/);
      assert.equal(call.body.messages.at(-1).content, "Do you deliver to Fernhill?");
      const stored = await storedAnswer(session);
      assert.equal(stored.content, expected);
      assert.equal(JSON.parse(last.data).message_id, stored.id);
    });

    test("the answer is grounded: sources from the demo knowledge base in the prompt, citations checked", async () => {
      fake.reset();
      // The model cites the first source, and a number no source has (dropped).
      fake.enqueue({ kind: "ok", text: "A 25% deposit secures your date [1]. See also [9]." });
      const session = crypto.randomUUID();
      const { events, text, last } = await answer("how much deposit do you take?", session);
      assert.equal(text, "A 25% deposit secures your date [1]. See also [9].");
      const prompt = fake.requests[0].body.messages[0].content;
      assert.match(prompt, /Sources: passages from the business's own pages/);
      assert.match(prompt, /\n\[1\] [^\n]+\n/);
      const cites = events.filter((e) => e.event === "citations");
      assert.equal(cites.length, 1);
      const { citations } = JSON.parse(cites[0].data);
      assert.deepEqual(citations.map((c) => c.n), [1]);
      assert.ok(citations[0].title && citations[0].source.length > 0 && citations[0].snippet.length > 0, JSON.stringify(citations[0]));
      assert.match(citations[0].snippet.toLowerCase(), /deposit/);
      assert.equal(events.at(-2).event, "citations");
      assert.equal(last.event, "done");
    });

    test("the second question carries the first exchange as history", async () => {
      fake.reset();
      const session = crypto.randomUUID();
      await answer("First question", session);
      await answer("Second question", session);
      const messages = fake.requests[1].body.messages;
      assert.deepEqual(messages.slice(1).map((m) => m.role), ["user", "assistant", "user"]);
      assert.equal(messages[1].content, "First question");
      assert.match(messages[2].content, /^Fake answer to: First question/);
    });

    test("429 with Retry-After is retried after the wait; the visitor gets one answer", async () => {
      fake.reset();
      fake.enqueue({ kind: "status", status: 429, retryAfter: 1 });
      const started = performance.now();
      const { text, meta } = await answer("retry me");
      assert.equal(meta.mode, "llm");
      assert.match(text, /^Fake answer to: retry me/);
      assert.equal(fake.requests.length, 2);
      assert.ok(performance.now() - started >= 900, "Retry-After was honoured");
    });

    test("an upstream that keeps failing: the offline responder answers, labelled", async () => {
      fake.reset();
      fake.enqueue({ kind: "status", status: 503 }, { kind: "status", status: 502 }, { kind: "status", status: 500 });
      const { meta, text, last } = await answer("hello");
      assert.equal(meta.mode, "offline");
      assert.equal(meta.reason, "llm_unavailable");
      assert.ok(text.length > 10);
      assert.equal(last.event, "done");
      assert.equal(fake.requests.length, 3);
    });

    test("an error event mid-stream: partial text, a typed error, stored as interrupted", async () => {
      fake.reset();
      fake.enqueue({ kind: "error-event", afterPieces: 3 });
      const session = crypto.randomUUID();
      const { events, text } = await answer("break please", session);
      const error = events.find((e) => e.event === "error");
      assert.ok(error, JSON.stringify(events.map((e) => e.event)));
      assert.equal(JSON.parse(error.data).retryable, true);
      assert.ok(text.length > 0);
      assert.equal(events.at(-1).event, "done");
      assert.equal(fake.requests.length, 1, "never retried after the first byte");
      assert.equal((await storedAnswer(session)).content, text);
    });

    test("a truncated stream and a malformed chunk", async () => {
      fake.reset();
      fake.enqueue({ kind: "truncate", afterPieces: 2 }, { kind: "malformed", at: 2 });
      const cut = await answer("cut me");
      assert.ok(cut.events.some((e) => e.event === "error"));
      const odd = await answer("odd chunk");
      assert.ok(!odd.events.some((e) => e.event === "error"), "one bad chunk is skipped");
      assert.match(odd.text, /^Fake answer to:/);
    });

    test("a stalled upstream ends in an error event, not a hung stream", async () => {
      fake.reset();
      fake.enqueue({ kind: "stall", afterPieces: 2 });
      const started = performance.now();
      const { events } = await answer("stall");
      assert.ok(events.some((e) => e.event === "error"));
      assert.ok(performance.now() - started < 10000);
    });

    test("slow tokens: an answer longer in all than the model timeout is not cut while each piece comes within it", async () => {
      // The timeout (1,500 ms here) runs from the last piece, not from the start of the answer.
      fake.reset();
      const text = "one two three four five six";
      fake.enqueue({ kind: "ok", text, delayMs: 400 });
      const started = performance.now();
      const { events, text: got, last } = await answer("take your time");
      assert.ok(performance.now() - started > 1500, "the answer took longer than the timeout");
      assert.ok(!events.some((e) => e.event === "error"), JSON.stringify(events.filter((e) => e.event === "error")));
      assert.equal(got, text);
      assert.equal(last.event, "done");
    });

    test("a visitor who leaves mid-answer aborts the upstream call", async () => {
      fake.reset();
      fake.enqueue({ kind: "ok", delayMs: 100 });
      const { stream_url } = await ask("slow one");
      const abort = new AbortController();
      const res = await fetch(host.url + stream_url, { signal: abort.signal });
      const reader = res.body.getReader();
      let seen = "";
      while (!seen.includes("event: token")) seen += new TextDecoder().decode((await reader.read()).value);
      abort.abort();
      await fake.settled();
      assert.equal(fake.requests[0].aborted, true, "the upstream request was cut (billing stops)");
    });

    test("a dropped stream resumes with Last-Event-ID: the stored rest, no repeats, marked interrupted", async () => {
      fake.reset();
      fake.enqueue({ kind: "ok", delayMs: 60 });
      const session = crypto.randomUUID();
      const { stream_url } = await ask("resume me", session);
      const abort = new AbortController();
      const res = await fetch(host.url + stream_url, { signal: abort.signal, headers: { accept: "text/event-stream" } });
      const reader = res.body.getReader();
      let raw = "";
      while ((raw.match(/event: token/g) ?? []).length < 2) raw += new TextDecoder().decode((await reader.read()).value);
      abort.abort();
      // Only whole events count, as a browser's parser would have dispatched them.
      const seen = parseSse(raw.slice(0, raw.lastIndexOf("\n\n") + 2));
      const received = seen.filter((e) => e.event === "token").map((e) => JSON.parse(e.data).text).join("");
      const lastId = seen.at(-1).id;
      assert.match(lastId, /^\d+-\d+$/);
      assert.equal(Number(lastId.split("-")[1]), Buffer.byteLength(received), "the id counts the text bytes sent");
      await fake.settled();

      // The cancelled stream stores what it had; until then a resume is a retryable 503.
      let resumed;
      for (let i = 0; i < 50; i++) {
        resumed = await fetch(host.url + stream_url, { headers: { accept: "text/event-stream", "last-event-id": lastId } });
        if (resumed.status !== 503) break;
        assert.equal(JSON.parse(parseSse(await resumed.text())[0].data).retryable, true);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(resumed.status, 200);
      const events = parseSse(await resumed.text());
      const rest = events.filter((e) => e.event === "token").map((e) => JSON.parse(e.data).text).join("");
      const stored = await storedAnswer(session);
      assert.equal(received + rest, stored.content, "what the visitor has, then the rest: the stored answer exactly");
      assert.ok(events.some((e) => e.event === "error" && JSON.parse(e.data).retryable), "it was cut short: say so");
      assert.equal(events.at(-1).event, "done");
      assert.ok(events.every((e, i) => i === 0 || Number(e.id.split("-")[0]) > Number(events[i - 1].id.split("-")[0])));
      assert.ok(Number(events[0].id.split("-")[0]) > Number(lastId.split("-")[0]), "ids go on from the client's");

      // The same URL without Last-Event-ID is still single-use.
      assert.equal((await fetch(host.url + stream_url)).status, 410);
    });
  });
}
