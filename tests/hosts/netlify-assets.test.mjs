// hosts/netlify/assets.mjs: the Netlify Edge Function's bundle holds exactly the built modules,
// the compiled config and the knowledge index (or none, without a knowledge/ folder). Node 20
// has no Uint8Array.fromBase64, so this also exercises the bundle's atob fallback; Deno runs the
// other branch in tests/e2e (host "netlify-edge").

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { writeNetlifyAssets } from "../../hosts/netlify/assets.mjs";
import { REPO } from "../support/workerd.mjs";

const BUILD = path.join(REPO, "build");

test("the bundle's modules, config and index are the build's, byte for byte", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "salient-netlify-assets-"));
  try {
    await symlink(path.join(BUILD, "wasi"), path.join(dir, "wasi"));
    await symlink(path.join(BUILD, "knowledge.bin"), path.join(dir, "knowledge.bin"));
    await writeFile(path.join(dir, "salient.json"), readFileSync(path.join(BUILD, "salient.json")));
    const bundle = await import(pathToFileURL(writeNetlifyAssets(dir)).href);
    assert.deepEqual(bundle.config, JSON.parse(readFileSync(path.join(BUILD, "salient.json"), "utf8")));
    assert.deepEqual(Object.keys(bundle.modules), ["chat", "stream", "otp", "summary"]);
    for (const [fn, bytes] of Object.entries(bundle.modules)) {
      assert.ok(Buffer.from(bytes()).equals(readFileSync(path.join(BUILD, "wasi", "functions", `${fn}.wasm`))), `${fn}.wasm differs`);
    }
    assert.ok(Buffer.from(bundle.knowledge()).equals(readFileSync(path.join(BUILD, "knowledge.bin"))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("without a knowledge index the bundle says so, and the rest is still there", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "salient-netlify-assets-"));
  try {
    await mkdir(path.join(dir, "wasi"));
    await symlink(path.join(BUILD, "wasi", "functions"), path.join(dir, "wasi", "functions"));
    await writeFile(path.join(dir, "salient.json"), "{\"app\":{}}");
    const bundle = await import(pathToFileURL(writeNetlifyAssets(dir)).href);
    assert.equal(bundle.knowledge(), null);
    assert.deepEqual(bundle.config, { app: {} });
    assert.ok(bundle.modules.stream().length > 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
