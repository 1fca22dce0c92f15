// The local dev server behind ./scripts/dev: static page assets from build/public/, the embedded
// state store at /rest/v1/rpc/* (when no SUPABASE_URL is configured), and everything else
// through the shared driver, which runs build/wasi/functions/*.wasm.
//
// The embedded store is PGlite on <root>/.salient/db with db/migrations and db/functions applied
// at start (pglite-state.js), so conversations survive restarts; SALIENT_STATE=memory runs the
// same PGlite in memory instead. At start, the compiled config's personas and agents are written
// into the embedded store (salient_sync_config, db/functions/config_sync.sql), so that editing
// salient.yaml, ./scripts/build and a restart update the tenant's persona rows.
//
// Without MAILGUN_API_KEY the server is its own Mailgun: the core's mail goes to the development
// outbox (outbox.js) at /dev/outbox, for loopback clients only, and is never sent. There, under
// a handoff's email, "Reply as the team" posts a signed inbound reply to this server's own
// POST /mail/inbound (outbox-reply.js), as Mailgun's route would.
//
// A timer sweeps idle conversations every SALIENT_SWEEP_SECONDS (sweep-timer.js), as the
// platforms' cron triggers do; POST /dev/sweep (loopback only; `salient sweep`) sweeps now.
//
//   node hosts/node-dev/server.js        HOST (127.0.0.1) and PORT (8787; 0 = any free port)

import http from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { configSyncArgs } from "../../db/migrate.mjs";
import { createSalient } from "../driver.js";
import { jsonlLogger } from "./jsonl-log.js";
import { redactor } from "../driver/redact.js";
import { clientAddress, sendResponse, toRequest } from "./http.js";
import { createOutbox } from "./outbox.js";
import { teamMembers } from "./outbox-reply.js";
import { createSweeper, sweepSeconds as parseSweepSeconds } from "./sweep-timer.js";
import { pgliteBackend } from "./pglite-state.js";
import { rpcCall, rpcHandler, rpcName } from "./postgrest.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MODULES = ["chat", "stream", "otp", "summary"];
const utf8 = new TextDecoder();
/** A fetch init's body as text: the driver sends effect bodies as bytes (docs/ABI.md). */
const bodyText = (body) => (body == null ? "" : typeof body === "string" ? body : utf8.decode(body));
/** Where the embedded PGlite store keeps its data, under the repository root. */
export const DEFAULT_DATA_DIR = path.join(".salient", "db");

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/**
 * Starts the server. `env` defaults to process.env; returns once it is listening.
 * The embedded store (used when env has no SUPABASE_URL): the `state` backend when given (the
 * caller closes it), else by env.SALIENT_STATE: "pglite" (the default) on `dataDir`, or "memory"
 * (PGlite in memory). Either is closed by close().
 */
export async function startServer({
  port = 8787,
  host = "127.0.0.1",
  env = process.env,
  root = REPO,
  log = (obj) => console.log(JSON.stringify(obj)),
  state: backend = null, // a backend (postgrest.js) to serve instead of opening one
  dataDir = path.join(root, DEFAULT_DATA_DIR),
  config: configOverride = null, // compiled config to run instead of build/salient.json (tests)
  // The sweep timer's period in seconds; 0 (the default here, so tests sweep only when they ask):
  // none. main() passes SALIENT_SWEEP_SECONDS (default 60).
  sweepSeconds = 0,
  now = Date.now, // the requests' clock (tests move it to make conversations idle)
} = {}) {
  const build = await loadBuild(root);
  const { modules } = build;
  const config = configOverride ?? build.config;
  env = { ...env };
  const generatedSecret = !env.SALIENT_STREAM_SECRET;
  if (generatedSecret) env.SALIENT_STREAM_SECRET = randomBytes(32).toString("base64url");
  // The one-time codes' key: made up per run too (codes and counters then start afresh).
  if (!env.SALIENT_OTP_SECRET) env.SALIENT_OTP_SECRET = randomBytes(32).toString("base64url");
  // Mailgun's webhook signing key, which POST /mail/inbound checks: made up per run too, and the
  // outbox's "Reply as the team" signs with it (a real route's posts need the real one set).
  if (!env.MAILGUN_WEBHOOK_SIGNING_KEY) env.MAILGUN_WEBHOOK_SIGNING_KEY = randomBytes(32).toString("hex");
  // The server's own lines (outbox, team replies, sweep timer, failed requests) are redacted as
  // the driver redacts the core's (hosts/driver/redact.js); `log` itself goes to the driver, which
  // wraps it. Remade once the outbox's Mailgun settings join `env`.
  let redact = redactor(env);
  const ownLog = (entry) => log(redact(entry));
  let stateDescription = env.SUPABASE_URL ? "state: the PostgREST endpoint in SUPABASE_URL" : "state: the given backend";
  let ownedBackend = null; // opened here, so closed here
  if (!env.SUPABASE_URL && !backend) {
    const kind = env.SALIENT_STATE || "pglite";
    if (kind === "memory") {
      backend = ownedBackend = await pgliteBackend();
      stateDescription = "state: PGlite in memory (SALIENT_STATE=memory; conversations are lost when the server stops)";
    } else if (kind === "pglite") {
      backend = ownedBackend = await pgliteBackend({ dataDir });
      const shown = path.relative(root, backend.dataDir);
      const where = shown && !shown.startsWith("..") && !path.isAbsolute(shown) ? shown : backend.dataDir;
      stateDescription = `state: PGlite at ${where} (conversations survive restarts)`;
    } else {
      throw new Error(`SALIENT_STATE must be "pglite" or "memory", not "${kind}"`);
    }
  }
  const state = env.SUPABASE_URL ? null : rpcHandler(backend);
  let syncDescription = null;
  if (state) {
    try {
      syncDescription = await syncConfig(backend, config);
    } catch (err) {
      await ownedBackend?.close();
      throw err;
    }
  }
  const publicDir = path.join(root, "build", "public");
  // No Mailgun key: the core's mail goes to this process's outbox (MAILGUN_* set after listen).
  let salient = null; // created once the port (and so the state store URL) is known
  let inbound = null; // where "Reply as the team" posts: set once listening
  // On the requests' clock: a reply's signed timestamp must be "now" for the core, whose clock a
  // test may have moved (the core refuses one more than 5 minutes off).
  const outbox = env.MAILGUN_API_KEY ? null : createOutbox({ log: ownLog, now, team: teamMembers(config), inbound: () => inbound });

  const sweeper = createSweeper({ salient: () => salient, log: ownLog });
  const server = http.createServer(async (req, res) => {
    try {
      const request = toRequest(req, `http://${host}`);
      const { pathname } = new URL(request.url);
      // /dev/…: the outbox's, for loopback clients; null goes on as if the route did not exist.
      let response = pathname === "/dev/sweep" ? await sweeper.handle(request, req.socket.remoteAddress) : null;
      if (!response && outbox && pathname.startsWith("/dev/")) response = await outbox.handle(request, req.socket.remoteAddress);
      if (!response && state && pathname.startsWith("/rest/v1/rpc/")) response = await state(request);
      // /a/… is the agents' (routes.js): no file lookup (a thread-pool round trip) on their way.
      else if (!response && (req.method === "GET" || req.method === "HEAD") && !pathname.startsWith("/a/")) response = await serveStatic(publicDir, pathname, request);
      response ??= await salient.handle(request, undefined, { clientIp: clientAddress(req.socket) });
      await sendResponse(response, req, res);
    } catch (err) {
      ownLog({ level: "error", event: "dev.request_failed", message: String(err?.stack ?? err) });
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain", "cache-control": "no-store", "x-content-type-options": "nosniff" });
      res.end("internal error\n");
    }
  });
  try {
    await new Promise((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  } catch (err) {
    await ownedBackend?.close();
    throw err;
  }
  const url = `http://${host}:${server.address().port}`;
  if (state) env.SUPABASE_URL = url;
  // Summary emails link to their transcript page with this address in front.
  env.SALIENT_PUBLIC_URL ??= url;
  if (outbox) {
    // 127.0.0.1 whatever HOST is: the core's own sends are delivered in-process (fetch below).
    env.MAILGUN_BASE_URL = outbox.baseUrl(`http://127.0.0.1:${server.address().port}`);
    env.MAILGUN_DOMAIN = outbox.domain;
    env.MAILGUN_API_KEY = outbox.key;
    redact = redactor(env);
  }
  // The core reaches the embedded store at SUPABASE_URL as it reaches Supabase, and the socket
  // serves it there (for tests and tools); the core's own calls are answered in-process by the
  // same RPC layer (postgrest.js rpcCall), without a loopback round trip or a Request to build
  // and read (about 1.5 ms of the wait for a first token: docs/BENCHMARKS.md (d)).
  const fetch = async (target, init) => {
    if (outbox && typeof target === "string" && target.startsWith(env.MAILGUN_BASE_URL + "/")) {
      return (await outbox.handle(new Request(target, init), "127.0.0.1")) ?? new Response(null, { status: 404 });
    }
    const fn = state && typeof target === "string" && target.startsWith(url) && init?.method === "POST" ? rpcName(target.slice(url.length)) : null;
    if (!fn) return globalThis.fetch(target, init);
    const { status, body } = await rpcCall(backend, fn, bodyText(init.body));
    return Response.json(body, { status });
  };
  try {
    salient = createSalient({ modules, config, env, log, knowledge: build.knowledge, fetch, now });
  } catch (err) {
    // A config the modules refuse: nothing may keep listening (or the store open) after the throw.
    await new Promise((resolve) => server.close(resolve));
    await ownedBackend?.close();
    throw err;
  }
  // The outbox's team replies reach the driver in-process, as a Mailgun post from outside would
  // through the socket (same route, same module); from no visitor's address.
  inbound = {
    url: `${url}/mail/inbound`,
    signingKey: env.MAILGUN_WEBHOOK_SIGNING_KEY,
    fetch: (target, init) => salient.handle(new Request(target, init), undefined, { clientIp: "" }),
  };
  sweeper.start(sweepSeconds);

  let closing = null;
  return {
    url,
    generatedSecret,
    stateDescription,
    /** One line on where the core's mail goes. */
    mailDescription: outbox ? `mail: no MAILGUN_API_KEY: nothing is sent; messages are kept at ${url}/dev/outbox (loopback only)`
      : "mail: Mailgun (MAILGUN_API_KEY)",
    /** One line on what syncConfig wrote into the embedded store (null with SUPABASE_URL). */
    syncDescription,
    /** The embedded store's backend (null with SUPABASE_URL), e.g. for tests to look at. */
    state: state ? backend : null,
    /** The development outbox (outbox.js; null with MAILGUN_API_KEY), for tests in this process. */
    outbox,
    /** One line on the sweep timer. */
    sweepDescription: sweepSeconds > 0 ? `sweep: idle conversations every ${sweepSeconds} s (SALIENT_SWEEP_SECONDS; 0 turns it off); POST /dev/sweep sweeps now`
      : "sweep: no timer (SALIENT_SWEEP_SECONDS=0); POST /dev/sweep or `salient sweep` sweeps now",
    /** The sweep timer's next tick, now (tests; see sweep-timer.js). */
    sweepTick: () => sweeper.tick(),
    close: () => (closing ??= (async () => {
      await sweeper.stop();
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ownedBackend?.close();
    })()),
  };
}

/**
 * The compiled config's personas and agents into the embedded store's rows for its tenant,
 * through the backend's call() as the RPC layer calls it; resolves to a line for the start-up
 * log. A backend without salient_sync_config (a test's own) is left as it is.
 */
async function syncConfig(backend, config) {
  const args = configSyncArgs(config);
  let res;
  try {
    res = await backend.call("salient_sync_config", args);
  } catch (err) {
    throw new Error(`syncing the config's personas into the state store: ${err.message}`, { cause: err });
  }
  if (!res) return "personas: not synced (the state store has no salient_sync_config)";
  const { personas, agents } = res.body;
  const shown = args.p_default_agent ? `; default persona: ${args.p_agents[args.p_default_agent].persona}` : "";
  return `personas: ${personas} from the compiled config synced into tenant ${args.p_tenant} ` +
    `(${agents} agent${agents === 1 ? "" : "s"}${shown})`;
}

async function loadBuild(root) {
  const configPath = path.join(root, "build", "salient.json");
  const wasmPaths = MODULES.map((fn) => path.join(root, "build", "wasi", "functions", `${fn}.wasm`));
  const missing = [configPath, ...wasmPaths].filter((p) => !existsSync(p));
  if (missing.length) {
    throw new Error(`missing ${missing.map((p) => path.relative(root, p)).join(", ")}: run ./scripts/build first`);
  }
  const config = JSON.parse(await readFile(configPath, "utf8"));
  const compiled = await Promise.all(wasmPaths.map(async (p) => WebAssembly.compile(await readFile(p))));
  // The local knowledge index (`salient ingest`, run by ./scripts/build when knowledge/ exists).
  const knowledgePath = path.join(root, "build", "knowledge.bin");
  const knowledge = existsSync(knowledgePath) ? new Uint8Array(await readFile(knowledgePath)) : null;
  return { config, knowledge, modules: Object.fromEntries(MODULES.map((fn, i) => [fn, compiled[i]])) };
}

/** A file under build/public, or null to let the driver answer (it renders the 404 page). */
async function serveStatic(publicDir, pathname, request) {
  let relative;
  try {
    relative = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (relative.endsWith("/")) relative += "index.html";
  if (relative.includes("\0") || relative.split("/").includes("..")) return null;
  const file = path.join(publicDir, relative);
  if (!file.startsWith(publicDir + path.sep)) return null;
  let info;
  try {
    info = await stat(file);
  } catch {
    return null;
  }
  if (!info.isFile()) return null;
  let etag = `"${createHash("sha1").update(`${info.size}-${info.mtimeMs}`).digest("base64url").slice(0, 16)}"`;
  const headers = {
    "content-type": CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
    "cache-control": "no-cache", // dev: always revalidate, so a rebuild shows up on reload
    etag,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin", // as build/public/_headers and vercel.json
  };
  // The widget's files are public and loaded by other sites' pages (app.allowed_origins): the
  // pane is a module import and the core a wasm fetch, both CORS requests. As in build/public/_headers.
  if (pathname.startsWith("/widget/")) headers["access-control-allow-origin"] = "*";
  // Compressed like a production CDN would, so the widget's byte budgets can be measured here.
  const gzip = COMPRESSIBLE.test(headers["content-type"]) && info.size > 256 &&
    /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
  if (COMPRESSIBLE.test(headers["content-type"])) headers.vary = "accept-encoding";
  if (gzip) {
    headers["content-encoding"] = "gzip";
    headers.etag = etag = etag.slice(0, -1) + '-gz"';
  }
  if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  if (request.method === "HEAD") return new Response(null, { headers });
  const body = await readFile(file);
  return new Response(gzip ? gzipSync(body) : body, { headers });
}

/** Content types worth gzipping (text and wasm; images and fonts are compressed already). */
const COMPRESSIBLE = /^(text\/|application\/(json|wasm)|image\/svg)/;

/** KEY=VALUE lines (comments, blank lines, optional quotes, optional `export `). */
export function parseEnvFile(text) {
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    let value = m[2];
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    vars[m[1]] = value;
  }
  return vars;
}

/** process.env wins over .dev.vars, which wins over .env. */
function envWithFiles(root) {
  const merged = {};
  for (const name of [".env", ".dev.vars"]) {
    const file = path.join(root, name);
    if (existsSync(file)) Object.assign(merged, parseEnvFile(readFileSync(file, "utf8")));
  }
  return { ...merged, ...process.env };
}

async function main() {
  const port = Number(process.env.PORT ?? 8787);
  const host = process.env.HOST || "127.0.0.1";
  const env = envWithFiles(REPO);
  let sweepSeconds;
  try {
    sweepSeconds = parseSweepSeconds(env.SALIENT_SWEEP_SECONDS);
  } catch (err) {
    console.error(`Salient dev server: ${err.message}`);
    process.exit(1);
  }
  if (!env.SUPABASE_URL && (env.SALIENT_STATE || "pglite") === "pglite"
      && !existsSync(path.join(REPO, DEFAULT_DATA_DIR, "PG_VERSION"))) {
    console.log(`state: creating the PGlite database in ${DEFAULT_DATA_DIR} (first start only; a few seconds)`);
  }
  // Logs go to stdout and to salient.yaml's logging.path (relative to the repository). Without
  // a build, startServer below explains what to run.
  const configFile = path.join(REPO, "build", "salient.json");
  const logging = existsSync(configFile) ? JSON.parse(readFileSync(configFile, "utf8")).logging : null;
  const log = logging ? jsonlLogger({
    file: path.resolve(REPO, logging.path), level: logging.level, rotation: logging.rotation, retention: logging.retention, env,
  }) : undefined;
  let server;
  try {
    server = await startServer({ port, host, env, log, sweepSeconds });
  } catch (err) {
    console.error(`Salient dev server: ${err.message}`);
    process.exit(1);
  }
  if (server.generatedSecret) {
    console.log("SALIENT_STREAM_SECRET is not set: using a random one for this process (and for SALIENT_OTP_SECRET if unset).");
  }
  console.log(server.stateDescription);
  console.log(server.mailDescription);
  if (server.syncDescription) console.log(server.syncDescription);
  console.log(server.sweepDescription);
  console.log(`Salient dev server: ${server.url}/ (chat: /a/sales/)`);
  if (logging) console.log(`logs: ${path.relative(REPO, path.resolve(REPO, logging.path))} (JSON lines)`);
  const stop = () => server.close().then(() => log?.close()).then(() => process.exit(0));
  process.once("SIGINT", stop).once("SIGTERM", stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
