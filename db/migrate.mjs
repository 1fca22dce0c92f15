#!/usr/bin/env node
// Brings a database to the current schema and functions, in two steps:
//
//  1. db/migrations/*.sql, in name order, each once, recorded in `salient_migrations`. A
//     migration holds SCHEMA CHANGES ONLY (tables, columns, indices, policies): never a function
//     body. It is immutable once applied: a file that changed afterwards is an error (add a new
//     file instead). 0001_baseline.sql is the whole schema as first released.
//  2. db/functions/*.sql, in name order, each applied again whenever its content changed
//     (`create or replace function` only; checksums in `salient_functions`). Every function is
//     defined in exactly one of these files, in its current version: change it there.
//
// Each file runs in its own transaction together with its record and with
// salient_grant_execute() (db/functions/grants.sql), which keeps anon and PUBLIC from
// executing any salient_* function; all of it under one advisory lock, so two migrators take
// turns. Running it again with nothing changed is a no-op.
//
// A database whose `salient_migrations` names files that are not in db/migrations (made before
// the migrations were squashed into the baseline) is refused with what to do: recreate it.
//
//   node db/migrate.mjs --pglite DIR            a PGlite data folder (created when missing)
//   node db/migrate.mjs --url postgres://USER@HOST:PORT/DB
//   node db/migrate.mjs --url /path/to/socket/dir [--port 5432] [--user U] [--database D]
//   (--url defaults to $DATABASE_URL; node-postgres also reads PGHOST, PGUSER, ...)
//   ... --sync-config build/salient.json      then, over the same connection, mirror that compiled
//                                             config's personas and agents into its tenant's rows
//                                             (salient_sync_config, db/functions/config_sync.sql)
//
// As a library: migrate(adapter) with pgliteAdapter(db) or pgAdapter(client); syncConfig(adapter,
// config); configSyncArgs(config) is salient_sync_config's arguments for a compiled config.

import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const DB_DIR = path.dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = path.join(DB_DIR, "migrations");
export const FUNCTIONS_DIR = path.join(DB_DIR, "functions");
const LOCK_KEY = 7_331_001; // pg_advisory_xact_lock key: one migrator at a time per database

// The last statement of every applied file's transaction. Skipped while grants.sql has not been
// applied yet (a new database: its file then grants everything defined before it).
const GRANT_EXECUTE = `do $grants$ begin
  if to_regprocedure('salient_grant_execute()') is not null then perform salient_grant_execute(); end if;
end $grants$`;

/** [{ name, sql, checksum }] for every *.sql file of `dir`, in name order. */
export async function migrationFiles(dir = MIGRATIONS_DIR) {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".sql")).sort();
  return Promise.all(names.map(async (name) => {
    const sql = await readFile(path.join(dir, name), "utf8");
    return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
  }));
}

/** The same for db/functions. */
export const functionFiles = (dir = FUNCTIONS_DIR) => migrationFiles(dir);

/** A PGlite instance as a migration target. */
export function pgliteAdapter(db) {
  return {
    exec: (sql) => db.exec(sql),
    query: async (sql, params = []) => (await db.query(sql, params)).rows,
  };
}

/** A connected node-postgres Client as a migration target. */
export function pgAdapter(client) {
  return {
    exec: (sql) => client.query(sql),
    query: async (sql, params = []) => (await client.query(sql, params)).rows,
  };
}

/** Thrown for a database made by migration files that are no longer in db/migrations. */
export class StaleDatabaseError extends Error {}

/**
 * Applies the pending migrations, then the function files that changed; resolves to
 * { applied, skipped, functions: { applied, skipped } } (file names). Throws when an applied
 * migration's checksum no longer matches, and StaleDatabaseError for a database made by
 * migration files that no longer exist.
 */
export async function migrate(db, { dir = MIGRATIONS_DIR, functionsDir = FUNCTIONS_DIR, log = () => {} } = {}) {
  await db.exec(`create table if not exists salient_migrations (
    name text primary key,
    checksum text not null,
    applied_at timestamptz not null default now()
  )`);
  const migrations = await migrationFiles(dir);
  await refuseStale(db, migrations); // before anything is written
  // Bookkeeping, not tenant data: row-level security on and no policy, so that only roles that
  // bypass it (the migrator) read them, not Supabase's anon through /rest/v1.
  await db.exec(`create table if not exists salient_functions (
    name text primary key,
    checksum text not null,
    applied_at timestamptz not null default now()
  );
  do $rls$ declare t text; begin
    foreach t in array array['salient_migrations', 'salient_functions'] loop
      if not (select relrowsecurity from pg_class where oid = t::regclass) then
        execute format('alter table %I enable row level security', t);
      end if;
    end loop;
  end $rls$`);

  const applied = [];
  const skipped = [];
  for (const file of migrations) {
    const done = await applyOnce(db, file, async (previous) => {
      if (previous === undefined) return true;
      if (previous !== file.checksum) {
        throw new Error(`migration ${file.name} changed after it was applied; put the change in a new file ` +
          "(and a function's in db/functions, which is applied again whenever it changes)");
      }
      return false;
    }, { table: "salient_migrations", what: "migration" });
    (done ? applied : skipped).push(file.name);
    if (done) log(`applied ${file.name}`);
  }

  const functions = { applied: [], skipped: [] };
  for (const file of await functionFiles(functionsDir)) {
    const done = await applyOnce(db, file, async (previous) => previous !== file.checksum,
      { table: "salient_functions", what: "function file" });
    (done ? functions.applied : functions.skipped).push(file.name);
    if (done) log(`applied functions/${file.name}`);
  }
  return { applied, skipped, functions };
}

/**
 * One file in one transaction, under the advisory lock: `shouldApply(recorded checksum or
 * undefined)` decides, then the SQL, its record and the execute grants. Resolves to whether it
 * was applied.
 */
async function applyOnce(db, file, shouldApply, { table, what }) {
  await db.exec("begin");
  try {
    await db.query("select pg_advisory_xact_lock($1)", [LOCK_KEY]);
    const [row] = await db.query(`select checksum from ${table} where name = $1`, [file.name]);
    if (!(await shouldApply(row?.checksum))) {
      await db.exec("rollback");
      return false;
    }
    await db.exec(file.sql);
    await db.query(`insert into ${table} (name, checksum) values ($1, $2)
      on conflict (name) do update set checksum = excluded.checksum, applied_at = now()`, [file.name, file.checksum]);
    await db.exec(GRANT_EXECUTE);
    await db.exec("commit");
    return true;
  } catch (err) {
    await db.exec("rollback").catch(() => {});
    if (err.message?.startsWith(`migration ${file.name} changed`)) throw err;
    throw Object.assign(new Error(`${what} ${file.name} failed: ${err.message}`), { cause: err });
  }
}

/** StaleDatabaseError when salient_migrations names a file that db/migrations no longer has. */
async function refuseStale(db, migrations) {
  const known = new Set(migrations.map((f) => f.name));
  const gone = (await db.query("select name from salient_migrations order by name")).map((r) => r.name)
    .filter((name) => !known.has(name));
  if (gone.length === 0) return;
  throw new StaleDatabaseError(
    `this database was made by migration files that no longer exist (${gone.join(", ")}): ` +
    "before the first release the migrations were squashed into db/migrations/0001_baseline.sql, " +
    "with every function in db/functions, and a database made by the old files cannot be brought " +
    "up to date in place. Drop the database and create it again, then migrate it (for the dev " +
    "server's PGlite store: stop the server and delete .salient/db; the next start recreates it). " +
    "Its conversations are lost; export what you need first.");
}

/**
 * salient_sync_config's named arguments for a compiled config (build/salient.json): its
 * app.tenant, its personas ({code: {name, description, system_prompt}}), its agents reduced to
 * {code: {persona, enabled}}, and app.default_agent (whose persona becomes the tenant's default).
 */
export function configSyncArgs(config) {
  const tenant = config?.app?.tenant;
  if (typeof tenant !== "string" || !tenant) throw new Error("the config has no app.tenant");
  const personas = {};
  for (const [code, p] of Object.entries(config.personas ?? {})) {
    personas[code] = { name: p?.name, description: p?.description ?? null, system_prompt: p?.system_prompt };
  }
  const agents = {};
  for (const [code, a] of Object.entries(config.agents ?? {})) {
    agents[code] = { persona: a?.persona, enabled: a?.enabled ?? true };
  }
  const defaultAgent = config.app.default_agent;
  return {
    p_tenant: tenant,
    p_personas: personas,
    p_agents: agents,
    p_default_agent: typeof defaultAgent === "string" && Object.hasOwn(agents, defaultAgent) ? defaultAgent : null,
  };
}

/** Calls salient_sync_config for a compiled config; resolves to its result, {personas, agents}. */
export async function syncConfig(db, config) {
  const args = configSyncArgs(config);
  const [row] = await db.query(
    "select salient_sync_config(p_tenant => $1, p_personas => $2::jsonb, p_agents => $3::jsonb, p_default_agent => $4) as result",
    [args.p_tenant, JSON.stringify(args.p_personas), JSON.stringify(args.p_agents), args.p_default_agent]);
  return row.result;
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === "--pglite") opts.pglite = value();
    else if (arg === "--url") opts.url = value();
    else if (arg === "--port") opts.port = Number(value());
    else if (arg === "--user") opts.user = value();
    else if (arg === "--database") opts.database = value();
    else if (arg === "--sync-config") opts.syncConfig = value();
    else if (arg === "-h" || arg === "--help") opts.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  return opts;
}

const USAGE = `usage: node db/migrate.mjs --pglite DIR [--sync-config build/salient.json]
       node db/migrate.mjs --url postgres://USER@HOST:PORT/DB [--sync-config build/salient.json]
       node db/migrate.mjs --url SOCKET_DIR [--port N] [--user U] [--database D] [--sync-config FILE]`;

async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.help) return console.log(USAGE);
  const url = opts.url ?? (opts.pglite ? undefined : process.env.DATABASE_URL);
  if (!opts.pglite === !url) throw new Error(`give exactly one of --pglite DIR or --url\n${USAGE}`);
  const log = (line) => console.log(`migrate: ${line}`);
  // Read (and checked) before connecting: a wrong path is reported before anything is applied.
  const config = opts.syncConfig ? await readConfig(opts.syncConfig) : null;
  let result;
  let synced;
  // Migrates, then syncs the config over the same connection.
  const run = async (db) => {
    result = await migrate(db, { log });
    if (!config) return;
    try {
      synced = await syncConfig(db, config);
    } catch (err) {
      throw new Error(`--sync-config ${opts.syncConfig}: ${err.message}`, { cause: err });
    }
  };
  if (opts.pglite) {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = await PGlite.create(path.resolve(opts.pglite));
    try { await run(pgliteAdapter(db)); } finally { await db.close(); }
  } else {
    const { default: pg } = await import("pg");
    const connection = url.startsWith("/")
      ? { host: url, port: opts.port, user: opts.user, database: opts.database }
      : { connectionString: url, ...(opts.user && { user: opts.user }), ...(opts.database && { database: opts.database }) };
    const client = new pg.Client(connection);
    await client.connect();
    try { await run(pgAdapter(client)); } finally { await client.end(); }
  }
  log(summary(result));
  if (config) {
    log(`synced ${opts.syncConfig}: ${synced.personas} personas, ${synced.agents} agents for tenant ` +
      `${config.app.tenant}`);
  }
}

/** One line on what migrate() did: "nothing to do (…)" when nothing was applied. */
export function summary({ applied, skipped, functions }) {
  const files = (n, what) => `${n} ${what}${n === 1 ? "" : "s"}`;
  if (applied.length === 0 && functions.applied.length === 0) {
    return `nothing to do (${files(skipped.length, "migration")} and ${files(functions.skipped.length, "function file")} ` +
      "already applied)";
  }
  return `${files(applied.length, "migration")} applied (${skipped.length} already), ` +
    `${files(functions.applied.length, "function file")} applied (${functions.skipped.length} unchanged)`;
}

async function readConfig(file) {
  let config;
  try {
    config = JSON.parse(await readFile(file, "utf8"));
    configSyncArgs(config); // throws for a file that is not a compiled config
  } catch (err) {
    throw new Error(`--sync-config ${file}: ${err.message}`, { cause: err });
  }
  return config;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`migrate: ${err.message}`);
    process.exit(1);
  });
}
