// The request head's `client_ip` (docs/ABI.md): the driver takes it from its adapter, and each
// adapter from the one source its platform guarantees — Cloudflare's cf-connecting-ip header,
// Netlify's context.ip, Vercel's x-real-ip header, the Node socket's peer on the dev server —
// never from x-forwarded-for, which carries whatever the client wrote. Each adapter runs here in
// this process; the heads are read where the driver hands them to an instance (Run.start).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { networkInterfaces } from "node:os";
import http from "node:http";
import { test } from "node:test";
import { createSalient } from "../../hosts/driver.js";
import { Run } from "../../hosts/driver/run.js";
import { startServer } from "../../hosts/node-dev/server.js";

const heads = [];
const decoder = new TextDecoder();
const start = Run.prototype.start;
Run.prototype.start = function (head, body) {
  heads.push(JSON.parse(decoder.decode(head)));
  return start.call(this, head, body);
};
/** The head of the one request `send` makes (its response read to the end). */
async function headOf(send) {
  heads.length = 0;
  const res = await send();
  await res.arrayBuffer?.();
  assert.equal(heads.length, 1);
  return heads[0];
}

const root = new URL("../../", import.meta.url);
const config = JSON.parse(readFileSync(new URL("build/salient.json", root), "utf8"));
const env = { SALIENT_STREAM_SECRET: "client-ip-test-secret-0123456789abcdef" };
const SPOOFED = { "x-forwarded-for": "6.6.6.6, 7.7.7.7" };
const ctx = { waitUntil: (p) => Promise.resolve(p).catch(() => {}) };

test("driver: handle()'s clientIp is the head's client_ip; '' when not given; headers never fill it", async () => {
  const chat = new WebAssembly.Module(readFileSync(new URL("build/wasi/functions/chat.wasm", root)));
  const salient = createSalient({ modules: { chat }, config, env, log: () => {} });
  const request = () => new Request("http://salient.test/a/sales/", { headers: SPOOFED });
  assert.equal((await headOf(() => salient.handle(request(), undefined, { clientIp: "203.0.113.7" }))).client_ip, "203.0.113.7");
  const bare = await headOf(() => salient.handle(request()));
  assert.equal(bare.client_ip, "");
  assert.deepEqual(Object.keys(bare), ["method", "url", "headers", "now_ms", "request_id", "body_truncated", "client_ip"]);
  assert.equal((await headOf(() => salient.handle(request(), undefined, { clientIp: 42 }))).client_ip, "", "a string or nothing");
});

test("node-dev: the socket's peer, IPv4-mapped written as IPv4; x-forwarded-for ignored", async () => {
  const server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} });
  const get = (localAddress) => new Promise((resolve, reject) => {
    const { hostname, port } = new URL(server.url);
    http.get({ hostname, port, path: "/a/sales/", headers: SPOOFED, localAddress }, (res) => res.resume().on("end", () => resolve({}))).on("error", reject);
  });
  try {
    assert.equal((await headOf(() => get())).client_ip, "127.0.0.1");
    const other = Object.values(networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address;
    if (other) assert.equal((await headOf(() => get(other))).client_ip, other); // still a server on 127.0.0.1
  } finally {
    await server.close();
  }
});

test("vercel: the x-real-ip header Vercel sets; nothing else", async () => {
  const { default: fn } = await import("../../hosts/vercel/function.js");
  const request = (headers) => new Request("https://site.test/a/sales/?salient_a=sales%2F", { headers: { ...SPOOFED, ...headers } });
  assert.equal((await headOf(() => fn.fetch(request({ "x-real-ip": "198.51.100.23" }), ctx))).client_ip, "198.51.100.23");
  assert.equal((await headOf(() => fn.fetch(request({}), ctx))).client_ip, "");
});

test("netlify edge: context.ip; not a header", async () => {
  globalThis.Netlify = { env: { toObject: () => env } };
  const { default: handler } = await import("../../hosts/netlify/edge-functions/salient.js");
  const request = () => new Request("https://site.test/a/sales/", { headers: { ...SPOOFED, "x-real-ip": "8.8.8.8", "x-nf-client-connection-ip": "9.9.9.9" } });
  assert.equal((await headOf(() => handler(request(), { ...ctx, ip: "2001:db8::7" }))).client_ip, "2001:db8::7");
  assert.equal((await headOf(() => handler(request(), ctx))).client_ip, "");
});

test("cloudflare: the cf-connecting-ip header Cloudflare sets; not x-forwarded-for", async () => {
  // worker.js imports its build as workerd does (CompiledWasm, Data and JSON modules); these
  // hooks give Node the same three kinds, for build/ only.
  const build = new URL("build/", root).href;
  register(`data:text/javascript,${encodeURIComponent(`
    const BUILD = ${JSON.stringify(build)};
    const SOURCES = {
      wasm: "export default new WebAssembly.Module(readFileSync(new URL(import.meta.url)));",
      bin: "export default new Uint8Array(readFileSync(new URL(import.meta.url))).buffer;",
      json: "export default JSON.parse(readFileSync(new URL(import.meta.url), 'utf8'));",
    };
    export async function load(url, context, next) {
      const kind = url.startsWith(BUILD) ? /\\.(wasm|bin|json)$/.exec(url)?.[1] : undefined;
      if (!kind) return next(url, context);
      return { format: "module", shortCircuit: true, source: 'import { readFileSync } from "node:fs";\\n' + SOURCES[kind] };
    }`)}`);
  const { default: worker } = await import("../../hosts/cloudflare/worker.js");
  const request = (headers) => new Request("https://site.test/a/sales/", { headers: { ...SPOOFED, ...headers } });
  assert.equal((await headOf(() => worker.fetch(request({ "cf-connecting-ip": "192.0.2.44" }), env, ctx))).client_ip, "192.0.2.44");
  assert.equal((await headOf(() => worker.fetch(request({}), env, ctx))).client_ip, "");
});
