// wrangler.toml stays deployable: wrangler (the real CLI, offline) bundles the worker with its
// CompiledWasm modules and config, exactly as `wrangler deploy` would, without uploading.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const outdir = path.join(root, "build/cf-dry-run");

test("wrangler deploy --dry-run bundles the worker, its four modules and the config", async () => {
  rmSync(outdir, { recursive: true, force: true });
  const { stdout } = await promisify(execFile)(
    path.join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", outdir],
    { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" }, timeout: 120_000 });
  assert.match(stdout, /--dry-run: exiting now/);
  const files = readdirSync(outdir);
  const wasm = files.filter((f) => f.endsWith(".wasm"));
  assert.equal(wasm.length, 4, `four wasm modules in ${files.join(", ")}`);
  const worker = files.find((f) => f.endsWith(".js"));
  assert.ok(worker && statSync(path.join(outdir, worker)).size > 1000);
});
