// A tenant's per-agent switch (tenant_agents.is_enabled, docs/DATABASE.md) end to end, through
// the Node dev server and the built modules: the agent is enabled in the config, then switched
// off in the store the way an operator does it (salient_sync_config with `enabled: false`, what
// `db/migrate.mjs --sync-config` runs), and the visitor's chat, stream and history answer 404
// saying so, storing nothing; switched on again, everything works, the pending turn included.
// The same cases on the dev server's two embedded stores, PGlite in memory and on disk.
//
//   node --test tests/e2e/agent-enablement.test.mjs      (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { configSyncArgs } from "../../db/migrate.mjs";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { startServer } from "../../hosts/node-dev/server.js";
import { parseSse } from "../support/sse.mjs";
import { REPO } from "../support/workerd.mjs";

const SECRET = "agent-enablement-stream-secret-0123456789";
const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
const AGENT = config.app.default_agent; // "sales": enabled in the config
const NOT_ENABLED = "this assistant is not enabled here";

const stores = {
  memory: async () => {
    const state = await pgliteBackend(); // in memory
    return { state, cleanup: () => state.close() };
  },
  PGlite: async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), "salient-agent-switch-"));
    return { dataDir: path.join(tmp, "db"), cleanup: () => rm(tmp, { recursive: true, force: true }) };
  },
};

for (const [storeName, openStore] of Object.entries(stores)) {
  describe(`agent enablement on node-dev with the ${storeName} store`, () => {
    let server, store;
    const url = (p) => server.url + p;
    before(async () => {
      assert.equal(config.agents[AGENT].enabled, true, "the test needs the agent enabled in the config");
      store = await openStore();
      server = await startServer({ port: 0, host: "127.0.0.1", env: { SALIENT_STREAM_SECRET: SECRET },
        log: () => {}, ...(store.state && { state: store.state }), ...(store.dataDir && { dataDir: store.dataDir }) });
    });
    after(async () => {
      await server?.close();
      await store?.cleanup();
    });

    // The operator's switch: the compiled config's sync with this agent's `enabled` changed.
    async function setEnabled(enabled) {
      const args = configSyncArgs(config);
      args.p_agents[AGENT] = { ...args.p_agents[AGENT], enabled };
      const res = await server.state.call("salient_sync_config", args);
      assert.equal(res.status, 200);
    }
    const storedMessages = async () => (await server.state.dump()).messages.length;
    const newKeys = () => ({ session_key: crypto.randomUUID(), idempotency_key: crypto.randomUUID() });

    const postJson = (route, body) => fetch(url(`/a/${AGENT}/${route}`), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    });
    const postForm = (fields) => fetch(url(`/a/${AGENT}/chat`), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "hx-request": "true" },
      body: new URLSearchParams(fields),
    });
    async function stream(streamUrl) {
      const res = await fetch(url(streamUrl), { headers: { accept: "text/event-stream" } });
      return { status: res.status, events: parseSse(await res.text()) };
    }
    async function assertNotEnabled(res) {
      assert.equal(res.status, 404, await res.clone().text());
      assert.match(res.headers.get("content-type"), /^application\/json/);
      assert.deepEqual(await res.json(), { error: { code: "not_found", message: NOT_ENABLED } });
    }

    test("switched off in the store: chat, stream and history are 404s that say so; nothing is stored", async () => {
      // While enabled: a turn is stored but not streamed yet, and a conversation is there to read.
      const keys = newKeys();
      const res = await postJson("chat", { message: "hello", ...keys });
      assert.equal(res.status, 200, await res.clone().text());
      const pending = await res.json();
      const stored = await storedMessages();

      await setEnabled(false);
      try {
        await assertNotEnabled(await postJson("chat", { message: "are you there?", ...newKeys() }));
        await assertNotEnabled(await postJson("chat", { message: "hello", ...keys })); // a resubmission too
        const form = await postForm({ message: "are you there?", ...newKeys() });
        assert.equal(form.status, 404);
        const html = await form.text();
        assert.match(html, /class="msg error"/);
        assert.ok(html.includes(NOT_ENABLED), html);
        assert.doesNotMatch(html, /tenant/, "the database's message stays out of the page");
        assert.equal(await storedMessages(), stored, "nothing stored");

        // The turn stored before the switch cannot be streamed now, and is not used up.
        const refused = await stream(pending.stream_url);
        assert.equal(refused.status, 404);
        assert.equal(refused.events.length, 1);
        assert.equal(refused.events[0].event, "error");
        assert.deepEqual(JSON.parse(refused.events[0].data), { code: "not_found", message: NOT_ENABLED, retryable: false });

        await assertNotEnabled(await postJson("history", { session_key: keys.session_key }));
        await assertNotEnabled(await postJson("sessions", { session_keys: keys.session_key }));
        assert.equal(await storedMessages(), stored, "still nothing stored");
      } finally {
        await setEnabled(true);
      }

      // Switched on again: the pending turn streams its answer, and new messages are taken.
      const answered = await stream(pending.stream_url);
      assert.equal(answered.status, 200);
      assert.equal(answered.events.at(-1).event, "done");
      const history = await postJson("history", { session_key: keys.session_key });
      assert.equal(history.status, 200);
      assert.equal((await history.json()).messages.length, 2, "the message and its answer");
      const again = await postJson("chat", { message: "still there?", ...newKeys() });
      assert.equal(again.status, 200, await again.clone().text());
    });
  });
}
