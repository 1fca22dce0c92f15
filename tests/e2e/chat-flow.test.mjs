// The chat flow end to end, over real loopback HTTP, through each host that runs the built
// modules: the Node dev server (with its embedded state store), workerd (the Cloudflare
// runtime), Deno running the Netlify Edge Function and Node running the Vercel function, the
// last three with the state store on its own port. The same cases run against all four.
//
//   node --test tests/e2e/        (after ./scripts/build)

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { parseSse } from "../support/sse.mjs";
import { startBesideStore } from "../support/host-process.mjs";
import { startNetlifyEdge } from "../support/netlify-edge.mjs";
import { startVercel } from "../support/vercel.mjs";
import { freePort, REPO, startWorkerd } from "../support/workerd.mjs";

const SECRET = "e2e-stream-secret-0123456789abcdefghijklmnop"; // ≥ 32 chars; lets tests forge ids
const AGENT = "sales";
const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
const MAX_BODY = config.limits.max_body_bytes;

// The state store, with a switch to hold salient_finish_turn back: a client can then leave while
// its run is still in flight (the offline answer itself is written all at once).
const slow = { finishTurnMs: 0 };
let currentBackend = null; // the backend of the host under test, to look at what was stored
async function stateBackend() {
  const store = await pgliteBackend(); // in memory
  return currentBackend = {
    ...store,
    async call(fn, args) {
      if (fn === "salient_finish_turn" && slow.finishTurnMs) await new Promise((r) => setTimeout(r, slow.finishTurnMs));
      return store.call(fn, args);
    },
  };
}

// Each host, started with the trap route on; `stateUrl` replaces the state store (to break it).
const besideStore = async (start, { stateUrl } = {}) => startBesideStore(start, {
  backend: stateUrl ? null : await stateBackend(),
  stateUrl,
  env: (url) => ({ SALIENT_STREAM_SECRET: SECRET, SUPABASE_URL: url, SALIENT_ENABLE_TRAP_ROUTE: "1" }),
});
const hosts = {
  "node-dev": async ({ stateUrl } = {}) => {
    const logs = [];
    const state = stateUrl ? null : await stateBackend(); // with SUPABASE_URL the server uses that
    let server;
    try {
      server = await startServer({
        port: 0,
        ...(state && { state }),
        env: { SALIENT_STREAM_SECRET: SECRET, SALIENT_ENABLE_TRAP_ROUTE: "1", ...(stateUrl && { SUPABASE_URL: stateUrl }) },
        log: (entry) => logs.push(entry),
      });
    } catch (err) {
      await state?.close();
      throw err;
    }
    const stop = async () => {
      await server.close();
      await state?.close(); // the caller's to close (startServer's `state`)
    };
    return { url: server.url, stop, logs: () => logs.map((l) => JSON.stringify(l)).join("\n") };
  },
  workerd: (options) => besideStore(startWorkerd, options),
  "netlify-edge": (options) => besideStore(startNetlifyEdge, options),
  vercel: (options) => besideStore(startVercel, options),
};

const newKeys = () => ({ session_key: crypto.randomUUID(), idempotency_key: crypto.randomUUID() });

function streamUrlFromPartial(html) {
  const match = /sse-connect="([^"]+)"/.exec(html);
  assert.ok(match, `no sse-connect in the partial:\n${html}`);
  return match[1].replaceAll("&amp;", "&");
}

function streamIdParts(streamUrl) {
  const id = new URL(streamUrl, "http://x").searchParams.get("stream_id");
  const [turnId, exp, mac] = id.split(".");
  return { id, turnId, exp: Number(exp), mac };
}

/** stream_id = turn.exp.base64url(HMAC-SHA256(secret, "salient-stream-v1|agent|turn|exp")) */
function forgeStreamId(turnId, exp, secret = SECRET) {
  const mac = createHmac("sha256", secret).update(`salient-stream-v1|${AGENT}|${turnId}|${exp}`).digest("base64url");
  return `${turnId}.${exp}.${mac}`;
}

for (const [hostName, startHost] of Object.entries(hosts)) {
  describe(`chat flow on ${hostName}`, () => {
    let host;
    const url = (p) => host.url + p;

    before(async () => {
      const started = performance.now();
      host = await startHost();
      const ms = Math.round(performance.now() - started);
      console.log(`${hostName} started in ${ms} ms`);
    });
    after(async () => host && (await host.stop()));

    async function postForm(fields, agent = AGENT) {
      return fetch(url(`/a/${agent}/chat`), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
        body: new URLSearchParams(fields),
      });
    }

    async function postJson(body, agent = AGENT) {
      return fetch(url(`/a/${agent}/chat`), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    }

    async function chatJson(message, keys = newKeys()) {
      const res = await postJson({ message, ...keys });
      assert.equal(res.status, 200, await res.clone().text());
      return res.json();
    }

    /** GETs a stream; returns status, content type and parsed events. */
    async function stream(streamUrl) {
      const res = await fetch(url(streamUrl), { headers: { accept: "text/event-stream" } });
      return { status: res.status, type: res.headers.get("content-type"), events: parseSse(await res.text()) };
    }

    function assertAnswer({ status, type, events }, { json = false } = {}) {
      assert.equal(status, 200);
      assert.match(type, /^text\/event-stream/);
      assert.ok(events.length >= 3, `too few events: ${JSON.stringify(events)}`);
      for (const e of events) assert.ok(e.id, `event without id: ${JSON.stringify(e)}`);
      assert.equal(new Set(events.map((e) => e.id)).size, events.length, "ids are unique");
      assert.equal(events[0].event, "meta");
      assert.equal(events.at(-1).event, "done");
      const tokens = events.filter((e) => e.event === "token");
      assert.ok(tokens.length > 0, "at least one token");
      // Tokens between meta and done; the sources list, when there is one, right before done.
      const middle = events.slice(1, -1);
      if (middle.at(-1)?.event === "citations") middle.pop();
      assert.ok(middle.every((e) => e.event === "token"), "only tokens (then citations) between meta and done");
      const text = tokens.map((t) => (json ? JSON.parse(t.data).text : t.data)).join("");
      assert.ok(text.trim().length > 0, "the answer is not empty");
      return { meta: events[0].data, text };
    }

    test("GET the chat page", async () => {
      const res = await fetch(url(`/a/${AGENT}/`));
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type"), /^text\/html/);
      assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      const html = await res.text();
      for (const part of ['id="chat-form"', `hx-post="/a/${AGENT}/chat"`, 'id="messages"', 'name="message"',
        'id="session-key"', 'id="idempotency-key"', "/assets/page.js", "/assets/htmx.min.js", "/assets/sse.min.js"]) {
        assert.ok(html.includes(part), `page lacks ${part}`);
      }
      assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), "no inline scripts");
    });

    test("form POST → HTML partial → SSE answer with ids, meta, tokens, done", async () => {
      const res = await postForm({ message: "hello", ...newKeys() });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type"), /^text\/html/);
      const html = await res.text();
      assert.match(html, /class="msg user"/);
      assert.match(html, /hello/);
      assert.match(html, /sse-close="done"/);
      const streamUrl = streamUrlFromPartial(html);
      assert.match(streamUrl, new RegExp(`^/a/${AGENT}/events/stream\\?stream_id=`));
      const { meta, text } = assertAnswer(await stream(streamUrl));
      assert.match(meta, /Offline answer/);
      assert.ok(text.length > 10, text);
    });

    test("JSON POST → JSON with the stream URL → SSE answer", async () => {
      const keys = newKeys();
      const body = await chatJson("hello", keys);
      assert.equal(body.session_key, keys.session_key);
      assert.ok(body.message_id);
      assert.match(body.stream_url, new RegExp(`^/a/${AGENT}/events/stream\\?stream_id=`));
      assert.equal(streamIdParts(body.stream_url).turnId, body.message_id);
      const { meta } = assertAnswer(await stream(body.stream_url), { json: /format=json/.test(body.stream_url) });
      assert.match(meta, /Offline answer|"mode":"offline"/);
    });

    test("offline, a question about the business is answered with excerpts and their sources", async () => {
      const turn = await chatJson("how much deposit do you take?", newKeys());
      const jsonUrl = turn.stream_url.includes("format=json") ? turn.stream_url : `${turn.stream_url}&format=json`;
      const answer = await stream(jsonUrl);
      const { meta, text } = assertAnswer(answer, { json: true });
      assert.equal(JSON.parse(meta).excerpts, true);
      assert.match(text, /excerpts from our pages/);
      assert.match(text, /\[1\]/);
      const cites = answer.events.filter((e) => e.event === "citations");
      assert.equal(cites.length, 1);
      const { citations } = JSON.parse(cites[0].data);
      assert.ok(citations.length >= 1 && citations.length <= 3, JSON.stringify(citations));
      assert.ok(citations.some((c) => /deposit/i.test(c.snippet)), JSON.stringify(citations));
      for (const c of citations) assert.ok(c.url === "" || c.url.startsWith("/") || /^https?:/.test(c.url), c.url);

      // The page's HTML stream carries the same sources as an escaped list.
      const html = await postForm({ message: "how much deposit do you take?", ...newKeys() });
      const page = await stream(streamUrlFromPartial(await html.text()));
      const list = page.events.find((e) => e.event === "citations");
      assert.ok(list, JSON.stringify(page.events.map((e) => e.event)));
      assert.match(list.data, /^<ol class="sources"/);
      assert.doesNotMatch(list.data, /<script|javascript:/i);
    });

    test("resubmitting with the same idempotency key returns the same message", async () => {
      const keys = newKeys();
      const first = await chatJson("hello again", keys);
      const second = await chatJson("hello again", keys);
      assert.equal(second.message_id, first.message_id);
      const third = await chatJson("hello again", { ...keys, idempotency_key: crypto.randomUUID() });
      assert.notEqual(third.message_id, first.message_id, "a new key is a new message");
    });

    async function postSessionRoute(route, body) {
      return fetch(url(`/a/${AGENT}/${route}`), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
    }

    test("a conversation reads back in order and is listed by this browser's keys", async () => {
      const keys = newKeys();
      for (const message of ["hello there", "what are your prices?"]) {
        const turn = await chatJson(message, { ...keys, idempotency_key: crypto.randomUUID() });
        assertAnswer(await stream(turn.stream_url), { json: true });
      }
      const res = await postSessionRoute("history", { session_key: keys.session_key });
      assert.equal(res.status, 200);
      const { messages } = await res.json();
      assert.deepEqual(messages.map((m) => m.role), ["user", "assistant", "user", "assistant"]);
      assert.equal(messages[0].content, "hello there");
      assert.equal(messages[2].content, "what are your prices?");
      assert.equal(messages[1].mode, "offline");
      assert.ok(messages.every((m) => m.id && m.created_at), JSON.stringify(messages));

      const html = await fetch(url(`/a/${AGENT}/history`), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
        body: new URLSearchParams({ session_key: keys.session_key }),
      });
      const fragment = await html.text();
      assert.equal((fragment.match(/class="msg user"/g) ?? []).length, 2, fragment);
      assert.equal((fragment.match(/class="msg assistant"/g) ?? []).length, 2, fragment);

      const stranger = crypto.randomUUID();
      const listed = await postSessionRoute("sessions", { session_keys: [keys.session_key, stranger] });
      assert.equal(listed.status, 200);
      const { sessions } = await listed.json();
      assert.equal(sessions.length, 1, "a key the store never saw is not listed");
      assert.equal(sessions[0].session_key, keys.session_key);
      assert.equal(sessions[0].title, "hello there");
      assert.equal(sessions[0].message_count, 4);
    });

    test("an unknown session key is a new, empty conversation; malformed keys are 400", async () => {
      const res = await postSessionRoute("history", { session_key: crypto.randomUUID() });
      assert.equal(res.status, 200);
      assert.deepEqual((await res.json()).messages, []);
      const fresh = await chatJson("first words", newKeys());
      assert.ok(fresh.message_id, "a never-seen key starts a session");
      for (const [route, body] of [["history", { session_key: "no" }], ["history", {}],
        ["sessions", { session_keys: ["has space in it"] }]]) {
        const bad = await postSessionRoute(route, body);
        assert.equal(bad.status, 400, `${route} ${JSON.stringify(body)}`);
        assert.equal((await bad.json()).error.code, "bad_request");
      }
      const badChat = await postJson({ message: "hi", session_key: "../../etc" });
      assert.equal(badChat.status, 400);
      await badChat.arrayBuffer();
      const get = await fetch(url(`/a/${AGENT}/history`));
      assert.equal(get.status, 405, "session keys never travel in URLs");
      await get.arrayBuffer();
    });

    test("an unknown agent is a 404 page", async () => {
      const page = await fetch(url("/a/no-such-agent/"));
      assert.equal(page.status, 404);
      assert.match(page.headers.get("content-type"), /^text\/html/);
      await page.arrayBuffer();
      const post = await postJson({ message: "hi", ...newKeys() }, "no-such-agent");
      assert.equal(post.status, 404);
      await post.arrayBuffer();
      const other = await fetch(url("/definitely/not/here"));
      assert.equal(other.status, 404);
      await other.arrayBuffer();
    });

    test("malformed JSON is a 400", async () => {
      const res = await postJson("{not json");
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.code, "bad_request");
    });

    test("a missing message is a 400", async () => {
      const res = await postJson(newKeys());
      assert.equal(res.status, 400);
      assert.ok((await res.json()).error.message);
      const form = await postForm({ message: "   ", ...newKeys() });
      assert.equal(form.status, 400);
      await form.arrayBuffer();
    });

    test("an oversized body is a 413, declared or streamed", async () => {
      const big = JSON.stringify({ message: "x".repeat(MAX_BODY), ...newKeys() });
      const declared = await postJson(big);
      assert.equal(declared.status, 413);
      assert.equal((await declared.json()).error.code, "payload_too_large");
      // No Content-Length: the host must stop reading at max_body_bytes + 1.
      const chunk = new TextEncoder().encode("x".repeat(8192));
      let sent = 0;
      const body = new ReadableStream({
        pull(controller) {
          if (sent > MAX_BODY * 4) return controller.close();
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const streamed = await fetch(url(`/a/${AGENT}/chat`), {
        method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body, duplex: "half",
      });
      assert.equal(streamed.status, 413);
      await streamed.arrayBuffer();
    });

    test("a tampered stream_id is a 401 with an error event", async () => {
      const { stream_url } = await chatJson("hello");
      const { turnId, exp, mac } = streamIdParts(stream_url);
      const flipped = (mac[0] === "A" ? "B" : "A") + mac.slice(1);
      const res = await stream(`/a/${AGENT}/events/stream?stream_id=${turnId}.${exp}.${flipped}`);
      assert.equal(res.status, 401);
      const error = res.events.find((e) => e.event === "error");
      assert.ok(error, JSON.stringify(res.events));
      assert.equal(JSON.parse(error.data).retryable, false);
      // The untampered id still works: the failed attempt did not use it up.
      assertAnswer(await stream(stream_url), { json: true });
    });

    test("a forged stream_id: valid MAC streams, expired is a 401", async () => {
      const { message_id } = await chatJson("hello");
      const expired = await stream(`/a/${AGENT}/events/stream?stream_id=${forgeStreamId(message_id, Math.floor(Date.now() / 1000) - 5)}`);
      assert.equal(expired.status, 401);
      assert.ok(expired.events.some((e) => e.event === "error"));
      // Same recipe, not expired: accepted, which shows the 401 above is about expiry.
      const fresh = forgeStreamId(message_id, Math.floor(Date.now() / 1000) + 30);
      assertAnswer(await stream(`/a/${AGENT}/events/stream?stream_id=${fresh}`));
    });

    test("a replayed stream_id is a 410 with an error event", async () => {
      const { stream_url } = await chatJson("hello");
      assertAnswer(await stream(stream_url), { json: true });
      const replay = await stream(stream_url);
      assert.equal(replay.status, 410);
      assert.match(replay.type, /^text\/event-stream/);
      const error = replay.events.find((e) => e.event === "error");
      assert.ok(error, JSON.stringify(replay.events));
      const data = JSON.parse(error.data);
      assert.equal(data.retryable, false);
      assert.ok(data.code && data.message);
    });

    test("8 concurrent chats each get their own answer", async () => {
      const questions = ["hello", "What are your opening hours?"];
      const runs = Array.from({ length: 8 }, async (_, i) => {
        const message = questions[i % 2];
        const res = await postForm({ message, ...newKeys() });
        assert.equal(res.status, 200);
        return { i, answer: assertAnswer(await stream(streamUrlFromPartial(await res.text()))).text };
      });
      const answers = await Promise.all(runs);
      const byQuestion = [0, 1].map((q) => new Set(answers.filter((a) => a.i % 2 === q).map((a) => a.answer)));
      assert.equal(byQuestion[0].size, 1, "the same question gets the same offline answer");
      assert.equal(byQuestion[1].size, 1);
      assert.notEqual([...byQuestion[0]][0], [...byQuestion[1]][0], "different questions, different answers");
    });

    test("a client that aborts mid-stream loses nothing and does not disturb the server", async () => {
      slow.finishTurnMs = 300; // the run still waits on the store when the client leaves
      const turns = [];
      try {
        for (let i = 0; i < 3; i++) {
          const { stream_url, message_id } = await chatJson("hello");
          turns.push(message_id);
          const abort = new AbortController();
          const res = await fetch(url(stream_url), { signal: abort.signal });
          assert.equal(res.status, 200);
          const reader = res.body.getReader();
          await reader.read(); // the first bytes
          abort.abort();
          await reader.read().catch(() => {});
        }
        // The answer the visitor saw is stored even though they left before it was saved.
        await new Promise((r) => setTimeout(r, slow.finishTurnMs + 400));
        const stored = (await currentBackend.dump()).messages.map(([, m]) => m);
        for (const turn of turns) {
          assert.ok(stored.some((m) => m.role === "assistant" && m.turn_id === turn && m.content.length > 0),
            `the answer to turn ${turn} was stored`);
        }
      } finally {
        slow.finishTurnMs = 0;
      }
      const { stream_url } = await chatJson("hello");
      assertAnswer(await stream(stream_url), { json: true });
      const page = await fetch(url(`/a/${AGENT}/`));
      assert.equal(page.status, 200);
      await page.arrayBuffer();
    });

    test("a trap answers 500 for that request only; the next request succeeds", async () => {
      const json = await fetch(url("/__salient/trap"));
      assert.equal(json.status, 500);
      assert.deepEqual(await json.json(), { error: { code: "internal", message: "internal error" } });
      const html = await fetch(url("/__salient/trap"), { headers: { accept: "text/html" } });
      assert.equal(html.status, 500);
      assert.match(html.headers.get("content-type"), /^text\/html/);
      await html.arrayBuffer();
      // Concurrent with a trap, other requests are unaffected.
      const [trapped, page] = await Promise.all([fetch(url("/__salient/trap")), fetch(url(`/a/${AGENT}/`))]);
      assert.equal(trapped.status, 500);
      assert.equal(page.status, 200);
      await Promise.all([trapped.arrayBuffer(), page.arrayBuffer()]);
      const { stream_url } = await chatJson("hello");
      assertAnswer(await stream(stream_url), { json: true });
      assert.match(host.logs(), /host\.trap/);
    });

    test("the host logged no uncaught errors", () => {
      // workerd --verbose reports its own failed write to a client that left (the abort test) as
      // an uncaught "Network connection lost"; that one is expected, anything else is a bug.
      const uncaught = host.logs().split("\n")
        .filter((line) => /uncaught|unhandled/i.test(line) && !/Network connection lost/.test(line));
      assert.deepEqual(uncaught, []);
    });
  });
}

for (const [hostName, startHost] of Object.entries(hosts)) {
  describe(`state store down, on ${hostName}`, () => {
    let host;
    before(async () => (host = await startHost({ stateUrl: `http://127.0.0.1:${await freePort()}` })));
    after(async () => host && (await host.stop()));

    test("a chat POST answers 503 promptly; the page still renders", async () => {
      const started = performance.now();
      const res = await fetch(`${host.url}/a/${AGENT}/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ message: "hello", ...newKeys() }),
      });
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error.code, "unavailable");
      assert.ok(performance.now() - started < 5000, "no hang on a refused connection");
      const page = await fetch(`${host.url}/a/${AGENT}/`);
      assert.equal(page.status, 200);
      await page.arrayBuffer();
    });
  });
}
