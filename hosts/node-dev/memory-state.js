// The in-memory state store: the chat-turn RPCs of db/migrations/0002 implemented with Maps, for
// tests, benchmarks and `SALIENT_STATE=memory` (nothing survives the process). The dev server's
// default is the PGlite backend (pglite-state.js), which runs the real SQL.
//
//   rpcHandler(backend)  — HTTP and PostgREST error shapes, for any backend (postgrest.js)
//   memoryBackend()      — `call(fn, args)` → { status, body } implemented with Maps
// A backend answers `null` for an unknown function and throws RpcError for bad arguments.

import http from "node:http";
import { sendResponse, toRequest } from "./http.js";
import { RpcError, rpcHandler } from "./postgrest.js";

export { RpcError, rpcHandler };

// ---------------------------------------------------------------------------------------------

function text(args, name, { optional = false } = {}) {
  const value = args[name];
  if (value === undefined && optional) return undefined;
  if (typeof value !== "string" || value.length === 0) {
    throw new RpcError(400, "22P02", `invalid input for argument ${name}: expected a non-empty string`);
  }
  return value;
}

/** Sessions and messages in Maps; the same answers the SQL functions will give. */
export function memoryBackend() {
  const sessions = new Map(); // `${tenant}\0${session_key}` → { id, tenant, agent }
  const messages = new Map(); // message id → { tenant, session_id, agent, role, content, ... }
  const turnsByIdempotency = new Map(); // `${tenant}\0${session_key}\0${idempotency_key}` → id

  const functions = {
    salient_begin_turn(args) {
      const tenant = text(args, "p_tenant");
      const agent = text(args, "p_agent");
      const sessionKey = text(args, "p_session_key");
      const idempotencyKey = text(args, "p_idempotency_key");
      const messageId = text(args, "p_message_id");
      if (typeof args.p_content !== "string") {
        throw new RpcError(400, "22P02", "invalid input for argument p_content: expected a string");
      }
      const sessionKeyId = `${tenant}\0${sessionKey}`;
      const existing = turnsByIdempotency.get(`${sessionKeyId}\0${idempotencyKey}`);
      if (existing) {
        return { turn_id: existing, session_id: messages.get(existing).session_id, duplicate: true };
      }
      if (messages.has(messageId)) {
        throw new RpcError(409, "23505", 'duplicate key value violates unique constraint "messages_pkey"',
          `Key (id)=(${messageId}) already exists.`);
      }
      let session = sessions.get(sessionKeyId);
      if (!session) {
        session = { id: crypto.randomUUID(), tenant, agent };
        sessions.set(sessionKeyId, session);
      }
      messages.set(messageId, {
        tenant, session_id: session.id, agent, role: "user", content: args.p_content,
        claimed: false, created_at: new Date().toISOString(),
      });
      turnsByIdempotency.set(`${sessionKeyId}\0${idempotencyKey}`, messageId);
      return { turn_id: messageId, session_id: session.id, duplicate: false };
    },

    salient_claim_turn(args) {
      const tenant = text(args, "p_tenant");
      const turnId = text(args, "p_turn_id");
      const turn = messages.get(turnId);
      if (!turn || turn.tenant !== tenant || turn.role !== "user") return { status: "not_found" };
      if (turn.claimed) return { status: "already_claimed" };
      turn.claimed = true;
      return { status: "claimed", message: turn.content, session_id: turn.session_id, agent: turn.agent };
    },

    salient_finish_turn(args) {
      const tenant = text(args, "p_tenant");
      const turnId = text(args, "p_turn_id");
      const messageId = text(args, "p_message_id");
      if (typeof args.p_content !== "string") {
        throw new RpcError(400, "22P02", "invalid input for argument p_content: expected a string");
      }
      const turn = messages.get(turnId);
      if (!turn || turn.tenant !== tenant || turn.role !== "user") {
        throw new RpcError(400, "P0002", `turn ${turnId} not found`);
      }
      const stored = messages.get(messageId);
      if (stored && stored.turn_id !== turnId) {
        throw new RpcError(409, "23505", 'duplicate key value violates unique constraint "messages_pkey"',
          `Key (id)=(${messageId}) already exists.`);
      }
      messages.set(messageId, {
        tenant, session_id: turn.session_id, agent: turn.agent, role: "assistant", turn_id: turnId,
        content: args.p_content, metadata: args.p_metadata ?? null, created_at: new Date().toISOString(),
      });
      return { message_id: messageId };
    },
  };

  return {
    async call(fn, args) {
      if (!Object.hasOwn(functions, fn)) return null;
      return { status: 200, body: functions[fn](args) };
    },
    /** For tests and a future /dev page: what is stored. */
    dump: () => ({ sessions: [...sessions.values()], messages: [...messages.entries()] }),
  };
}

/** The memory store alone on a loopback port: the state endpoint for hosts that are not node-dev. */
export async function startStateServer({ port = 0, host = "127.0.0.1", backend = memoryBackend() } = {}) {
  const handle = rpcHandler(backend);
  const server = http.createServer(async (req, res) => {
    try {
      await sendResponse(await handle(toRequest(req, `http://${host}`)), req, res);
    } catch (err) {
      res.writeHead(500, { "content-type": "application/json" }).end(
        JSON.stringify({ code: "XX000", message: String(err?.message ?? err), details: null, hint: null }));
    }
  });
  await new Promise((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    backend,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
