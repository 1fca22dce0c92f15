// Tests of the OpenRouter fake itself (tests/support/fake-openrouter.mjs) and of the recorded
// stream generator (tests/support/openrouter-stream.mjs), over real HTTP with fetch. Other
// suites trust these fakes to speak OpenRouter's wire format, so the format is pinned here.

import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import {
  FIXED_SENTENCE, MODELS, PRICE_COMPLETION, PRICE_PROMPT, piecesOf, promptTokensFor, startFakeOpenRouter,
} from "../support/fake-openrouter.mjs";
import { expectedText, expectedUsage, recordedStream, splitIntoPieces } from "../support/openrouter-stream.mjs";
import { parseSse } from "../support/sse.mjs";

let fake;
before(async () => {
  fake = await startFakeOpenRouter({ port: 0, now: () => 1_700_000_000_000 });
});
after(() => fake.close());
beforeEach(() => fake.reset());

const KEY = "sk-or-v1-test";
const MESSAGES = [
  { role: "system", content: "You sell things." },
  { role: "user", content: "What does it cost?" },
];
const EXPECTED = `Fake answer to: What does it cost? ${FIXED_SENTENCE}`;

function chat(body, { key = KEY, signal } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  return fetch(`${fake.url}/chat/completions`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
}

const streamBody = (extra = {}) => ({ model: "openai/gpt-oss-20b:free", messages: MESSAGES, stream: true, ...extra });

/** Reads a body to the end, decoding UTF-8 across read boundaries; also counts the reads. */
async function readAll(res, { timeoutMs } = {}) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const bytes = [];
  let text = "";
  let reads = 0;
  for (;;) {
    const step = reader.read();
    const { done, value } = timeoutMs
      ? await Promise.race([step, new Promise((_, reject) => setTimeout(() => reject(new Error("read timeout")), timeoutMs))])
      : await step;
    if (done) break;
    reads += 1;
    bytes.push(value);
    text += decoder.decode(value, { stream: true });
  }
  text += decoder.decode();
  return { text, reads, bytes: Buffer.concat(bytes) };
}

/** The SSE events of a body, split into parsed chunks and the [DONE] marker. */
function eventsOf(text) {
  const events = parseSse(text).map((e) => e.data);
  const done = events.filter((d) => d === "[DONE]").length;
  const chunks = [];
  const unparsable = [];
  for (const d of events.filter((d) => d !== "[DONE]")) {
    try {
      chunks.push(JSON.parse(d));
    } catch {
      unparsable.push(d);
    }
  }
  const content = chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
  return { events, chunks, unparsable, done, content, lastIsDone: events.at(-1) === "[DONE]" };
}

test("fake-openrouter: streams OpenRouter chunks that concatenate to the answer, then usage and [DONE]", async () => {
  const res = await chat(streamBody({ temperature: 0.2, max_tokens: 300 }));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const { text } = await readAll(res);
  assert.match(text, /^: OPENROUTER PROCESSING\n\n/);
  const { chunks, content, done, lastIsDone, unparsable } = eventsOf(text);
  assert.equal(content, EXPECTED);
  assert.equal(done, 1);
  assert.ok(lastIsDone);
  assert.deepEqual(unparsable, []);

  const id = res.headers.get("x-generation-id");
  assert.match(id, /^gen-/);
  const pieces = chunks.slice(0, -1);
  assert.equal(pieces.length, piecesOf(EXPECTED).length);
  assert.deepEqual(pieces[0], {
    id, provider: "FakeProvider", model: "openai/gpt-oss-20b:free", object: "chat.completion.chunk", created: 1_700_000_000,
    choices: [{ index: 0, delta: { role: "assistant", content: "Fake " }, finish_reason: null, native_finish_reason: null, logprobs: null }],
  });
  for (const c of pieces) assert.equal(c.usage, undefined);

  const last = chunks.at(-1);
  assert.equal(last.choices[0].finish_reason, "stop");
  const promptTokens = promptTokensFor(MESSAGES);
  const completionTokens = pieces.length;
  assert.deepEqual(last.usage, {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    cost: Math.round((promptTokens * PRICE_PROMPT + completionTokens * PRICE_COMPLETION) * 1e12) / 1e12,
    cost_details: { upstream_inference_cost: null },
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  });
  assert.ok(last.usage.cost > 0);

  // The request is recorded for assertions on what the client sent.
  assert.equal(fake.requests.length, 1);
  const [r] = fake.requests;
  assert.equal(r.method, "POST");
  assert.equal(r.path, "/api/v1/chat/completions");
  assert.equal(r.headers.authorization, `Bearer ${KEY}`);
  assert.deepEqual(r.body, streamBody({ temperature: 0.2, max_tokens: 300 }));
  await fake.settled();
  assert.equal(r.aborted, false);
});

test("fake-openrouter: without stream it answers OpenAI-style JSON with usage", async () => {
  const res = await chat({ model: "openai/gpt-4o-mini", messages: MESSAGES });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("x-generation-id"), /^gen-/);
  const json = await res.json();
  assert.equal(json.object, "chat.completion");
  assert.equal(json.model, "openai/gpt-4o-mini");
  assert.equal(json.choices[0].message.role, "assistant");
  assert.equal(json.choices[0].message.content, EXPECTED);
  assert.equal(json.choices[0].finish_reason, "stop");
  assert.equal(json.usage.total_tokens, json.usage.prompt_tokens + json.usage.completion_tokens);
});

test("fake-openrouter: response_format json_schema gets a JSON answer with the required properties", async () => {
  const schema = {
    type: "object",
    properties: { reply: { type: "string" }, score: { type: "integer" }, lead: { type: "object", properties: { email: { type: "string" } }, required: ["email"] }, note: { type: "string" } },
    required: ["reply", "score", "lead"],
  };
  const res = await chat({ model: "m", messages: MESSAGES, response_format: { type: "json_schema", json_schema: { name: "r", strict: true, schema } } });
  const json = await res.json();
  assert.deepEqual(JSON.parse(json.choices[0].message.content), { reply: "x", score: 0, lead: { email: "x" } });

  const streamed = eventsOf((await readAll(await chat(streamBody({ response_format: { type: "json_schema", json_schema: { schema } } })))).text);
  assert.deepEqual(JSON.parse(streamed.content), { reply: "x", score: 0, lead: { email: "x" } });
});

test("fake-openrouter: 401 without a key, 400 without model or messages, in OpenRouter's error shape", async () => {
  for (const key of [null, ""]) {
    const res = await chat(streamBody(), { key });
    assert.equal(res.status, 401);
    const json = await res.json();
    assert.equal(json.error.code, 401);
    assert.equal(typeof json.error.message, "string");
  }
  for (const body of [{ messages: MESSAGES }, { model: "m" }, { model: "m", messages: [] }, "{not json", "[]"]) {
    const res = await chat(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal((await res.json()).error.code, 400);
  }
  // A rejected request does not consume a queued scenario.
  fake.enqueue({ kind: "status", status: 503 });
  assert.equal((await chat(streamBody(), { key: null })).status, 401);
  assert.equal((await chat(streamBody())).status, 503);
});

test("fake-openrouter: GET /models needs no key and lists the repo's default model with prices", async () => {
  const res = await fetch(`${fake.url}/models`);
  assert.equal(res.status, 200);
  const { data } = await res.json();
  assert.deepEqual(data, MODELS);
  const def = data.find((m) => m.id === "openai/gpt-oss-20b:free");
  assert.ok(def.context_length > 0);
  assert.deepEqual(def.pricing, { prompt: "0.0000001", completion: "0.0000004" });
  assert.equal(Number(def.pricing.prompt), PRICE_PROMPT); // /models and usage.cost agree
  assert.equal(Number(def.pricing.completion), PRICE_COMPLETION);
  assert.ok(data.length >= 3);
});

test("fake-openrouter: a status scenario answers once with Retry-After and the error body, FIFO", async () => {
  fake.enqueue({ kind: "status", status: 429, retryAfter: 7 }, { kind: "status", status: 502 });
  const first = await chat(streamBody());
  assert.equal(first.status, 429);
  assert.equal(first.headers.get("retry-after"), "7");
  const body = await first.json();
  assert.equal(body.error.code, 429);
  assert.equal(typeof body.error.message, "string");
  const second = await chat(streamBody());
  assert.equal(second.status, 502);
  assert.equal(second.headers.get("retry-after"), null);
  assert.equal((await second.json()).error.code, 502);
  const third = await chat(streamBody());
  assert.equal(third.status, 200); // queue empty: served normally
  assert.equal(eventsOf((await readAll(third)).text).content, EXPECTED);
  assert.throws(() => fake.enqueue({ kind: "no-such-kind" }));
});

test("fake-openrouter: connect-timeout never answers, so the client's timeout fires; the abort is recorded", async () => {
  for (const kind of ["connect-timeout", "hang-before-head"]) {
    fake.reset();
    fake.enqueue({ kind });
    await assert.rejects(chat(streamBody(), { signal: AbortSignal.timeout(300) }), { name: "TimeoutError" });
    await fake.settled();
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.requests[0].aborted, true, kind);
  }
});

test("fake-openrouter: stall sends the head and some pieces, then reading times out", async () => {
  fake.enqueue({ kind: "stall", afterPieces: 2 });
  const ac = new AbortController();
  const res = await chat(streamBody(), { signal: ac.signal });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const timedOut = await (async () => {
    for (;;) {
      const timer = new Promise((resolve) => setTimeout(resolve, 300, "timeout"));
      const r = await Promise.race([reader.read(), timer]);
      if (r === "timeout") return true;
      if (r.done) return false;
      text += decoder.decode(r.value, { stream: true });
    }
  })();
  assert.ok(timedOut);
  assert.equal(eventsOf(text).content, "Fake answer ");
  ac.abort(); // "client disconnect aborts the upstream request"
  await fake.settled();
  assert.equal(fake.requests[0].aborted, true);
});

test("fake-openrouter: truncate ends cleanly without the final chunk or [DONE]", async () => {
  fake.enqueue({ kind: "truncate", afterPieces: 3 });
  const { text } = await readAll(await chat(streamBody()));
  const { chunks, done, content } = eventsOf(text);
  assert.equal(done, 0);
  assert.equal(content, "Fake answer to: ");
  assert.ok(chunks.every((c) => c.choices[0].finish_reason === null && !c.usage));
  await fake.settled();
  assert.equal(fake.requests[0].aborted, false);
});

test("fake-openrouter: error-event sends an error chunk at HTTP 200, [DONE] only with doneAfter", async () => {
  for (const doneAfter of [false, true]) {
    fake.enqueue({ kind: "error-event", afterPieces: 2, doneAfter });
    const res = await chat(streamBody());
    assert.equal(res.status, 200);
    const { chunks, done, content } = eventsOf((await readAll(res)).text);
    assert.equal(content, "Fake answer ");
    const last = chunks.at(-1);
    assert.deepEqual(last.error, { code: 502, message: "Provider disconnected" });
    assert.equal(last.object, "chat.completion.chunk");
    assert.deepEqual(last.choices, [{ index: 0, delta: { content: "" }, finish_reason: "error" }]);
    assert.equal(done, doneAfter ? 1 : 0);
  }
});

test("fake-openrouter: malformed puts one non-JSON event mid-stream and then completes", async () => {
  fake.enqueue({ kind: "malformed", at: 4 });
  const { text } = await readAll(await chat(streamBody()));
  const { events, unparsable, content, lastIsDone } = eventsOf(text);
  assert.equal(unparsable.length, 1);
  assert.equal(events.indexOf(unparsable[0]), 4);
  assert.equal(content, EXPECTED);
  assert.ok(lastIsDone);
});

test("fake-openrouter: reset destroys the socket mid-stream, so reading the body rejects", async () => {
  fake.enqueue({ kind: "reset", afterPieces: 2 });
  const res = await chat(streamBody());
  assert.equal(res.status, 200);
  await assert.rejects(readAll(res));
  await fake.settled();
  assert.equal(fake.requests[0].aborted, false); // the server hung up, not the client
});

test("fake-openrouter: splitBytes, crlf and multiLineData change the framing, not the content", async () => {
  const plain = await readAll(await chat(streamBody()));
  // 3 bytes: cuts land inside "\n\n", "data:" and every multi-byte character in the answer
  // (2-, 3- and 4-byte ones), at a third of the cost of 1-byte writes.
  fake.enqueue({ kind: "ok", splitBytes: 3 });
  const split = await readAll(await chat(streamBody()));
  // Identical bytes apart from the per-request generation id.
  const norm = (b) => b.toString("utf8").replace(/gen-[\w-]+/g, "gen-ID");
  assert.equal(norm(split.bytes), norm(plain.bytes));
  assert.ok(split.reads > 1, "split writes should arrive over several reads");

  for (const option of [{ crlf: true }, { multiLineData: true }, { crlf: true, multiLineData: true, splitBytes: 5 }, { separateUsage: true }]) {
    fake.enqueue({ kind: "ok", ...option });
    const { text } = await readAll(await chat(streamBody()));
    if (option.crlf) assert.match(text, /\r\n\r\n/);
    if (option.multiLineData) assert.match(text, /\ndata: "choices":/);
    const { content, lastIsDone, unparsable, chunks } = eventsOf(text);
    assert.equal(content, EXPECTED, JSON.stringify(option));
    assert.ok(lastIsDone);
    assert.deepEqual(unparsable, []);
    assert.ok(chunks.at(-1).usage);
  }
});

test("fake-openrouter: delayMs makes slow tokens; pieceSize sets the piece length", async () => {
  fake.enqueue({ kind: "ok", text: "a b c d e", delayMs: 40 });
  const started = Date.now();
  const { text } = await readAll(await chat(streamBody()));
  assert.ok(Date.now() - started >= 5 * 40 * 0.8);
  assert.equal(eventsOf(text).content, "a b c d e");

  fake.enqueue({ kind: "ok", text: "😀é日本xyz", pieceSize: 2, commentEvery: 0 });
  const { text: t2 } = await readAll(await chat(streamBody()));
  assert.doesNotMatch(t2, /OPENROUTER PROCESSING/);
  assert.deepEqual(eventsOf(t2).chunks.slice(0, -1).map((c) => c.choices[0].delta.content), ["😀é", "日本", "xy", "z"]);
});

test("fake-openrouter: failure scenarios also apply to non-streaming requests", async () => {
  const body = { model: "m", messages: MESSAGES };
  fake.enqueue({ kind: "truncate" }, { kind: "malformed" }, { kind: "reset" }, { kind: "error-event" });
  await assert.rejects((await chat(body)).json(), SyntaxError);
  await assert.rejects((await chat(body)).json(), SyntaxError);
  await assert.rejects((await chat(body)).text());
  const errored = await chat(body);
  assert.equal(errored.status, 200);
  const json = await errored.json();
  assert.equal(json.error.code, 502);
  assert.equal(json.choices[0].finish_reason, "error");
});

test("fake-openrouter: close() ends hung connections instead of waiting for them", async () => {
  const own = await startFakeOpenRouter();
  own.enqueue({ kind: "stall" });
  const res = await fetch(`${own.url}/chat/completions`, {
    method: "POST", headers: { Authorization: `Bearer ${KEY}` }, body: JSON.stringify(streamBody()),
  });
  const reading = readAll(res);
  await own.close();
  await assert.rejects(reading);
  assert.equal(own.requests[0].aborted, false); // the fake closed it, not the client
});

test("fake-openrouter: a model named fake/<scenario> selects it without code", async () => {
  const limited = await chat(streamBody({ model: "fake/rate-limit" }));
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get("retry-after")) > 0);
  assert.equal((await limited.json()).error.code, 429);

  const truncated = eventsOf((await readAll(await chat(streamBody({ model: "fake/truncate" })))).text);
  assert.equal(truncated.done, 0);

  assert.equal((await chat(streamBody({ model: "fake/status-402" }))).status, 402);
  const unknown = await chat(streamBody({ model: "fake/nope" }));
  assert.equal(unknown.status, 400);
  assert.equal((await unknown.json()).error.code, 400);
});

test("fake-openrouter: a client that disconnects mid-stream is recorded as aborted", async () => {
  fake.enqueue({ kind: "ok", delayMs: 50 });
  const ac = new AbortController();
  const res = await chat(streamBody(), { signal: ac.signal });
  const reader = res.body.getReader();
  await reader.read(); // something arrived: the stream is under way
  ac.abort();
  await fake.settled();
  assert.equal(fake.requests[0].aborted, true);
});

test("openrouter-stream: recordedStream has >= 2000 chunks with escapes, multi-byte UTF-8 and comments", () => {
  const bytes = recordedStream();
  assert.ok(bytes instanceof Uint8Array);
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const { chunks, content, lastIsDone, unparsable } = eventsOf(text);
  assert.deepEqual(unparsable, []);
  assert.ok(chunks.length - 1 >= 2000);
  assert.ok(lastIsDone);
  assert.equal(content, expectedText());
  assert.deepEqual(chunks.at(-1).usage, expectedUsage());
  assert.equal(chunks.at(-1).choices[0].finish_reason, "stop");
  const comments = text.match(/^: OPENROUTER PROCESSING$/gm).length;
  assert.ok(comments >= 2000 / 60 && comments <= 2000 / 40 + 1, String(comments));
  for (const spelling of ['\\"', "\\\\", "\\n", "\\t", "\\u00e9", "\\ud83d\\ude00", "\\/", "é", "日本", "😀"]) {
    assert.ok(text.includes(spelling), spelling);
  }
  assert.deepEqual(recordedStream(), bytes, "deterministic for a seed");
  assert.notDeepEqual(recordedStream({ seed: 2 }), bytes);
  assert.ok(recordedStream({ chunks: 10 }).length < bytes.length);
});

test("openrouter-stream: splitIntoPieces cuts at random offsets, inside UTF-8 characters, and reassembles", () => {
  const bytes = recordedStream();
  const pieces = splitIntoPieces(bytes, { seed: 3 });
  assert.ok(pieces.every((p) => p.length >= 1 && p.length <= 200));
  assert.deepEqual(Buffer.concat(pieces), Buffer.from(bytes));
  // Some piece starts with a UTF-8 continuation byte: a cut fell inside a character.
  assert.ok(pieces.some((p) => (p[0] & 0xc0) === 0x80));
  assert.deepEqual(splitIntoPieces(bytes, { seed: 3 }), pieces);
  const shortStream = recordedStream({ chunks: 100 });
  const small = splitIntoPieces(shortStream, { seed: 4, min: 1, max: 3 });
  assert.ok(small.every((p) => p.length >= 1 && p.length <= 3));
  assert.deepEqual(Buffer.concat(small), Buffer.from(shortStream));

  // Decoding piece by piece (stream: true) gives the same events as decoding the whole.
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const text = pieces.map((p) => decoder.decode(p, { stream: true })).join("") + decoder.decode();
  assert.equal(eventsOf(text).content, expectedText());
});
