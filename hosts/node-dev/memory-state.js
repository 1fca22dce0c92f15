// The in-memory state store: the RPCs of db/migrations/0002 to 0006 implemented with Maps, for
// tests, benchmarks and `SALIENT_STATE=memory` (nothing survives the process). The dev server's
// default is the PGlite backend (pglite-state.js), which runs the real SQL.
//
//   rpcHandler(backend)  — HTTP and PostgREST error shapes, for any backend (postgrest.js)
//   memoryBackend()      — `call(fn, args)` → { status, body } implemented with Maps
// A backend answers `null` for an unknown function or a call whose argument names match none of
// its signatures (→ 404 PGRST202), and throws RpcError for bad arguments.

import http from "node:http";
import { sendResponse, toRequest } from "./http.js";
import { RpcError, rpcHandler } from "./postgrest.js";

export { RpcError, rpcHandler };

// ---------------------------------------------------------------------------------------------

const invalid = (message) => new RpcError(400, "22P02", message);

function text(args, name, { optional = false } = {}) {
  const value = args[name];
  if (value === undefined && optional) return undefined;
  if (typeof value !== "string" || value.length === 0) {
    throw invalid(`invalid input for argument ${name}: expected a non-empty string`);
  }
  return value;
}

function string(args, name) {
  if (typeof args[name] !== "string") throw invalid(`invalid input for argument ${name}: expected a string`);
  return args[name];
}

/** An integer argument in lo..hi; absent → the default. PostgreSQL also parses "20". */
function integer(args, name, lo, hi, fallback) {
  let value = args[name];
  if (value === undefined) return fallback;
  if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) value = Number(value);
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw invalid(`invalid input for argument ${name}: expected an integer from ${lo} to ${hi}, got ${value}`);
  }
  return value;
}

// p_llm_request's members, checked like salient_json_text / _number / _integer in 0003.
function llmRequest(value) {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw invalid("invalid input for argument p_llm_request: expected a JSON object or null");
  }
  const member = (name, type) => {
    const v = value[name];
    if (v === undefined || v === null) return null;
    if (type === "string" && typeof v !== "string") {
      throw invalid(`invalid input for argument p_llm_request: ${name} must be a string`);
    }
    if (type !== "string" && (typeof v !== "number" || !Number.isFinite(v))) {
      throw invalid(`invalid input for argument p_llm_request: ${name} must be a number`);
    }
    if (type === "integer" && !Number.isInteger(v)) {
      throw invalid(`invalid input for argument p_llm_request: ${name} must be an integer`);
    }
    return v;
  };
  const model = member("model", "string");
  if (!model) throw invalid("invalid input for argument p_llm_request: model must be a non-empty string");
  return {
    provider: member("provider", "string") || "openrouter",
    model,
    request_body: value.request_body ?? null,
    response_body: value.response_body ?? null,
    prompt_tokens: member("prompt_tokens", "integer"),
    completion_tokens: member("completion_tokens", "integer"),
    total_tokens: member("total_tokens", "integer"),
    unit_cost_prompt: member("unit_cost_prompt", "number"),
    unit_cost_completion: member("unit_cost_completion", "number"),
    computed_cost: member("cost", "number"),
    latency_ms: member("latency_ms", "integer"),
  };
}

/** salient_session_title of 0003: one line, ASCII whitespace collapsed, 80 characters then "…". */
export function sessionTitle(content) {
  if (typeof content !== "string") return null;
  const line = content.replace(/[ \t\n\r\f\v]+/g, " ").replace(/^ | $/g, "");
  const chars = Array.from(line); // characters, as PostgreSQL counts them, not UTF-16 units
  return chars.length > 80 ? `${chars.slice(0, 80).join("")}…` : line;
}

/** 0006: the PT404 of a function given an agent the tenant switched off (tenant_agents.is_enabled). */
const agentNotEnabled = (tenant, agent) => new RpcError(404, "PT404", `agent "${agent}" is not enabled for tenant "${tenant}"`,
  null, `enable it in salient.yaml (agents.${agent}.enabled: true) and sync the config, ` +
    "or set tenant_agents.is_enabled for this tenant");

const duplicateId = (id) => new RpcError(409, "23505", 'duplicate key value violates unique constraint "messages_pkey"',
  `Key (id)=(${id}) already exists.`);

// Each function's argument names, as its SQL signature has them. A call naming an argument the
// function does not have, or leaving out one without a default, matches no function: PostgREST
// answers 404 PGRST202, so call() answers null (present but null or mistyped is a 400 22P02).
const SIGNATURES = {
  salient_begin_turn: {
    required: ["p_tenant", "p_agent", "p_session_key", "p_idempotency_key", "p_message_id", "p_content"],
    optional: [],
  },
  salient_claim_turn: { required: ["p_tenant", "p_turn_id"], optional: ["p_history_limit"] },
  salient_finish_turn: {
    required: ["p_tenant", "p_turn_id", "p_message_id", "p_content"],
    optional: ["p_metadata", "p_llm_request"],
  },
  salient_session_history: { required: ["p_tenant", "p_agent", "p_session_key"], optional: ["p_limit"] },
  salient_list_sessions: { required: ["p_tenant", "p_agent", "p_session_keys"], optional: [] },
  salient_sync_config: { required: ["p_tenant", "p_personas", "p_agents"], optional: ["p_default_agent"] },
  salient_attach_retrieval: { required: ["p_tenant", "p_turn_id", "p_retrieval"], optional: [] },
  salient_turn_answer: { required: ["p_tenant", "p_turn_id"], optional: [] },
  salient_identify: { required: ["p_tenant", "p_agent", "p_session_key", "p_email", "p_name"], optional: [] },
};

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** salient_sync_config's arguments checked as 0005 checks them (22P02, same messages). */
function syncArgs(args, hasPersona) {
  const tenant = text(args, "p_tenant");
  const personas = args.p_personas;
  if (!isObject(personas)) {
    throw invalid("invalid input for argument p_personas: expected a JSON object mapping persona codes to {name, description, system_prompt}");
  }
  for (const [code, p] of Object.entries(personas)) {
    const bad = (what) => invalid(`invalid input for argument p_personas: ${what}`);
    if (code === "") throw bad("a persona code must be a non-empty string");
    if (!isObject(p)) throw bad(`persona ${code} must be a JSON object {name, description, system_prompt}`);
    if (typeof p.name !== "string" || p.name === "") throw bad(`persona ${code}: name must be a non-empty string`);
    if (typeof p.system_prompt !== "string") throw bad(`persona ${code}: system_prompt must be a string`);
    if (p.description != null && typeof p.description !== "string") {
      throw bad(`persona ${code}: description must be a string or null`);
    }
  }
  const agents = args.p_agents;
  if (!isObject(agents)) {
    throw invalid("invalid input for argument p_agents: expected a JSON object mapping agent codes to {persona, enabled}");
  }
  for (const [code, a] of Object.entries(agents)) {
    const bad = (what) => invalid(`invalid input for argument p_agents: ${what}`);
    if (code === "") throw bad("an agent code must be a non-empty string");
    if (!isObject(a)) throw bad(`agent ${code} must be a JSON object {persona, enabled}`);
    if (typeof a.persona !== "string" || a.persona === "") throw bad(`agent ${code}: persona must be a non-empty string`);
    if (a.enabled != null && typeof a.enabled !== "boolean") throw bad(`agent ${code}: enabled must be true or false`);
    if (!Object.hasOwn(personas, a.persona) && !hasPersona(tenant, a.persona)) {
      throw bad(`agent ${code} names persona ${a.persona}, which is neither in p_personas nor a persona of tenant ${tenant}`);
    }
  }
  const defaultAgent = args.p_default_agent ?? null;
  if (defaultAgent !== null && !(typeof defaultAgent === "string" && Object.hasOwn(agents, defaultAgent))) {
    throw invalid(`invalid input for argument p_default_agent: "${defaultAgent}" is not one of the agents in p_agents`);
  }
  return { tenant, personas, agents, defaultAgent };
}

function matchesSignature({ required, optional }, args) {
  return required.every((n) => args[n] !== undefined) &&
    Object.keys(args).every((n) => required.includes(n) || optional.includes(n));
}

/**
 * Sessions, messages, llm_requests, personas and tenant_agents in Maps; the same answers the SQL
 * functions give, except: there is no tenants table (so no inactive tenant, PT403), no shared
 * agents table (so no agents.default_persona_id: claim_turn's persona is the tenant's choice for
 * the agent, else the tenant's default, else null), profiles only as salient_identify sets them
 * (email and customer_name; the other fields are null or empty), and
 * ids are not checked to be uuids. Personas and tenant_agents rows exist only through
 * salient_sync_config (begin_turn makes no row: a missing row is an enabled agent, as in SQL).
 * "Order by created_at, id" is insertion order here.
 */
export function memoryBackend() {
  // `${tenant}\0${session_key}` → { id, tenant, agent, session_key, created_at, last_activity_at,
  // message_ids (in insertion order) }
  const sessions = new Map();
  const messages = new Map(); // message id → { tenant, session_id, agent, role, content, ... }
  const turnsByIdempotency = new Map(); // `${tenant}\0${session_key}\0${idempotency_key}` → id
  const sessionsById = new Map(); // session id → the sessions entry
  const profiles = new Map(); // session id → claim_turn's profile object (0009: salient_identify)
  const llmRequests = new Map(); // answer's message id → its llm_requests row
  // tenant + UTC month → the sum of its rows' computed_cost: 0004's indexed range sum, kept as
  // rows are written so that a claim does not scan every row ever stored.
  const monthSpend = new Map();
  const monthKey = (tenant, iso) => `${tenant}\0${iso.slice(0, 7)}`;
  const personas = new Map(); // `${tenant}\0${code}` → { tenant, code, name, description, system_prompt, is_default }
  const tenantAgents = new Map(); // `${tenant}\0${agent}` → { is_enabled, persona (its code) }

  const now = () => new Date().toISOString();
  // A session's user and assistant messages, oldest first, as [id, message].
  const conversation = (session) => session.message_ids.map((id) => [id, messages.get(id)])
    .filter(([, m]) => m.role === "user" || m.role === "assistant");
  // 0006: an agent the tenant switched off is refused (PT404); no tenant_agents row: enabled.
  const requireEnabled = (tenant, agent) => {
    if (tenantAgents.get(`${tenant}\0${agent}`)?.is_enabled === false) throw agentNotEnabled(tenant, agent);
  };

  const functions = {
    salient_begin_turn(args) {
      const tenant = text(args, "p_tenant");
      const agent = text(args, "p_agent");
      const sessionKey = text(args, "p_session_key");
      const idempotencyKey = text(args, "p_idempotency_key");
      const messageId = text(args, "p_message_id");
      const content = string(args, "p_content");
      requireEnabled(tenant, agent); // before the duplicate lookup: resubmissions are refused too
      const sessionKeyId = `${tenant}\0${sessionKey}`;
      const existing = turnsByIdempotency.get(`${sessionKeyId}\0${idempotencyKey}`);
      if (existing) {
        return { turn_id: existing, session_id: messages.get(existing).session_id, duplicate: true };
      }
      if (messages.has(messageId)) throw duplicateId(messageId);
      const at = now();
      let session = sessions.get(sessionKeyId);
      if (session) {
        session.last_activity_at = at;
      } else {
        session = { id: crypto.randomUUID(), tenant, agent, session_key: sessionKey, created_at: at,
          last_activity_at: at, message_ids: [] };
        sessions.set(sessionKeyId, session);
        sessionsById.set(session.id, session);
      }
      messages.set(messageId, {
        tenant, session_id: session.id, agent, role: "user", content, metadata: {},
        idempotency_key: idempotencyKey, turn_id: null, claimed: false, created_at: at,
      });
      session.message_ids.push(messageId);
      turnsByIdempotency.set(`${sessionKeyId}\0${idempotencyKey}`, messageId);
      return { turn_id: messageId, session_id: session.id, duplicate: false };
    },

    salient_claim_turn(args) {
      const tenant = text(args, "p_tenant");
      const turnId = text(args, "p_turn_id");
      const limit = integer(args, "p_history_limit", 0, 200, 20);
      const turn = messages.get(turnId);
      if (!turn || turn.tenant !== tenant || turn.role !== "user") return { status: "not_found" };
      requireEnabled(tenant, turn.agent); // before claiming: a refused claim does not use the turn up
      if (turn.claimed) return { status: "already_claimed" };
      turn.claimed = true;
      const before = [];
      for (const [id, m] of conversation(sessionsById.get(turn.session_id))) {
        if (id === turnId) break;
        before.push({ role: m.role, content: m.content, created_at: m.created_at });
      }
      // 0004: the tenant's model spend this calendar month (UTC), for budget.monthly_usd.
      const monthCost = monthSpend.get(monthKey(tenant, now())) ?? 0;
      // The persona (0003): the tenant's choice for this agent, else the tenant's default.
      const chosen = tenantAgents.get(`${tenant}\0${turn.agent}`)?.persona;
      const persona = (chosen != null && personas.get(`${tenant}\0${chosen}`)) ||
        [...personas.values()].find((p) => p.tenant === tenant && p.is_default) || null;
      return {
        status: "claimed", message: turn.content, session_id: turn.session_id, agent: turn.agent,
        history: limit === 0 ? [] : before.slice(-limit),
        persona: persona && { code: persona.code, name: persona.name, system_prompt: persona.system_prompt },
        profile: profiles.get(turn.session_id) ?? null, month_cost_usd: monthCost,
        retrieval: turn.metadata.retrieval ?? null,
      };
    },

    // 0007: what Pinecone found for an unclaimed turn, handed back by its claim.
    salient_attach_retrieval(args) {
      const tenant = text(args, "p_tenant");
      const turnId = text(args, "p_turn_id");
      if (!isObject(args.p_retrieval)) throw invalid("invalid input for argument p_retrieval: expected a JSON object");
      const turn = messages.get(turnId);
      if (!turn || turn.tenant !== tenant || turn.role !== "user") return { status: "not_found" };
      if (turn.claimed) return { status: "already_claimed" };
      turn.metadata = { ...turn.metadata, retrieval: structuredClone(args.p_retrieval) };
      return { status: "attached" };
    },

    // 0009: who the visitor says they are, on an existing session's profile.
    salient_identify(args) {
      const tenant = text(args, "p_tenant");
      const agent = text(args, "p_agent");
      const sessionKey = text(args, "p_session_key");
      const email = args.p_email ?? null, name = args.p_name ?? null;
      for (const v of [email, name]) if (v !== null && typeof v !== "string") throw invalid("invalid input: p_email and p_name are text");
      if (email === null && name === null) throw invalid("invalid input: p_email or p_name is required");
      requireEnabled(tenant, agent);
      const session = sessions.get(`${tenant}\0${sessionKey}`);
      if (!session || session.agent !== agent) return { status: "no_session" };
      const was = profiles.get(session.id) ?? { customer_name: null, email: null, phone: null,
        products_of_interest: [], services_of_interest: [] };
      profiles.set(session.id, { ...was, email: email ?? was.email, customer_name: name ?? was.customer_name });
      return { status: "identified" };
    },

    // 0008: the stored answer of a turn, for a stream resumed after a dropped connection.
    salient_turn_answer(args) {
      const tenant = text(args, "p_tenant");
      const turnId = text(args, "p_turn_id");
      const turn = messages.get(turnId);
      if (!turn || turn.tenant !== tenant || turn.role !== "user") return { status: "not_found" };
      let answer = null, answerId = null;
      for (const id of sessionsById.get(turn.session_id).message_ids) {
        const m = messages.get(id);
        if (m.role === "assistant" && m.turn_id === turnId) [answer, answerId] = [m, id];
      }
      if (!answer) return { status: "pending" };
      return { status: "answered", message_id: answerId, content: answer.content, metadata: structuredClone(answer.metadata) };
    },

    salient_finish_turn(args) {
      const tenant = text(args, "p_tenant");
      const turnId = text(args, "p_turn_id");
      const messageId = text(args, "p_message_id");
      const content = string(args, "p_content");
      const llm = llmRequest(args.p_llm_request);
      const turn = messages.get(turnId);
      if (!turn || turn.tenant !== tenant || turn.role !== "user") {
        throw new RpcError(404, "PT404", `turn ${turnId} not found`);
      }
      const stored = messages.get(messageId);
      if (stored && (stored.turn_id !== turnId || stored.tenant !== tenant || stored.role !== "assistant")) {
        throw duplicateId(messageId);
      }
      const at = now();
      messages.set(messageId, {
        tenant, session_id: turn.session_id, agent: turn.agent, role: "assistant", turn_id: turnId,
        content, metadata: args.p_metadata ?? {}, created_at: stored?.created_at ?? at,
      });
      const session = sessionsById.get(turn.session_id);
      if (!stored) session.message_ids.push(messageId);
      session.last_activity_at = at;
      if (llm) {
        // One row per answer: a retried finish replaces its values.
        const previous = llmRequests.get(messageId);
        const row = {
          id: previous?.id ?? crypto.randomUUID(), tenant, session_id: turn.session_id, message_id: messageId,
          ...llm, created_at: previous?.created_at ?? at,
        };
        llmRequests.set(messageId, row);
        const key = monthKey(tenant, row.created_at);
        monthSpend.set(key, (monthSpend.get(key) ?? 0) - (previous?.computed_cost ?? 0) + (row.computed_cost ?? 0));
      }
      return { message_id: messageId };
    },

    salient_session_history(args) {
      const tenant = text(args, "p_tenant");
      const agent = text(args, "p_agent");
      const sessionKey = text(args, "p_session_key");
      const limit = integer(args, "p_limit", 1, 200, 50);
      requireEnabled(tenant, agent);
      const session = sessions.get(`${tenant}\0${sessionKey}`);
      if (!session || session.agent !== agent) return { session_key: sessionKey, session_id: null, messages: [] };
      return {
        session_key: sessionKey,
        session_id: session.id,
        messages: conversation(session).slice(-limit).map(([id, m]) => ({
          id, role: m.role, content: m.content, created_at: m.created_at, metadata: m.metadata ?? {},
          turn_id: m.turn_id ?? null,
        })),
      };
    },

    salient_list_sessions(args) {
      const tenant = text(args, "p_tenant");
      const agent = text(args, "p_agent");
      const keys = args.p_session_keys;
      if (!Array.isArray(keys) || keys.length > 50) {
        throw invalid("invalid input for argument p_session_keys: expected an array of at most 50 session keys");
      }
      requireEnabled(tenant, agent);
      const found = [...new Set(keys.filter((k) => k !== null).map(String))]
        .map((key) => sessions.get(`${tenant}\0${key}`))
        .filter((s) => s && s.agent === agent);
      const byActivity = (a, b) => (b.last_activity_at.localeCompare(a.last_activity_at) ||
        b.created_at.localeCompare(a.created_at) || (a.session_key < b.session_key ? -1 : a.session_key > b.session_key ? 1 : 0));
      return {
        sessions: found.sort(byActivity).map((s) => {
          const shown = conversation(s);
          return {
            session_key: s.session_key, created_at: s.created_at, last_activity_at: s.last_activity_at,
            title: sessionTitle(shown.find(([, m]) => m.role === "user")?.[1].content), message_count: shown.length,
          };
        }),
      };
    },
  };

  // 0005: the config's personas and agents into the tenant's rows; others are left alone.
  functions.salient_sync_config = (args) => {
    const { tenant, personas: given, agents, defaultAgent } =
      syncArgs(args, (t, code) => personas.has(`${t}\0${code}`));
    for (const [code, p] of Object.entries(given)) {
      const key = `${tenant}\0${code}`;
      personas.set(key, { tenant, code, name: p.name, description: p.description ?? null,
        system_prompt: p.system_prompt, is_default: personas.get(key)?.is_default ?? false });
    }
    for (const [code, a] of Object.entries(agents)) {
      tenantAgents.set(`${tenant}\0${code}`, { is_enabled: a.enabled ?? true, persona: a.persona });
    }
    if (defaultAgent !== null) {
      const chosen = agents[defaultAgent].persona;
      for (const p of personas.values()) if (p.tenant === tenant) p.is_default = p.code === chosen;
    }
    return { personas: Object.keys(given).length, agents: Object.keys(agents).length };
  };

  return {
    async call(fn, args) {
      if (!Object.hasOwn(functions, fn) || !matchesSignature(SIGNATURES[fn], args)) return null;
      return { status: 200, body: functions[fn](args) };
    },
    /** For tests and a future /dev page: what is stored. */
    dump: () => ({
      sessions: [...sessions.values()].map(({ message_ids, ...s }) => s),
      messages: [...messages.entries()],
      llmRequests: [...llmRequests.values()],
      personas: [...personas.values()],
      tenantAgents: [...tenantAgents.entries()].map(([key, ta]) => {
        const [tenant, agent] = key.split("\0");
        return { tenant, agent, ...ta };
      }),
    }),
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
