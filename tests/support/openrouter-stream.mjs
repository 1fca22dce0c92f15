// A deterministic, recorded-looking OpenRouter SSE body for the relay benchmark and tests.
//
//   recordedStream({ chunks, seed })   → Uint8Array: the whole `text/event-stream` body
//   expectedText({ chunks, seed })     → string: what the concatenated deltas must decode to
//   splitIntoPieces(bytes, { seed, min, max }) → Uint8Array[]: the body cut at pseudo-random
//                                        offsets, as a network would deliver it
//
// The body has `chunks` content chunks (default 2000) in the same JSON shape the fake server
// sends (tests/support/fake-openrouter.mjs), `: OPENROUTER PROCESSING` comments every 40–60
// chunks, then a finish chunk carrying `usage`, then `data: [DONE]`.
//
// Unlike JSON.stringify, the string encoder here picks between equivalent JSON spellings at
// random — raw UTF-8 or `\u00e9`, an emoji raw or as the surrogate-pair escape
// `\ud83d\ude00`, `\n` or `\u000a`, `/` or `\/` — because upstream providers differ in how
// they escape, and a decoder that only ever saw JSON.stringify output would pass tests and
// fail in production. Everything is derived from `seed`, so a failure reproduces exactly.

import { PRICE_COMPLETION, PRICE_PROMPT, PROVIDER, COMMENT } from "./fake-openrouter.mjs";

/** mulberry32: tiny, fast and good enough for test data; same seed → same sequence. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces a model could plausibly emit, chosen so that every kind of escape and every UTF-8
// length (1–4 bytes) appears many times in 2,000 chunks.
const VOCABULARY = [
  "Our ", "plan ", "costs ", "$49/month", ", ", "and ", "includes ", "support", ". ",
  "\"Pro\" ", "tier ", "C:\\data\\", "path ", "\n", "\n\n", "\t", "- item\n",
  "café ", "naïve ", "résumé ", "—", " ", "€12 ", "日本", "語 ", "中文 ", "😀", "🚀 ", "👍🏽 ",
  "a/b ", "x < y & z > w ", "'single' ", "\u0001", "tab\there ", "ok",
];

const ENCODER = new TextEncoder();

function hex4(code) {
  return "\\u" + code.toString(16).padStart(4, "0");
}

/** JSON string literal for `s`, choosing randomly among valid spellings (see header). */
export function jsonString(s, rand) {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0);
    const escape = rand() < 0.5;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "/") out += escape ? "\\/" : "/";
    else if (ch === "\n") out += escape ? hex4(0x0a) : "\\n";
    else if (ch === "\t") out += escape ? hex4(0x09) : "\\t";
    else if (code < 0x20) out += hex4(code); // other controls must be escaped
    else if (code < 0x80) out += ch;
    else if (!escape) out += ch; // raw UTF-8
    else if (code > 0xffff) {
      // astral characters escape as a UTF-16 surrogate pair, e.g. 😀 → \ud83d\ude00
      const v = code - 0x10000;
      out += hex4(0xd800 + (v >> 10)) + hex4(0xdc00 + (v & 0x3ff));
    } else out += hex4(code);
  }
  return out + '"';
}

const cache = new Map();

function build({ chunks = 2000, seed = 1 } = {}) {
  const key = `${chunks}/${seed}`;
  if (cache.has(key)) return cache.get(key);
  const rand = prng(seed);
  const id = `gen-1700000000-rec${String(seed).padStart(6, "0")}`;
  const head = `{"id":"${id}","provider":"${PROVIDER}","model":"openai/gpt-oss-20b:free","object":"chat.completion.chunk","created":1700000000,"choices":[{"index":0,"delta":{"role":"assistant","content":`;
  const tail = `},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}`;
  const parts = [];
  let text = "";
  let nextComment = 0;
  for (let i = 0; i < chunks; i++) {
    if (i === nextComment) {
      parts.push(`${COMMENT}\n\n`);
      nextComment = i + 40 + Math.floor(rand() * 21);
    }
    let piece = "";
    const words = 1 + Math.floor(rand() * 3);
    for (let w = 0; w < words; w++) piece += VOCABULARY[Math.floor(rand() * VOCABULARY.length)];
    text += piece;
    parts.push(`data: ${head}${jsonString(piece, rand)}${tail}\n\n`);
  }
  const promptTokens = 250;
  const completionTokens = chunks;
  const cost = Math.round((promptTokens * PRICE_PROMPT + completionTokens * PRICE_COMPLETION) * 1e12) / 1e12;
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    cost,
    cost_details: { upstream_inference_cost: null },
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
  parts.push(`data: ${head}""},"finish_reason":"stop","native_finish_reason":"stop","logprobs":null}],"usage":${JSON.stringify(usage)}}\n\n`);
  parts.push("data: [DONE]\n\n");
  const result = { bytes: ENCODER.encode(parts.join("")), text, usage };
  cache.set(key, result);
  return result;
}

/** The whole SSE body. Returns a fresh copy, so a consumer may transfer or modify it. */
export function recordedStream(options) {
  return build(options).bytes.slice();
}

/** The text the content deltas of recordedStream(options) concatenate to. */
export function expectedText(options) {
  return build(options).text;
}

/** The usage object in the last chunk of recordedStream(options). */
export function expectedUsage(options) {
  return structuredClone(build(options).usage);
}

/**
 * Cuts `bytes` into consecutive pieces of pseudo-random length in [min, max] (the last one may
 * be shorter). Cuts ignore character and line boundaries on purpose: a reader must cope with
 * a piece that ends in the middle of a UTF-8 sequence, a `data:` prefix or a "\n\n".
 */
export function splitIntoPieces(bytes, { seed = 1, min = 1, max = 200 } = {}) {
  if (!(min >= 1 && max >= min)) throw new RangeError("splitIntoPieces: need 1 <= min <= max");
  const rand = prng(seed ^ 0x9e3779b9);
  const pieces = [];
  for (let at = 0; at < bytes.length;) {
    const size = min + Math.floor(rand() * (max - min + 1));
    pieces.push(bytes.slice(at, at + size));
    at += size;
  }
  return pieces;
}

/**
 * Cuts `bytes` the way a streaming server's flushes usually arrive: one piece per SSE event
 * (each ends with its blank line), except that one event in `splitOneIn` is cut in two at a
 * pseudo-random byte — inside a UTF-8 sequence, an escape or the `data:` prefix as it falls.
 */
export function splitAtEvents(bytes, { seed = 1, splitOneIn = 8 } = {}) {
  const rand = prng(seed ^ 0x85ebca6b);
  const pieces = [];
  let start = 0;
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] !== 0x0a || bytes[i + 1] !== 0x0a) continue;
    const end = i + 2;
    if (end - start > 1 && rand() * splitOneIn < 1) {
      const cut = start + 1 + Math.floor(rand() * (end - start - 1));
      pieces.push(bytes.slice(start, cut), bytes.slice(cut, end));
    } else {
      pieces.push(bytes.slice(start, end));
    }
    start = end;
    i = end - 1;
  }
  if (start < bytes.length) pieces.push(bytes.slice(start));
  return pieces;
}
