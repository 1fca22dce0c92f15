// The dev server's default state store, PGlite on a data folder (hosts/node-dev/pglite-state.js):
// a chat survives stopping and restarting the server, and survives the server being killed
// mid-stream; its /rest/v1/rpc/* answers PostgREST's errors. The tests run in order on one temp
// data folder (creating one costs PGlite seconds; reopening it, well under one).
//
//   node --test tests/hosts/node-dev-pglite.test.mjs      (after ./scripts/build)

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { functionFiles, migrationFiles } from "../../db/migrate.mjs";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { startServer } from "../../hosts/node-dev/server.js";
import { parseSse } from "../support/sse.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SECRET = "pglite-test-stream-secret-0123456789abcdef";
const env = { SALIENT_STREAM_SECRET: SECRET };

let tmp, dataDir;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "salient-pglite-dev-"));
  dataDir = path.join(tmp, "state", "db"); // the parent folder does not exist yet
});
after(() => rm(tmp, { recursive: true, force: true }));

async function start(dataDir, { config } = {}) {
  const started = performance.now();
  const server = await startServer({ port: 0, env, dataDir, log: () => {}, ...(config && { config }) });
  console.log(`dev server on PGlite started in ${Math.round(performance.now() - started)} ms ` +
    `(PGlite open + migrations ${server.state.openMs} ms, applied ${server.state.migrated.applied.length})`);
  return server;
}

async function chat(base, body) {
  const res = await fetch(`${base}/a/sales/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

async function rpc(base, fn, args) {
  const res = await fetch(`${base}/rest/v1/rpc/${fn}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(args),
  });
  return { status: res.status, body: await res.json() };
}

test("a conversation survives stopping and restarting the dev server", async () => {
  const keys = { session_key: crypto.randomUUID(), idempotency_key: crypto.randomUUID() };

  const first = await start(dataDir);
  let turn, answer;
  try {
    assert.deepEqual(first.state.migrated.applied, (await migrationFiles()).map((f) => f.name),
      "a new folder gets every migration");
    assert.deepEqual(first.state.migrated.functions.applied, (await functionFiles()).map((f) => f.name),
      "and every function file");
    assert.match(first.stateDescription, /^state: PGlite at .*db \(conversations survive restarts\)$/);
    turn = await chat(first.url, { message: "What are your opening hours?", ...keys });
    assert.equal(turn.duplicate, false);
    const res = await fetch(`${first.url}${turn.stream_url}`, { headers: { accept: "text/event-stream" } });
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    assert.equal(events.at(-1).event, "done");
    answer = events.filter((e) => e.event === "token").map((e) => JSON.parse(e.data).text).join("");
    assert.ok(answer.trim().length > 0);
  } finally {
    await first.close();
  }
  assert.ok(!existsSync(`${dataDir}.lock`), "close() releases the folder");

  const second = await start(dataDir);
  try {
    assert.deepEqual(second.state.migrated.applied, [], "migrations are applied once");
    assert.deepEqual(second.state.migrated.functions.applied, [], "unchanged function files are not applied again");
    const { messages } = await second.state.dump();
    const stored = new Map(messages);
    const user = stored.get(turn.message_id);
    assert.ok(user, "the user message is still stored");
    assert.equal(user.role, "user");
    assert.equal(user.content, "What are your opening hours?");
    assert.equal(user.claimed, true);
    const reply = [...stored.values()].find((m) => m.role === "assistant" && m.turn_id === turn.message_id);
    assert.ok(reply, "the assistant answer is still stored");
    assert.equal(reply.content, answer);

    const again = await chat(second.url, { message: "What are your opening hours?", ...keys });
    assert.equal(again.message_id, turn.message_id);
    assert.equal(again.duplicate, true);
    assert.equal((await second.state.dump()).messages.length, messages.length, "nothing stored twice");
  } finally {
    await second.close();
  }
});

test("the embedded RPC endpoint answers PostgREST's errors", async () => {
  const server = await start(dataDir);
  try {
    const unknown = await rpc(server.url, "salient_nope", { p_x: 1 });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, "PGRST202");
    assert.deepEqual(Object.keys(unknown.body).sort(), ["code", "details", "hint", "message"]);
    const helper = await rpc(server.url, "salient_tenant_id", { p_slug: "t", p_create: true });
    assert.equal(helper.status, 404, "internal helper functions are not exposed");
    const wrongArgs = await rpc(server.url, "salient_claim_turn", { p_tenant: "t", p_nope: "x" });
    assert.equal(wrongArgs.status, 404);
    assert.equal(wrongArgs.body.code, "PGRST202");

    const badId = await rpc(server.url, "salient_claim_turn", { p_tenant: "t", p_turn_id: "not-a-uuid" });
    assert.equal(badId.status, 400);
    assert.equal(badId.body.code, "22P02");
    const empty = await rpc(server.url, "salient_claim_turn", { p_tenant: "", p_turn_id: crypto.randomUUID() });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.code, "22P02");

    const id = crypto.randomUUID();
    const begin = await rpc(server.url, "salient_begin_turn", {
      p_tenant: "t", p_agent: "sales", p_session_key: "s", p_idempotency_key: "k", p_message_id: id, p_content: "hi",
    });
    assert.equal(begin.status, 200);
    assert.equal(begin.body.turn_id, id);
    const reused = await rpc(server.url, "salient_finish_turn", {
      p_tenant: "t", p_turn_id: id, p_message_id: id, p_content: "x", p_metadata: {},
    });
    assert.equal(reused.status, 409);
    assert.equal(reused.body.code, "23505");
    assert.match(reused.body.details, /already exists/);
    // PT404: PostgREST answers a "PTxyz" SQLSTATE with status xyz.
    const unknownTurn = await rpc(server.url, "salient_finish_turn", {
      p_tenant: "t", p_turn_id: crypto.randomUUID(), p_message_id: crypto.randomUUID(), p_content: "x",
    });
    assert.equal(unknownTurn.status, 404);
    assert.equal(unknownTurn.body.code, "PT404");
    const claimed = await rpc(server.url, "salient_claim_turn", { p_tenant: "t", p_turn_id: id });
    assert.deepEqual(claimed, { status: 200, body: { status: "claimed", message: "hi", session_id: begin.body.session_id,
      agent: "sales", history: [], persona: null, profile: null, month_cost_usd: 0, retrieval: null, handoff: null } });
    // A JSON array for a text[] argument.
    const listed = await rpc(server.url, "salient_list_sessions", { p_tenant: "t", p_agent: "sales", p_session_keys: ["s", "x"] });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.sessions.map((s) => [s.session_key, s.title, s.message_count]), [["s", "hi", 1]]);
    const history = await rpc(server.url, "salient_session_history", { p_tenant: "t", p_agent: "sales", p_session_key: "s" });
    assert.deepEqual(history.body.messages.map((m) => m.content), ["hi"]);
  } finally {
    await server.close();
  }
});

test("the compiled config's personas are synced at start; a changed config updates them at restart", async () => {
  const compiled = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  const { tenant, default_agent: agent } = compiled.app;
  const code = compiled.agents[agent].persona;
  const agents = Object.keys(compiled.agents).length;
  const claimPersona = async (server) => {
    const begun = await rpc(server.url, "salient_begin_turn", { p_tenant: tenant, p_agent: agent,
      p_session_key: crypto.randomUUID(), p_idempotency_key: "k", p_message_id: crypto.randomUUID(), p_content: "hi" });
    return (await rpc(server.url, "salient_claim_turn", { p_tenant: tenant, p_turn_id: begun.body.turn_id })).body.persona;
  };
  const server = await start(dataDir);
  try {
    assert.equal(server.syncDescription, `personas: ${Object.keys(compiled.personas).length} from the compiled config ` +
      `synced into tenant ${tenant} (${agents} agent${agents === 1 ? "" : "s"}; default persona: ${code})`);
    const persona = await claimPersona(server);
    assert.equal(persona.code, code);
    assert.equal(persona.name, compiled.personas[code].name);
    assert.equal(persona.system_prompt, compiled.personas[code].system_prompt);
  } finally {
    await server.close();
  }
  // salient.yaml edited and rebuilt: the next start writes the new prompt.
  const edited = structuredClone(compiled);
  edited.personas[code].system_prompt = "You are the edited assistant of {{app_name}}.";
  const restarted = await start(dataDir, { config: edited });
  try {
    assert.equal((await claimPersona(restarted)).system_prompt, "You are the edited assistant of {{app_name}}.");
  } finally {
    await restarted.close();
  }
  // And back (the later tests run with build/salient.json).
  await (await start(dataDir)).close();
});

test("one process per data folder; SALIENT_STATE picks the store", async () => {
  const server = await start(dataDir);
  try {
    await assert.rejects(pgliteBackend({ dataDir }), /in use by process \d+/);
  } finally {
    await server.close();
  }
  const memory = await startServer({ port: 0, env: { ...env, SALIENT_STATE: "memory" }, dataDir, log: () => {} });
  try {
    assert.match(memory.stateDescription, /^state: PGlite in memory /);
    assert.equal(memory.state.dataDir, null, "no data folder");
    assert.equal((await memory.state.dump()).messages.length, 0);
  } finally {
    await memory.close();
  }
  await assert.rejects(startServer({ port: 0, env: { ...env, SALIENT_STATE: "redis" }, dataDir, log: () => {} }),
    /SALIENT_STATE must be/);
});

test("a dev server killed mid-stream loses no stored message", async () => {
  // The server in a child process, so that it can be SIGKILLed.
  const child = spawn(process.execPath, ["--input-type=module", "-e", `
    import { startServer } from ${JSON.stringify(path.join(REPO, "hosts/node-dev/server.js"))};
    const server = await startServer({ port: 0, env: ${JSON.stringify(env)}, dataDir: ${JSON.stringify(dataDir)},
      log: () => {} });
    console.log("URL " + server.url);
  `], { stdio: ["ignore", "pipe", "inherit"] });
  let turn;
  try {
    const url = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (chunk) => {
        out += chunk;
        const m = /URL (\S+)\n/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once("exit", (code) => reject(new Error(`the server exited (${code}) before listening`)));
    });
    turn = await chat(url, { message: "hello", session_key: crypto.randomUUID(), idempotency_key: crypto.randomUUID() });
    const res = await fetch(`${url}${turn.stream_url}`);
    const reader = res.body.getReader();
    await reader.read(); // the first bytes of the answer
    child.kill("SIGKILL");
    await reader.read().catch(() => {});
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }
  assert.ok(existsSync(`${dataDir}.lock`), "the killed server left its lock behind");

  const backend = await pgliteBackend({ dataDir }); // takes over the dead process's lock
  try {
    const stored = new Map((await backend.dump()).messages);
    assert.equal(stored.get(turn.message_id)?.content, "hello", "the user message survived the kill");
    const claim = await backend.call("salient_claim_turn", { p_tenant: stored.get(turn.message_id).tenant, p_turn_id: turn.message_id });
    assert.equal(claim.body.status, "already_claimed");
  } finally {
    await backend.close();
  }
});
