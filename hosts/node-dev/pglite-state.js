// The dev server's default state store: PGlite (PostgreSQL compiled to WebAssembly, npm
// @electric-sql/pglite) on a local data folder, with db/migrations applied at open. It runs the
// same SQL functions a Supabase project runs, so conversations survive restarts and behave as
// they will in production. Served over HTTP by rpcHandler (postgrest.js), like memoryBackend.
//
//   const backend = await pgliteBackend({ dataDir: ".salient/db" });
//   await backend.call("salient_claim_turn", { p_tenant: "acme", p_turn_id: "…" });
//   await backend.close();
//
// One process at a time per folder: `<dataDir>.lock` holds the owner's pid while it is open.

import { mkdir, open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { migrate, pgliteAdapter } from "../../db/migrate.mjs";
import { postgrestStatus, RpcError } from "./postgrest.js";

// What `POST /rest/v1/rpc/<fn>` (and call()) may call; the salient_* helper functions are not
// exposed. salient_sync_config is the dev server's own start-up call (server.js).
const FUNCTIONS = new Set([
  "salient_begin_turn", "salient_claim_turn", "salient_finish_turn",
  "salient_session_history", "salient_list_sessions", "salient_sync_config", "salient_attach_retrieval",
  "salient_turn_answer", "salient_identify",
]);
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Opens (creating when missing) the PGlite database in `dataDir` and applies the migrations.
 * Resolves to { call, dump, close, dataDir, openMs, migrated: { applied, skipped } }.
 */
export async function pgliteBackend({ dataDir }) {
  if (!dataDir) throw new Error("pgliteBackend needs a dataDir");
  dataDir = path.resolve(dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  const lockFile = `${dataDir}.lock`;
  await acquireLock(lockFile, dataDir);
  const started = performance.now();
  let db;
  let migrated;
  try {
    await mkdir(dataDir, { recursive: true });
    db = await PGlite.create(dataDir);
    migrated = await migrate(pgliteAdapter(db));
  } catch (err) {
    await db?.close().catch(() => {});
    await rm(lockFile, { force: true });
    throw new Error(`PGlite at ${dataDir}: ${err.message}`, { cause: err });
  }
  const openMs = Math.round(performance.now() - started);
  let closing = null;

  async function call(fn, args) {
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

  /** What is stored, in memoryBackend's dump() shape (but async). */
  async function dump() {
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

  return {
    call,
    dump,
    dataDir,
    openMs,
    migrated,
    /** Closes the database and releases the folder; repeated calls share the first. */
    close: () => (closing ??= (async () => {
      try {
        await db.close();
      } finally {
        await rm(lockFile, { force: true });
      }
    })()),
  };
}

const JSON_TYPES = new Set([114, 3802]); // json, jsonb

/**
 * A JSON argument as a query parameter, converted as PostgREST's json_to_record does: any JSON
 * value for json/jsonb (so a string stays a JSON string, as on Supabase); a JSON array for an
 * array type as a JS array (PGlite writes the array literal: quoting, commas, NULLs); objects
 * for other types as their JSON text; scalars as text, which PostgreSQL then parses (a uuid,
 * an integer) or refuses with 22P02.
 */
function param(value, kind) {
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
