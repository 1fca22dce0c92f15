// A server process for bench/ttft-node.mjs, so that the client, the fake upstream and Salient
// each have their own event loop (as they would across a network):
//
//   node bench/lib/ttft-server.mjs fake            the fake OpenRouter (tests/support/fake-openrouter.mjs)
//   node bench/lib/ttft-server.mjs salient <base>  the Node dev server (with the canned state
//                                                  responder, lib/canned-store.mjs: the store's
//                                                  time is not Salient's) and OPENROUTER_BASE_URL=<base>
//
// Prints one JSON line with its URL(s) once listening; stops when stdin closes. The salient role
// also wraps globalThis.fetch before the server starts (the driver calls it for every effect) and
// serves the start and end times of the claim (timed in the embedded store, which the dev server
// calls in-process) and the start and head times of the LLM fetch, in ms on the shared clock
// performance.timeOrigin + performance.now(), at GET {marks}/marks (which also clears them). It
// also marks, inside the dev server, when the LLM body's first piece with content was read (its
// reader's read() wrapped, so no stream is added to the measured path) and
// when the first `event: token` was written to the client's socket (the relay of the first token).

import http from "node:http";
import { startServer } from "../../hosts/node-dev/server.js";
import { startFakeOpenRouter } from "../../tests/support/fake-openrouter.mjs";
import { cannedStore } from "./canned-store.mjs";
import { BENCH_SECRET } from "./common.mjs";

const now = () => performance.timeOrigin + performance.now();
const decoder = new TextDecoder();
const [role, base] = process.argv.slice(2);
let stop;
if (role === "fake") {
  const fake = await startFakeOpenRouter({ port: 0 });
  stop = () => fake.close();
  console.log(JSON.stringify({ url: fake.url }));
} else if (role === "salient") {
  let marks = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    const start = now();
    const res = await realFetch(url, init);
    const u = String(url);
    if (!u.endsWith("/chat/completions")) return res;
    marks.push({ kind: "llm", start, head: now(), body: typeof init?.body === "string" ? init.body : decoder.decode(init?.body) }); // the body (bytes from the driver): for the direct calls

    if (!res.body) return res;
    // Notes when the first piece with content is read. The body's own reader, with its read()
    // wrapped: a pass-through stream would add its own hops to the path being measured.
    const body = res.body, getReader = body.getReader.bind(body);
    body.getReader = (...args) => {
      const reader = getReader(...args), read = reader.read.bind(reader);
      let seen = false;
      reader.read = async () => {
        const result = await read();
        if (!seen && result.value && decoder.decode(result.value).includes('"content":"')) {
          seen = true;
          marks.push({ kind: "llmContent", at: now() });
        }
        return result;
      };
      return reader;
    };
    return res;
  };
  const write = http.ServerResponse.prototype.write;
  http.ServerResponse.prototype.write = function (chunk, ...rest) {
    if (typeof chunk !== "string" && decoder.decode(chunk).includes("event: token") && !marks.some((m) => m.kind === "tokenWrite")) {
      marks.push({ kind: "tokenWrite", at: now() });
    }
    return write.call(this, chunk, ...rest);
  };
  // The claim: the dev server answers its core's state calls in-process (server.js), so it is
  // timed where the embedded store runs it.
  const state = cannedStore(), call = state.call.bind(state);
  state.call = async (fn, args) => {
    const start = now();
    const result = await call(fn, args);
    if (fn === "salient_claim_turn") marks.push({ kind: "claim", start, head: now() });
    return result;
  };
  const server = await startServer({
    port: 0,
    state,
    env: { SALIENT_STREAM_SECRET: BENCH_SECRET, OPENROUTER_API_KEY: "sk-or-bench", OPENROUTER_BASE_URL: base },
    log: () => {},
  });
  const marksServer = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(marks));
    marks = [];
  });
  await new Promise((resolve) => marksServer.listen(0, "127.0.0.1", resolve));
  stop = async () => {
    marksServer.close();
    await server.close();
  };
  console.log(JSON.stringify({ url: server.url, marks: `http://127.0.0.1:${marksServer.address().port}` }));
} else {
  throw new Error("usage: ttft-server.mjs fake | salient <openrouter base url>");
}
process.stdin.on("end", () => stop().then(() => process.exit(0)));
process.stdin.resume();
