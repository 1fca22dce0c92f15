// The HTTP face of the embedded state store: `POST /rest/v1/rpc/<fn>` with named JSON arguments
// → the function's JSON result, with PostgREST's error bodies ({code, message, details, hint})
// and statuses. A core elsewhere (workerd in the tests, any host given SUPABASE_URL) talks to it
// exactly as it talks to Supabase, over HTTP; the dev server's own core goes through rpcCall
// in-process, the same logic without the socket (server.js).
//
// A backend is `{ call(fn, args) → Promise<{ status, body } | null>, dump(), close?() }`: it
// answers `null` for a function it does not have (→ 404 PGRST202) and throws RpcError for a
// failed call. The backend: pgliteBackend (pglite-state.js), on disk or in memory; on its own
// port, startStateServer (state-server.js). (The benchmarks' canned responder has this shape too.)

export class RpcError extends Error {
  constructor(status, code, message, details = null, hint = null) {
    super(message);
    Object.assign(this, { status, code, details, hint });
  }
}

// PostgREST's translation of SQLSTATEs into HTTP statuses (docs.postgrest.org, "Errors" →
// "HTTP Status Codes"): exact codes first, then classes; anything else is a 400. 42501 is 401
// for an anonymous caller there; the embedded store has no roles, so 403.
const STATUS_BY_CODE = {
  "23503": 409, "23505": 409, "25006": 405, "53400": 500, "P0001": 400,
  "42883": 404, "42P01": 404, "42P17": 500, "42501": 403,
};
const STATUS_BY_CLASS = {
  "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500, "39": 500,
  "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500,
  "P0": 500, "XX": 500,
};

// A function's own status: `raise ... using errcode = 'PT404'` is answered with 404 (PostgREST's
// "Custom Errors": SQLSTATE PT followed by three digits). Checked before the classes.
const CUSTOM_STATUS = /^PT(\d{3})$/;

/** The HTTP status PostgREST answers for a PostgreSQL error code. */
export function postgrestStatus(sqlstate) {
  const code = String(sqlstate ?? "");
  const custom = CUSTOM_STATUS.exec(code);
  if (custom) return Number(custom[1]);
  return STATUS_BY_CODE[code] ?? STATUS_BY_CLASS[code.slice(0, 2)] ?? 400;
}

const RPC_PATH = /^\/rest\/v1\/rpc\/([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * Why a request comes from a browser page, or null. The store has no keys of its own (anyone who
 * reaches the socket may call any function), and its callers are cores and tools, never a page:
 * a page on any site open in the developer's browser could otherwise post a text/plain body here
 * (no preflight) and write or erase conversations, and a DNS-rebinding page even read the answer.
 * Browsers send Origin with every POST and Sec-Fetch-Site with every request; Node's, Deno's and
 * workerd's fetch send neither.
 */
export function browserReason(request) {
  if (request.headers.has("origin")) return "Origin";
  if (request.headers.has("sec-fetch-site")) return "Sec-Fetch-Site";
  return null;
}

/** `(request: Request) → Promise<Response>` for `POST /rest/v1/rpc/<fn>`. */
export function rpcHandler(backend) {
  return async function handle(request) {
    const { pathname } = new URL(request.url);
    const match = RPC_PATH.exec(pathname);
    if (!match) return error(new RpcError(404, "PGRST125", `Invalid path specified in request URL`));
    if (request.method !== "POST") {
      return error(new RpcError(405, "PGRST101", "Only POST is allowed for this function"));
    }
    const browser = browserReason(request);
    if (browser) return error(new RpcError(403, "42501", `a browser page may not call the store (${browser})`));
    const { status, body } = await rpcCall(backend, match[1], await request.text());
    return Response.json(body, { status });
  };
}

/**
 * One RPC as `POST /rest/v1/rpc/<fn>` answers it, without HTTP: the function's name and the
 * request body's text → `{ status, body }` (the JSON value PostgREST would send). The handler
 * above and the dev server's in-process calls (server.js) both go through here.
 */
export async function rpcCall(backend, fn, text) {
  let args;
  try {
    args = JSON.parse(text);
  } catch {
    return failure(new RpcError(400, "22P02", "invalid input syntax for type json"));
  }
  if (args === null || typeof args !== "object" || Array.isArray(args)) {
    return failure(new RpcError(400, "22P02", "expected a JSON object of named arguments"));
  }
  try {
    const result = await backend.call(fn, args);
    if (result === null) {
      const names = Object.keys(args).sort().join(", ");
      return failure(new RpcError(404, "PGRST202", `Could not find the function public.${fn}(${names}) in the schema cache`));
    }
    return { status: result.status ?? 200, body: result.body };
  } catch (err) {
    if (err instanceof RpcError) return failure(err);
    throw err;
  }
}

/** The function a path such as `/rest/v1/rpc/salient_claim_turn` calls; null for any other path. */
export function rpcName(pathname) {
  return RPC_PATH.exec(pathname)?.[1] ?? null;
}

function failure({ status, code, message, details, hint }) {
  return { status, body: { code, message, details, hint } };
}

function error(err) {
  const { status, body } = failure(err);
  return Response.json(body, { status });
}
