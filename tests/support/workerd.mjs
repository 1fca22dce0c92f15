// Runs a worker (by default hosts/cloudflare/worker.js with the built modules) under plain
// `workerd serve` (the runtime wrangler bundles, spawned directly so `pid` is workerd itself),
// from a generated capnp config, on a free loopback port. Module names mirror the repository
// paths so that worker.js's relative imports resolve exactly as they do under wrangler.
// The tests and the benchmarks (bench/lib/workerd.mjs) both start workerd through here.
//
//   const worker = await startWorkerd({ env: { SALIENT_STREAM_SECRET: "…", SUPABASE_URL: "…" } });
//   await fetch(worker.url + "/a/sales/"); … await worker.stop();

import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const WORKERD = path.join(REPO, "node_modules", ".bin", "workerd");
const COMPATIBILITY_DATE = "2026-04-20"; // as in wrangler.toml

// The driver: its entry and its parts, relative to the repository. Every host that runs from a
// list of files (workerd's modules, the Netlify and Vercel copies) takes them all from here.
export const DRIVER_SOURCES = ["hosts/driver.js", ...readdirSync(path.join(REPO, "hosts", "driver"))
  .filter((f) => f.endsWith(".js")).sort().map((f) => `hosts/driver/${f}`)];

export const SALIENT_MODULES = [
  ["hosts/cloudflare/worker.js", "esModule"],
  ...DRIVER_SOURCES.map((file) => [file, "esModule"]),
  ["hosts/routes.js", "esModule"],
  ["build/wasi/functions/chat.wasm", "wasm"],
  ["build/wasi/functions/stream.wasm", "wasm"],
  ["build/wasi/functions/otp.wasm", "wasm"],
  ["build/wasi/functions/summary.wasm", "wasm"],
  ["build/salient.json", "json"],
  ["build/knowledge.bin", "data"],
];

/**
 * A build root under `dir` whose build/salient.json is `config` and whose other build files
 * (SALIENT_MODULES' wasm and data) are links into `root`'s: a test's own settings (short
 * timeouts, Pinecone on) with the real modules. Removed with `dir` by stop().
 */
async function configuredRoot(dir, root, config) {
  const made = path.join(dir, "root");
  for (const [file, kind] of SALIENT_MODULES) {
    if (!file.startsWith("build/")) continue;
    await mkdir(path.join(made, path.dirname(file)), { recursive: true });
    if (kind === "json") await writeFile(path.join(made, file), JSON.stringify(config));
    else await symlink(path.join(root, file), path.join(made, file));
  }
  return made;
}

/** A port that was free a moment ago (workerd binds it itself). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const capnpString = (s) => JSON.stringify(String(s)); // JSON escapes are valid capnp text escapes

// With `scheduled`, a second socket serves a trigger worker that fires the main worker's
// scheduled() as a Cron Trigger would (Fetcher.scheduled(): workerd's experimental
// service_binding_extra_handlers, which wrangler's `--test-scheduled` uses too), waits for it and
// its waitUntil work, and answers {outcome, noRetry}. GET <scheduledUrl>/?cron=<expression>.
const SCHEDULED_TRIGGER = "export default { async fetch(request, env) { " +
  "const cron = new URL(request.url).searchParams.get('cron') ?? ''; " +
  "return Response.json(await env.MAIN.scheduled({ cron, scheduledTime: Date.now() })); } }";

// capnp `embed` paths are relative to the config file (absolute ones are not read).
function config({ modules: list, env, compatibilityDate, root, dir, scheduled }) {
  const modules = list.map(([name, kind]) => {
    const file = path.join(name.startsWith("build/") ? root : REPO, name);
    return `(name = ${capnpString(name)}, ${kind} = embed ${capnpString(path.relative(dir, file))})`;
  });
  const bindings = Object.entries(env).map(([name, value]) =>
    `(name = ${capnpString(name)}, text = ${capnpString(value)})`);
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # Outbound fetches may reach loopback servers (the state store, fake upstreams).
    (name = "internet", network = (allow = ["public", "private", "local"])),${scheduled ? `
    (name = "scheduled-trigger", worker = .trigger),` : ""}
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:0", http = (), service = "main"),${scheduled ? `
    (name = "scheduled", address = "127.0.0.1:0", http = (), service = "scheduled-trigger"),` : ""}
  ],
);
${scheduled ? `
const trigger :Workerd.Worker = (
  modules = [(name = "trigger.js", esModule = ${capnpString(SCHEDULED_TRIGGER)})],
  bindings = [(name = "MAIN", service = "main")],
  compatibilityDate = ${capnpString(compatibilityDate)},
  compatibilityFlags = ["service_binding_extra_handlers"],
);
` : ""}
const worker :Workerd.Worker = (
  modules = [
    ${modules.join(",\n    ")}
  ],
  bindings = [
    ${bindings.join(",\n    ")}
  ],
  compatibilityDate = ${capnpString(compatibilityDate)},
  globalOutbound = "internet",
);
`;
}

/**
 * Starts workerd and resolves once it is ready: when `readyPath` answers HTTP, or (readyPath
 * null) as soon as its socket accepts a connection, so that no request reaches the worker
 * before the caller's first. `stop()` ends it and removes its config.
 */
export async function startWorkerd({
  modules = SALIENT_MODULES, // [repository path, capnp module kind], the first is the main module
  env = {}, // text bindings
  compatibilityDate = COMPATIBILITY_DATE,
  root = REPO, // where build/ is found
  salientConfig = null, // a compiled config to run with instead of root's build/salient.json (configuredRoot)
  readyPath = "/__workerd_ready", // any quick answer will do: the chat module's 404 page
  verbose = true, // workerd prints the worker's console.log lines only with --verbose
  extraArgs = [],
  timeoutMs = 20000,
  scheduled = false, // also serve the scheduled trigger (see SCHEDULED_TRIGGER) at `scheduledUrl`
} = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "salient-workerd-"));
  if (salientConfig) root = await configuredRoot(dir, root, salientConfig);
  const file = path.join(dir, "config.capnp");
  await writeFile(file, config({ modules, env, compatibilityDate, root, dir, scheduled }));
  const port = await freePort();
  const scheduledPort = scheduled ? await freePort() : null;
  const started = performance.now();
  const args = ["serve", file, "--socket-addr", `http=127.0.0.1:${port}`, ...(verbose ? ["--verbose"] : []),
    ...(scheduled ? ["--experimental", "--socket-addr", `scheduled=127.0.0.1:${scheduledPort}`] : []), ...extraArgs];
  const child = spawn(WORKERD, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk) => {
    output += chunk;
    if (output.length > 200000) output = output.slice(-100000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  };
  const ready = readyPath === null
    ? () => new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.end(), resolve()));
      socket.once("error", reject);
    })
    : () => fetch(url + readyPath, { signal: AbortSignal.timeout(1000) }).then((r) => r.arrayBuffer());

  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`workerd exited with code ${child.exitCode}:\n${output.slice(-3000)}`);
    }
    try {
      await ready();
      break;
    } catch {
      if (performance.now() - started > timeoutMs) {
        await stop();
        throw new Error(`workerd did not answer within ${timeoutMs} ms:\n${output.slice(-3000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, readyPath === null ? 5 : 50));
    }
  }
  return {
    url, pid: child.pid, startupMs: performance.now() - started, stop, output: () => output,
    ...(scheduled && { scheduledUrl: `http://127.0.0.1:${scheduledPort}` }),
  };
}
