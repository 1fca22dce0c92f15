// Hosts under test that run in a child process (Deno for the Netlify Edge Function, Node for the
// Vercel function): start one, wait until it says where it listens, stop it; and make a copy of
// a host's sources that runs with another compiled config.

import { spawn } from "node:child_process";
import { copyFile, mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { startStateServer } from "../../hosts/node-dev/state-server.js";
import { REPO } from "./workerd.mjs";

/**
 * Runs `command args` with only `env` (plus PATH and HOME: the host sees no stray variables)
 * and resolves once it prints {"port": n} on stdout. Later stdout and stderr are its log
 * (`output()`). `cleanup` runs after it exits, or when it fails to start.
 */
export async function startListening({ name, command, args, env = {}, timeoutMs = 30000, cleanup = async () => {} }) {
  const child = spawn(command, args, {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
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
    let head = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not listen within ${timeoutMs} ms:\n${output.slice(-3000)}`)), timeoutMs);
    const onData = (chunk) => {
      collect(chunk);
      head += chunk;
      const match = /\{"port":(\d+)\}/.exec(head);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off("data", onData); // from here on stdout is the host's log
      child.stdout.on("data", collect);
      resolve(Number(match[1]));
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code}:\n${output.slice(-3000)}`));
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${name} (${command}: ${err.message})`));
    });
  });
  let port;
  try {
    port = await listening;
  } catch (err) {
    child.kill("SIGKILL");
    await cleanup();
    throw err;
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
    await cleanup();
  };
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop, output: () => output };
}

/**
 * A copy of `sources` (paths relative to the repository) under `dir`/root, beside a build/
 * whose salient.json is `config` and whose modules and knowledge index are the repository's.
 * For hosts that find their build relative to their own files.
 */
export async function configuredCopy(dir, sources, config) {
  const root = path.join(dir, "root");
  for (const file of sources) {
    await mkdir(path.join(root, path.dirname(file)), { recursive: true });
    await copyFile(path.join(REPO, file), path.join(root, file));
  }
  const build = path.join(root, "build");
  await mkdir(build, { recursive: true });
  await writeFile(path.join(build, "salient.json"), JSON.stringify(config));
  await symlink(path.join(REPO, "build", "wasi"), path.join(build, "wasi"));
  await symlink(path.join(REPO, "build", "knowledge.bin"), path.join(build, "knowledge.bin"));
  return root;
}

/**
 * A host that runs apart from the tests (workerd, Deno, a Node process) started beside a state
 * store of its own on a loopback port, which it reaches over HTTP as it would reach Supabase:
 * `start({ env, salientConfig })` is startWorkerd, startNetlifyEdge or startVercel, and
 * `env(stateUrl)` its environment. The store is `backend` when given (handed over: stop() closes
 * it), else a new PGlite in memory. `stateUrl` given: no store of its own, that one instead.
 * Returns { url, backend, logs, stop }; stop() ends both.
 */
export async function startBesideStore(start, { env, backend = null, stateUrl = null, salientConfig = null }) {
  let state = null;
  try {
    state = stateUrl ? null : await startStateServer({ port: 0, backend });
    const host = await start({ env: env(stateUrl ?? state.url), salientConfig });
    return {
      url: host.url,
      backend: state?.backend ?? null,
      logs: host.output,
      stop: async () => {
        try {
          await host.stop();
        } finally {
          await state?.close();
          await backend?.close?.();
        }
      },
    };
  } catch (err) {
    await state?.close();
    await backend?.close?.();
    throw err;
  }
}
