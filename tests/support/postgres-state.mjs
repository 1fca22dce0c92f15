// A real PostgreSQL 15 server as the state store behind our PostgREST layer
// (hosts/node-dev/postgrest.js): the backend shape pgliteBackend has (`call`, `dump`, `query`,
// `close`), over a node-postgres pool, for the load test (bench/load.mjs,
// tests/e2e/load.test.mjs), where PGlite (one connection, one query at a time) cannot take
// 200 concurrent chats. The server is tests/support/postgres.mjs's throwaway one, with Supabase's
// roles and the current migrations and functions.
//
//   const store = await postgresStore({ connections: 20 });
//   const state = await startStateServer({ backend: store });   // SUPABASE_URL = state.url
//   … await store.query("select count(*) from messages") …
//   await state.close(); await store.close();                    // close() also stops the server

import pg from "pg";
import { configSyncArgs, migrate, pgAdapter } from "../../db/migrate.mjs";
import { param } from "../../hosts/node-dev/pglite-state.js";
import { postgrestStatus, RpcError } from "../../hosts/node-dev/postgrest.js";
import { SUPABASE_ROLES } from "../db/backends.mjs";
import { startPostgres } from "./postgres.mjs";

const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const JSON_TYPES = new Set(["json", "jsonb"]);

/** Starts a server, migrates it; resolves to a backend (see the header) with `server` and `startMs`. */
export async function postgresStore({ connections = 20 } = {}) {
  const server = await startPostgres();
  const connection = { host: server.host, port: server.port, user: server.user, database: server.database };
  try {
    const setup = new pg.Client(connection);
    await setup.connect();
    try {
      const adapter = pgAdapter(setup);
      await adapter.exec(SUPABASE_ROLES);
      await migrate(adapter);
    } finally {
      await setup.end();
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  const pool = new pg.Pool({ ...connection, max: connections });
  pool.on("error", () => {}); // an idle client's error (the server stopping) is not the caller's

  // Each function's argument kinds, asked once (pglite-state.js asks the parser; here the catalog):
  // the JSON body alone does not say whether ["a"] is for a text[] or a jsonb parameter.
  const kindsByFn = new Map();
  async function kinds(fn) {
    let byName = kindsByFn.get(fn);
    if (!byName) {
      const { rows } = await pool.query(`
        select a.name, t.typname, t.typcategory
          from pg_proc p, unnest(p.proargnames, p.proargtypes::oid[]) as a(name, typ)
          join pg_type t on t.oid = a.typ
         where p.proname = $1 and p.pronamespace = 'public'::regnamespace`, [fn]);
      if (rows.length === 0) return null;
      byName = new Map(rows.map((r) => [r.name, JSON_TYPES.has(r.typname) ? "json" : r.typcategory === "A" ? "array" : "scalar"]));
      kindsByFn.set(fn, byName);
    }
    return byName;
  }

  async function call(fn, args) {
    // Only the API's functions (salient_*), as pglite-state.js's list; never a built-in.
    if (!/^salient_[a-z_]+$/.test(fn)) return null;
    const names = Object.keys(args);
    if (!names.every((n) => ARG_NAME.test(n))) return null;
    const byName = await kinds(fn);
    if (!byName || !names.every((n) => byName.has(n))) return null;
    const sql = `select ${fn}(${names.map((n, i) => `"${n}" => $${i + 1}`).join(", ")}) as result`;
    try {
      const { rows } = await pool.query(sql, names.map((n) => param(args[n], byName.get(n)))); // as PostgREST converts them
      return { status: 200, body: rows[0]?.result ?? null };
    } catch (err) {
      if (typeof err?.code !== "string") throw err;
      if (err.code === "42883" || err.code === "42725") return null;
      throw new RpcError(postgrestStatus(err.code), err.code, err.message, err.detail ?? null, err.hint ?? null);
    }
  }

  return {
    call,
    query: async (sql, params = []) => (await pool.query(sql, params)).rows,
    /** salient_sync_config for a compiled config (the dev server does this for its own store). */
    sync: (config) => call("salient_sync_config", configSyncArgs(config)),
    dump: async () => ({ messages: (await pool.query("select * from messages order by created_at, id")).rows }),
    server,
    startMs: server.startMs,
    dataDir: null,
    close: async () => {
      await pool.end().catch(() => {});
      await server.stop();
    },
  };
}
