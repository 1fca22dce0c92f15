// db/migrate.mjs on PGlite and on a real PostgreSQL 15 server (tests/db/backends.mjs), each with
// Supabase's roles and default privileges: the schema migrations once, the function files
// whenever they change, the execute grants after every change, a database made by the
// migration files before they were squashed refused with what to do, and the command line.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import {
  FUNCTIONS_DIR, functionFiles, migrate, MIGRATIONS_DIR, migrationFiles, StaleDatabaseError,
} from "../../db/migrate.mjs";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { backends, client, pgSkip } from "./backends.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);
if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

// The command's second run also syncs the compiled config; PERSONAS_SQL shows the result.
const compiledPath = path.join(root, "build", "salient.json");
const compiled = JSON.parse(readFileSync(compiledPath, "utf8"));
const SYNC_ARGS = ["--sync-config", compiledPath];
const PERSONAS_SQL = `select t.slug as tenant, p.code, p.system_prompt, p.is_default from personas p
  join tenants t on t.id = p.tenant_id order by p.code`;
// What db/migrate.mjs recorded in a database made by the migration files before the squash.
const OLD_FILES = ["0001_schema.sql", "0002_turn_rpcs.sql", "0009_identify.sql"];
const makeOld = (adapter) => adapter.exec(`create table if not exists salient_migrations (name text primary key,
  checksum text not null, applied_at timestamptz not null default now());
  insert into salient_migrations (name, checksum) values ${OLD_FILES.map((n) => `('${n}', 'x')`).join(", ")}`);
const STALE = new RegExp(`this database was made by migration files that no longer exist \\(${OLD_FILES.join(", ")
  .replaceAll(".", "\\.")}\\).*Drop the database and create it again.*delete \\.salient/db`, "s");

async function migrateCli(args) {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(root, "db/migrate.mjs"), ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Every `create or replace function NAME(` in the files of `dirs`: name → [file, ...]. */
async function definitions(...dirs) {
  const found = new Map();
  for (const dir of dirs) {
    for (const file of await migrationFiles(dir)) {
      for (const [, name] of file.sql.matchAll(/create or replace function (\w+)\s*\(/g)) {
        found.set(name, [...(found.get(name) ?? []), `${path.basename(dir)}/${file.name}`]);
      }
    }
  }
  return found;
}

for (const backend of backends()) {
  describe(`migrate on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, sql;
    before(async () => {
      db = await backend.open({ migrated: false });
      ({ sql } = client(db.adapter));
      console.log(`# ${backend.name}: started in ${db.startMs} ms`);
    });
    after(() => db?.close());

    const functions = () => sql(`select p.oid::regprocedure::text as fn, md5(pg_get_functiondef(p.oid)) as def,
        coalesce(p.proacl::text, '') as acl,
        has_function_privilege('anon', p.oid, 'execute') as anon,
        has_function_privilege('authenticated', p.oid, 'execute') as authenticated,
        has_function_privilege('service_role', p.oid, 'execute') as service_role,
        coalesce(p.proacl::text, '') ~ '(^|[{,])=' as public
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = current_schema() and p.proname like 'salient\\_%' order by 1`);
    const recorded = async (table) => Object.fromEntries((await sql(`select name, checksum from ${table}`))
      .map((r) => [r.name, r.checksum]));

    // First, while the database is new: nothing of the current files has been applied to it.
    test("a database made by the migration files before the squash is refused, saying what to do", async () => {
      await makeOld(db.adapter);
      const err = await migrate(db.adapter).catch((e) => e);
      assert.ok(err instanceof StaleDatabaseError, String(err));
      assert.match(err.message, STALE);
      const made = await sql(`select tablename from pg_tables where schemaname = 'public' order by 1`);
      assert.deepEqual(made.map((r) => r.tablename), ["salient_migrations"], "nothing was applied");
      await db.adapter.exec("drop table salient_migrations"); // a new database again, for the next tests
    });

    test("the schema, then the functions; again, nothing; pasted again by hand, nothing changes", async () => {
      const migrations = (await migrationFiles()).map((f) => f.name);
      const files = (await functionFiles()).map((f) => f.name);
      assert.deepEqual(migrations, ["0001_baseline.sql", "0002_verified_email.sql", "0003_summaries.sql",
        "0004_handoffs.sql", "0005_rate_limits.sql", "0006_admin.sql"]);
      const first = await migrate(db.adapter);
      assert.deepEqual(first, { applied: migrations, skipped: [], functions: { applied: files, skipped: [] } });
      const second = await migrate(db.adapter);
      assert.deepEqual(second, { applied: [], skipped: migrations, functions: { applied: [], skipped: files } });
      assert.deepEqual(Object.keys(await recorded("salient_migrations")), migrations);
      assert.deepEqual(Object.keys(await recorded("salient_functions")).sort(), files);

      // Pasted again (e.g. into Supabase's SQL editor): no error, nothing duplicated, every
      // function (definition and grants) as it was, and one signature per RPC.
      const before = await functions();
      for (const file of [...await migrationFiles(), ...await functionFiles()]) await db.adapter.exec(file.sql);
      assert.deepEqual(await functions(), before);
      const rpcs = before.map((f) => f.fn)
        .filter((f) => /^salient_(begin|claim|finish)_turn|^salient_(session_history|list_sessions|sync_config|attach_retrieval|turn_answer|identify|rate_check|email_queue|email_result|otp_issue|otp_verify|summary_claim|summary_store|summary_transcript|handoff_start|handoff_request|handoff_lookup|handoff_reply|inbound_token_take|session_updates|handoff_due|handoff_forwarded|handoff_notified|admin_conversations|admin_conversation|admin_leads|admin_lead_update|admin_erase|admin_daily|admin_metrics|log_append|admin_warnings)\(/.test(f));
      assert.deepEqual(rpcs, [
        "salient_admin_conversation(text,uuid)",
        "salient_admin_conversations(text,text,text,bigint,integer)",
        "salient_admin_daily(text,integer,bigint)",
        "salient_admin_erase(text,text,text,bigint,text)",
        "salient_admin_lead_update(text,uuid,text,text,text,bigint)",
        "salient_admin_leads(text,text,integer)",
        "salient_admin_metrics(text,bigint)",
        "salient_admin_warnings(text,integer)",
        "salient_attach_retrieval(text,uuid,jsonb)",
        "salient_begin_turn(text,text,text,text,uuid,text,jsonb)",
        "salient_claim_turn(text,uuid,integer,text)",
        "salient_email_queue(text,uuid,text,text,text,text,text,uuid,uuid,uuid)",
        "salient_email_result(text,uuid,text,text,jsonb,bigint)",
        "salient_finish_turn(text,uuid,uuid,text,jsonb,jsonb)",
        "salient_handoff_due(text,bigint,integer,integer,integer,integer)",
        "salient_handoff_forwarded(text,uuid,timestamp with time zone)",
        "salient_handoff_lookup(text,text,bigint)",
        "salient_handoff_notified(text,uuid,timestamp with time zone)",
        "salient_handoff_reply(text,text,text,text,text,text,bigint,integer)",
        "salient_handoff_request(text,uuid,text,bigint,integer,integer,integer,jsonb)",
        "salient_handoff_start(text,text,text,text,text,bigint,integer,integer,integer,integer,jsonb)",
        "salient_identify(text,text,text,text,text)",
        "salient_inbound_token_take(text,text,text,bigint)",
        "salient_list_sessions(text,text,text[])",
        "salient_log_append(text,jsonb)",
        "salient_otp_issue(text,text,text,text,text,text,text,text,bigint,integer,integer,jsonb)",
        "salient_otp_verify(text,text,text,text,text,text,text,bigint,text)",
        "salient_rate_check(text,text,text,integer,integer,bigint,boolean)",
        "salient_session_history(text,text,text,integer)",
        "salient_session_updates(text,text,text,timestamp with time zone,boolean,bigint)",
        "salient_summary_claim(text,text,text,bigint,integer,integer,integer,integer,jsonb)",
        "salient_summary_store(text,uuid,uuid,text,text,text,text,jsonb,timestamp with time zone,integer,bigint,integer,integer,jsonb)",
        "salient_summary_transcript(text,uuid,bigint)",
        "salient_sync_config(text,jsonb,jsonb,text)",
        "salient_turn_answer(text,uuid)",
      ]);

      const tables = (await sql(`select tablename from pg_tables where schemaname = 'public' order by 1`))
        .map((r) => r.tablename);
      for (const t of ["tenants", "sessions", "messages", "conversation_summaries", "profiles", "llm_requests",
        "personas", "email_events", "otp_links", "agents", "tenant_agents", "salient_migrations", "salient_functions",
        "rate_hits", "consents", "erasures", "handoffs", "inbound_tokens", "leads", "log_events"]) {
        assert.ok(tables.includes(t), `table ${t} exists`);
      }
      const noRls = await sql(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`);
      assert.deepEqual(noRls, [], "row-level security is on for every table, the bookkeeping too");
      const indexes = (await sql(`select indexdef from pg_indexes where schemaname = 'public'`)).map((r) => r.indexdef);
      for (const cols of ["sessions USING btree (tenant_id, email)", "messages USING btree (session_id, created_at)",
        "llm_requests USING btree (session_id, created_at)", "messages USING btree (session_id, idempotency_key)",
        "llm_requests USING btree (tenant_id, created_at)", "llm_requests USING btree (message_id)",
        "llm_requests USING btree (tenant_id, ip_key, created_at)", "leads USING btree (tenant_id, session_id)",
        "log_events USING btree (tenant_id, ts, id)", "sessions USING btree (tenant_id, created_at)"]) {
        assert.ok(indexes.some((d) => d.includes(`public.${cols}`)), `index on ${cols}`);
      }
    });

    test("each function is defined once, in db/functions (the policies' two in the baseline)", async () => {
      const defined = await definitions(MIGRATIONS_DIR, FUNCTIONS_DIR);
      for (const [name, files] of defined) assert.equal(files.length, 1, `${name} is defined in ${files.join(", ")}`);
      const inMigrations = [...defined].filter(([, [file]]) => file.startsWith("migrations/")).map(([name]) => name);
      assert.deepEqual(inMigrations.sort(), ["salient_current_tenant", "salient_current_tenant_id"],
        "migrations hold schema changes only");
      const inDatabase = (await functions()).map((f) => f.fn.replace(/\(.*/, ""));
      assert.deepEqual([...new Set(inDatabase)].sort(), [...defined.keys()].sort(), "and nothing else is in the database");
    });

    test("execute grants: anon and PUBLIC may call no salient_* function, authenticated and service_role all", async () => {
      // Supabase's default privileges granted anon every function as it was created (backends.mjs).
      const grants = await functions();
      assert.ok(grants.length >= 20);
      assert.deepEqual(grants.filter((g) => g.anon || g.public || !g.authenticated || !g.service_role).map((g) => g.fn), []);
    });

    test("a function file that changed is applied again, with the grants; a new one too; a failing one not at all", async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "salient-functions-"));
      try {
        await cp(FUNCTIONS_DIR, dir, { recursive: true });
        await appendFile(path.join(dir, "history.sql"), "\n-- changed\n");
        await writeFile(path.join(dir, "extra.sql"),
          "create or replace function salient_probe_extra() returns integer language sql as $$ select 7 $$;\n");
        const before = await recorded("salient_functions");
        const result = await migrate(db.adapter, { functionsDir: dir });
        assert.deepEqual(result.applied, []);
        assert.deepEqual(result.functions.applied, ["extra.sql", "history.sql"]);
        const after = await recorded("salient_functions");
        assert.notEqual(after["history.sql"], before["history.sql"]);
        assert.equal(after["turns.sql"], before["turns.sql"]);
        const [extra] = (await functions()).filter((f) => f.fn === "salient_probe_extra()");
        assert.deepEqual([extra.anon, extra.public, extra.authenticated, extra.service_role], [false, false, true, true],
          "the new function got the grants in its own transaction");
        assert.deepEqual((await migrate(db.adapter, { functionsDir: dir })).functions.applied, []);

        // A file that fails leaves nothing behind: not its function, not its record.
        await writeFile(path.join(dir, "broken.sql"), `create or replace function salient_probe_broken() returns integer
          language sql as $$ select 1 $$;
          select no_such_function();`);
        await assert.rejects(migrate(db.adapter, { functionsDir: dir }), /function file broken\.sql failed: .*no_such_function/);
        assert.equal((await functions()).filter((f) => f.fn === "salient_probe_broken()").length, 0);
        assert.equal((await recorded("salient_functions"))["broken.sql"], undefined);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      // Back to the repository's files: history.sql again (its content differs from the copy's).
      assert.deepEqual((await migrate(db.adapter)).functions.applied, ["history.sql"]);
      await db.adapter.exec("drop function salient_probe_extra(); delete from salient_functions where name = 'extra.sql'");
    });

    test("a migration that changed after it was applied is an error", async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "salient-migrations-"));
      try {
        await cp(MIGRATIONS_DIR, dir, { recursive: true });
        await appendFile(path.join(dir, "0001_baseline.sql"), "\n-- changed\n");
        await assert.rejects(migrate(db.adapter, { dir }),
          /migration 0001_baseline\.sql changed after it was applied; put the change in a new file/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

  });
}

// The command line, on a new database of each kind: applies, then nothing to do; syncs the
// compiled config; refuses a database made by the old files with exit code 1.
const cli = {
  async PGlite() {
    const dir = await mkdtemp(path.join(os.tmpdir(), "salient-pglite-"));
    const data = path.join(dir, "db");
    return {
      args: ["--pglite", data],
      async queryThenExec(query, exec) {
        const db = await PGlite.create(data);
        try {
          const { rows } = await db.query(query);
          await db.exec(exec);
          return rows;
        } finally {
          await db.close();
        }
      },
      async also() {
        // The dev server's store on that folder says the same, and releases the folder.
        await assert.rejects(pgliteBackend({ dataDir: data }), (err) => {
          assert.match(err.message, new RegExp(`^PGlite at ${data.replaceAll("/", "\\/")}: `));
          assert.match(err.message, STALE);
          return true;
        });
        assert.equal(await readFile(`${data}.lock`).catch((e) => e.code), "ENOENT");
      },
      close: () => rm(dir, { recursive: true, force: true }),
    };
  },
  async "PostgreSQL 15"() {
    const [pgBackend] = backends().filter((b) => b.name === "PostgreSQL 15");
    const db = await pgBackend.open({ migrated: false });
    const { name } = await db.fresh();
    const { server } = db;
    const connect = async (fn) => {
      const c = new pg.Client({ host: server.host, port: server.port, user: server.user, database: name });
      await c.connect();
      try { return await fn(c); } finally { await c.end(); }
    };
    return {
      args: ["--url", server.host, "--port", String(server.port), "--user", server.user, "--database", name],
      queryThenExec: (query, exec) => connect(async (c) => {
        const { rows } = await c.query(query);
        await c.query(exec);
        return rows;
      }),
      async also() {},
      close: () => db.close(),
    };
  },
};

for (const [name, open] of Object.entries(cli)) {
  const skip = name === "PostgreSQL 15" ? pgSkip : null;
  test(`the migrate command on ${name}: applies, then nothing to do; --sync-config; an old database is refused`,
    { skip: skip ?? false }, async () => {
      const target = await open();
      try {
        const first = await migrateCli(target.args);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /applied 0001_baseline\.sql\n/);
        assert.match(first.stdout, /applied functions\/turns\.sql\n/);
        const files = (await functionFiles()).length;
        assert.match(first.stdout, /applied 0002_verified_email\.sql\n/);
        assert.match(first.stdout, new RegExp(`6 migrations applied \\(0 already\\), ${files} function files applied \\(0 unchanged\\)`));
        assert.doesNotMatch(first.stdout, /synced/);
        const second = await migrateCli([...target.args, ...SYNC_ARGS]);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, new RegExp(`nothing to do \\(6 migrations and ${files} function files already applied\\)`));
        const { app } = compiled;
        const counts = [Object.keys(compiled.personas).length, Object.keys(compiled.agents).length];
        assert.match(second.stdout, new RegExp(`synced .*salient\\.json: ${counts[0]} personas, ${counts[1]} agents for tenant ${app.tenant}`));
        // What the sync wrote; then the database is made to look like one made by the old files.
        const personas = await target.queryThenExec(PERSONAS_SQL, `insert into salient_migrations (name, checksum) values
          ${OLD_FILES.map((n) => `('${n}', 'x')`).join(", ")}`);
        assert.deepEqual(personas, Object.keys(compiled.personas).sort().map((code) => ({
          tenant: app.tenant, code, system_prompt: compiled.personas[code].system_prompt,
          is_default: code === compiled.agents[app.default_agent].persona,
        })));
        const old = await migrateCli(target.args);
        assert.equal(old.code, 1);
        assert.match(old.stderr, /^migrate: /);
        assert.match(old.stderr, STALE);
        await target.also();
      } finally {
        await target.close();
      }
    });
}
