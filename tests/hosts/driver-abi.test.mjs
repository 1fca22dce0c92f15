// hosts/driver.js against modules of another reactor ABI version (docs/ABI.md): a module built
// before the driver's ABI is refused at startup with an error that says what to do, instead
// of relaying with a misread output slot. And when modules are instantiated: at startup
// (eager, the default) or on the first request that needs each (eager: false).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createSalient } from "../../hosts/driver.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A wasm module exporting memory, _initialize and salient_abi_version() → `version`. */
function moduleOfVersion(version) {
  const section = (id, bytes) => [id, bytes.length, ...bytes];
  const name = (s) => [s.length, ...new TextEncoder().encode(s)];
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    ...section(1, [2, 0x60, 0, 0, 0x60, 0, 1, 0x7f]), // types: () → (), () → i32
    ...section(3, [2, 0, 1]), // functions: _initialize, salient_abi_version
    ...section(5, [1, 0, 1]), // one memory, 1 page
    ...section(7, [3, ...name("memory"), 2, 0, ...name("_initialize"), 0, 0, ...name("salient_abi_version"), 0, 1]),
    ...section(10, [2, 2, 0, 0x0b, 4, 0, 0x41, version, 0x0b]), // bodies: end; i32.const version, end
  ]);
  return new WebAssembly.Module(bytes);
}

const env = { SALIENT_STREAM_SECRET: "driver-abi-test-secret-0123456789abcdef" };

test("a module of an older reactor ABI is refused at startup, naming both versions and the fix", () => {
  for (const version of [2, 3]) {
    assert.throws(() => createSalient({ modules: { stream: moduleOfVersion(version) }, config: {}, env, log: () => {} }),
      new RegExp(`reactor ABI ${version}; this driver needs 4: rebuild it`));
  }
});

test("the built modules speak the driver's ABI", () => {
  const stream = new WebAssembly.Module(readFileSync(path.join(root, "build/wasi/functions/stream.wasm")));
  assert.doesNotThrow(() => createSalient({ modules: { stream }, config: {}, env, log: () => {} }));
});

// Lazy instantiation (createSalient's `eager: false`, modules given as functions), as the
// Netlify Edge Function uses it: a cold isolate pays for the module its request needs only.
const built = (fn) => new WebAssembly.Module(readFileSync(path.join(root, `build/wasi/functions/${fn}.wasm`)));
const config = JSON.parse(readFileSync(path.join(root, "build/salient.json"), "utf8"));

test("not eager: a module is made and instantiated when a request first needs it, once", async () => {
  const made = { chat: 0, stream: 0, otp: 0, summary: 0 };
  const modules = Object.fromEntries(Object.keys(made).map((fn) => [fn, () => (made[fn]++, built(fn))]));
  const salient = createSalient({ modules, config, env, log: () => {}, eager: false });
  assert.deepEqual(made, { chat: 0, stream: 0, otp: 0, summary: 0 });
  for (let i = 0; i < 2; i++) {
    const res = await salient.handle(new Request("http://salient.test/a/sales/"));
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
  assert.deepEqual(made, { chat: 1, stream: 0, otp: 0, summary: 0 });
});

test("eager (the default): every module is made and instantiated at startup", () => {
  const made = [];
  const modules = Object.fromEntries(["chat", "stream"].map((fn) => [fn, () => (made.push(fn), built(fn))]));
  createSalient({ modules, config, env, log: () => {} });
  assert.deepEqual(made, ["chat", "stream"]);
});

test("not eager: a module that cannot run fails its request with a 500 and a log line, not startup", async () => {
  const logs = [];
  const salient = createSalient({ modules: { chat: () => moduleOfVersion(2) }, config, env, log: (l) => logs.push(l), eager: false });
  const res = await salient.handle(new Request("http://salient.test/a/sales/"));
  assert.equal(res.status, 500);
  await res.arrayBuffer();
  const failed = logs.find((l) => l.event === "host.instantiate_failed");
  assert.ok(failed, JSON.stringify(logs));
  assert.match(failed.message, /reactor ABI 2; this driver needs 4/);
});
