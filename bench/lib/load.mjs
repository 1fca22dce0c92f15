// The load test's engine, shared by bench/load.mjs (200 visitors × 120 s per host) and
// tests/e2e/load.test.mjs (a short run inside the suite): the upstreams with their faults, the
// hosts, the visitors (load-client.mjs), and the checks read straight from the database.
//
//   const up = await startUpstreams({ postgres: true });
//   const result = await runHost(up, "node-dev", { visitors: 200, seconds: 120 });
//   await up.close();
//
// Upstreams: a real PostgreSQL 15 (tests/support/postgres-state.mjs; PGlite when `postgres` is
// false) behind our PostgREST layer (hosts/node-dev/state-server.js), the fake OpenRouter with a
// token pace and a share of 429/5xx/stall answers, fake Mailgun. Each host gets its own fault
// proxies (tests/support/fault-proxy.mjs): one in front of the PostgREST layer, one in front of
// Mailgun. The rate limits of the demo config are lifted (every visitor is 127.0.0.1).

import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { startStateServer } from "../../hosts/node-dev/state-server.js";
import { startFakeMailgun } from "../../tests/support/fake-mailgun.mjs";
import { startFakeOpenRouter } from "../../tests/support/fake-openrouter.mjs";
import { startFaultProxy } from "../../tests/support/fault-proxy.mjs";
import { prng } from "../../tests/support/openrouter-stream.mjs";
import { startListening } from "../../tests/support/host-process.mjs";
import { postgresStore } from "../../tests/support/postgres-state.mjs";
import { REPO, startWorkerd } from "../../tests/support/workerd.mjs";
import { checkRecords } from "./load-checks.mjs";
import { visitor } from "./load-client.mjs";
import { probeModel } from "./load-probe.mjs";
import { percentile } from "./stats.mjs";

export const DEFAULT_FAULTS = {
  // Shares of the model's answers (the rest: a normal streamed answer at `tokenDelayMs` a piece).
  model: { 429: 0.04, 500: 0.015, 502: 0.015, 503: 0.01, stall: 0.02 },
  tokenDelayMs: 30,
  // Shares of the state store's RPCs: 503 before forwarding / forwarded then the answer dropped.
  // `spare: { before: [fn…], after: [fn…] }` keeps those functions out of one kind of fault.
  store: { before: 0.02, after: 0.005 },
  // Shares of Mailgun sends answered 503 before forwarding.
  mail: { before: 0.2, after: 0 },
  // The visitors' behaviour.
  dropShare: 0.1, resubmitShare: 0.1, summaryShare: 0.05, thinkMs: [200, 1500],
};

const SECRETS = {
  SALIENT_STREAM_SECRET: "load-test-stream-secret-0123456789abcdefghijkl",
  SALIENT_OTP_SECRET: "load-test-otp-secret-0123456789abcdefghijklmnop",
  MAILGUN_WEBHOOK_SIGNING_KEY: "load-test-signing-key-0123456789abcdef",
  OPENROUTER_API_KEY: "sk-or-load-test",
};

/** build/salient.json with the limits lifted and a model timeout that notices a stall. */
export function loadConfig() {
  const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  const limits = {
    messages_per_minute: { ip: 0, session: 1000, tenant: 1000000 },
    tokens_per_day: { ip: 0, session: 0, tenant: 0 },
    emails_per_hour: { ip: 0, session: 1000, tenant: 1000000 },
  };
  // A core from before the limits refuses the key (and has none to lift); one with them applies
  // its defaults (20 messages a minute per address) even when the compiled config has no such key.
  const limited = "rate_limits" in config ||
    readFileSync(path.join(REPO, "build", "wasi", "functions", "chat.wasm")).includes("messages_per_minute");
  if (limited) config.rate_limits = limits;
  config.llm = { ...config.llm, timeout_ms: 3000 };
  // The breaker would turn most answers into offline ones once faults are frequent; the test
  // wants the model path exercised (the breaker has its own tests): 100 failures within a second
  // open it, for a second. Offline answers, when it does open, count as answers.
  config.resilience = { ...config.resilience, breaker_failures: 100, breaker_window_seconds: 1, breaker_cooldown_seconds: 1 };
  config.summary = { ...config.summary, per_session_per_day: 100 };
  for (const agent of Object.values(config.agents)) {
    if (limited) agent.rate_limits = structuredClone(limits);
    agent.llm = { ...agent.llm, timeout_ms: 3000 };
  }
  return config;
}

/** A seeded generator (mulberry32, tests/support/openrouter-stream.mjs), so a run's fault schedule can be repeated. */
export const seeded = prng;

/** Starts the store, its PostgREST layer and the fake upstreams. */
export async function startUpstreams({ postgres = true, faults = DEFAULT_FAULTS, seed = 19 } = {}) {
  const random = seeded(seed);
  const config = loadConfig();
  const store = postgres ? await postgresStore({ connections: 30 }) : await pgliteBackend();
  const kind = postgres ? "PostgreSQL 15" : "PGlite";
  if (!store.sync) store.sync = (c) => store.call("salient_sync_config", syncArgs(c));
  await store.sync(config);
  const state = await startStateServer({ backend: store });
  const openrouter = await startFakeOpenRouter({ port: 0 });
  const mailgun = await startFakeMailgun({ port: 0 });
  const tally = {}; // scenario kind → count, of the model requests served
  const scenario = () => {
    let roll = random();
    for (const [what, share] of Object.entries(faults.model)) {
      if ((roll -= share) >= 0) continue;
      if (what === "stall") return { kind: "stall", afterPieces: 3, delayMs: faults.tokenDelayMs };
      return { kind: "status", status: Number(what), ...(what === "429" ? { retryAfter: 1 } : {}) };
    }
    return { kind: "ok", delayMs: faults.tokenDelayMs };
  };
  // Scenarios are served FIFO; far more than a run uses are queued up front.
  const refill = (n) => {
    for (let i = 0; i < n; i++) openrouter.enqueue(scenario());
  };
  refill(200000);
  const count = () => {
    for (const r of openrouter.requests) {
      if (!r.scenario) continue;
      const name = r.scenario.kind === "status" ? String(r.scenario.status) : r.scenario.kind;
      tally[name] = (tally[name] ?? 0) + 1;
    }
    openrouter.requests.length = 0; // same array object: the fake keeps pushing to it
  };
  const counter = setInterval(count, 2000);
  return {
    config, store, kind, state, openrouter, mailgun, faults, random,
    modelTally: () => (count(), { ...tally }),
    resetTally: () => {
      count();
      for (const k of Object.keys(tally)) delete tally[k];
    },
    async close() {
      clearInterval(counter);
      await openrouter.close();
      await mailgun.close();
      await state.close();
      await store.close();
    },
  };
}

/** The host's warn/error log lines (the dev server's child prints them), counted by event and reason. */
function warnings(output) {
  const counts = {};
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const e = JSON.parse(line);
      if (!e.event || (e.level && e.level !== "warn" && e.level !== "error")) continue; // workerd prints every level
      const why = String(e.reason ?? e.message ?? "").slice(0, 80);
      const k = `${e.event}${why ? `: ${why}` : ""}`;
      counts[k] = (counts[k] ?? 0) + 1;
    } catch {
      // not a log entry
    }
  }
  return counts;
}

function syncArgs(config) {
  // pgliteBackend has no sync(); the same arguments as postgres-state.mjs's.
  return JSON.parse(JSON.stringify({
    p_tenant: config.app.tenant,
    p_personas: Object.fromEntries(Object.entries(config.personas ?? {}).map(([c, p]) =>
      [c, { name: p.name, description: p.description ?? null, system_prompt: p.system_prompt }])),
    p_agents: Object.fromEntries(Object.entries(config.agents).map(([c, a]) => [c, { persona: a.persona, enabled: a.enabled ?? true }])),
    p_default_agent: config.app.default_agent ?? null,
  }));
}

/** A child Node process running the dev server with `config` and `env` (bench/lib/load-dev-server.mjs). */
async function startDevServerChild({ env, config }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "salient-load-"));
  const file = path.join(dir, "salient.json");
  await writeFile(file, JSON.stringify(config));
  return startListening({
    name: "the dev server",
    command: process.execPath,
    args: [path.join(REPO, "bench", "lib", "load-dev-server.mjs"), file],
    env,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
}

const running = new Set(); // hosts started and not yet stopped, for stopHosts()

/** Stops every host still running (a signal's handler: a `finally` does not run then). */
export async function stopHosts() {
  await Promise.allSettled([...running].map((h) => h.stop()));
}

export const HOSTS = {
  "node-dev": startDevServerChild,
  workerd: ({ env, config }) => startWorkerd({ env, salientConfig: config, verbose: false }),
};

/**
 * One host under load: its fault proxies, the host, `visitors` visitors for `seconds`, then the
 * checks. Resolves to the host's result (load-checks.mjs) with the faults that happened.
 */
export async function runHost(up, hostName, {
  visitors = 200, seconds = 120, graceSeconds = 30, log = () => {},
  overrides = {}, // this run's changes to up.faults (e.g. store: {…, spare})
} = {}) {
  const faults = { ...up.faults, ...overrides };
  const { store } = faults;
  const { random } = up;
  const storeProxy = await startFaultProxy({
    target: up.state.url, before: store.before, after: store.after, random,
    eligible: (p, kind) => p.startsWith("/rest/v1/rpc/") && !(store.spare?.[kind] ?? []).includes(p.split("/").pop()),
    key: (p) => p.split("/").pop(),
    errorBody: () => ({ code: "PGRST000", message: "Could not connect to the database (fault proxy)", details: null, hint: null }),
  });
  const mailProxy = await startFaultProxy({
    target: up.mailgun.url, ...faults.mail, random,
    eligible: (p) => p.endsWith("/messages"),
    key: () => "messages",
    errorBody: () => ({ message: "Service Unavailable (fault proxy)" }),
  });
  const env = {
    ...SECRETS,
    SUPABASE_URL: storeProxy.url,
    OPENROUTER_BASE_URL: up.openrouter.url,
    MAILGUN_API_KEY: up.mailgun.apiKey, MAILGUN_DOMAIN: up.mailgun.domain, MAILGUN_BASE_URL: mailProxy.url,
  };
  up.resetTally();
  const host = await HOSTS[hostName]({ env, config: up.config });
  running.add(host);
  const records = [];
  const started = performance.now();
  try {
    const deadline = started + seconds * 1000;
    const opts = {
      base: host.url, host: hostName, random, deadline, records,
      dropShare: faults.dropShare, resubmitShare: faults.resubmitShare, summaryShare: faults.summaryShare,
      thinkMs: faults.thinkMs,
    };
    const ticker = setInterval(() => log(`${hostName}: ${records.length} messages, ${Math.round((performance.now() - started) / 1000)} s`), 10000);
    const peer = probeModel({ deadline, tokenDelayMs: faults.tokenDelayMs, model: up.config.agents.sales.llm.model });
    const visiting = Array.from({ length: visitors }, (_, i) =>
      new Promise((r) => setTimeout(r, (i * 1000) / visitors)).then(() => visitor(opts)));
    // Every visitor stops sending at the deadline; what is in flight gets a grace period.
    const grace = new Promise((r) => setTimeout(r, (seconds + graceSeconds) * 1000));
    const finished = await Promise.race([Promise.all(visiting).then(() => true), grace.then(() => false)]);
    clearInterval(ticker);
    const elapsed = (performance.now() - started) / 1000;
    // Cancelled streams store what they had; give the last ones a moment, with no faults.
    storeProxy.setRates({ before: 0, after: 0 });
    await new Promise((r) => setTimeout(r, 2000));
    const result = await checkRecords(up.store, records);
    const direct = await peer;
    const pct = (v) => ({ n: v.length, p50: percentile(v, 50), p90: percentile(v, 90), p99: percentile(v, 99) });
    result.latencyMs.directTtft = pct(direct.ttft);
    result.latencyMs.directFull = pct(direct.full);
    result.hostWarnings = warnings(host.output?.() ?? "");
    return {
      host: hostName, store: up.kind, visitors, seconds, elapsedSeconds: Math.round(elapsed), settings: faults,
      hung: finished ? 0 : records.filter((r) => !r.outcome && r.answered).length,
      ...result,
      faults: {
        model: up.modelTally(),
        store: { before: storeProxy.counts.before, after: storeProxy.counts.after, forwarded: storeProxy.counts.forwarded,
          clientGone: storeProxy.counts.clientGone, upstreamErrors: storeProxy.counts.upstreamErrors, byFunction: storeProxy.counts.byKey },
        mail: { before: mailProxy.counts.before, forwarded: mailProxy.counts.forwarded },
        clientDrops: records.filter((r) => r.dropped).length,
        resubmissions: records.filter((r) => r.resubmitted).length,
      },
    };
  } finally {
    running.delete(host);
    await host.stop();
    await storeProxy.close();
    await mailProxy.close();
  }
}
