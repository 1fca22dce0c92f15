// Per-instance counters (issue 20): what this isolate or process has seen since createSalient
// made it. Requests by module, route and status; upstream errors by upstream and kind; 429
// answers by route. A GET /metrics head carries them to the otp module (head field
// `instance_metrics`, docs/ABI.md), which renders them beside the store's counters with the label
// instance="<id>" (shared/flows/admin/metrics_text.cpp).
//
// Labels stay few and say nothing about anyone: a route is the NAME of its pattern
// ("/a/{agent}/chat"), never the path (an agent's code, a session or transcript token, an address
// typed into the URL would each make a series of their own); an upstream is one of six names
// taken from the effect URL's host, never the URL. Every label set is drawn from a fixed list, so
// the number of series is bounded whatever the traffic.

/** The agent's routes (shared/flows: chat_flow.cpp's table, the stream, summary and otp flows). */
const AGENT_ROUTES = new Set([
  "/", "/chat", "/events/stream", "/summary", "/handoff", "/updates", "/privacy", "/compare",
  "/settings", "/history", "/sessions", "/identify",
]);
const EXACT_ROUTES = new Set([
  "/metrics", "/admin", "/admin/", "/admin/sign-in", "/admin/verify", "/admin/sign-out",
  "/admin/conversations", "/admin/leads", "/admin/leads.csv", "/admin/erase", "/admin/config",
  "/admin/config.yaml", "/admin/warnings", "/otp/request", "/otp/verify", "/mail/inbound",
  "/internal/sweep", "/internal/log-flush",
]);
const AGENT_PATH = /^\/a\/[a-z0-9-]{1,32}(\/.*)?$/s;

/** The bounded name of `pathname`'s route ("other" when it is none of the known ones). */
export function routeName(pathname) {
  if (typeof pathname !== "string") return "other";
  if (EXACT_ROUTES.has(pathname)) return pathname;
  const agent = AGENT_PATH.exec(pathname);
  if (agent) {
    const rest = agent[1] ?? "";
    if (rest === "") return "/a/{agent}";
    if (AGENT_ROUTES.has(rest)) return `/a/{agent}${rest}`;
    if (/^\/transcript\/[^/]+$/.test(rest)) return "/a/{agent}/transcript/{token}";
    return "other";
  }
  if (/^\/admin\/conversations\/[^/]+$/.test(pathname)) return "/admin/conversations/{id}";
  if (/^\/admin\/leads\/[^/]+$/.test(pathname)) return "/admin/leads/{id}";
  if (pathname.startsWith("/admin/")) return "/admin/*";
  if (pathname.startsWith("/otp/")) return "/otp/*";
  if (pathname.startsWith("/widget/")) return "/widget/*";
  if (pathname.startsWith("/assets/")) return "/assets/*";
  return "other";
}

export const UPSTREAMS = ["openrouter", "pinecone", "embeddings", "mailgun", "store", "other"];
export const ERROR_KINDS = ["timeout", "network", "http_4xx", "http_5xx"];

/** `url`'s origin (scheme://host:port, lower case) or "" when it does not parse. */
function originOf(url) {
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return "";
  }
}

/**
 * A classifier of effect URLs for `env` (docs/ENVIRONMENT.md names the bases): `(url) → upstream`.
 * The env's bases win (a gateway, a test double on 127.0.0.1), then the services' own hosts.
 */
export function upstreamClassifier(env = {}) {
  const bases = [];
  const add = (name, upstream, path = "") => {
    const value = env?.[name];
    if (typeof value !== "string" || !value) return;
    const origin = originOf(value);
    if (origin && origin !== "null") bases.push({ origin, path, upstream });
  };
  add("SUPABASE_URL", "store");
  add("OPENROUTER_BASE_URL", "openrouter");
  add("OPENAI_BASE_URL", "embeddings");
  add("MAILGUN_BASE_URL", "mailgun");
  add("PINECONE_INDEX_HOST", "pinecone");
  add("PINECONE_API_URL", "pinecone");
  return (url) => {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      return "other";
    }
    const origin = parsed.origin.toLowerCase();
    // Same origin for two bases (one test double for all): the path decides (/v1/embeddings).
    const matches = bases.filter((b) => b.origin === origin);
    if (matches.length === 1) return matches[0].upstream;
    const host = parsed.hostname.toLowerCase();
    const path = parsed.pathname;
    if (matches.length > 1) {
      if (/\/rest\/v1\//.test(path)) return "store";
      if (/\/embeddings$/.test(path)) return "embeddings";
      if (/\/messages$|\/v3\//.test(path)) return "mailgun";
      if (/\/chat\/completions$/.test(path)) return "openrouter";
      if (/\/query$|\/embed$|\/vectors\/|\/indexes/.test(path)) return "pinecone";
      return matches[0].upstream;
    }
    if (host === "openrouter.ai" || host.endsWith(".openrouter.ai")) return "openrouter";
    if (host.endsWith("pinecone.io")) return "pinecone";
    if (host === "api.openai.com" || /\/v1\/embeddings$/.test(path)) return "embeddings";
    if (/(^|\.)mailgun\.(net|org)$/.test(host)) return "mailgun";
    if (host.endsWith(".supabase.co") || /^\/rest\/v1\//.test(path)) return "store";
    return "other";
  };
}

/** The kind of an upstream failure: an effect failure's kind ("timeout", …) or an HTTP status. */
export function errorKind(kindOrStatus) {
  if (typeof kindOrStatus === "number") {
    if (kindOrStatus >= 500) return "http_5xx";
    if (kindOrStatus >= 400) return "http_4xx";
    return null;
  }
  if (kindOrStatus === "timeout") return "timeout";
  if (kindOrStatus === "aborted") return null; // we stopped it ourselves
  return "network"; // connect, network
}

/** Eight random bytes as hex: names this isolate or process in the labels, nothing else. */
function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * One isolate's counters. `request` and `upstreamError` count; `snapshot()` is the head field's
 * object (docs/ABI.md `instance_metrics`), its arrays sorted so two snapshots compare.
 */
export function createMetrics({ env = {}, now = Date.now } = {}) {
  const instance = randomId();
  const startedMs = Math.round(now());
  const requests = new Map(); // "module\troute\tstatus" → count
  const upstreamErrors = new Map(); // "upstream\tkind" → count
  const rateLimited = new Map(); // route → count
  const classify = upstreamClassifier(env);
  const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);

  return {
    instance,
    startedMs,
    /** One answered request: its module (pool name), its URL path and the status it was given. */
    request(module, pathname, status) {
      const route = routeName(pathname);
      const code = Number.isInteger(status) && status >= 100 && status <= 599 ? status : 0;
      bump(requests, `${module}\t${route}\t${code}`);
      if (code === 429) bump(rateLimited, route);
    },
    /** One failed effect: its URL and failure kind, or the HTTP status (≥ 400) it was answered. */
    upstreamError(url, kindOrStatus) {
      const kind = errorKind(kindOrStatus);
      if (kind) bump(upstreamErrors, `${classify(url)}\t${kind}`);
    },
    snapshot() {
      const sorted = (map) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return {
        instance,
        started_ms: startedMs,
        requests: sorted(requests).map(([key, count]) => {
          const [module, route, status] = key.split("\t");
          return { module, route, status: Number(status), count };
        }),
        upstream_errors: sorted(upstreamErrors).map(([key, count]) => {
          const [upstream, kind] = key.split("\t");
          return { upstream, kind, count };
        }),
        rate_limited: sorted(rateLimited).map(([route, count]) => ({ route, count })),
      };
    },
  };
}

/** Whether `method` and `pathname` are a metrics scrape (the only head that gets the snapshot). */
export function wantsInstanceMetrics(method, pathname) {
  return method === "GET" && pathname === "/metrics";
}
