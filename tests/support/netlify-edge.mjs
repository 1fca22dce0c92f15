// Starts the Netlify Edge Function (hosts/netlify/edge-functions/salient.js) under real Deno
// (2.9.6, see DENO below) through tests/support/netlify-edge-server.js, on a loopback port.
// `env` becomes the site's environment variables (Netlify.env). Resolves once it listens.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeNetlifyAssets } from "../../hosts/netlify/assets.mjs";
import { REPO } from "./workerd.mjs";

// What the edge function's bundle holds, relative to the repository: a copy of these runs with
// another compiled config (salientConfig), beside its own build/netlify/assets.js.
const EDGE_SOURCES = ["hosts/driver.js", "hosts/routes.js", "hosts/netlify/edge-functions/salient.js", "tests/support/netlify-edge-server.js"];

/** A copy of the edge function's sources whose bundle holds `config` instead of build/salient.json. */
async function configuredRoot(dir, config) {
  const root = path.join(dir, "root");
  for (const file of EDGE_SOURCES) {
    await mkdir(path.join(root, path.dirname(file)), { recursive: true });
    await copyFile(path.join(REPO, file), path.join(root, file));
  }
  const build = path.join(root, "build");
  await mkdir(build, { recursive: true });
  await writeFile(path.join(build, "salient.json"), JSON.stringify(config));
  await symlink(path.join(REPO, "build", "wasi"), path.join(build, "wasi"));
  await symlink(path.join(REPO, "build", "knowledge.bin"), path.join(build, "knowledge.bin"));
  writeNetlifyAssets(build);
  return root;
}

// Deno's Linux x64 binary from the npm registry: the platform package itself (an optional
// dependency in package.json), because the registry this project installs from lacks the `deno`
// package's other platforms and `npm ci` then refuses its lock. Elsewhere: a `deno` on PATH.
export const DENO = existsSync(path.join(REPO, "node_modules", "@deno", "linux-x64-glibc", "deno"))
  ? path.join(REPO, "node_modules", "@deno", "linux-x64-glibc", "deno")
  : "deno";

export async function startNetlifyEdge({ env = {}, salientConfig = null, timeoutMs = 30000 } = {}) {
  const dir = salientConfig ? await mkdtemp(path.join(os.tmpdir(), "salient-netlify-")) : null;
  const root = salientConfig ? await configuredRoot(dir, salientConfig) : REPO;
  const args = [
    "run", "--no-lock", "--no-prompt",
    "--allow-net=127.0.0.1", // its own socket, the state store and the fake upstreams
    "--allow-env",
    path.join(root, "tests", "support", "netlify-edge-server.js"),
  ];
  // Only what the test passes, plus what Deno itself needs: the edge sees no stray variables.
  const child = spawn(DENO, args, {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DENO_DIR: path.join(REPO, "build", "deno"), NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk) => {
    output += chunk;
    if (output.length > 200000) output = output.slice(-100000);
  };
  child.stderr.on("data", collect);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const listening = new Promise((resolve, reject) => {
    let line = "";
    const timer = setTimeout(() => reject(new Error(`deno did not listen within ${timeoutMs} ms:\n${output.slice(-3000)}`)), timeoutMs);
    const onData = (chunk) => {
      collect(chunk);
      line += chunk;
      const match = /\{"port":(\d+)\}/.exec(line);
      if (match) {
        clearTimeout(timer);
        child.stdout.off("data", onData); // from here on stdout is the worker's log
        child.stdout.on("data", collect);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`deno exited with code ${code}:\n${output.slice(-3000)}`));
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${DENO} (${err.message}): npm ci installs Deno on Linux x64; elsewhere put deno 2.x on PATH`));
    });
  });
  let port;
  try {
    port = await listening;
  } catch (err) {
    child.kill("SIGKILL");
    if (dir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop, output: () => output };
}
