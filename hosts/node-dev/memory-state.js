// The embedded state store for local development: a PostgREST-shaped RPC endpoint
// (`POST /rest/v1/rpc/<fn>` with named JSON arguments → the function's JSON result) kept in
// memory. The core talks to it exactly as it talks to Supabase, over real HTTP.
//
// Two layers, so that the PGlite + SQL migrations backend can replace the memory one:
//   rpcHandler(backend)  — HTTP and PostgREST error shapes, for any backend
//   memoryBackend()      — `call(fn, args)` → { status, body } implemented with Maps
// A backend answers `null` for an unknown function and throws RpcError for bad arguments.

import http from "node:http";
import { sendResponse, toRequest } from "./http.js";

export class RpcError extends Error {
  constructor(status, code, message, details = null, hint = null) {
    super(message);
    Object.assign(this, { status, code, details, hint });
  }
}

const RPC_PATH = /^\/rest\/v1\/rpc\/([A-Za-z_][A-Za-z0-9_]*)$/;

/** `(request: Request) → Promise<Response>` for `POST /rest/v1/rpc/<fn>`. */
export function rpcHandler(backend) {
  return async function handle(request) {
    const { pathname } = new URL(request.url);
    const match = RPC_PATH.exec(pathname);
    if (!match) return error(new RpcError(404, "PGRST125", `Invalid path specified in request URL`));
    if (request.method !== "POST") {
      return error(new RpcError(405, "PGRST101", "Only POST is allowed for this function"));
    }
    let args;
    try {
      args = JSON.parse(await request.text());
    } catch {
      return error(new RpcError(400, "22P02", "invalid input syntax for type json"));
    }
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
      return error(new RpcError(400, "22P02", "expected a JSON object of named arguments"));
    }
    try {
      const result = await backend.call(match[1], args);
      if (result === null) {
        const names = Object.keys(args).sort().join(", ");
        return error(new RpcError(404, "PGRST202",
          `Could not find the function public.${match[1]}(${names}) in the schema cache`));
      }
      return Response.json(result.body, { status: result.status ?? 200 });
    } catch (err) {
      if (err instanceof RpcError) return error(err);
      throw err;
    }
  };
}

function error({ status, code, message, details, hint }) {
  return Response.json({ code, message, details, hint }, { status });
}

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
