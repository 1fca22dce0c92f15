// Every platform's scheduled entry point reaches the one core sweep (issue 17): the driver's
// sweep() runs the summary module on its synthetic `scheduled` request, and the answer is the
// core's {claimed, sent, failed, unknown, more}. Here, each entry as its platform calls it:
// workerd firing the worker's scheduled() (a Cron Trigger), the Netlify scheduled function
// imported and called under Node, Vercel Cron's GET /api/sweep with and without the right
// secret (and the sweep after a chat), the dev server's timer and POST /dev/sweep, and the
// `salient sweep` command. Each runs beside an empty state store, so the sweep finds nothing to
// send; what the sweep does with idle conversations is tested with the core.
//
//   node --test tests/hosts/sweep-entry.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import http from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { startServer } from "../../hosts/node-dev/server.js";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { startStateServer } from "../../hosts/node-dev/state-server.js";
import { sweepSeconds } from "../../hosts/node-dev/sweep-timer.js";
import { DOMAIN, KEY, startFakeMailgun } from "../support/fake-mailgun.mjs";
import { configuredCopy } from "../support/host-process.mjs";
import { DRIVER_SOURCES, REPO, startWorkerd } from "../support/workerd.mjs";

const SECRETS = {
  SALIENT_STREAM_SECRET: "sweep-entry-stream-secret-0123456789abcdefgh",
  SALIENT_OTP_SECRET: "sweep-entry-code-secret-0123456789abcdefghijk",
};
const CRON_SECRET = "sweep-entry-cron-secret-0123456789";
const COUNTS = ["claimed", "sent", "failed", "unknown"];
// The repository's compiled config with a sales recipient: the sweep refuses to run without one.
const CONFIG = (() => {
  const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  config.email = { ...config.email, sales_recipient: "sales@brightleaf.test" };
  delete config.email.mock_sales_recipient;
  return config;
})();

/** The core's sweep answer: four counts and `more`. */
function assertSweepAnswer(body, where) {
  assert.equal(typeof body, "object", `${where}: ${JSON.stringify(body)}`);
  for (const key of COUNTS) assert.ok(Number.isInteger(body[key]) && body[key] >= 0, `${where}: ${key} in ${JSON.stringify(body)}`);
  assert.equal(typeof body.more, "boolean", `${where}: more in ${JSON.stringify(body)}`);
  assert.equal(body.claimed, 0, `${where}: an empty store has nothing to claim`);
}

/** The driver's log lines among `text`'s lines (JSON objects with an `event`). */
const logLines = (text) => text.split("\n").flatMap((line) => {
  const at = line.indexOf("{");
  if (at < 0) return [];
  try {
    const value = JSON.parse(line.slice(at));
    return value && typeof value.event === "string" ? [value] : [];
  } catch {
    return [];
  }
});

/** The host.sweep line for `trigger`: the sweep ran in the summary module and answered 200. */
function assertSweptLine(lines, trigger) {
  const swept = lines.filter((l) => l.event === "host.sweep" && l.trigger === trigger);
  assert.ok(swept.length > 0, `no host.sweep line for ${trigger}`);
  const last = swept.at(-1);
  assert.equal(last.status, 200, JSON.stringify(last));
  for (const key of COUNTS) assert.ok(Number.isInteger(last[key]), `${key} in ${JSON.stringify(last)}`);
  assert.equal(typeof last.more, "boolean", JSON.stringify(last));
  const run = lines.find((l) => l.event === "http.request" && l.request_id === last.request_id);
  assert.equal(run?.module, "summary", JSON.stringify(run));
  assert.equal(run?.path, "/internal/sweep");
}

/** `read()` once `done(value)` holds, or after 3 s (the assertions then say what is missing). */
async function until(read, done) {
  const deadline = Date.now() + 3000;
  for (;;) {
    const value = read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

let mailgun, state;
const hostEnv = () => ({ ...SECRETS, SUPABASE_URL: state.url, MAILGUN_API_KEY: KEY, MAILGUN_DOMAIN: DOMAIN, MAILGUN_BASE_URL: mailgun.url });
before(async () => {
  mailgun = await startFakeMailgun();
  state = await startStateServer();
});
after(async () => {
  await state?.close();
  await mailgun?.close();
});

describe("Cloudflare: the Cron Trigger's scheduled()", () => {
  let worker;
  before(async () => {
    worker = await startWorkerd({ env: hostEnv(), salientConfig: CONFIG, scheduled: true });
  });
  after(() => worker?.stop());

  test("a cron event runs the sweep (limit 8) and waits for it", async () => {
    const r = await fetch(`${worker.scheduledUrl}/?cron=${encodeURIComponent("*/5 * * * *")}`);
    assert.deepEqual(await r.json(), { outcome: "ok", noRetry: false });
    // The event ended after the sweep (waitUntil); its log line may still be on its way out.
    const lines = await until(() => logLines(worker.output()), (l) => l.some((x) => x.event === "host.sweep"));
    assertSweptLine(lines, "cloudflare-cron");
    assert.equal(lines.findLast((l) => l.event === "host.sweep").limit, 8);
  });

  test("no public request reaches the sweep", async () => {
    const before = logLines(worker.output()).filter((l) => l.event === "host.sweep").length;
    for (const method of ["GET", "POST"]) {
      const r = await fetch(worker.url + "/internal/sweep", { method, headers: { accept: "application/json" } });
      assert.equal(r.status, 404);
      await r.arrayBuffer();
    }
    const lines = logLines(worker.output());
    assert.equal(lines.filter((l) => l.event === "host.sweep").length, before);
    assert.equal(lines.findLast((l) => l.path === "/internal/sweep" && l.event === "http.request").module, "chat");
  });

  test("wrangler.toml schedules it every 5 minutes", () => {
    assert.match(readFileSync(path.join(REPO, "wrangler.toml"), "utf8"), /^\[triggers\]\ncrons = \["\*\/5 \* \* \* \*"\]$/m);
  });
});

// The serverless Node entries, imported from a copy of their sources beside a build/ with CONFIG
// (they find build/ next to hosts/, as the platforms ship it), with the process's environment
// as the platform's.
const NODE_SOURCES = [...DRIVER_SOURCES, "hosts/routes.js", "hosts/node-build.js", "hosts/netlify/functions/sweep.mjs",
  "hosts/vercel/sweep.js", "hosts/vercel/function.js", "api/sweep.js", "api/salient.js"];
let copyDir = null, copyRoot = null;
async function nodeCopy() {
  if (!copyRoot) {
    copyDir = await mkdtemp(path.join(os.tmpdir(), "salient-sweep-"));
    copyRoot = await configuredCopy(copyDir, NODE_SOURCES, CONFIG);
    Object.assign(process.env, hostEnv());
  }
  return copyRoot;
}
const importCopy = async (file) => import(pathToFileURL(path.join(await nodeCopy(), file)).href);
after(() => copyDir && rm(copyDir, { recursive: true, force: true }));

/** Runs `fn` with console.log collected (the driver's default log); returns [result, lines]. */
async function logged(fn) {
  const lines = [];
  const original = console.log;
  console.log = (...args) => lines.push(args.join(" "));
  try {
    return [await fn(), lines.join("\n")];
  } finally {
    console.log = original;
  }
}

describe("Netlify: the scheduled function (Node)", () => {
  test("its handler runs the sweep (limit 20) and answers the counts", async () => {
    const fn = await importCopy("hosts/netlify/functions/sweep.mjs");
    assert.deepEqual(fn.config, { schedule: "*/5 * * * *" });
    // Netlify invokes it with a POST whose body holds the next run's time.
    const request = new Request("https://site.test/.netlify/functions/sweep", { method: "POST", body: JSON.stringify({ next_run: "2026-12-07T10:20:00.000Z" }) });
    const [response, log] = await logged(() => fn.default(request, {}));
    assert.equal(response.status, 200);
    assertSweepAnswer(await response.json(), "netlify");
    assertSweptLine(logLines(log), "netlify-schedule");
    assert.equal(logLines(log).findLast((l) => l.event === "host.sweep").limit, 20);
  });

  test("netlify.toml ships the function with the files it reads", () => {
    const toml = readFileSync(path.join(REPO, "netlify.toml"), "utf8");
    assert.match(toml, /^\[functions\]\n\s+directory = "hosts\/netlify\/functions"$/m);
    for (const file of ["build/wasi/functions/summary.wasm", "build/salient.json", "build/knowledge.bin"]) {
      assert.ok(toml.includes(`"${file}"`), `included_files: ${file}`);
    }
  });
});

describe("Vercel: the cron route and the sweep after a chat", () => {
  const cron = async (headers = {}, method = "GET") => {
    const { default: handler } = await importCopy("api/sweep.js");
    const [response, log] = await logged(() => handler.fetch(new Request("https://site.test/api/sweep", { method, headers }), { waitUntil() {} }));
    return { status: response.status, body: await response.json(), log };
  };
  const withSecret = async (secret, fn) => {
    const saved = process.env.CRON_SECRET;
    if (secret === undefined) delete process.env.CRON_SECRET;
    else process.env.CRON_SECRET = secret;
    try {
      return await fn();
    } finally {
      if (saved === undefined) delete process.env.CRON_SECRET;
      else process.env.CRON_SECRET = saved;
    }
  };

  test("without CRON_SECRET on the project: 500, nothing swept", () => withSecret(undefined, async () => {
    const r = await cron({ authorization: `Bearer ${CRON_SECRET}` });
    assert.equal(r.status, 500);
    assert.match(r.body.error.message, /not configured/);
    assert.equal(logLines(r.log).filter((l) => l.event === "host.sweep").length, 0);
  }));

  test("a CRON_SECRET shorter than 16 characters: 500, even with the matching header", () => withSecret("short-secret", async () => {
    const r = await cron({ authorization: "Bearer short-secret" });
    assert.equal(r.status, 500);
    assert.match(r.body.error.message, /16\+ characters/);
    assert.equal(logLines(r.log).filter((l) => l.event === "host.sweep").length, 0);
  }));

  test("the right secret: 200 and the counts (limit 20)", () => withSecret(CRON_SECRET, async () => {
    const r = await cron({ authorization: `Bearer ${CRON_SECRET}` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertSweepAnswer(r.body, "vercel");
    assertSweptLine(logLines(r.log), "vercel-cron");
    assert.equal(logLines(r.log).findLast((l) => l.event === "host.sweep").limit, 20);
    assert.ok(!r.log.includes(CRON_SECRET), "the secret is never logged");
  }));

  test("a wrong or missing secret: 401, nothing swept, the header not logged", () => withSecret(CRON_SECRET, async () => {
    for (const authorization of [`Bearer ${CRON_SECRET}x`, `Bearer ${CRON_SECRET.slice(0, -1)}`, `bearer ${CRON_SECRET}`,
      CRON_SECRET, `Basic ${CRON_SECRET}`, "Bearer ", "", undefined]) {
      const r = await cron(authorization === undefined ? {} : { authorization });
      assert.equal(r.status, 401, String(authorization));
      assert.equal(logLines(r.log).filter((l) => l.event === "host.sweep").length, 0);
      assert.ok(!r.log.includes(CRON_SECRET));
    }
  }));

  test("not a GET: 405", () => withSecret(CRON_SECRET, async () => {
    assert.equal((await cron({ authorization: `Bearer ${CRON_SECRET}` }, "POST")).status, 405);
  }));

  test("vercel.json: the daily cron (Hobby's most frequent) and the route's files", () => {
    const vercel = JSON.parse(readFileSync(path.join(REPO, "vercel.json"), "utf8"));
    assert.deepEqual(vercel.crons, [{ path: "/api/sweep", schedule: "0 5 * * *" }]);
    assert.match(vercel.functions["api/sweep.js"].includeFiles, /summary\.wasm/);
  });

  test("a chat request sweeps a little after its answer, at most once per 5 minutes per instance", async () => {
    const { default: handler, sweepDue } = await importCopy("api/salient.js").then(async (api) => ({ ...api, ...(await importCopy("hosts/vercel/function.js")) }));
    const chat = async () => {
      const waits = [];
      const request = new Request("https://site.test/a/sales/chat?salient_a=sales%2Fchat", {
        method: "POST", headers: { "content-type": "application/json", accept: "application/json", "x-real-ip": "203.0.113.7" },
        body: JSON.stringify({ message: "Do you deliver to Leeds?", session_key: "sweep-entry-session-0001", idempotency_key: crypto.randomUUID() }),
      });
      const [, log] = await logged(async () => {
        const response = await handler.fetch(request, { waitUntil: (p) => waits.push(p) });
        assert.equal(response.status, 200);
        await response.arrayBuffer();
        return Promise.all(waits);
      });
      return logLines(log);
    };
    const first = await chat();
    assertSweptLine(first, "after-chat");
    assert.equal(first.findLast((l) => l.event === "host.sweep").limit, 2);
    const second = await chat();
    assert.equal(second.filter((l) => l.event === "host.sweep").length, 0, "one opportunistic sweep per 5 minutes");
    // The interval itself, on a clock far from the real one.
    const t = Date.now() + 10 * 24 * 3600 * 1000;
    assert.equal(sweepDue(t), true);
    assert.equal(sweepDue(t + 4 * 60 * 1000), false);
    assert.equal(sweepDue(t + 5 * 60 * 1000), true);
  });
});

describe("the dev server: its timer, POST /dev/sweep and `salient sweep`", () => {
  let server, store;
  const lines = [];
  before(async () => {
    store = await pgliteBackend();
    server = await startServer({ port: 0, state: store, env: { ...SECRETS }, config: CONFIG, log: (o) => lines.push(o), sweepSeconds: 1 });
  });
  after(async () => {
    await server?.close();
    await store?.close();
  });
  const sweepsOf = (trigger) => lines.filter((l) => l.event === "host.sweep" && l.trigger === trigger);

  test("the timer sweeps every SALIENT_SWEEP_SECONDS (limit 50)", async () => {
    await until(() => sweepsOf("dev-timer"), (s) => s.length > 0);
    assertSweptLine(lines, "dev-timer");
    assert.equal(sweepsOf("dev-timer").at(-1).limit, 50);
  });

  test("the timer never overlaps itself: a tick while its sweep runs is skipped", () => {
    const skipped = lines.filter((l) => l.event === "dev.sweep_skipped").length;
    server.sweepTick();
    server.sweepTick();
    assert.ok(lines.filter((l) => l.event === "dev.sweep_skipped").length > skipped);
  });

  test("POST /dev/sweep sweeps now and answers the counts", async () => {
    const r = await fetch(server.url + "/dev/sweep", { method: "POST" });
    assert.equal(r.status, 200);
    assertSweepAnswer(await r.json(), "/dev/sweep");
    assertSweptLine(lines, "cli");
    assert.equal((await fetch(server.url + "/dev/sweep?limit=0", { method: "POST" })).status, 400);
    assert.equal((await fetch(server.url + "/dev/sweep")).status, 405);
  });

  test("/dev/sweep does not exist for a request naming another host", async () => {
    const count = sweepsOf("cli").length;
    // A tunnel or a DNS-rebinding page arrives from loopback too, but names another host.
    const { hostname, port } = new URL(server.url);
    const status = await new Promise((resolve, reject) => {
      http.request({ hostname, port, path: "/dev/sweep", method: "POST", headers: { host: "tunnel.example", accept: "application/json" } },
        (res) => res.resume().on("end", () => resolve(res.statusCode))).on("error", reject).end();
    });
    assert.equal(status, 404);
    assert.equal(sweepsOf("cli").length, count);
  });

  test("SALIENT_SWEEP_SECONDS: default 60, 0 turns the timer off, nonsense refused", () => {
    assert.equal(sweepSeconds(undefined), 60);
    assert.equal(sweepSeconds(""), 60);
    assert.equal(sweepSeconds("0"), 0);
    assert.equal(sweepSeconds("2.5"), 2.5);
    for (const bad of ["-1", "soon", "1e9"]) assert.throws(() => sweepSeconds(bad), /SALIENT_SWEEP_SECONDS/);
  });

  // The native build's CLI (./scripts/test builds it), or SALIENT_CLI, when it has `sweep`.
  const CLI = process.env.SALIENT_CLI || path.join(REPO, "build", "native", "cli", "salient");
  const cliSweeps = existsSync(CLI) && spawnSync(CLI, ["--help"], { encoding: "utf8" }).stdout.includes("salient sweep");
  test("`salient sweep` prints the counts", { skip: !cliSweeps && "build/native/cli/salient (with `sweep`) is not built" }, async () => {
    const { stdout } = await promisify(execFile)(CLI, ["sweep", "--url", server.url, "--limit", "5"], { timeout: 30000 });
    assert.match(stdout, /^sweep: claimed 0, sent 0, failed 0, unknown 0; handoffs: team_emails 0, forwards 0, notifies 0, failed 0\n$/);
    assert.equal(sweepsOf("cli").at(-1).limit, 5);
  });
});
