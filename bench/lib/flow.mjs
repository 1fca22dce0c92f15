// One offline chat turn as the chat page makes it: POST the form (htmx), read the HTML partial,
// take the stream URL from its sse-connect attribute, GET the stream and read it to the end.
// `send(request) → Promise<Response>` is either an in-process handler or fetch over loopback.

import { readFileSync } from "node:fs";
import { createSalient } from "../../hosts/driver.js";
import { rpcHandler } from "../../hosts/node-dev/postgrest.js";
import { cannedStore } from "./canned-store.mjs";
import { loadConfig, MESSAGE, realisticEnv, wasmPath } from "./common.mjs";

const AGENT = "sales";

/** A client: new session every `turnsPerSession` turns, a new idempotency key every turn. */
export function client(origin, send, { turnsPerSession = 10 } = {}) {
  let session = crypto.randomUUID(), turns = 0;
  return async function turn() {
    if (++turns % turnsPerSession === 0) session = crypto.randomUUID();
    const post = await send(new Request(`${origin}/a/${AGENT}/chat`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: new URLSearchParams({ message: MESSAGE, session_key: session, idempotency_key: crypto.randomUUID() }),
    }));
    const html = await post.text();
    const match = /sse-connect="([^"]+)"/.exec(html);
    if (post.status !== 200 || !match) throw new Error(`POST chat: ${post.status} ${html.slice(0, 300)}`);
    const stream = await send(new Request(origin + match[1].replaceAll("&amp;", "&"), {
      headers: { accept: "text/event-stream" },
    }));
    const sse = await stream.text();
    if (stream.status !== 200 || !sse.includes("event: done")) throw new Error(`GET stream: ${stream.status} ${sse.slice(0, 300)}`);
    return html.length + sse.length;
  };
}

/** Salient in-process: the driver with the canned state responder behind its `fetch` option. */
export function inProcessSalient({ log = (obj) => void JSON.stringify(obj) } = {}) {
  const config = loadConfig();
  const modules = {};
  for (const fn of ["chat", "stream", "otp", "summary"]) modules[fn] = new WebAssembly.Module(readFileSync(wasmPath(fn)));
  const stateUrl = "http://state.invalid";
  const state = rpcHandler(cannedStore());
  const salient = createSalient({
    modules, config, env: realisticEnv(stateUrl), log,
    fetch: (url, init) => state(new Request(url, init)),
  });
  return { handle: (request) => salient.handle(request), state, stateUrl };
}

/** One turn through Salient in-process, recording what the peer must reproduce. */
export async function captureFixtures() {
  const config = loadConfig();
  const calls = [];
  const decoder = new TextDecoder();
  const state = rpcHandler(cannedStore());
  const modules = {};
  for (const fn of ["chat", "stream"]) modules[fn] = new WebAssembly.Module(readFileSync(wasmPath(fn)));
  const salient = createSalient({
    modules, config, env: realisticEnv("http://state.invalid"), log: () => {},
    fetch: async (url, init) => {
      calls.push({ fn: url.split("/").at(-1), args: JSON.parse(decoder.decode(init.body)) }); // bytes from the driver
      return state(new Request(url, init));
    },
  });
  const responses = [];
  const send = async (request) => {
    const res = await salient.handle(request);
    const chunks = [];
    for await (const chunk of res.body) chunks.push(decoder.decode(chunk)); // chunks are whole events
    const body = chunks.join("");
    responses.push({ status: res.status, headers: [...res.headers], body, chunks });
    return new Response(body, { status: res.status, headers: res.headers });
  };
  await client("http://bench.invalid", send)();
  const begin = calls.find((c) => c.fn === "salient_begin_turn").args;
  const finish = calls.find((c) => c.fn === "salient_finish_turn").args;
  return {
    post: responses[0],
    stream: responses[1],
    turnId: begin.p_message_id,
    finishContent: finish.p_content,
    tenant: begin.p_tenant,
    agent: begin.p_agent,
    stateCalls: calls.map((c) => c.fn),
  };
}
