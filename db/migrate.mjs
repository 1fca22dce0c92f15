#!/usr/bin/env node
// Applies db/migrations/*.sql in name order, each once, recording it in `salient_migrations`.
// Running it again is a no-op; a file that changed after it was applied is an error (add a new
// file instead). Each file runs in its own transaction together with its record.
//
//   node db/migrate.mjs --pglite DIR            a PGlite data folder (created when missing)
//   node db/migrate.mjs --url postgres://USER@HOST:PORT/DB
//   node db/migrate.mjs --url /path/to/socket/dir [--port 5432] [--user U] [--database D]
//   (--url defaults to $DATABASE_URL; node-postgres also reads PGHOST, PGUSER, ...)
//   ... --sync-config build/salient.json      then, over the same connection, mirror that compiled
//                                             config's personas and agents into its tenant's rows
//                                             (salient_sync_config, migration 0005)
//
// As a library: migrate(adapter) with pgliteAdapter(db) or pgAdapter(client); syncConfig(adapter,
// config); configSyncArgs(config) is salient_sync_config's arguments for a compiled config.

import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");
const LOCK_KEY = 7_331_001; // pg_advisory_xact_lock key: one migrator at a time per database

/** [{ name, sql, checksum }] for every *.sql file of `dir`, in name order. */
export async function migrationFiles(dir = MIGRATIONS_DIR) {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".sql")).sort();
  return Promise.all(names.map(async (name) => {
    const sql = await readFile(path.join(dir, name), "utf8");
    return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
  }));
}

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

/**
 * Applies the pending migrations; returns { applied: [names], skipped: [names] }.
 * Throws when an applied file's checksum no longer matches.
 */
export async function migrate(db, { dir = MIGRATIONS_DIR, log = () => {} } = {}) {
  await db.exec(`create table if not exists salient_migrations (
    name text primary key,
    checksum text not null,
    applied_at timestamptz not null default now()
  )`);
  const applied = [];
  const skipped = [];
  for (const file of await migrationFiles(dir)) {
    await db.exec("begin");
    try {
      await db.query("select pg_advisory_xact_lock($1)", [LOCK_KEY]);
      const [done] = await db.query("select checksum from salient_migrations where name = $1", [file.name]);
      if (done) {
        await db.exec("rollback");
        if (done.checksum !== file.checksum) {
          throw new Error(`migration ${file.name} changed after it was applied; put the change in a new file`);
        }
        skipped.push(file.name);
        continue;
      }
      await db.exec(file.sql);
      await db.query("insert into salient_migrations (name, checksum) values ($1, $2)", [file.name, file.checksum]);
      await db.exec("commit");
    } catch (err) {
      await db.exec("rollback").catch(() => {});
      if (err.message?.startsWith(`migration ${file.name} changed`)) throw err;
      throw Object.assign(new Error(`migration ${file.name} failed: ${err.message}`), { cause: err });
    }
    applied.push(file.name);
    log(`applied ${file.name}`);
  }
  return { applied, skipped };
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
  log(result.applied.length ? `${result.applied.length} applied, ${result.skipped.length} already applied`
    : `nothing to do (${result.skipped.length} already applied)`);
  if (config) {
    log(`synced ${opts.syncConfig}: ${synced.personas} personas, ${synced.agents} agents for tenant ` +
      `${config.app.tenant}`);
  }
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
