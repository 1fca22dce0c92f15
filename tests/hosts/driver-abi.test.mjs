// hosts/driver.js against modules of another reactor ABI version (docs/ABI.md): a module built
// before the driver's ABI is refused at startup with an error that says what to do, instead
// of relaying with a misread output slot.
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
