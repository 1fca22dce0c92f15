// The two databases every tests/db file runs its cases against, and how the cases call them:
// PGlite in memory (hosts/node-dev/pglite-state.js) and a real PostgreSQL 15 server started for
// the file (tests/support/postgres.mjs), both with Supabase's API roles (anon, authenticated,
// service_role) and its default privileges, which grant those roles every new table and
// function in `public`: what db/functions/grants.sql must undo for anon.
//
// Not a test file itself (node --test runs *.test.mjs).

import assert from "node:assert/strict";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { migrate, pgAdapter, pgliteAdapter } from "../../db/migrate.mjs";
import { migratedPGlite } from "../../hosts/node-dev/pglite-state.js";
import { postgresUnavailable, startPostgres } from "../support/postgres.mjs";

export const pgSkip = postgresUnavailable();

// Supabase's roles (as its images create them) and default privileges. Idempotent; the roles are
// the cluster's, the default privileges the current database's.
export const SUPABASE_ROLES = `do $$ begin
    if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticated') then
      create role authenticated nologin noinherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'service_role') then
      create role service_role nologin noinherit bypassrls;
    end if;
  end $$;
  grant usage on schema public to anon, authenticated, service_role;
  alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
  alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
  alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;`;

/**
 * [{ name, skip, open({ migrated = true }) }]: open() resolves to { adapter, startMs, close() }.
 * With `migrated`, the database has Supabase's roles and the current schema and functions;
 * without, only the roles. On PostgreSQL also { server, fresh() }: fresh() is another, empty
 * database on the same server with the roles, as { adapter, name, close() }.
 */
export function backends() {
  return [
    {
      name: "PGlite",
      async open({ migrated = true } = {}) {
        const started = performance.now();
        const db = migrated ? await migratedPGlite() : await PGlite.create();
        const adapter = pgliteAdapter(db);
        await adapter.exec(SUPABASE_ROLES);
        // The template was migrated before the roles existed: what Supabase's default privileges
        // would have granted them, then what a migration's grants make of that.
        if (migrated) {
          await adapter.exec(`grant all on all tables in schema public to anon, authenticated, service_role;
            grant execute on all functions in schema public to anon, authenticated, service_role;
            select salient_grant_execute();`);
        }
        return { adapter, startMs: Math.round(performance.now() - started), close: () => db.close() };
      },
    },
    {
      name: "PostgreSQL 15",
      skip: pgSkip,
      async open({ migrated = true } = {}) {
        const server = await startPostgres();
        const clients = [];
        const connect = async (database) => {
          const client = new pg.Client({ host: server.host, port: server.port, user: server.user, database });
          await client.connect();
          clients.push(client);
          return pgAdapter(client);
        };
        let databases = 0;
        const adapter = await connect("postgres");
        await adapter.exec(SUPABASE_ROLES);
        if (migrated) await migrate(adapter);
        return {
          adapter, startMs: server.startMs, server,
          async close() {
            await Promise.all(clients.map((c) => c.end().catch(() => {})));
            await server.stop();
          },
          async fresh() {
            const name = `salient_fresh_${++databases}`;
            await adapter.exec(`create database ${name}`);
            const other = await connect(name);
            await other.exec(SUPABASE_ROLES);
            return { adapter: other, name, close: async () => {} }; // ended with the server
          },
        };
      },
    },
  ];
}

/** A JSON value meant for a jsonb argument as it is (a string, an array, null), not as text[]. */
export class Json {
  constructor(value) { this.value = value; }
}
export const json = (value) => new Json(value);

/**
 * How the cases call a database: sql(text, params) → rows; rpc(fn, args) calls a function with
 * named arguments, as PostgREST does (`fn(p_x => $1, ...)`): objects as JSON text (jsonb), arrays
 * as arrays (text[]; both drivers write the array literal), json(v) for any other JSON value
 * meant for a jsonb argument; rpcError(fn, args) → the error it raised (fails when none); as(role,
 * tenant, fn) runs fn inside a transaction as that role, with salient.tenant set, and resolves
 * to its result or error (rolled back either way); turn(over) is begin_turn's arguments;
 * conversation(key, texts) begins and answers each text in one session, in that order.
 */
export function client(adapter) {
  const sql = (text, params) => adapter.query(text, params);
  async function rpc(fn, args) {
    const names = Object.keys(args);
    const params = names.map((n) => {
      const v = args[n];
      if (v instanceof Json) return JSON.stringify(v.value);
      if (v !== null && typeof v === "object" && !Array.isArray(v)) return JSON.stringify(v);
      return v;
    });
    const [row] = await sql(`select ${fn}(${names.map((n, i) => `${n} => $${i + 1}`).join(", ")}) as result`, params);
    return row.result;
  }
  async function rpcError(fn, args) {
    try {
      await rpc(fn, args);
    } catch (err) {
      return err;
    }
    assert.fail(`${fn} succeeded; expected an error`);
  }
  async function as(role, tenant, fn) {
    await adapter.exec("begin");
    try {
      await sql("select set_config('salient.tenant', $1, true)", [tenant ?? ""]);
      await adapter.exec(`set local role ${role}`);
      return await fn();
    } catch (err) {
      return err;
    } finally {
      await adapter.exec("rollback");
    }
  }
  const turn = (over = {}) => ({
    p_tenant: "acme", p_agent: "sales", p_session_key: "sk-1", p_idempotency_key: crypto.randomUUID(),
    p_message_id: crypto.randomUUID(), p_content: "hello", ...over,
  });
  // Messages in the order they were stored, one second apart from `clock` on: created_at
  // decides the order of history, and two statements can share a millisecond (PGlite's clock).
  let clock = 0;
  async function retime(ids) {
    await sql(`update messages m set created_at = timestamptz '2030-01-01 00:00:00+00' + make_interval(secs => u.ord + $2)
      from unnest($1::uuid[]) with ordinality as u(id, ord) where m.id = u.id`, [ids, clock]);
    clock += ids.length;
  }
  // A conversation in session `key`: each text begun and answered (not claimed), retimed.
  async function conversation(key, texts, { tenant = "acme", agent = "sales" } = {}) {
    const turns = [];
    for (const text of texts) {
      const { turn_id, session_id } = await rpc("salient_begin_turn",
        turn({ p_tenant: tenant, p_agent: agent, p_session_key: key, p_content: text }));
      const answer_id = crypto.randomUUID();
      await rpc("salient_finish_turn", { p_tenant: tenant, p_turn_id: turn_id, p_message_id: answer_id,
        p_content: `re: ${text}`, p_metadata: { mode: "llm" } });
      turns.push({ turn_id, answer_id, session_id });
    }
    await retime(turns.flatMap((t) => [t.turn_id, t.answer_id]));
    return turns;
  }
  return { sql, rpc, rpcError, as, turn, retime, conversation };
}
