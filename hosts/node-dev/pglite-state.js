// The embedded state store: PGlite (PostgreSQL compiled to WebAssembly, npm
// @electric-sql/pglite) with db/migrations and db/functions applied at open. It runs the same SQL
// functions a Supabase project runs, so the dev server, the tests and the benchmarks that need a
// store behave as production will. Served over HTTP by rpcHandler (postgrest.js).
//
//   const backend = await pgliteBackend({ dataDir: ".salient/db" });   // on disk: the dev server
//   const backend = await pgliteBackend();                             // in memory: tests, SALIENT_STATE=memory
//   await backend.call("salient_claim_turn", { p_tenant: "acme", p_turn_id: "…" });
//   await backend.close();                                             // always: an open one keeps Node alive
//
// On disk, one process at a time per folder: `<dataDir>.lock` holds the owner's pid while it is
// open. In memory, nothing is written but a template (below) and nothing survives close().

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { functionFiles, migrate, migrationFiles, pgliteAdapter } from "../../db/migrate.mjs";
import { postgrestStatus, RpcError } from "./postgrest.js";

// What `POST /rest/v1/rpc/<fn>` (and call()) may call; the salient_* helper functions are not
// exposed. salient_sync_config is the dev server's own start-up call (server.js).
const FUNCTIONS = new Set([
  "salient_begin_turn", "salient_claim_turn", "salient_finish_turn",
  "salient_session_history", "salient_list_sessions", "salient_sync_config", "salient_attach_retrieval",
  "salient_turn_answer", "salient_identify", "salient_rate_check", "salient_email_queue",
  "salient_email_result", "salient_otp_issue", "salient_otp_verify",
  "salient_summary_claim", "salient_summary_store", "salient_summary_transcript",
  "salient_handoff_start", "salient_handoff_request", "salient_handoff_lookup", "salient_handoff_reply", "salient_inbound_token_take",
  "salient_session_updates", "salient_handoff_due", "salient_handoff_forwarded", "salient_handoff_notified",
  "salient_admin_conversations", "salient_admin_conversation", "salient_admin_leads", "salient_admin_lead_update",
  "salient_admin_erase", "salient_admin_daily", "salient_admin_metrics", "salient_log_append", "salient_admin_warnings",
]);
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Opens the PGlite database in `dataDir` (created when missing), or a new one in memory when
 * `dataDir` is absent or "memory://", and brings it up to date (db/migrate.mjs). Resolves to
 * { call, dump, query, close, dataDir (null in memory), openMs, migrated }.
 */
export async function pgliteBackend({ dataDir = null } = {}) {
  const started = performance.now();
  const inMemory = !dataDir || dataDir === "memory://";
  let lockFile = null;
  let db;
  let migrated;
  if (inMemory) {
    dataDir = null;
    db = (await takeIdle()) ?? await migratedPGlite();
    try {
      migrated = await migrate(pgliteAdapter(db)); // nothing to do but check: the template is migrated
    } catch (err) {
      await db.close().catch(() => {});
      throw new Error(`PGlite in memory: ${err.message}`, { cause: err });
    }
  } else {
    dataDir = path.resolve(dataDir);
    await mkdir(path.dirname(dataDir), { recursive: true });
    lockFile = `${dataDir}.lock`;
    await acquireLock(lockFile, dataDir);
    try {
      await mkdir(dataDir, { recursive: true });
      db = await PGlite.create(dataDir);
      migrated = await migrate(pgliteAdapter(db));
    } catch (err) {
      await db?.close().catch(() => {});
      await rm(lockFile, { force: true });
      throw new Error(`PGlite at ${dataDir}: ${err.message}`, { cause: err });
    }
  }
  const openMs = Math.round(performance.now() - started);

  // In memory, a closed backend's database is emptied and kept for the next one (below): once
  // closed, this one answers nothing, and close() waits for the calls still running.
  let closed = false;
  const running = new Set();
  const ensureOpen = () => {
    if (closed) throw new Error("the state store is closed");
  };

  async function call(fn, args) {
    ensureOpen();
    const done = run(fn, args);
    running.add(done);
    try {
      return await done;
    } finally {
      running.delete(done);
    }
  }

  async function run(fn, args) {
    if (!FUNCTIONS.has(fn)) return null;
    const names = Object.keys(args);
    if (!names.every((n) => ARG_NAME.test(n))) return null; // PostgREST: no such function
    // Named-argument notation, as PostgREST calls functions: fn("p_x" => $1, ...).
    const sql = `select ${fn}(${names.map((n, i) => `"${n}" => $${i + 1}`).join(", ")}) as result`;
    let rows;
    try {
      const kinds = await paramKinds(sql);
      ({ rows } = await db.query(sql, names.map((n, i) => param(args[n], kinds[i]))));
    } catch (err) {
      if (typeof err?.code !== "string") throw err;
      // Unknown or missing argument names: no function with that signature (PostgREST: PGRST202).
      if (err.code === "42883" || err.code === "42725") return null;
      throw new RpcError(postgrestStatus(err.code), err.code, err.message, err.detail ?? null, err.hint ?? null);
    }
    return { status: 200, body: rows[0]?.result ?? null };
  }

  // How each parameter of a call statement must be sent, asked of the server (a parse and
  // describe) once per function and set of argument names: the JSON body alone does not say
  // whether ["a"] is for a text[] or a jsonb parameter. Only statements that parsed are cached.
  const kindsBySql = new Map();
  async function paramKinds(sql) {
    let kinds = kindsBySql.get(sql);
    if (!kinds) {
      const oids = (await db.describeQuery(sql)).queryParams.map((p) => p.dataTypeID);
      const { rows } = await db.query(
        "select t.oid::int8 as oid, t.typcategory as category from pg_type t where t.oid = any($1::oid[])", [oids]);
      const category = new Map(rows.map((r) => [r.oid, r.category]));
      kinds = oids.map((oid) => (JSON_TYPES.has(oid) ? "json" : category.get(oid) === "A" ? "array" : "scalar"));
      kindsBySql.set(sql, kinds);
    }
    return kinds;
  }

  /** What is stored: sessions and messages (as [id, message] pairs), oldest first. */
  async function dump() {
    ensureOpen();
    const sessions = (await db.query(`
      select s.id, t.slug as tenant, a.code as agent, s.session_key
        from sessions s join tenants t on t.id = s.tenant_id left join agents a on a.id = s.agent_id
       order by s.created_at, s.id`)).rows;
    const messages = (await db.query(`
      select m.id, t.slug as tenant, m.session_id, a.code as agent, m.role, m.content, m.metadata,
             m.idempotency_key, m.turn_id, m.stream_claimed_at is not null as claimed, m.created_at
        from messages m join tenants t on t.id = m.tenant_id left join agents a on a.id = m.agent_id
       order by m.created_at, m.id`)).rows;
    return {
      sessions,
      messages: messages.map(({ id, created_at, ...m }) => [id, { ...m, created_at: new Date(created_at).toISOString() }]),
    };
  }

  /** Rows of any SQL statement: for tests that look at every table (never served over HTTP). */
  async function query(sql, params = []) {
    ensureOpen();
    return (await db.query(sql, params)).rows;
  }

  let closing = null;
  return {
    call,
    dump,
    query,
    dataDir,
    openMs,
    migrated,
    /** Closes the database and releases the folder; repeated calls share the first. */
    close: () => (closing ??= (async () => {
      closed = true;
      await Promise.allSettled([...running]);
      if (inMemory) return putIdle(db);
      try {
        await db.close();
      } finally {
        await rm(lockFile, { force: true });
      }
    })()),
  };
}

// ---------------------------------------------------------------------------------------------
// In memory, a closed database is kept for the next in-memory store of this process, for a
// quarter of a second, and emptied (every table but the bookkeeping truncated) when it is taken:
// a test file's servers open one after another, and emptying takes a tenth of the second that
// loading one takes. An open PGlite keeps Node running, so one that nobody takes in time is closed.

const IDLE_MS = 250;
const idle = []; // [{ db, timer }]
const EMPTY = `do $empty$ declare tables text; begin
  select string_agg(format('%I', tablename), ', ') into tables from pg_tables
   where schemaname = 'public' and tablename not in ('salient_migrations', 'salient_functions');
  execute 'truncate ' || tables || ' cascade';
end $empty$`;

async function takeIdle() {
  const entry = idle.pop();
  if (!entry) return null;
  clearTimeout(entry.timer);
  try {
    await entry.db.exec(EMPTY);
    return entry.db;
  } catch {
    await entry.db.close().catch(() => {});
    return null;
  }
}

function putIdle(db) {
  const entry = { db };
  entry.timer = setTimeout(() => {
    idle.splice(idle.indexOf(entry), 1);
    db.close().catch(() => {});
  }, IDLE_MS);
  entry.timer.unref(); // nothing to wait for once everything else is done
  idle.push(entry);
}

// ---------------------------------------------------------------------------------------------
// In memory, from a template. A new PGlite runs initdb (seconds: most of a fresh store's cost)
// and then the migrations; loading a dump of an already migrated one takes well under a second.
// So the first in-memory store makes that dump, keeps it for this process, and writes it to the
// temp folder for the next processes (the test files, each in its own process); its name holds
// a hash of PGlite's version and of every migration and function file, so a changed file or
// PGlite makes a new one (and the old ones are deleted). A template that fails to load is
// rebuilt once.

const TEMPLATE_DIR = path.join(os.tmpdir(), "salient-pglite-templates");
const templates = new Map(); // key → Promise<{ blob, file, fromDisk }>

/** A new PGlite in memory, migrated (from the template); the caller closes it. */
export async function migratedPGlite() {
  const key = await templateKey();
  for (let attempt = 0; ; attempt++) {
    if (!templates.has(key)) templates.set(key, template(key));
    let made;
    try {
      made = await templates.get(key);
      return await PGlite.create({ loadDataDir: made.blob });
    } catch (err) {
      templates.delete(key);
      if (attempt > 0 || !made?.fromDisk) throw err;
      await rm(made.file, { force: true }); // unreadable: made anew on the next attempt
    }
  }
}

async function templateKey() {
  const hash = createHash("sha256").update(PGLITE_VERSION);
  for (const file of [...await migrationFiles(), ...await functionFiles()]) hash.update(`\0${file.name}\0${file.checksum}`);
  return hash.digest("hex").slice(0, 20);
}

async function template(key) {
  const file = path.join(TEMPLATE_DIR, `${key}.tar`);
  try {
    return { blob: new Blob([await readFile(file)]), file, fromDisk: true };
  } catch {
    // not made yet
  }
  const db = await PGlite.create();
  let blob;
  try {
    await migrate(pgliteAdapter(db));
    blob = await db.dumpDataDir("none");
  } finally {
    await db.close();
  }
  // Written beside its final name, then renamed: a process reading it never sees half a file.
  // Failing to write it only costs the next process the time saved.
  try {
    await mkdir(TEMPLATE_DIR, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, new Uint8Array(await blob.arrayBuffer()));
    await rename(partial, file);
    for (const name of await readdir(TEMPLATE_DIR)) {
      if (name.endsWith(".tar") && name !== path.basename(file)) await rm(path.join(TEMPLATE_DIR, name), { force: true });
    }
  } catch {
    // a read-only or full temp folder
  }
  return { blob, file, fromDisk: false };
}

// PGlite's version, from its package.json (which its package's exports do not expose).
const PGLITE_VERSION = (() => {
  let dir = path.dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  for (let up = 0; up < 4 && !existsSync(path.join(dir, "package.json")); up++) dir = path.dirname(dir);
  return JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
})();

const JSON_TYPES = new Set([114, 3802]); // json, jsonb

/**
 * A JSON argument as a query parameter, converted as PostgREST's json_to_record does: any JSON
 * value for json/jsonb (so a string stays a JSON string, as on Supabase); a JSON array for an
 * array type as a JS array (PGlite writes the array literal: quoting, commas, NULLs); objects
 * for other types as their JSON text; scalars as text, which PostgreSQL then parses (a uuid,
 * an integer) or refuses with 22P02.
 */
export function param(value, kind) {
  if (value === null || value === undefined) return null;
  if (kind === "json") return JSON.stringify(value);
  if (kind === "array" && Array.isArray(value)) return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

async function acquireLock(lockFile, dataDir) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockFile, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return;
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
    }
    const pid = Number.parseInt(await readFile(lockFile, "utf8").catch(() => ""), 10);
    if (pid > 0 && isAlive(pid)) {
      throw new Error(`${dataDir} is in use by process ${pid} (another dev server?); stop it, ` +
        `or delete ${lockFile} if that process is not a Salient server`);
    }
    await rm(lockFile, { force: true }); // left by a process that died without closing
  }
  throw new Error(`could not lock ${dataDir}`);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}
