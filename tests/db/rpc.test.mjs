// The migrations and the chat-turn RPCs (db/migrations/) against PGlite and against a real
// PostgreSQL 15 server started for this file (tests/support/postgres.mjs): the same cases, run
// once per backend. The contract is hosts/node-dev/memory-state.js's (tests/hosts/memory-state).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { configSyncArgs, migrate, migrationFiles, pgAdapter, pgliteAdapter } from "../../db/migrate.mjs";
import { postgresUnavailable, startPostgres } from "../support/postgres.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
class Json {
  constructor(value) { this.value = value; }
}
const json = (value) => new Json(value);
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
            const runs = [await migrateCli(["--pglite", dir]), await migrateCli(["--pglite", dir, ...SYNC_ARGS])];
            const synced = await PGlite.create(dir);
            try {
              return [...runs, (await synced.query(PERSONAS_SQL)).rows];
            } finally {
              await synced.close();
            }
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
          const runs = [await migrateCli(args), await migrateCli([...args, ...SYNC_ARGS])];
          const synced = await connect("salient_cli");
          try {
            return [...runs, (await synced.query(PERSONAS_SQL)).rows];
          } finally {
            await synced.end();
          }
        },
      };
    },
  },
];

// The migrate command's second run also syncs the compiled config; PERSONAS_SQL shows the result.
const compiledPath = path.join(root, "build", "salient.json");
const compiled = JSON.parse(readFileSync(compiledPath, "utf8"));
const SYNC_ARGS = ["--sync-config", compiledPath];
const PERSONAS_SQL = `select t.slug as tenant, p.code, p.system_prompt, p.is_default from personas p
  join tenants t on t.id = p.tenant_id order by p.code`;

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
    // Calls an RPC with named arguments, as PostgREST does (`fn(p_x => $1, ...)`): objects as JSON
    // text (jsonb), arrays as arrays (text[]; both drivers write the array literal), json(v) for
    // any other JSON value meant for a jsonb argument.
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
      // Pasted again by hand (e.g. into Supabase's SQL editor): no error, nothing duplicated,
      // every function (definition and grants) as it was, and one signature per RPC.
      const functions = () => sql(`select p.oid::regprocedure::text as fn, md5(pg_get_functiondef(p.oid)) as def,
          coalesce(p.proacl::text, '') as acl
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema() and p.proname like 'salient\\_%' order by 1`);
      const before = await functions();
      for (const file of await migrationFiles()) await db.adapter.exec(file.sql);
      assert.deepEqual(await functions(), before);
      const rpcs = before.map((f) => f.fn)
        .filter((f) => /^salient_(begin|claim|finish)_turn|^salient_(session_history|list_sessions|sync_config|attach_retrieval|turn_answer|identify)/.test(f));
      assert.deepEqual(rpcs, [
        "salient_attach_retrieval(text,uuid,jsonb)",
        "salient_begin_turn(text,text,text,text,uuid,text)",
        "salient_claim_turn(text,uuid,integer)",
        "salient_finish_turn(text,uuid,uuid,text,jsonb,jsonb)",
        "salient_identify(text,text,text,text,text)",
        "salient_list_sessions(text,text,text[])",
        "salient_session_history(text,text,text,integer)",
        "salient_sync_config(text,jsonb,jsonb,text)",
        "salient_turn_answer(text,uuid)",
      ]);
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

    test("the migrate command applies once, then does nothing; --sync-config syncs the config", async () => {
      const [first, second, personas] = await db.cli();
      assert.match(first, /applied 0001_schema\.sql/);
      assert.match(first, /2 applied|\d+ applied, 0 already applied/);
      assert.doesNotMatch(first, /synced/);
      assert.match(second, /nothing to do \(\d+ already applied\)/);
      const { app } = compiled;
      const counts = [Object.keys(compiled.personas).length, Object.keys(compiled.agents).length];
      assert.match(second, new RegExp(`synced .*salient\\.json: ${counts[0]} personas, ${counts[1]} agents for tenant ${app.tenant}`));
      assert.deepEqual(personas, Object.keys(compiled.personas).sort().map((code) => ({
        tenant: app.tenant, code, system_prompt: compiled.personas[code].system_prompt,
        is_default: code === compiled.agents[app.default_agent].persona,
      })));
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
      const { turn_id, session_id } = await rpc("salient_begin_turn",
        turn({ p_session_key: "sk-claim", p_content: "what does a patio cost?" }));
      const first = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual(first, { status: "claimed", message: "what does a patio cost?", session_id, agent: "sales",
        history: [], persona: null, profile: null, month_cost_usd: 0, retrieval: null });
      const second = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual(second, { status: "already_claimed" });
      const [{ claimed }] = await sql("select stream_claimed_at is not null as claimed from messages where id = $1", [turn_id]);
      assert.equal(claimed, true);
    });

    test("attach_retrieval stores passages with an unclaimed turn; claim_turn hands them back", async () => {
      const retrieval = { mode: "pinecone", sources: [{ title: "Prices", heading: "Patios", url: "/prices#patios",
        source: "prices.md", text: "A patio costs…", score: 0.82 }] };
      const { turn_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-attach" }));
      assert.deepEqual(await rpc("salient_attach_retrieval", { p_tenant: "globex", p_turn_id: turn_id, p_retrieval: retrieval }),
        { status: "not_found" }, "another tenant's turn");
      assert.deepEqual(await rpc("salient_attach_retrieval", { p_tenant: "acme", p_turn_id: turn_id, p_retrieval: retrieval }),
        { status: "attached" });
      const claim = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.equal(claim.status, "claimed");
      assert.deepEqual(claim.retrieval, retrieval);
      // Too late once a stream has the turn: what it used stays as it was.
      assert.deepEqual(await rpc("salient_attach_retrieval", { p_tenant: "acme", p_turn_id: turn_id,
        p_retrieval: { mode: "unavailable", reason: "late" } }), { status: "already_claimed" });
      const [{ metadata }] = await sql("select metadata from messages where id = $1", [turn_id]);
      assert.deepEqual(metadata.retrieval, retrieval);
      assert.deepEqual(await rpc("salient_attach_retrieval", { p_tenant: "acme", p_turn_id: crypto.randomUUID(),
        p_retrieval: retrieval }), { status: "not_found" });
      const bad = await rpcError("salient_attach_retrieval", { p_tenant: "acme", p_turn_id: turn_id, p_retrieval: [1] });
      assert.equal(bad.code, "22P02");
    });

    test("identify: a session's profile gets the visitor's email and name; the next claim hands them over", async () => {
      const args = (extra) => ({ p_tenant: "acme", p_agent: "sales", p_session_key: "sk-identify", p_email: null, p_name: null, ...extra });
      assert.deepEqual(await rpc("salient_identify", args({ p_email: "ana@example.com" })), { status: "no_session" },
        "no conversation yet: nothing is created");
      const first = await rpc("salient_begin_turn", turn({ p_session_key: "sk-identify" }));
      assert.deepEqual(await rpc("salient_identify", args({ p_email: "ana@example.com", p_name: "Ana" })), { status: "identified" });
      assert.deepEqual(await rpc("salient_identify", args({ p_name: "Ana Lima" })), { status: "identified" }, "a null keeps the email");
      const claim = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: first.turn_id });
      assert.equal(claim.profile.email, "ana@example.com");
      assert.equal(claim.profile.customer_name, "Ana Lima");
      assert.deepEqual(await rpc("salient_identify", { ...args({ p_email: "x@example.com" }), p_tenant: "globex" }),
        { status: "no_session" }, "another tenant's session key");
      assert.equal((await rpcError("salient_identify", args({}))).code, "22P02");
    });

    test("turn_answer: pending until the answer is stored, then the stored answer (for a resumed stream)", async () => {
      const { turn_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-resume" }));
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "acme", p_turn_id: turn_id }), { status: "pending" });
      await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "acme", p_turn_id: turn_id }), { status: "pending" });
      const message_id = crypto.randomUUID();
      const metadata = { mode: "llm", interrupted: true };
      await rpc("salient_finish_turn", { p_tenant: "acme", p_turn_id: turn_id, p_message_id: message_id,
        p_content: "Half an answer", p_metadata: metadata });
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "acme", p_turn_id: turn_id }),
        { status: "answered", message_id, content: "Half an answer", metadata });
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "globex", p_turn_id: turn_id }), { status: "not_found" },
        "another tenant's turn");
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "acme", p_turn_id: crypto.randomUUID() }),
        { status: "not_found" });
      assert.equal((await rpcError("salient_turn_answer", { p_tenant: "acme", p_turn_id: null })).code, "22P02");
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
      assert.equal(finish.code, "PT404", "PostgREST: 404");
      assert.equal(finish.message, `turn ${turn_id} not found`);
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
        grant select, insert, update on all tables in schema public to salient_rls_probe;
        -- Not PUBLIC's since 0003 (the policies call salient_current_tenant_id(), too).
        grant execute on all functions in schema public to salient_rls_probe;`);
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

    test("claim_turn carries the history before the turn, oldest first, at most p_history_limit", async () => {
      const [first] = await conversation("sk-ctx", ["one", "two", "three"]);
      const t = await rpc("salient_begin_turn", turn({ p_session_key: "sk-ctx", p_content: "four" }));
      const later = await rpc("salient_begin_turn", turn({ p_session_key: "sk-ctx", p_content: "five" }));
      await retime([t.turn_id, later.turn_id]);
      // A system message is stored but never replayed to the model.
      await sql(`insert into messages (tenant_id, session_id, role, content, created_at)
        select tenant_id, session_id, 'system', 'internal note', created_at + interval '1 ms' from messages where id = $1`,
      [first.answer_id]);
      // Another session of the same tenant is not this conversation.
      await conversation("sk-ctx-other", ["elsewhere"]);

      const claim = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: t.turn_id, p_history_limit: 4 });
      assert.equal(claim.status, "claimed");
      assert.equal(claim.message, "four");
      assert.deepEqual(claim.history.map((m) => [m.role, m.content]),
        [["user", "two"], ["assistant", "re: two"], ["user", "three"], ["assistant", "re: three"]],
        "the 4 most recent before the turn; neither the turn itself nor the later message");
      assert.deepEqual(Object.keys(claim.history[0]).sort(), ["content", "created_at", "role"]);
      const times = claim.history.map((m) => Date.parse(m.created_at));
      assert.ok(times.every((ms, i) => Number.isFinite(ms) && (i === 0 || ms > times[i - 1])), "created_at, ascending");
      const all = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: later.turn_id });
      assert.deepEqual(all.history.map((m) => m.content),
        ["one", "re: one", "two", "re: two", "three", "re: three", "four"], "default limit 20; the unanswered turn too");

      const fresh = await rpc("salient_begin_turn", turn({ p_session_key: "sk-ctx-new" }));
      for (const bad of [-1, 201, null]) {
        const err = await rpcError("salient_claim_turn", { p_tenant: "acme", p_turn_id: fresh.turn_id, p_history_limit: bad });
        assert.equal(err.code, "22P02", `p_history_limit ${bad}`);
        assert.match(err.message, /p_history_limit: expected an integer from 0 to 200/);
      }
      const none = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: fresh.turn_id, p_history_limit: 0 });
      assert.equal(none.status, "claimed", "a refused limit did not use up the turn");
      assert.deepEqual(none.history, []);
    });

    test("claim_turn resolves the persona: tenant's choice, agent's default, tenant's default", async () => {
      const claimPersona = async () => {
        const { turn_id } = await rpc("salient_begin_turn", turn({ p_tenant: "personae", p_agent: "persona-agent" }));
        return (await rpc("salient_claim_turn", { p_tenant: "personae", p_turn_id: turn_id })).persona;
      };
      assert.equal(await claimPersona(), null, "no persona at all");
      await rpc("salient_begin_turn", turn({ p_tenant: "globex", p_agent: "persona-agent" }));
      const persona = async (tenant, code, isDefault = false) => (await sql(`insert into personas
          (tenant_id, code, name, system_prompt, is_default)
          select id, $2, upper($2), 'You are ' || $2 || '.', $3 from tenants where slug = $1 returning id`,
      [tenant, code, isDefault]))[0].id;
      await persona("personae", "tenant-default", true);
      const expect = (code) => ({ code, name: code.toUpperCase(), system_prompt: `You are ${code}.` });
      assert.deepEqual(await claimPersona(), expect("tenant-default"));
      // The shared agent's default names another tenant's persona: not ours to use.
      const foreign = await persona("globex", "globex-voice");
      await sql("update agents set default_persona_id = $1 where code = 'persona-agent'", [foreign]);
      assert.deepEqual(await claimPersona(), expect("tenant-default"));
      const agentDefault = await persona("personae", "agent-default");
      await sql("update agents set default_persona_id = $1 where code = 'persona-agent'", [agentDefault]);
      assert.deepEqual(await claimPersona(), expect("agent-default"));
      const chosen = await persona("personae", "tenant-choice");
      await sql(`update tenant_agents set persona_id = $1 where agent_id = (select id from agents where code = 'persona-agent')
        and tenant_id = (select id from tenants where slug = 'personae')`, [chosen]);
      assert.deepEqual(await claimPersona(), expect("tenant-choice"));
      await sql("update agents set default_persona_id = null where code = 'persona-agent'");
    });

    // salient_sync_config (0005): the config's personas and agents into the tenant's rows.
    const syncPersonas = (over = {}) => ({
      sales: { name: "Advisor", description: "Sells", system_prompt: "You sell for {{app_name}}." },
      support: { name: "Help desk", description: "", system_prompt: "You help." },
      ...over,
    });
    const sync = (personas, agents, defaultAgent = null, tenant = "synced-co") => rpc("salient_sync_config",
      { p_tenant: tenant, p_personas: personas, p_agents: agents, p_default_agent: defaultAgent });
    const syncedRows = async (tenant = "synced-co") => ({
      personas: await sql(`select p.code, p.name, p.description, p.system_prompt, p.is_default from personas p
        join tenants t on t.id = p.tenant_id where t.slug = $1 order by p.code`, [tenant]),
      agents: await sql(`select a.code as agent, ta.is_enabled, p.code as persona from tenant_agents ta
        join tenants t on t.id = ta.tenant_id join agents a on a.id = ta.agent_id
        left join personas p on p.id = ta.persona_id where t.slug = $1 order by a.code`, [tenant]),
    });
    const claimFor = async (agent, tenant = "synced-co") => {
      const { turn_id } = await rpc("salient_begin_turn", turn({ p_tenant: tenant, p_agent: agent, p_session_key: `sk-sync-${agent}` }));
      return (await rpc("salient_claim_turn", { p_tenant: tenant, p_turn_id: turn_id })).persona;
    };

    test("sync_config creates the tenant, its personas and tenant_agents; claim_turn returns the agent's persona", async () => {
      assert.deepEqual(await sync(syncPersonas(), { sales: { persona: "sales", enabled: true, name: "x", llm: {} } }, "sales"),
        { personas: 2, agents: 1 });
      assert.deepEqual(await syncedRows(), {
        personas: [
          { code: "sales", name: "Advisor", description: "Sells", system_prompt: "You sell for {{app_name}}.", is_default: true },
          { code: "support", name: "Help desk", description: "", system_prompt: "You help.", is_default: false },
        ],
        agents: [{ agent: "sales", is_enabled: true, persona: "sales" }],
      });
      assert.deepEqual(await claimFor("sales"),
        { code: "sales", name: "Advisor", system_prompt: "You sell for {{app_name}}." });
      // Re-running the same config changes nothing.
      const before = await sql(`select p.* from personas p join tenants t on t.id = p.tenant_id where t.slug = 'synced-co'
        order by p.code`);
      assert.deepEqual(await sync(syncPersonas(), { sales: { persona: "sales", enabled: true } }, "sales"),
        { personas: 2, agents: 1 });
      assert.deepEqual(await sql(`select p.* from personas p join tenants t on t.id = p.tenant_id
        where t.slug = 'synced-co' order by p.code`), before);
      const [{ n }] = await sql("select count(*)::int as n from tenants where slug = 'synced-co'");
      assert.equal(n, 1);
    });

    test("sync_config updates a changed prompt, moves the default, and leaves other personas alone", async () => {
      await sync(syncPersonas(), { sales: { persona: "sales", enabled: true } }, "sales", "resync-co");
      // A persona made by hand, not in the config.
      await sql(`insert into personas (tenant_id, code, name, system_prompt)
        select id, 'by-hand', 'By hand', 'Hand-written.' from tenants where slug = 'resync-co'`);
      const changed = syncPersonas({ sales: { name: "Advisor 2", description: null, system_prompt: "New prompt." } });
      assert.deepEqual(await sync(changed, { sales: { persona: "sales" }, support: { persona: "support", enabled: false } },
        "support", "resync-co"), { personas: 2, agents: 2 });
      assert.deepEqual(await syncedRows("resync-co"), {
        personas: [
          { code: "by-hand", name: "By hand", description: null, system_prompt: "Hand-written.", is_default: false },
          { code: "sales", name: "Advisor 2", description: null, system_prompt: "New prompt.", is_default: false },
          { code: "support", name: "Help desk", description: "", system_prompt: "You help.", is_default: true },
        ],
        agents: [
          { agent: "sales", is_enabled: true, persona: "sales" },
          { agent: "support", is_enabled: false, persona: "support" },
        ],
      });
      assert.deepEqual(await claimFor("sales", "resync-co"), { code: "sales", name: "Advisor 2", system_prompt: "New prompt." });
      // support is switched off (enabled: false): 0006 refuses its turns, and stores nothing.
      const off = await rpcError("salient_begin_turn",
        turn({ p_tenant: "resync-co", p_agent: "support", p_session_key: "sk-sync-support" }));
      assert.equal(off.code, "PT404");
      // An agent the config does not name gets the tenant's default.
      assert.equal((await claimFor("elsewhere", "resync-co")).code, "support");
      // An agent may use a hand-made persona; the default moves to it, and without a default
      // agent no is_default changes.
      await sync({}, { sales: { persona: "by-hand" } }, "sales", "resync-co");
      assert.deepEqual((await syncedRows("resync-co")).personas.filter((p) => p.is_default).map((p) => p.code), ["by-hand"]);
      assert.equal((await claimFor("sales", "resync-co")).code, "by-hand");
      await sync({}, { sales: { persona: "sales" } }, null, "resync-co");
      assert.deepEqual((await syncedRows("resync-co")).personas.filter((p) => p.is_default).map((p) => p.code), ["by-hand"]);
      assert.equal((await claimFor("sales", "resync-co")).code, "sales");
      // Another tenant's rows are untouched throughout.
      assert.equal((await syncedRows()).personas.find((p) => p.code === "sales").system_prompt, "You sell for {{app_name}}.");
    });

    test("sync_config refuses bad shapes with 22P02 and writes nothing", async () => {
      const good = syncPersonas();
      const agents = { sales: { persona: "sales" } };
      const cases = [
        [{ p_tenant: "" }, /p_tenant/],
        [{ p_personas: null }, /p_personas: expected a JSON object/],
        [{ p_personas: json(["sales"]) }, /p_personas: expected a JSON object/],
        [{ p_personas: json("sales") }, /p_personas: expected a JSON object/],
        [{ p_personas: { sales: "x" } }, /persona sales must be a JSON object/],
        [{ p_personas: { ...good, sales: { system_prompt: "x" } } }, /persona sales: name must be a non-empty string/],
        [{ p_personas: { ...good, sales: { name: "", system_prompt: "x" } } }, /persona sales: name must be/],
        [{ p_personas: { ...good, sales: { name: "S", system_prompt: 5 } } }, /persona sales: system_prompt must be a string/],
        [{ p_personas: { ...good, sales: { name: "S", system_prompt: "x", description: [] } } }, /description must be a string or null/],
        [{ p_agents: null }, /p_agents: expected a JSON object/],
        [{ p_agents: { sales: "sales" } }, /agent sales must be a JSON object/],
        [{ p_agents: { sales: {} } }, /agent sales: persona must be a non-empty string/],
        [{ p_agents: { sales: { persona: "sales", enabled: "yes" } } }, /agent sales: enabled must be true or false/],
        [{ p_agents: { sales: { persona: "nobody" } } }, /agent sales names persona nobody, which is neither in p_personas nor a persona of tenant bad-co/],
        [{ p_default_agent: "support" }, /p_default_agent: "support" is not one of the agents in p_agents/],
      ];
      for (const [over, message] of cases) {
        const err = await rpcError("salient_sync_config",
          { p_tenant: "bad-co", p_personas: good, p_agents: agents, p_default_agent: "sales", ...over });
        assert.equal(err.code, "22P02", JSON.stringify(over));
        assert.match(err.message, message);
      }
      const [{ n }] = await sql("select count(*)::int as n from tenants where slug = 'bad-co'");
      assert.equal(n, 0, "nothing was written, not even the tenant");
    });

    test("configSyncArgs: the compiled config as sync_config's arguments", async () => {
      const args = configSyncArgs(compiled);
      assert.equal(args.p_tenant, compiled.app.tenant);
      assert.equal(args.p_default_agent, compiled.app.default_agent);
      assert.deepEqual(Object.keys(args.p_personas), Object.keys(compiled.personas));
      for (const a of Object.values(args.p_agents)) assert.deepEqual(Object.keys(a), ["persona", "enabled"]);
      assert.deepEqual(await rpc("salient_sync_config", { ...args, p_tenant: "compiled-co" }),
        { personas: Object.keys(compiled.personas).length, agents: Object.keys(compiled.agents).length });
      const persona = compiled.agents[compiled.app.default_agent].persona;
      assert.equal((await claimFor(compiled.app.default_agent, "compiled-co")).system_prompt,
        compiled.personas[persona].system_prompt);
    });

    test("claim_turn carries the session's profile", async () => {
      const { turn_id, session_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-profile" }));
      await sql(`insert into profiles (tenant_id, session_id, customer_name, email, phone, products_of_interest, address_city)
        select tenant_id, id, 'Ada', 'ada@example.com', null, '{patio,"deck, large"}', 'Paris' from sessions where id = $1`,
      [session_id]);
      const claim = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual(claim.profile, { customer_name: "Ada", email: "ada@example.com", phone: null,
        products_of_interest: ["patio", "deck, large"], services_of_interest: [] });
    });

    test("claim_turn reports the tenant's model spend this calendar month", async () => {
      const answered = async (tenant, cost) => {
        const { turn_id } = await rpc("salient_begin_turn", turn({ p_tenant: tenant, p_session_key: "sk-budget" }));
        const id = crypto.randomUUID();
        await rpc("salient_finish_turn", { p_tenant: tenant, p_turn_id: turn_id, p_message_id: id, p_content: "a",
          p_metadata: {}, p_llm_request: { model: "m", cost } });
        return id;
      };
      const claimCost = async (tenant) => {
        const { turn_id } = await rpc("salient_begin_turn", turn({ p_tenant: tenant, p_session_key: "sk-budget" }));
        return (await rpc("salient_claim_turn", { p_tenant: tenant, p_turn_id: turn_id })).month_cost_usd;
      };
      assert.equal(await claimCost("budget-co"), 0);
      await answered("budget-co", 0.5);
      await answered("budget-co", 0.25);
      const old = await answered("budget-co", 1);
      await answered("spendthrift-co", 10); // another tenant's spend is not ours
      await sql(`update llm_requests set created_at = date_trunc('month', now()) - interval '1 day' where message_id = $1`, [old]);
      assert.equal(Number(await claimCost("budget-co")), 0.75);
      assert.equal(Number(await claimCost("spendthrift-co")), 10);
    });

    test("finish_turn records one llm_requests row per answer", async () => {
      const { turn_id, session_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-llm" }));
      const id = crypto.randomUUID();
      const finish = (llm, messageId = id) => rpc("salient_finish_turn", {
        p_tenant: "acme", p_turn_id: turn_id, p_message_id: messageId, p_content: "Hi!", p_metadata: {},
        p_llm_request: llm,
      });
      const rows = () => sql(`select t.slug as tenant, r.session_id, r.provider, r.model, r.request_body, r.response_body,
          r.prompt_tokens, r.completion_tokens, r.total_tokens, r.unit_cost_prompt::float8 as unit_cost_prompt,
          r.unit_cost_completion::float8 as unit_cost_completion, r.computed_cost::float8 as computed_cost, r.latency_ms
        from llm_requests r join tenants t on t.id = r.tenant_id where r.message_id = $1`, [id]);
      assert.deepEqual(await finish({
        model: "openai/gpt-4o-mini", request_body: { messages: [{ role: "user", content: "hello" }] },
        response_body: { id: "gen-1" }, prompt_tokens: 10, completion_tokens: 5, total_tokens: 15,
        unit_cost_prompt: 0.00000015, unit_cost_completion: 0.0000006, cost: 0.0000045, latency_ms: 830,
      }), { message_id: id });
      assert.deepEqual(await rows(), [{
        tenant: "acme", session_id, provider: "openrouter", model: "openai/gpt-4o-mini",
        request_body: { messages: [{ role: "user", content: "hello" }] }, response_body: { id: "gen-1" },
        prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, unit_cost_prompt: 0.00000015,
        unit_cost_completion: 0.0000006, computed_cost: 0.0000045, latency_ms: 830,
      }]);
      // A retried finish replaces the row's values: still one row.
      await finish({ model: "other/model", provider: "direct", prompt_tokens: 7 });
      assert.deepEqual(await rows(), [{
        tenant: "acme", session_id, provider: "direct", model: "other/model", request_body: null, response_body: null,
        prompt_tokens: 7, completion_tokens: null, total_tokens: null, unit_cost_prompt: null,
        unit_cost_completion: null, computed_cost: null, latency_ms: null,
      }]);
      // Without p_llm_request (or with null): the row stays as it was.
      await rpc("salient_finish_turn", { p_tenant: "acme", p_turn_id: turn_id, p_message_id: id, p_content: "Hi!" });
      await finish(null);
      await finish(json(null));
      assert.equal((await rows()).length, 1);

      const fresh = crypto.randomUUID();
      for (const bad of [{}, { model: 5 }, { model: "" }, { model: "m", prompt_tokens: 1.5 }, { model: "m", cost: "0.1" },
        { model: "m", provider: 1 }, json(["model"]), json("{\"model\":\"m\"}"), json(3)]) {
        const err = await rpcError("salient_finish_turn", { p_tenant: "acme", p_turn_id: turn_id, p_message_id: fresh,
          p_content: "x", p_llm_request: bad });
        assert.equal(err.code, "22P02", JSON.stringify(bad));
        assert.match(err.message, /p_llm_request/);
      }
      const [{ n }] = await sql("select count(*)::int as n from messages where id = $1", [fresh]);
      assert.equal(n, 0, "a refused llm_request stores no answer either");
    });

    test("finish_turn on an unknown turn is PT404", async () => {
      const unknown = crypto.randomUUID();
      const err = await rpcError("salient_finish_turn", {
        p_tenant: "acme", p_turn_id: unknown, p_message_id: crypto.randomUUID(), p_content: "x",
      });
      assert.equal(err.code, "PT404");
      assert.equal(err.message, `turn ${unknown} not found`);
      const noTenant = await rpcError("salient_finish_turn", {
        p_tenant: "nobody-at-all", p_turn_id: unknown, p_message_id: crypto.randomUUID(), p_content: "x",
      });
      assert.equal(noTenant.code, "PT404");
    });

    test("begin_turn refuses an inactive tenant with PT403", async () => {
      const first = turn({ p_tenant: "sleepy" });
      await rpc("salient_begin_turn", first);
      await sql("update tenants set is_active = false where slug = 'sleepy'");
      const err = await rpcError("salient_begin_turn", turn({ p_tenant: "sleepy" }));
      assert.equal(err.code, "PT403", "PostgREST: 403");
      assert.equal(err.message, "tenant sleepy is not active");
      assert.equal((await rpcError("salient_begin_turn", first)).code, "PT403", "a resubmission too");
      const [{ n }] = await sql(`select count(*)::int as n from messages m join tenants t on t.id = m.tenant_id
        where t.slug = 'sleepy'`);
      assert.equal(n, 1);
      await sql("update tenants set is_active = true where slug = 'sleepy'");
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "sleepy" }))).duplicate, false);
    });

    // 0006: tenant_agents.is_enabled is enforced; a missing row is an enabled agent.
    const setEnabled = (tenant, agent, enabled) => sql(`update tenant_agents set is_enabled = $3
      where tenant_id = (select id from tenants where slug = $1) and agent_id = (select id from agents where code = $2)`,
    [tenant, agent, enabled]);
    const notEnabled = (err, tenant, agent) => {
      assert.equal(err.code, "PT404", `PostgREST: 404 (${err.message})`);
      assert.equal(err.message, `agent "${agent}" is not enabled for tenant "${tenant}"`);
      assert.equal(err.hint, `enable it in salient.yaml (agents.${agent}.enabled: true) and sync the config, ` +
        "or set tenant_agents.is_enabled for this tenant");
    };
    const storedFor = async (tenant) => (await sql(`select count(*)::int as n from messages m
      join tenants t on t.id = m.tenant_id where t.slug = $1`, [tenant]))[0].n;

    test("a tenant's disabled agent: begin_turn, claim_turn and the history functions are PT404 until re-enabled", async () => {
      const first = turn({ p_tenant: "switch-co", p_agent: "support", p_session_key: "sk-switch" });
      const pending = await rpc("salient_begin_turn", first);
      assert.equal(pending.duplicate, false, "no row yet: the agent is enabled, and begin_turn makes its row");
      const [row] = await sql(`select ta.is_enabled from tenant_agents ta join tenants t on t.id = ta.tenant_id
        join agents a on a.id = ta.agent_id where t.slug = 'switch-co' and a.code = 'support'`);
      assert.deepEqual(row, { is_enabled: true });
      const theirs = await rpc("salient_begin_turn",
        turn({ p_tenant: "switch-other", p_agent: "support", p_session_key: "sk-switch" }));

      await setEnabled("switch-co", "support", false);
      notEnabled(await rpcError("salient_begin_turn", turn({ p_tenant: "switch-co", p_agent: "support",
        p_session_key: "sk-switch" })), "switch-co", "support");
      notEnabled(await rpcError("salient_begin_turn", first), "switch-co", "support"); // a resubmission too
      notEnabled(await rpcError("salient_begin_turn", turn({ p_tenant: "switch-co", p_agent: "support",
        p_session_key: "sk-switch-new" })), "switch-co", "support");
      assert.equal(await storedFor("switch-co"), 1, "nothing stored");
      notEnabled(await rpcError("salient_claim_turn", { p_tenant: "switch-co", p_turn_id: pending.turn_id }),
        "switch-co", "support");
      const [{ claimed }] = await sql("select stream_claimed_at is not null as claimed from messages where id = $1",
        [pending.turn_id]);
      assert.equal(claimed, false, "a refused claim does not use the turn up");
      notEnabled(await rpcError("salient_session_history",
        { p_tenant: "switch-co", p_agent: "support", p_session_key: "sk-switch" }), "switch-co", "support");
      notEnabled(await rpcError("salient_list_sessions",
        { p_tenant: "switch-co", p_agent: "support", p_session_keys: ["sk-switch"] }), "switch-co", "support");
      // An unknown turn is still not_found, and bad arguments are still 22P02.
      assert.deepEqual(await rpc("salient_claim_turn", { p_tenant: "switch-co", p_turn_id: crypto.randomUUID() }),
        { status: "not_found" });
      assert.equal((await rpcError("salient_session_history",
        { p_tenant: "switch-co", p_agent: "support", p_session_key: "sk-switch", p_limit: 0 })).code, "22P02");

      // The tenant's other agents, and the same agent of another tenant, are unaffected.
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "switch-co", p_agent: "sales",
        p_session_key: "sk-switch-sales" }))).duplicate, false);
      assert.equal((await rpc("salient_claim_turn", { p_tenant: "switch-other", p_turn_id: theirs.turn_id })).status,
        "claimed");
      assert.equal((await rpc("salient_session_history",
        { p_tenant: "switch-other", p_agent: "support", p_session_key: "sk-switch" })).messages.length, 1);

      // Switched on again: the pending turn is claimed (once), new turns are stored.
      await setEnabled("switch-co", "support", true);
      const claim = await rpc("salient_claim_turn", { p_tenant: "switch-co", p_turn_id: pending.turn_id });
      assert.equal(claim.status, "claimed");
      assert.equal(claim.agent, "support");
      assert.deepEqual(await rpc("salient_claim_turn", { p_tenant: "switch-co", p_turn_id: pending.turn_id }),
        { status: "already_claimed" });
      assert.deepEqual(await rpc("salient_begin_turn", first), { ...pending, duplicate: true });
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "switch-co", p_agent: "support",
        p_session_key: "sk-switch" }))).duplicate, false);
      assert.equal((await rpc("salient_session_history",
        { p_tenant: "switch-co", p_agent: "support", p_session_key: "sk-switch" })).messages.length, 2);
      assert.equal((await rpc("salient_list_sessions",
        { p_tenant: "switch-co", p_agent: "support", p_session_keys: ["sk-switch"] })).sessions.length, 1);
    });

    test("sync_config's enabled: false switches the tenant's agent off, enabled: true on again", async () => {
      const agents = (support, sales = true) =>
        ({ sales: { persona: "sales", enabled: sales }, support: { persona: "support", enabled: support } });
      await sync(syncPersonas(), agents(false), "sales", "sync-switch-co");
      const support = turn({ p_tenant: "sync-switch-co", p_agent: "support", p_session_key: "sk-sync-switch" });
      notEnabled(await rpcError("salient_begin_turn", support), "sync-switch-co", "support");
      assert.equal(await storedFor("sync-switch-co"), 0);
      const sales = await rpc("salient_begin_turn",
        turn({ p_tenant: "sync-switch-co", p_agent: "sales", p_session_key: "sk-sync-sales" }));
      // An agent the config does not name has no row: enabled, as before 0006.
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "sync-switch-co", p_agent: "elsewhere",
        p_session_key: "sk-sync-elsewhere" }))).duplicate, false);
      // Another tenant's support agent is not switched off by this tenant's config.
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "sync-switch-other", p_agent: "support",
        p_session_key: "sk-sync-switch" }))).duplicate, false);

      await sync(syncPersonas(), agents(true), "sales", "sync-switch-co");
      assert.equal((await rpc("salient_begin_turn", support)).duplicate, false);
      // sales switched off after its turn was stored: the turn cannot be claimed until it is back.
      await sync(syncPersonas(), agents(true, false), "support", "sync-switch-co");
      notEnabled(await rpcError("salient_claim_turn", { p_tenant: "sync-switch-co", p_turn_id: sales.turn_id }),
        "sync-switch-co", "sales");
      await sync(syncPersonas(), agents(true, true), "sales", "sync-switch-co");
      assert.equal((await rpc("salient_claim_turn", { p_tenant: "sync-switch-co", p_turn_id: sales.turn_id })).status,
        "claimed");
    });

    test("session_history shows one session of one tenant and agent, oldest first", async () => {
      const turns = await conversation("sk-hist", ["a", "b", "c"]);
      await conversation("sk-hist", ["theirs"], { tenant: "globex" });
      await sql(`insert into messages (tenant_id, session_id, role, content) select tenant_id, id, 'system', 'note'
        from sessions where id = $1`, [turns[0].session_id]);
      const history = (over = {}) => rpc("salient_session_history",
        { p_tenant: "acme", p_agent: "sales", p_session_key: "sk-hist", ...over });
      const all = await history();
      assert.equal(all.session_key, "sk-hist");
      assert.equal(all.session_id, turns[0].session_id);
      assert.deepEqual(all.messages.map((m) => m.content), ["a", "re: a", "b", "re: b", "c", "re: c"]);
      assert.deepEqual({ ...all.messages[1], created_at: undefined }, { id: turns[0].answer_id, role: "assistant",
        content: "re: a", created_at: undefined, metadata: { mode: "llm" }, turn_id: turns[0].turn_id });
      assert.ok(!Number.isNaN(Date.parse(all.messages[1].created_at)));
      assert.deepEqual([all.messages[0].metadata, all.messages[0].turn_id], [{}, null]);
      assert.deepEqual((await history({ p_limit: 3 })).messages.map((m) => m.content), ["re: b", "c", "re: c"]);
      const theirs = await history({ p_tenant: "globex" });
      assert.deepEqual(theirs.messages.map((m) => m.content), ["theirs", "re: theirs"], "globex's own sk-hist only");

      const [{ sessions: before }] = await sql("select count(*)::int as sessions from sessions");
      const empty = (key, res) => assert.deepEqual(res, { session_key: key, session_id: null, messages: [] });
      empty("sk-nope", await history({ p_session_key: "sk-nope" }));
      empty("sk-hist", await history({ p_tenant: "initech" }));
      empty("sk-hist", await history({ p_agent: "support" }));
      const [{ sessions: after }] = await sql("select count(*)::int as sessions from sessions");
      assert.equal(after, before, "creates nothing");
      const [{ n }] = await sql("select count(*)::int as n from tenants where slug = 'initech'");
      assert.equal(n, 0);
      for (const bad of [0, 201, null]) assert.equal((await rpcError("salient_session_history",
        { p_tenant: "acme", p_agent: "sales", p_session_key: "sk-hist", p_limit: bad })).code, "22P02");
      for (const name of ["p_tenant", "p_agent", "p_session_key"]) {
        assert.equal((await rpcError("salient_session_history",
          { p_tenant: "acme", p_agent: "sales", p_session_key: "sk-hist", [name]: "" })).code, "22P02", name);
      }
    });

    test("list_sessions summarises the given keys, most recently active first", async () => {
      const long = `  Première\tligne\n\n  d'une ${"très ".repeat(20)}longue question  `;
      const [a] = await conversation("sk-list-a", [long, "second"]);
      await conversation("sk-list-b", ["short one"]);
      await conversation("sk-list-c", ["other tenant"], { tenant: "globex" });
      await conversation("sk-list-d", ["other agent"], { agent: "support" });
      await sql(`insert into messages (tenant_id, session_id, role, content) select tenant_id, id, 'system', 'note'
        from sessions where id = $1`, [a.session_id]);
      await sql(`update sessions set last_activity_at = timestamptz '2031-01-01 00:00:00+00' +
        (case session_key when 'sk-list-a' then interval '1 hour' else interval '2 hours' end)
        where session_key in ('sk-list-a', 'sk-list-b')`);
      const list = await rpc("salient_list_sessions", { p_tenant: "acme", p_agent: "sales",
        p_session_keys: ["sk-list-a", "sk-list-b", "sk-list-c", "sk-list-d", "nope", "sk-list-a"] });
      const collapsed = `Première ligne d'une ${"très ".repeat(20)}longue question`;
      assert.deepEqual(list.sessions.map(({ session_key, title, message_count }) => ({ session_key, title, message_count })), [
        { session_key: "sk-list-b", title: "short one", message_count: 2 },
        { session_key: "sk-list-a", title: `${collapsed.slice(0, 80)}…`, message_count: 4 },
      ]);
      assert.equal(Array.from(list.sessions[1].title).length, 81);
      assert.deepEqual(Object.keys(list.sessions[0]).sort(),
        ["created_at", "last_activity_at", "message_count", "session_key", "title"]);
      assert.equal(new Date(list.sessions[0].last_activity_at).toISOString(), "2031-01-01T02:00:00.000Z");
      assert.deepEqual(await rpc("salient_list_sessions", { p_tenant: "acme", p_agent: "sales", p_session_keys: [] }),
        { sessions: [] });
      assert.deepEqual(await rpc("salient_list_sessions", { p_tenant: "nobody-here", p_agent: "sales",
        p_session_keys: ["sk-list-a"] }), { sessions: [] });
      const keys51 = Array.from({ length: 51 }, (_, i) => `k${i}`);
      assert.equal((await rpcError("salient_list_sessions", { p_tenant: "acme", p_agent: "sales", p_session_keys: keys51 })).code,
        "22P02");
      assert.equal((await rpcError("salient_list_sessions", { p_tenant: "acme", p_agent: "sales", p_session_keys: null })).code,
        "22P02");
      assert.equal((await rpc("salient_list_sessions", { p_tenant: "acme", p_agent: "sales",
        p_session_keys: keys51.slice(1) })).sessions.length, 0, "50 keys are fine");
    });

    test("execute grants: anon may call no salient_* function, authenticated may", async () => {
      // Supabase's roles, and its default privileges that let anon execute new functions.
      await db.adapter.exec(`do $$ begin
          if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin; end if;
          if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
        end $$;
        grant usage on schema public to anon, authenticated;
        grant select, insert, update on all tables in schema public to anon, authenticated;
        grant execute on all functions in schema public to anon;`);
      const [file] = (await migrationFiles()).filter((f) => f.name === "0003_history_and_context.sql");
      await db.adapter.exec(file.sql);
      const grants = await sql(`select p.oid::regprocedure::text as fn,
          has_function_privilege('anon', p.oid, 'execute') as anon,
          has_function_privilege('authenticated', p.oid, 'execute') as authenticated,
          coalesce(p.proacl::text, '') like '%{=%' or coalesce(p.proacl::text, '') like '%,=%' as public
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema() and p.proname like 'salient\\_%'`);
      assert.ok(grants.length >= 10);
      assert.deepEqual(grants.filter((g) => g.anon || g.public || !g.authenticated), [],
        "no salient_* function is executable by anon or PUBLIC; all are by authenticated");

      const { turn_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-grants" }));
      const as = async (role, fn) => {
        await db.adapter.exec("begin");
        try {
          await sql("select set_config('salient.tenant', 'acme', true)");
          await db.adapter.exec(`set local role ${role}`);
          return await fn();
        } catch (err) {
          return err;
        } finally {
          await db.adapter.exec("rollback");
        }
      };
      const refused = await as("anon", () => rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id }));
      assert.equal(refused.code, "42501", "permission denied (PostgREST: 401 for anon)");
      const history = await as("anon", () => rpc("salient_session_history",
        { p_tenant: "acme", p_agent: "sales", p_session_key: "sk-grants" }));
      assert.equal(history.code, "42501");
      const allowed = await as("authenticated", () => rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id }));
      assert.equal(allowed.status, "claimed", String(allowed.message ?? ""));
    });

    test("execute grants: 0005 ends with salient_grant_execute(), so anon may not call salient_sync_config", async () => {
      // Supabase's default privileges again (roles made by the test above), then 0005 alone.
      await db.adapter.exec("grant execute on all functions in schema public to anon, public");
      const [file] = (await migrationFiles()).filter((f) => f.name === "0005_sync_personas.sql");
      await db.adapter.exec(file.sql);
      const [grant] = await sql(`select has_function_privilege('anon', 'salient_sync_config(text,jsonb,jsonb,text)', 'execute') as anon,
          has_function_privilege('authenticated', 'salient_sync_config(text,jsonb,jsonb,text)', 'execute') as authenticated`);
      assert.deepEqual(grant, { anon: false, authenticated: true });
      const open = await sql(`select p.oid::regprocedure::text as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema() and p.proname like 'salient\\_%' and has_function_privilege('anon', p.oid, 'execute')`);
      assert.deepEqual(open, []);
      await db.adapter.exec("begin");
      try {
        await db.adapter.exec("set local role anon");
        const err = await rpcError("salient_sync_config", { p_tenant: "anon-co", p_personas: {}, p_agents: {} });
        assert.equal(err.code, "42501");
      } finally {
        await db.adapter.exec("rollback");
      }
    });
  });
}
