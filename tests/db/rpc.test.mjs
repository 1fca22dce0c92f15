// The migrations and the chat-turn RPCs (db/migrations/) against PGlite and against a real
// PostgreSQL 15 server started for this file (tests/support/postgres.mjs): the same cases, run
// once per backend. The contract is hosts/node-dev/memory-state.js's (tests/hosts/memory-state).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { migrate, migrationFiles, pgAdapter, pgliteAdapter } from "../../db/migrate.mjs";
import { postgresUnavailable, startPostgres } from "../support/postgres.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);
const pgSkip = postgresUnavailable();
if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

const backends = [
  {
    name: "PGlite",
    async open() {
      const started = performance.now();
      const db = await PGlite.create();
      const ms = Math.round(performance.now() - started);
      return {
        adapter: pgliteAdapter(db), startMs: ms, close: () => db.close(),
        // The migrate CLI on a fresh PGlite data folder.
        async cli() {
          const dir = await mkdtemp(path.join(os.tmpdir(), "salient-pglite-"));
          try {
            return [await migrateCli(["--pglite", dir]), await migrateCli(["--pglite", dir])];
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      };
    },
  },
  {
    name: "PostgreSQL 15",
    skip: pgSkip,
    async open() {
      const server = await startPostgres();
      const connect = async (database) => {
        const client = new pg.Client({ host: server.host, port: server.port, user: server.user, database });
        await client.connect();
        return client;
      };
      const client = await connect("postgres");
      return {
        adapter: pgAdapter(client), startMs: server.startMs,
        async close() { await client.end(); await server.stop(); },
        // The migrate CLI on a fresh database of this server, through its socket folder.
        async cli() {
          await client.query("create database salient_cli");
          const args = ["--url", server.host, "--port", String(server.port), "--user", server.user,
            "--database", "salient_cli"];
          return [await migrateCli(args), await migrateCli(args)];
        },
      };
    },
  },
];

async function migrateCli(args) {
  const { stdout } = await run(process.execPath, [path.join(root, "db/migrate.mjs"), ...args]);
  return stdout;
}

for (const backend of backends) {
  describe(`db on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db;
    before(async () => {
      db = await backend.open();
      console.log(`# ${backend.name}: started in ${db.startMs} ms`);
    });
    after(() => db?.close());

    const sql = (text, params) => db.adapter.query(text, params);
    // Calls an RPC with named arguments, as PostgREST does (`fn(p_x => $1, ...)`).
    async function rpc(fn, args) {
      const names = Object.keys(args);
      const params = names.map((n) => (args[n] !== null && typeof args[n] === "object" ? JSON.stringify(args[n]) : args[n]));
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
    const turn = (over = {}) => ({
      p_tenant: "acme", p_agent: "sales", p_session_key: "sk-1", p_idempotency_key: crypto.randomUUID(),
      p_message_id: crypto.randomUUID(), p_content: "hello", ...over,
    });

    test("migrations apply, then re-apply as a no-op; the SQL itself is re-runnable", async () => {
      const files = (await migrationFiles()).map((f) => f.name);
      assert.ok(files.length >= 2);
      const first = await migrate(db.adapter);
      assert.deepEqual(first, { applied: files, skipped: [] });
      const second = await migrate(db.adapter);
      assert.deepEqual(second, { applied: [], skipped: files });
      // Pasted again by hand (e.g. into Supabase's SQL editor): no error, nothing duplicated.
      for (const file of await migrationFiles()) await db.adapter.exec(file.sql);
      const tables = (await sql(`select tablename from pg_tables where schemaname = 'public' order by 1`))
        .map((r) => r.tablename);
      for (const t of ["tenants", "sessions", "messages", "conversation_summaries", "profiles", "llm_requests",
        "personas", "email_events", "otp_links", "agents", "tenant_agents", "salient_migrations"]) {
        assert.ok(tables.includes(t), `table ${t} exists`);
      }
      const noRls = await sql(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity and relname <> 'salient_migrations'`);
      assert.deepEqual(noRls, [], "row-level security is on for every table");
      const indexes = (await sql(`select indexdef from pg_indexes where schemaname = 'public'`)).map((r) => r.indexdef);
      for (const cols of ["sessions USING btree (tenant_id, email)", "messages USING btree (session_id, created_at)",
        "llm_requests USING btree (session_id, created_at)", "messages USING btree (session_id, idempotency_key)"]) {
        assert.ok(indexes.some((d) => d.includes(`public.${cols}`)), `index on ${cols}`);
      }
      const [{ count }] = await sql("select count(*)::int as count from salient_migrations");
      assert.equal(count, files.length);
    });

    test("the migrate command applies once, then does nothing", async () => {
      const [first, second] = await db.cli();
      assert.match(first, /applied 0001_schema\.sql/);
      assert.match(first, /2 applied|\d+ applied, 0 already applied/);
      assert.match(second, /nothing to do \(\d+ already applied\)/);
    });

    test("begin_turn stores the turn, creates tenant and session once, and is idempotent", async () => {
      const first = turn();
      const a = await rpc("salient_begin_turn", first);
      assert.deepEqual(Object.keys(a).sort(), ["duplicate", "session_id", "turn_id"]);
      assert.equal(a.turn_id, first.p_message_id);
      assert.equal(a.duplicate, false);
      const [stored] = await sql(`select m.role, m.content, m.idempotency_key, m.stream_claimed_at, s.session_key,
          t.slug, ag.code from messages m join sessions s on s.id = m.session_id join tenants t on t.id = m.tenant_id
          join agents ag on ag.id = m.agent_id where m.id = $1`, [a.turn_id]);
      assert.deepEqual(stored, { role: "user", content: "hello", idempotency_key: first.p_idempotency_key,
        stream_claimed_at: null, session_key: "sk-1", slug: "acme", code: "sales" });

      const b = await rpc("salient_begin_turn", turn());
      assert.equal(b.session_id, a.session_id, "same tenant + session key → same session");
      const c = await rpc("salient_begin_turn", turn({ p_tenant: "globex" }));
      assert.notEqual(c.session_id, a.session_id, "sessions are per tenant");

      const again = await rpc("salient_begin_turn", { ...first, p_message_id: crypto.randomUUID(), p_content: "other" });
      assert.deepEqual(again, { ...a, duplicate: true });
      const retry = await rpc("salient_begin_turn", first);
      assert.deepEqual(retry, { ...a, duplicate: true });
      const [{ n }] = await sql("select count(*)::int as n from messages where idempotency_key = $1", [first.p_idempotency_key]);
      assert.equal(n, 1, "one stored message per idempotency key");
      const [{ tenants }] = await sql("select count(*)::int as tenants from tenants where slug = 'acme'");
      assert.equal(tenants, 1);
      const err = await (async () => {
        try {
          await sql(`insert into messages (tenant_id, session_id, role, content, idempotency_key)
            select tenant_id, session_id, 'user', 'x', idempotency_key from messages where id = $1`, [a.turn_id]);
        } catch (e) { return e; }
      })();
      assert.equal(err?.code, "23505", "the table itself refuses a second message with the same key");
    });

    test("claim_turn succeeds once, then already_claimed", async () => {
      const { turn_id, session_id } = await rpc("salient_begin_turn", turn({ p_content: "what does a patio cost?" }));
      const first = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual(first, { status: "claimed", message: "what does a patio cost?", session_id, agent: "sales" });
      const second = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual(second, { status: "already_claimed" });
      const [{ claimed }] = await sql("select stream_claimed_at is not null as claimed from messages where id = $1", [turn_id]);
      assert.equal(claimed, true);
    });

    test("an unknown turn or tenant is not_found", async () => {
      assert.deepEqual(await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: crypto.randomUUID() }),
        { status: "not_found" });
      assert.deepEqual(await rpc("salient_claim_turn", { p_tenant: "nobody", p_turn_id: crypto.randomUUID() }),
        { status: "not_found" });
      const [{ n }] = await sql("select count(*)::int as n from tenants where slug = 'nobody'");
      assert.equal(n, 0, "claim_turn creates no tenant");
    });

    test("finish_turn stores the assistant message linked to its turn", async () => {
      const { turn_id, session_id } = await rpc("salient_begin_turn", turn());
      const id = crypto.randomUUID();
      const done = await rpc("salient_finish_turn", {
        p_tenant: "acme", p_turn_id: turn_id, p_message_id: id, p_content: "Hi!", p_metadata: { offline: true },
      });
      assert.deepEqual(done, { message_id: id });
      const [stored] = await sql("select role, content, metadata, turn_id, session_id from messages where id = $1", [id]);
      assert.deepEqual(stored, { role: "assistant", content: "Hi!", metadata: { offline: true }, turn_id, session_id });
      // A retried finish with the same message id updates that answer, never a second one.
      await rpc("salient_finish_turn", { p_tenant: "acme", p_turn_id: turn_id, p_message_id: id, p_content: "Hi!!" });
      const rows = await sql("select content, metadata from messages where turn_id = $1", [turn_id]);
      assert.deepEqual(rows, [{ content: "Hi!!", metadata: {} }]);
      // A message id that is already another row (here: the user's message) is a 23505.
      const clash = await rpcError("salient_finish_turn", {
        p_tenant: "acme", p_turn_id: turn_id, p_message_id: turn_id, p_content: "x", p_metadata: {},
      });
      assert.equal(clash.code, "23505");
    });

    test("tenant isolation: another tenant can neither claim nor finish a turn", async () => {
      const { turn_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-iso" }));
      await rpc("salient_begin_turn", turn({ p_tenant: "globex", p_session_key: "sk-other" }));
      assert.deepEqual(await rpc("salient_claim_turn", { p_tenant: "globex", p_turn_id: turn_id }), { status: "not_found" });
      const finish = await rpcError("salient_finish_turn", {
        p_tenant: "globex", p_turn_id: turn_id, p_message_id: crypto.randomUUID(), p_content: "x", p_metadata: {},
      });
      assert.equal(finish.code, "P0002");
      assert.match(finish.message, /not found/);
      const [{ n }] = await sql("select count(*)::int as n from messages where turn_id = $1", [turn_id]);
      assert.equal(n, 0, "nothing was stored for the other tenant");
      // The same session key in another tenant is another session.
      const mine = await rpc("salient_begin_turn", turn({ p_session_key: "sk-shared" }));
      const theirs = await rpc("salient_begin_turn", turn({ p_tenant: "globex", p_session_key: "sk-shared" }));
      assert.notEqual(mine.session_id, theirs.session_id);
      // And the owner still can.
      assert.equal((await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id })).status, "claimed");
    });

    test("row-level security: a role subject to it sees only its tenant's rows", async () => {
      await db.adapter.exec(`do $$ begin
          if not exists (select 1 from pg_roles where rolname = 'salient_rls_probe') then
            create role salient_rls_probe nologin;
          end if;
        end $$;
        grant usage on schema public to salient_rls_probe;
        grant select, insert, update on all tables in schema public to salient_rls_probe;`);
      const a = await rpc("salient_begin_turn", turn({ p_session_key: "sk-rls-a", p_content: "a secret" }));
      const b = await rpc("salient_begin_turn", turn({ p_tenant: "globex", p_session_key: "sk-rls-b" }));
      const seen = async (tenant) => {
        await db.adapter.exec("begin");
        try {
          await sql("select set_config('salient.tenant', $1, true)", [tenant]);
          await db.adapter.exec("set local role salient_rls_probe");
          return {
            tenants: (await sql("select slug from tenants order by slug")).map((r) => r.slug),
            sessions: (await sql("select session_key from sessions")).map((r) => r.session_key),
            messages: (await sql("select id from messages")).map((r) => r.id),
            claimOther: await rpc("salient_claim_turn", { p_tenant: tenant === "acme" ? "globex" : "acme",
              p_turn_id: tenant === "acme" ? b.turn_id : a.turn_id }),
          };
        } finally {
          await db.adapter.exec("rollback");
        }
      };
      const acme = await seen("acme");
      assert.deepEqual(acme.tenants, ["acme"]);
      assert.ok(acme.sessions.includes("sk-rls-a") && !acme.sessions.includes("sk-rls-b"));
      assert.ok(acme.messages.includes(a.turn_id) && !acme.messages.includes(b.turn_id));
      assert.deepEqual(acme.claimOther, { status: "not_found" }, "the RPCs stay inside the caller's tenant");
      const globex = await seen("globex");
      assert.deepEqual(globex.tenants, ["globex"]);
      assert.ok(globex.messages.includes(b.turn_id) && !globex.messages.includes(a.turn_id));
      assert.deepEqual(globex.claimOther, { status: "not_found" });
      const none = await seen("");
      assert.deepEqual([none.tenants, none.sessions, none.messages], [[], [], []], "no tenant → no rows");
    });

    test("bad arguments are errors", async () => {
      const malformed = await rpcError("salient_claim_turn", { p_tenant: "acme", p_turn_id: "not-a-uuid" });
      assert.equal(malformed.code, "22P02");
      assert.equal((await rpcError("salient_begin_turn", turn({ p_message_id: "42" }))).code, "22P02");
      assert.equal((await rpcError("salient_begin_turn", turn({ p_tenant: "" }))).code, "22P02");
      assert.equal((await rpcError("salient_begin_turn", turn({ p_session_key: null }))).code, "22P02");
      assert.equal((await rpcError("salient_begin_turn", turn({ p_content: null }))).code, "22P02");
      assert.equal((await rpcError("salient_finish_turn", {
        p_tenant: "acme", p_turn_id: crypto.randomUUID(), p_message_id: "nope", p_content: "x",
      })).code, "22P02");
      // A message id already used (here by another tenant's turn) is refused, not overwritten.
      const { turn_id } = await rpc("salient_begin_turn", turn());
      const dup = await rpcError("salient_begin_turn", turn({ p_tenant: "globex", p_message_id: turn_id }));
      assert.equal(dup.code, "23505");
    });
  });
}
