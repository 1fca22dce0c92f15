// The relay benchmarks' fixture: one recorded upstream stream (tests/support/openrouter-stream.mjs:
// 2,000 content chunks with escapes, surrogate pairs, multi-byte UTF-8 and comment lines), cut
// into the same network pieces for every target, and a signed stream_id for the stream request.

import { createHmac } from "node:crypto";
import { expectedText, recordedStream, splitAtEvents, splitIntoPieces } from "../../tests/support/openrouter-stream.mjs";
import { BENCH_SECRET, loadConfig } from "./common.mjs";

export const CHUNKS = 2000; // upstream content chunks (SSE data events carrying a delta)
export const STREAM_SEED = 7;
export const PIECES = { seed: 7, min: 1, max: 200 }; // network pieces: 1–200 bytes, cut anywhere
// The second cut: a piece per event as a server's flushes arrive, one event in 8 cut in two.
export const EVENT_PIECES = { seed: 7, splitOneIn: 8 };
export const AGENT = "sales";
export const TURN_ID = "019aaaac-2600-7000-8000-000000000001";
export const LLM_BASE = "http://llm.invalid/api/v1";
export const STATE_URL = "http://state.invalid";

export function relayFixture() {
  const bytes = recordedStream({ chunks: CHUNKS, seed: STREAM_SEED });
  const pieces = splitIntoPieces(bytes, PIECES);
  const eventPieces = splitAtEvents(bytes, EVENT_PIECES);
  const text = new TextDecoder().decode(bytes);
  return {
    bytes,
    pieces,
    eventPieces,
    expected: expectedText({ chunks: CHUNKS, seed: STREAM_SEED }),
    chunks: CHUNKS,
    dataEvents: (text.match(/^data: /gm) ?? []).length, // content chunks + finish chunk + [DONE]
    comments: (text.match(/^:/gm) ?? []).length,
  };
}

/** The env a deployment with an LLM gives the core. */
export const relayEnv = () => ({
  SALIENT_STREAM_SECRET: BENCH_SECRET,
  SUPABASE_URL: STATE_URL,
  OPENROUTER_API_KEY: "sk-or-bench",
  OPENROUTER_BASE_URL: LLM_BASE,
});

/** A stream_id the core accepts at `nowMs` (the chat function's recipe: HMAC-SHA256). */
export function signStreamId(nowMs, turnId = TURN_ID, secret = BENCH_SECRET) {
  const exp = Math.floor(nowMs / 1000) + 30;
  const mac = createHmac("sha256", secret).update(`salient-stream-v1|${AGENT}|${turnId}|${exp}`).digest("base64url");
  return `${turnId}.${exp}.${mac}`;
}

export { loadConfig };
