// scripts/check-sizes.mjs: the real build is within every platform's limit, and a bundle over
// one fails the check with a message naming the bundle, its size, the limit and what to do.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CHECK = path.join(REPO, "scripts", "check-sizes.mjs");
const FUNCTIONS = ["chat", "stream", "otp", "summary"];
const built = FUNCTIONS.every((fn) => existsSync(path.join(REPO, "build", "wasi", "functions", `${fn}.wasm`))) &&
  existsSync(path.join(REPO, "build", "netlify", "assets.js"));

function check(args, env = {}) {
  const { SALIENT_WORKERS_PLAN, ...rest } = process.env;
  return spawnSync(process.execPath, [CHECK, ...args], { cwd: REPO, encoding: "utf8", env: { ...rest, ...env } });
}

/** A build folder whose chat module is `chatBytes` of random (incompressible) bytes. */
function fakeBuild(chatBytes) {
  const dir = mkdtempSync(path.join(tmpdir(), "salient-sizes-"));
  mkdirSync(path.join(dir, "wasi", "functions"), { recursive: true });
  mkdirSync(path.join(dir, "netlify"), { recursive: true });
  mkdirSync(path.join(dir, "public"), { recursive: true });
  writeFileSync(path.join(dir, "salient.json"), "{}");
  for (const fn of FUNCTIONS) {
    writeFileSync(path.join(dir, "wasi", "functions", `${fn}.wasm`), fn === "chat" ? randomBytes(chatBytes) : Buffer.alloc(64));
  }
  writeFileSync(path.join(dir, "netlify", "assets.js"), "export const config = {};\n");
  writeFileSync(path.join(dir, "public", "index.html"), "<!doctype html>\n");
  return dir;
}

test("the real build is within every platform's limit", { skip: !built && "build/ is missing: run ./scripts/build" }, () => {
  const run = check([]);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  for (const bundle of ["Cloudflare worker", "Netlify edge function", "Netlify function sweep", "Vercel function api/salient.js", "Vercel function api/sweep.js"]) {
    assert.match(run.stdout, new RegExp(`^${bundle}.*\\d+\\.\\d %  ok$`, "m"), `${bundle} in:\n${run.stdout}`);
  }
});

test("a worker over the Workers Free limit fails, saying which, how big, the limit and what to do", () => {
  const dir = fakeBuild(3_200_000);
  try {
    const run = check(["--build", dir, "--platform", "cloudflare"]);
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^Cloudflare worker .* 3\.\d\d MB .*OVER$/m);
    assert.match(run.stderr, /FAILED: Cloudflare worker \(script, 4 modules, index\) is 3\.\d\d MB, over its limit \(Workers Free: 3 MB gzip\) by \d/);
    assert.match(run.stderr, /What to do: make the function modules smaller/);
    // The same bundle is within Workers Paid's 10 MB.
    const paid = check(["--build", dir, "--platform", "cloudflare"], { SALIENT_WORKERS_PLAN: "paid" });
    assert.equal(paid.status, 0, paid.stdout + paid.stderr);
    assert.match(paid.stdout, /Workers Paid: 10 MB gzip/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a build without its modules is an error of its own (exit 2), not a pass", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "salient-sizes-"));
  try {
    const run = check(["--build", dir, "--platform", "cloudflare"]);
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /salient\.json is missing: run \.\/scripts\/build/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
