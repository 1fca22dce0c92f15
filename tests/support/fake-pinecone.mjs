// A local fake of Pinecone's HTTP API — one server that plays both an index host (data plane)
// and api.pinecone.io's inference endpoint — for tests and benchmarks.
//
// Theory of operation
// -------------------
// `startFakePinecone()` binds an HTTP server to 127.0.0.1 (never a public interface: tests
// run on shared machines) and returns a handle shaped like fake-openrouter's:
//
//   const fake = await startFakePinecone({ port: 0, apiKey?, dimension?, metric?, textField?, indexName? });
//   fake.url            // "http://127.0.0.1:PORT" — use as both the index host and the
//                       // control plane / inference base URL (the real ones are two hosts;
//                       // paths do not clash)
//   fake.indexName      // the one index GET /indexes/{name} describes ("salient-test")
//   fake.seed(ns, recs) // stores records directly, no HTTP: [{id, values?, text?, metadata?}];
//                       // without `values` the record embeds `text` (or metadata[textField])
//                       // with embedText at the index dimension, so queries built with the
//                       // fakes' embeddings (fake-embeddings.mjs, /embed here) find it
//   fake.records(ns)    // the stored records of a namespace [{id, values, metadata}], in
//                       // insertion order: assert on what the core upserted
//   fake.dimension      // the index dimension (null until fixed, see below)
//   fake.enqueue(s...)  // scripted faults, FIFO — scenarios as in fake-embeddings.mjs
//   fake.requests       // every request: {method, path, query, headers, body, raw, aborted,
//                       // scenario, apiVersion (X-Pinecone-Api-Version or null)}
//   await fake.settled(), fake.reset() (queue + requests; fake.clear() empties the data),
//   await fake.close()
//
// Every request needs a non-empty `Api-Key` header (with the `apiKey` option: exactly that
// key), else 401 `{"code":16,"message":"Unauthorized","details":[]}`. A missing
// `X-Pinecone-Api-Version` is recorded (apiVersion null), not refused: Pinecone falls back
// to a default version, and tests assert on the header instead.
//
// Endpoints (wire format: docs/UPSTREAMS.md, "Pinecone"; limits
// from docs.pinecone.io "Limits" and the 2025-10 OpenAPI specs):
//   POST /query                  {namespace, vector | id, topK 1..10000, filter?, includeMetadata,
//                                includeValues} → {results:[], matches:[{id, score, values,
//                                metadata?}], namespace, usage:{readUnits}}. `values` is []
//                                unless includeValues (as Pinecone answers); `results` is the
//                                deprecated empty member Pinecone still sends.
//   POST /vectors/upsert         {vectors:[{id, values, metadata?}] (1..1000), namespace}
//                                → {upsertedCount}. Dimension must match the index (and
//                                within the request); all-zero vectors, null metadata values
//                                and bodies over 2 MB are 400.
//   POST /vectors/delete         {ids (≤1000) | deleteAll | filter, namespace} → {}
//   GET  /vectors/fetch          ?ids=a&ids=b&namespace=ns → {vectors:{id:{id, values,
//                                metadata}}, namespace, usage:{readUnits}}
//   POST /describe_index_stats   (GET too) → {namespaces:{ns:{vectorCount}}, dimension,
//                                indexFullness:0, totalVectorCount, metric, vectorType:"dense"}
//   POST /embed                  {model, parameters:{input_type, truncate, dimension?},
//                                inputs:[{text}] (1..96)} → {model, vector_type:"dense",
//                                data:[{values, vector_type}], usage:{total_tokens}}; models
//                                EMBED_MODELS; vectors are embedText(text, dimension).
//   POST /records/namespaces/{ns}/search
//                                {query:{inputs:{text} | vector:{values} | id, top_k, filter?},
//                                fields?, rerank?} → {result:{hits:[{_id, _score, fields}]},
//                                usage:{read_units, embed_total_tokens?, rerank_units?}}.
//                                `fields` picks metadata members (all when absent); rerank
//                                keeps the order and cuts to top_n.
//   POST /records/namespaces/{ns}/upsert
//                                NDJSON, one record a line: {_id | id, <textField>, ...};
//                                ≤96 records (the integrated-embedding batch limit) → 201,
//                                empty body. The text is embedded; other members are metadata.
//   GET  /indexes/{name}         the control plane's describe_index: {name, dimension, metric,
//                                host, spec:{}, status:{ready:true, state:"Ready"}, vector_type:
//                                "dense", deletion_protection:"disabled"} for `indexName`; any
//                                other name → 404 {"error":{"code":"NOT_FOUND","message":
//                                "Resource <name> not found"},"status":404}. Deviation: the real
//                                `host` has no scheme ("name-abc.svc.region.pinecone.io", clients
//                                prefix https://); here it is fake.url itself, with http://, so
//                                a client that keeps a given scheme reaches the fake.
// The "integrated embedding" of the two records endpoints is embedText at the index
// dimension, i.e. what /embed with llama-text-embed-v2 gives at 1024.
//
// Scores: cosine similarity by default (metric "dotproduct" gives the dot product); ties
// break on id so results are deterministic. The namespace "" and "__default__" are the same
// (the records API names the default namespace "__default__").
//
// The index dimension: the `dimension` option; else fixed by the first vector written (seed
// or upsert); before that, integrated records use 1024 and a query against the empty index
// matches nothing whatever its length. fake.clear() forgets a dimension that was not an option.
//
// Metadata filters (Pinecone's operators): bare `{field: value}` (= $eq), $eq, $ne, $gt,
// $gte, $lt, $lte, $in, $nin, $exists, $and, $or; several fields or operators in one object
// are ANDed. A list-valued field (strings) matches $eq/$in when any element does, $ne/$nin
// when none does. A record lacking the field fails every operator except $ne, $nin and
// `$exists: false` (MongoDB's rule, which Pinecone's docs follow; not confirmed for $ne).
// An unknown operator or a malformed filter is 400.
//
// Strictness: /query, /vectors/upsert and /vectors/delete refuse unknown top-level members
// (400), so a misspelt `top_k` or `include_metadata` fails loudly instead of being silently
// ignored. Whether Pinecone itself refuses them is unconfirmed; `strict: false` turns it off.
//
// Errors: data-plane errors are `{code:<gRPC status>, message, details:[]}` (docs/UPSTREAMS.md):
// 400→3, 401→16, 403→7, 404→5, 429→8, 500→13, 502/503→14. Pinecone's control plane and
// inference API (api.pinecone.io, i.e. /embed) document `{error:{code:"INVALID_ARGUMENT",
// message}, status:400}` instead; that shape is unconfirmed for /embed here, so both are
// available: `embedErrors: "control"` switches /embed's errors to it (default: data-plane).
// GET /indexes/{name} (control plane) always answers errors in the control-plane shape, 401
// included; scripted `status` scenarios use the data-plane shape everywhere.
// Scenario kind "status" with `body: "Unauthorized"` plays a plain-text error body.
//
// Faults and magic values: see fake-embeddings.mjs. Here the magic value is the namespace
// `fake/<name>` (query, upsert, delete, fetch, both records endpoints; URL-encoded in a path
// as fake%2F<name>) and the model `fake/<name>` for /embed (1024 dimensions).
//
// Running it by hand: `node tests/support/fake-pinecone.mjs [port]` prints the URL.

import { pathToFileURL } from "node:url";
import { MAGIC_SCENARIOS, cosine, countTokens, embedText, parseJson, startFakeServer } from "./fake-embeddings.mjs";

export const MAX_TOP_K = 10000;
export const MAX_UPSERT_VECTORS = 1000;
export const MAX_DELETE_IDS = 1000;
export const MAX_UPSERT_BYTES = 2 * 1024 * 1024;
export const MAX_RECORDS_PER_UPSERT = 96;
export const DEFAULT_TEXT_FIELD = "chunk_text";
export const DEFAULT_INTEGRATED_DIMENSION = 1024;
export const DEFAULT_INDEX_NAME = "salient-test";

export const EMBED_MODELS = {
  "llama-text-embed-v2": { dimension: 1024, dimensions: [384, 512, 768, 1024, 2048], maxBatch: 96, maxTokens: 2048 },
  "multilingual-e5-large": { dimension: 1024, dimensions: [1024], maxBatch: 96, maxTokens: 507 },
};

const GRPC_CODES = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 412: 9, 429: 8, 500: 13, 501: 12, 502: 14, 503: 14, 504: 4 };
const GRPC_NAMES = { 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND", 6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE", 16: "UNAUTHENTICATED" };
const MESSAGES = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Request failed. You've reached your request rate limit for this index. Retry after a short delay.",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** Pinecone's data-plane error body. */
export function pineconeError(status, message) {
  return { code: GRPC_CODES[status] ?? 2, message: message ?? MESSAGES[status] ?? `HTTP ${status}`, details: [] };
}

/** Pinecone's control-plane (api.pinecone.io) error body. */
export function controlPlaneError(status, message) {
  const code = GRPC_NAMES[GRPC_CODES[status]] ?? "UNKNOWN";
  return { error: { code, message: message ?? MESSAGES[status] ?? `HTTP ${status}` }, status };
}

/**
 * Starts the fake. Options: `port` (0), `apiKey` (exact key required when set), `dimension`
 * (index dimension; default: fixed by the first write), `metric` ("cosine" | "dotproduct"),
 * `textField` (the integrated index's field_map text field, default "chunk_text"),
 * `strict` (refuse unknown members, default true), `embedErrors` ("data" | "control"),
 * `indexName` (the index GET /indexes/{name} knows, default "salient-test").
 */
export async function startFakePinecone({
  port = 0, apiKey, dimension = null, metric = "cosine", textField = DEFAULT_TEXT_FIELD, strict = true, embedErrors = "data",
  indexName = DEFAULT_INDEX_NAME,
} = {}) {
  if (metric !== "cosine" && metric !== "dotproduct") throw new Error(`fake-pinecone: unsupported metric ${metric}`);
  const state = {
    fixedDimension: dimension, dimension, namespaces: new Map(), metric, textField, strict, embedErrors, indexName, host: null,
  };

  const fake = await startFakeServer({
    port,
    who: "fake-pinecone",
    errorBody: pineconeError,
    parseBody: (raw, req) => (/ndjson/i.test(req.headers["content-type"] ?? "") ? parseNdjson(raw) : parseJson(raw)),
    route: (ctx) => {
      ctx.record.apiVersion = ctx.req.headers["x-pinecone-api-version"] ?? null;
      return route(ctx, state, apiKey);
    },
  });
  fake.url = fake.origin;
  fake.indexName = indexName;
  state.host = fake.origin;
  Object.defineProperty(fake, "dimension", { get: () => state.dimension, enumerable: true });
  fake.seed = (namespace, records) => {
    // Text-only records embed at the index dimension, or at the length of the explicit
    // vectors seeded alongside them, so one seed call can mix both kinds.
    const dim = state.dimension ?? records.find((r) => Array.isArray(r.values))?.values.length ?? DEFAULT_INTEGRATED_DIMENSION;
    const prepared = records.map((r) => {
      let values = r.values;
      let metadata = r.metadata;
      if (values === undefined) {
        const text = r.text ?? r.metadata?.[textField];
        if (typeof text !== "string") throw new Error(`fake-pinecone: seed record ${r.id} has neither values nor text`);
        values = embedText(text, dim);
        if (r.text !== undefined && !(textField in (metadata ?? {}))) metadata = { [textField]: r.text, ...metadata };
      }
      return { id: String(r.id), values, metadata };
    });
    const problem = checkVectors(state, prepared);
    if (problem) throw new Error(`fake-pinecone: seed: ${problem}`);
    write(state, namespace, prepared);
  };
  fake.records = (namespace = "") => [...(state.namespaces.get(nsKey(namespace))?.values() ?? [])].map(copyRecord);
  fake.clear = () => {
    state.namespaces.clear();
    state.dimension = state.fixedDimension;
  };
  return fake;
}

// --- storage -----------------------------------------------------------------------------

const nsKey = (ns) => (ns === "__default__" || ns === undefined || ns === null ? "" : String(ns));
const copyRecord = (r) => ({ id: r.id, values: [...r.values], ...(r.metadata ? { metadata: structuredClone(r.metadata) } : {}) });

/** A reason the vectors cannot be written, or null. Fixes nothing. */
function checkVectors(state, vectors) {
  let dim = state.dimension;
  for (const v of vectors) {
    if (typeof v?.id !== "string" || v.id === "" || v.id.length > 512) return `Invalid vector id: ${JSON.stringify(v?.id)}`;
    if (!Array.isArray(v.values) || v.values.length === 0 || !v.values.every((x) => typeof x === "number" && Number.isFinite(x))) {
      return `Vector ID ${v.id}: values must be a non-empty array of finite numbers`;
    }
    dim ??= v.values.length;
    if (v.values.length !== dim) {
      return `Vector dimension ${v.values.length} does not match the dimension of the index ${dim}`;
    }
    if (v.values.every((x) => x === 0)) return `Dense vectors must contain at least one non-zero value (vector ID ${v.id})`;
    if (v.metadata !== undefined && v.metadata !== null) {
      const bad = metadataProblem(v.metadata);
      if (bad) return `Vector ID ${v.id}: ${bad}`;
    }
  }
  return null;
}

function metadataProblem(metadata) {
  if (typeof metadata !== "object" || Array.isArray(metadata)) return "metadata must be an object";
  for (const [k, value] of Object.entries(metadata)) {
    const ok = typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)) ||
      (Array.isArray(value) && value.every((x) => typeof x === "string"));
    if (!ok) return `Metadata value for field '${k}' must be a string, number, boolean or list of strings (null is not supported)`;
  }
  if (Buffer.byteLength(JSON.stringify(metadata)) > 40960) return "Metadata size exceeds the limit of 40960 bytes per vector";
  return null;
}

function write(state, namespace, vectors) {
  const key = nsKey(namespace);
  if (!state.namespaces.has(key)) state.namespaces.set(key, new Map());
  const ns = state.namespaces.get(key);
  for (const v of vectors) {
    state.dimension ??= v.values.length;
    ns.delete(v.id); // an overwrite moves to the end, like a fresh insert
    ns.set(v.id, { id: v.id, values: [...v.values], metadata: v.metadata ? structuredClone(v.metadata) : undefined });
  }
}

/** Scored records of a namespace, best first, ties by id. */
function search(state, namespace, vector, topK, filter) {
  const ns = state.namespaces.get(nsKey(namespace));
  if (!ns || (state.dimension !== null && vector.length !== state.dimension)) return [];
  const scored = [];
  for (const r of ns.values()) {
    if (filter && !matches(r.metadata ?? {}, filter)) continue;
    let score;
    if (state.metric === "dotproduct") {
      score = 0;
      for (let i = 0; i < vector.length; i++) score += vector[i] * r.values[i];
    } else {
      score = cosine(vector, r.values);
    }
    scored.push({ record: r, score });
  }
  scored.sort((a, b) => b.score - a.score || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0));
  return scored.slice(0, topK);
}

// --- metadata filters --------------------------------------------------------------------

const SCALAR = (x) => typeof x === "string" || typeof x === "number" || typeof x === "boolean";

/** A reason the filter is malformed, or null. */
export function filterProblem(filter) {
  if (filter === null || typeof filter !== "object" || Array.isArray(filter)) return "filter must be an object";
  for (const [key, cond] of Object.entries(filter)) {
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(cond) || cond.length === 0) return `${key} must be a non-empty array`;
      for (const sub of cond) {
        const p = filterProblem(sub);
        if (p) return p;
      }
      continue;
    }
    if (key.startsWith("$")) return `illegal operator ${key} at the top level of the filter`;
    if (SCALAR(cond)) continue;
    if (cond === null || typeof cond !== "object" || Array.isArray(cond)) return `illegal condition for field ${key}`;
    const ops = Object.entries(cond);
    if (ops.length === 0) return `empty condition for field ${key}`;
    for (const [op, arg] of ops) {
      switch (op) {
        case "$eq": case "$ne":
          if (!SCALAR(arg)) return `${op} for field ${key} needs a string, number or boolean`;
          break;
        case "$gt": case "$gte": case "$lt": case "$lte":
          if (typeof arg !== "number") return `${op} for field ${key} needs a number`;
          break;
        case "$in": case "$nin":
          if (!Array.isArray(arg) || !arg.every(SCALAR)) return `${op} for field ${key} needs an array of values`;
          break;
        case "$exists":
          if (typeof arg !== "boolean") return `$exists for field ${key} needs a boolean`;
          break;
        default:
          return `illegal operator ${op} for field ${key}`;
      }
    }
  }
  return null;
}

/** Whether `metadata` satisfies a (valid) filter. */
export function matches(metadata, filter) {
  return Object.entries(filter).every(([key, cond]) => {
    if (key === "$and") return cond.every((sub) => matches(metadata, sub));
    if (key === "$or") return cond.some((sub) => matches(metadata, sub));
    const has = Object.hasOwn(metadata, key);
    const value = metadata[key];
    const values = Array.isArray(value) ? value : [value];
    const ops = SCALAR(cond) ? [["$eq", cond]] : Object.entries(cond);
    return ops.every(([op, arg]) => {
      switch (op) {
        case "$exists": return has === arg;
        case "$ne": return !has || !values.includes(arg);
        case "$nin": return !has || !values.some((v) => arg.includes(v));
        case "$eq": return has && values.includes(arg);
        case "$in": return has && values.some((v) => arg.includes(v));
        case "$gt": return has && typeof value === "number" && value > arg;
        case "$gte": return has && typeof value === "number" && value >= arg;
        case "$lt": return has && typeof value === "number" && value < arg;
        case "$lte": return has && typeof value === "number" && value <= arg;
        default: return false;
      }
    });
  });
}

// --- routing -----------------------------------------------------------------------------

function route({ req, url, record }, state, apiKey) {
  const path = url.pathname;
  const isEmbed = path === "/embed";
  const index = /^\/indexes\/([^/]+)$/.exec(path);
  const errorOf = (isEmbed && state.embedErrors === "control") || index ? controlPlaneError : pineconeError;
  const reject = (status, message) => ({ reply: { status, body: errorOf(status, message) } });

  const key = req.headers["api-key"];
  if (typeof key !== "string" || key.trim() === "" || (apiKey !== undefined && key !== apiKey)) {
    return reject(401, "Unauthorized");
  }

  const records = /^\/records\/namespaces\/([^/]+)\/(search|upsert)$/.exec(path);
  const post = req.method === "POST";
  if (post && path === "/query") return query(record.body, state, reject);
  if (post && path === "/vectors/upsert") return upsert(record, state, reject);
  if (post && path === "/vectors/delete") return del(record.body, state, reject);
  if (req.method === "GET" && path === "/vectors/fetch") return fetchVectors(url, state, reject);
  if ((post || req.method === "GET") && path === "/describe_index_stats") return stats(state);
  if (post && isEmbed) return embed(record.body, reject);
  if (post && records?.[2] === "search") return searchRecords(decodeURIComponent(records[1]), record.body, state, reject);
  if (post && records?.[2] === "upsert") return upsertRecords(decodeURIComponent(records[1]), record, state, reject);
  if (req.method === "GET" && index) return describeIndex(decodeURIComponent(index[1]), state, reject);
  return reject(404, `Not Found: ${req.method} ${path}`);
}

const magicOf = (namespace) => (typeof namespace === "string" ? /^fake\/([a-z0-9-]+)$/.exec(namespace)?.[1] : undefined);

function checkObject(body, reject, allowed, state) {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    return reject(400, "Invalid request body: expected a JSON object");
  }
  if (state.strict && allowed) {
    const unknown = Object.keys(body).find((k) => !allowed.includes(k));
    if (unknown !== undefined) return reject(400, `Invalid request body: unknown field \`${unknown}\`, expected one of ${allowed.map((k) => `\`${k}\``).join(", ")}`);
  }
  if (body.namespace !== undefined && typeof body.namespace !== "string") return reject(400, "namespace must be a string");
  return null;
}

function checkTopK(topK, name, reject) {
  if (topK === undefined) return reject(400, `Missing required field \`${name}\``);
  if (!Number.isInteger(topK) || topK < 1 || topK > MAX_TOP_K) return reject(400, `${name} must be an integer between 1 and ${MAX_TOP_K}, got ${JSON.stringify(topK)}`);
  return null;
}

function checkQueryVector(vector, state, reject) {
  if (!Array.isArray(vector) || vector.length === 0 || !vector.every((x) => typeof x === "number" && Number.isFinite(x))) {
    return reject(400, "vector must be a non-empty array of finite numbers");
  }
  if (state.dimension !== null && vector.length !== state.dimension) {
    return reject(400, `Vector dimension ${vector.length} does not match the dimension of the index ${state.dimension}`);
  }
  return null;
}

function query(body, state, reject) {
  const bad = checkObject(body, reject, ["namespace", "vector", "id", "topK", "filter", "includeMetadata", "includeValues", "sparseVector"], state);
  if (bad) return bad;
  const badK = checkTopK(body.topK, "topK", reject);
  if (badK) return badK;
  if ((body.vector === undefined) === (body.id === undefined)) return reject(400, "Exactly one of vector or id must be provided");
  let vector = body.vector;
  if (body.id !== undefined) {
    const r = state.namespaces.get(nsKey(body.namespace))?.get(String(body.id));
    vector = r?.values ?? null;
  } else {
    const badV = checkQueryVector(vector, state, reject);
    if (badV) return badV;
  }
  if (body.filter !== undefined) {
    const p = filterProblem(body.filter);
    if (p) return reject(400, `Invalid filter: ${p}`);
  }
  return {
    magic: magicOf(body.namespace),
    respond: () => {
      const hits = vector ? search(state, body.namespace, vector, body.topK, body.filter) : [];
      const matches = hits.map(({ record: r, score }) => ({
        id: r.id,
        score,
        values: body.includeValues ? [...r.values] : [],
        ...(body.includeMetadata && r.metadata ? { metadata: structuredClone(r.metadata) } : {}),
      }));
      return { status: 200, body: { results: [], matches, namespace: body.namespace ?? "", usage: { readUnits: readUnitsFor(state, body.namespace) } } };
    },
  };
}

/** Pinecone rounds read units up to whole numbers; one per 1,000 records scanned, min 1. */
function readUnitsFor(state, namespace) {
  return Math.max(1, Math.ceil((state.namespaces.get(nsKey(namespace))?.size ?? 0) / 1000));
}

function upsert(record, state, reject) {
  const body = record.body;
  const bad = checkObject(body, reject, ["vectors", "namespace"], state);
  if (bad) return bad;
  if (Buffer.byteLength(record.raw) > MAX_UPSERT_BYTES) {
    return reject(400, `Request size ${Buffer.byteLength(record.raw)} bytes exceeds the maximum supported size of ${MAX_UPSERT_BYTES} bytes`);
  }
  if (!Array.isArray(body.vectors) || body.vectors.length === 0) return reject(400, "vectors must be a non-empty array");
  if (body.vectors.length > MAX_UPSERT_VECTORS) {
    return reject(400, `Request contains ${body.vectors.length} vectors, the maximum is ${MAX_UPSERT_VECTORS}`);
  }
  const problem = checkVectors(state, body.vectors);
  if (problem) return reject(400, problem);
  return {
    magic: magicOf(body.namespace),
    respond: () => {
      write(state, body.namespace, body.vectors.map((v) => ({ id: v.id, values: v.values, metadata: v.metadata ?? undefined })));
      return { status: 200, body: { upsertedCount: body.vectors.length } };
    },
  };
}

function del(body, state, reject) {
  const bad = checkObject(body, reject, ["ids", "deleteAll", "namespace", "filter"], state);
  if (bad) return bad;
  const modes = [body.ids !== undefined, body.deleteAll === true, body.filter !== undefined].filter(Boolean).length;
  if (modes !== 1) return reject(400, "Exactly one of ids, deleteAll or filter must be provided");
  if (body.ids !== undefined) {
    if (!Array.isArray(body.ids) || !body.ids.every((id) => typeof id === "string")) return reject(400, "ids must be an array of strings");
    if (body.ids.length > MAX_DELETE_IDS) return reject(400, `Request contains ${body.ids.length} ids, the maximum is ${MAX_DELETE_IDS}`);
  }
  if (body.filter !== undefined) {
    const p = filterProblem(body.filter);
    if (p) return reject(400, `Invalid filter: ${p}`);
  }
  return {
    magic: magicOf(body.namespace),
    respond: () => {
      const ns = state.namespaces.get(nsKey(body.namespace));
      if (ns) {
        if (body.deleteAll) ns.clear();
        else if (body.ids) for (const id of body.ids) ns.delete(id);
        else for (const [id, r] of ns) if (matches(r.metadata ?? {}, body.filter)) ns.delete(id);
        if (ns.size === 0) state.namespaces.delete(nsKey(body.namespace));
      }
      return { status: 200, body: {} };
    },
  };
}

function fetchVectors(url, state, reject) {
  const ids = url.searchParams.getAll("ids");
  const namespace = url.searchParams.get("namespace") ?? "";
  if (ids.length === 0) return reject(400, "Missing required query parameter `ids`");
  if (ids.length > MAX_DELETE_IDS) return reject(400, `Request contains ${ids.length} ids, the maximum is ${MAX_DELETE_IDS}`);
  return {
    magic: magicOf(namespace),
    respond: () => {
      const ns = state.namespaces.get(nsKey(namespace));
      const vectors = {};
      for (const id of ids) {
        const r = ns?.get(id);
        if (r) vectors[id] = copyRecord(r);
      }
      return { status: 200, body: { vectors, namespace, usage: { readUnits: 1 } } };
    },
  };
}

function stats(state) {
  return {
    respond: () => {
      const namespaces = {};
      let total = 0;
      for (const [name, ns] of state.namespaces) {
        if (ns.size === 0) continue;
        namespaces[name] = { vectorCount: ns.size };
        total += ns.size;
      }
      return {
        status: 200,
        body: {
          namespaces,
          dimension: state.dimension ?? DEFAULT_INTEGRATED_DIMENSION,
          indexFullness: 0,
          totalVectorCount: total,
          metric: state.metric,
          vectorType: "dense",
        },
      };
    },
  };
}

function describeIndex(name, state, reject) {
  if (name !== state.indexName) return reject(404, `Resource ${name} not found`);
  return {
    respond: () => ({
      status: 200,
      body: {
        name,
        dimension: state.dimension ?? DEFAULT_INTEGRATED_DIMENSION,
        metric: state.metric,
        host: state.host,
        spec: {},
        status: { ready: true, state: "Ready" },
        vector_type: "dense",
        deletion_protection: "disabled",
      },
    }),
  };
}

function embed(body, reject) {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    return reject(400, "Invalid request body: expected a JSON object");
  }
  if (typeof body.model !== "string" || body.model === "") return reject(400, "Missing required field `model`");
  const magic = /^fake\/([a-z0-9-]+)$/.exec(body.model)?.[1];
  const model = magic !== undefined ? EMBED_MODELS["llama-text-embed-v2"] : EMBED_MODELS[body.model];
  if (!model) return reject(400, `Model '${body.model}' not found. Supported models: ${Object.keys(EMBED_MODELS).join(", ")}`);
  const params = body.parameters ?? {};
  if (typeof params !== "object" || Array.isArray(params)) return reject(400, "parameters must be an object");
  if (params.input_type !== undefined && params.input_type !== "query" && params.input_type !== "passage") {
    return reject(400, `Invalid parameter input_type: '${params.input_type}', expected 'query' or 'passage'`);
  }
  const truncate = params.truncate ?? "END";
  if (!["END", "START", "NONE"].includes(truncate)) return reject(400, `Invalid parameter truncate: '${truncate}'`);
  const dimension = params.dimension ?? model.dimension;
  if (!model.dimensions.includes(dimension)) {
    return reject(400, `Invalid parameter dimension: ${dimension}, supported: ${model.dimensions.join(", ")}`);
  }
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) return reject(400, "inputs must be a non-empty array");
  if (body.inputs.length > model.maxBatch) {
    return reject(400, `Batch size ${body.inputs.length} exceeds the maximum of ${model.maxBatch} inputs for model ${body.model}`);
  }
  if (!body.inputs.every((x) => typeof x?.text === "string")) return reject(400, "every input must be an object {text: string}");
  const tokens = body.inputs.map((x) => countTokens(x.text));
  const longest = Math.max(...tokens);
  if (truncate === "NONE" && longest > model.maxTokens) {
    return reject(400, `Input of ${longest} tokens exceeds the maximum sequence length ${model.maxTokens} and truncate is NONE`);
  }
  return {
    magic,
    respond: () => ({
      status: 200,
      body: {
        model: body.model,
        vector_type: "dense",
        data: body.inputs.map((x) => ({ values: embedText(x.text, dimension), vector_type: "dense" })),
        usage: { total_tokens: tokens.reduce((a, t) => a + Math.min(t, model.maxTokens), 0) },
      },
    }),
  };
}

function searchRecords(namespace, body, state, reject) {
  const bad = checkObject(body, reject, null, state);
  if (bad) return bad;
  const q = body.query;
  if (q === null || typeof q !== "object" || Array.isArray(q)) return reject(400, "Missing required field `query`");
  const badK = checkTopK(q.top_k, "query.top_k", reject);
  if (badK) return badK;
  const given = [q.inputs !== undefined, q.vector !== undefined, q.id !== undefined].filter(Boolean).length;
  if (given !== 1) return reject(400, "Exactly one of query.inputs, query.vector or query.id must be provided");
  if (q.inputs !== undefined && typeof q.inputs?.text !== "string") return reject(400, "query.inputs.text must be a string");
  if (q.vector !== undefined) {
    const badV = checkQueryVector(q.vector?.values, state, reject);
    if (badV) return badV;
  }
  if (q.filter !== undefined) {
    const p = filterProblem(q.filter);
    if (p) return reject(400, `Invalid filter: ${p}`);
  }
  if (body.fields !== undefined && (!Array.isArray(body.fields) || !body.fields.every((f) => typeof f === "string"))) {
    return reject(400, "fields must be an array of strings");
  }
  const rerank = body.rerank;
  if (rerank !== undefined && (typeof rerank?.model !== "string" || !Array.isArray(rerank.rank_fields))) {
    return reject(400, "rerank needs model and rank_fields");
  }
  return {
    magic: magicOf(namespace),
    respond: () => {
      const dim = state.dimension ?? DEFAULT_INTEGRATED_DIMENSION;
      let vector = null;
      const usage = { read_units: readUnitsFor(state, namespace) };
      if (q.inputs !== undefined) {
        vector = embedText(q.inputs.text, dim);
        usage.embed_total_tokens = countTokens(q.inputs.text);
      } else if (q.vector !== undefined) {
        vector = q.vector.values;
      } else {
        vector = state.namespaces.get(nsKey(namespace))?.get(String(q.id))?.values ?? null;
      }
      let found = vector ? search(state, namespace, vector, q.top_k, q.filter) : [];
      if (rerank) {
        found = found.slice(0, rerank.top_n ?? found.length);
        usage.rerank_units = 1;
      }
      const hits = found.map(({ record: r, score }) => {
        const meta = r.metadata ?? {};
        const fields = body.fields ? Object.fromEntries(body.fields.filter((f) => Object.hasOwn(meta, f)).map((f) => [f, structuredClone(meta[f])])) : structuredClone(meta);
        return { _id: r.id, _score: score, fields };
      });
      return { status: 200, body: { result: { hits }, usage } };
    },
  };
}

function upsertRecords(namespace, record, state, reject) {
  const lines = record.body;
  if (!Array.isArray(lines) || lines.length === 0) {
    return reject(400, "Invalid request body: expected newline-delimited JSON records (Content-Type: application/x-ndjson)");
  }
  if (lines.length > MAX_RECORDS_PER_UPSERT) {
    return reject(400, `Request contains ${lines.length} records, the maximum is ${MAX_RECORDS_PER_UPSERT} for indexes with integrated embedding`);
  }
  const dim = state.dimension ?? DEFAULT_INTEGRATED_DIMENSION;
  const vectors = [];
  for (const line of lines) {
    if (line === null || typeof line !== "object" || Array.isArray(line)) return reject(400, "each record must be a JSON object");
    const { _id, id, [state.textField]: text, ...rest } = line;
    const recordId = _id ?? id;
    if (typeof recordId !== "string" || recordId === "") return reject(400, "each record needs a string `_id`");
    if (typeof text !== "string") return reject(400, `Record ${recordId}: missing field '${state.textField}' (the index's field_map text field)`);
    vectors.push({ id: recordId, values: embedText(text, dim), metadata: { [state.textField]: text, ...rest } });
  }
  const problem = checkVectors(state, vectors);
  if (problem) return reject(400, problem);
  return {
    magic: magicOf(namespace),
    respond: () => {
      write(state, namespace, vectors);
      return { status: 201, body: undefined };
    },
  };
}

/** NDJSON as an array of parsed lines (blank lines skipped); undefined if any line is bad. */
function parseNdjson(raw) {
  if (raw === "") return null;
  const out = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      return undefined;
    }
  }
  return out;
}

// `node tests/support/fake-pinecone.mjs [port]`: run standalone for trying it by hand.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const fake = await startFakePinecone({ port: Number(process.argv[2] ?? 0) });
  console.log(`fake Pinecone at ${fake.url} (namespace or /embed model fake/<scenario>: ${Object.keys(MAGIC_SCENARIOS).join(", ")})`);
}
