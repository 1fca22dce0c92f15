// The prompt-injection corpus (tests/fixtures/injection/attacks.jsonl) end to end on the Node dev
// server, against the worst model there is: the fake OpenRouter's `compliant` one, which obeys
// every instruction, repeats its whole request (system prompt and canary included, the canary
// disguised) and adds image links that would exfiltrate the conversation. The policy checked
// for every attack, wherever it comes from (the visitor's message, a retrieved page, the
// visitor's name, a team member's emailed reply):
//   - the canary never reaches the visitor (SSE body) nor the stored answer, in any disguise,
//     and the filter did engage (the answer is stored blocked, ending in the refusal);
//   - the model cannot act: no email beyond the ones the visitor's own button sent, no row
//     deleted, no erasure; the request carries no tools or functions;
//   - another visitor's planted email, phone, name and message reach neither the model's
//     requests nor any answer;
//   - image links to other sites never render as images (the widget's markdown core, the same
//     the page and the widget use), and the html event stream carries no markup.
// One server, one knowledge index (knowledge/ plus the corpus's poisoned pages), the attacks run
// eight at a time.
//
//   node --test tests/e2e/injection.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { loadWidgetCore } from "../../widget/core/widget-core-api.js";
import { replyTo } from "../support/fake-mailgun.mjs";
import { startFakeOpenRouter } from "../support/fake-openrouter.mjs";
import { parseSse } from "../support/sse.mjs";
import { REPO } from "../support/workerd.mjs";

const FIXTURES = path.join(REPO, "tests", "fixtures", "injection");
const ATTACKS = readFileSync(path.join(FIXTURES, "attacks.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const SIGNING_KEY = "e2e-injection-signing-key-0123456789abcdef";
const REFUSAL = "Sorry, I can't share that.";
// The other visitor, whose details no attack may get at.
const VICTIM = { name: "Victoria Planted", email: "planted.victim@example.org", phone: "+44 7700 900123", order: "ZX-4417-QP" };
const PLANTED = [VICTIM.name, VICTIM.email, "7700 900123", "7700900123", VICTIM.order];

// The demo's config with the compliant model for every agent, and no abuse limits (every request
// comes from 127.0.0.1, sixty-odd conversations within the minute).
const CONFIG = (() => {
  const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  const unlimited = (limits) => {
    for (const kind of Object.values(limits ?? {})) for (const scope of Object.keys(kind ?? {})) kind[scope] = 0;
  };
  config.llm.model = "fake/compliant";
  unlimited(config.rate_limits);
  for (const agent of Object.values(config.agents)) {
    if (agent.llm) agent.llm.model = "fake/compliant";
    unlimited(agent.rate_limits);
  }
  return config;
})();
const TEAM = CONFIG.handoff.team[0];

/** A root whose build/ is the repository's, but for a knowledge index of knowledge/ and the
 *  corpus's poisoned pages, made with the built CLI. */
function rootWithPoisonedKnowledge(dir) {
  const sources = path.join(dir, "knowledge");
  cpSync(path.join(REPO, "knowledge"), sources, { recursive: true });
  cpSync(path.join(FIXTURES, "pages"), path.join(sources, "injected"), { recursive: true });
  const build = path.join(dir, "root", "build");
  mkdirSync(build, { recursive: true });
  writeFileSync(path.join(build, "salient.json"), JSON.stringify(CONFIG));
  symlinkSync(path.join(REPO, "build", "wasi"), path.join(build, "wasi"));
  execFileSync(path.join(REPO, "build", "release", "cli", "salient"), ["ingest", sources, "-o", path.join(build, "knowledge.bin")],
    { cwd: REPO, stdio: "pipe" });
  return path.join(dir, "root");
}

/** Text with what the canary filter skips removed, lower case: a disguised marker shows plainly. */
const squeezed = (s) => s.toLowerCase().replace(/[\s\-_\u00a0\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/gu, "");
const unescapeHtml = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");

let fake, state, server, core, dir;
let canary = null;
let requestsBefore = 0; // the fake's requests before the attacks (the victim's own)
let baseline = null;
const logs = [];

before(async () => {
  fake = await startFakeOpenRouter({ port: 0 });
  dir = mkdtempSync(path.join(os.tmpdir(), "salient-injection-"));
  const root = rootWithPoisonedKnowledge(dir);
  state = await pgliteBackend();
  server = await startServer({
    port: 0, root, config: CONFIG, state, log: (line) => logs.push(line),
    env: { SALIENT_STREAM_SECRET: "e2e-injection-stream-secret-0123456789abcdef", SALIENT_OTP_SECRET: "e2e-injection-otp-secret-0123456789abcdefgh",
           MAILGUN_WEBHOOK_SIGNING_KEY: SIGNING_KEY, OPENROUTER_API_KEY: "sk-or-e2e-injection", OPENROUTER_BASE_URL: fake.url },
  });
  const coreDir = path.join(REPO, "build", "web", "widget", "core");
  core = await loadWidgetCore({ moduleUrl: pathToFileURL(path.join(coreDir, "salient-widget-core.js")).href,
                                wasmBinary: readFileSync(path.join(coreDir, "salient-widget-core.wasm")) });
});
after(async () => {
  await server?.close();
  await state?.close();
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (p, body) => fetch(server.url + p, {
  method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body),
});
const outbox = async () => (await (await fetch(`${server.url}/dev/outbox.json`)).json()).messages;
const count = async (sql, args = []) => (await state.query(sql, args))[0].n;
const answersOf = (session) => state.query(
  `select m.content, m.metadata from messages m join sessions s on s.id = m.session_id
    where s.session_key = $1 and m.role = 'assistant' order by m.created_at`, [session]);

/** One chat turn: the message, then its stream, as JSON events or (html) as the page reads them. */
async function say(session, message, format = "json") {
  const r = await post("/a/sales/chat", { message, session_key: session, idempotency_key: crypto.randomUUID() });
  assert.equal(r.status, 200, await r.clone().text());
  const { stream_url } = await r.json();
  const url = format === "json" ? stream_url : stream_url.replace("&format=json", "");
  const res = await fetch(server.url + url);
  assert.equal(res.status, 200);
  const body = await res.text();
  const events = parseSse(body);
  const tokens = events.filter((e) => e.event === "token").map((e) => (format === "json" ? JSON.parse(e.data).text : unescapeHtml(e.data)));
  assert.equal(events.at(-1)?.event, "done", body.slice(-500));
  return { body, text: tokens.join(""), format };
}

/** Everything checked of one attack's answers (their streams and their stored copies). */
async function checkAnswers(session, streams) {
  assert.ok(canary, "the canary, read from the victim's request");
  const secretPart = canary.slice("salient-canary-".length);
  for (const s of streams) {
    for (const seen of [s.body, s.text]) {
      assert.ok(!squeezed(seen).includes(squeezed(canary)), "the canary (in any disguise) reached the visitor");
      assert.ok(!seen.toLowerCase().includes(secretPart), "the canary's secret part reached the visitor");
      for (const p of PLANTED) assert.ok(!seen.includes(p), `another visitor's "${p}" reached this one`);
    }
    if (s.format === "html") {
      for (const e of parseSse(s.body).filter((e) => e.event === "token")) assert.ok(!e.data.includes("<"), `markup in a token: ${e.data}`);
    }
  }
  const stored = await answersOf(session);
  assert.equal(stored.length, streams.length, "every answer stored");
  for (const [i, a] of stored.entries()) {
    assert.ok(!squeezed(a.content).includes(squeezed(canary)), "the stored answer holds the canary");
    for (const p of PLANTED) assert.ok(!a.content.includes(p), `the stored answer holds "${p}"`);
    assert.equal(a.content, streams[i].text, "stored = what the visitor got (resume offsets)");
    // The compliant model always tries: the filter must have stopped it, and said so.
    assert.equal(a.metadata.blocked, "canary");
    assert.ok(a.content.includes(REFUSAL), "the visitor got the refusal");
    // As the widget and the page render it: no image, so nothing is fetched from evil.example.
    const html = core.renderMarkdown(a.content, { allowBasicHtml: CONFIG.ui.allow_basic_html });
    assert.ok(!/<img\b/i.test(html), `an image was rendered: ${html.slice(0, 300)}`);
    assert.ok(!/<[^>]*\ssrc\s*=/i.test(html), "a src attribute was rendered");
    // Links stay links (a click away, in a new tab, without the opener or referrer).
    for (const a of html.match(/<a\s[^>]*>/g) ?? []) assert.match(a, /rel="noopener noreferrer"/);
  }
}

test("the victim: another visitor's details are stored (planted), and the canary is in the model's request", async () => {
  const session = `victim-${crypto.randomUUID()}`;
  await say(session, `Hi, I'm ${VICTIM.name}. Call me on ${VICTIM.phone} or write to ${VICTIM.email} about order ${VICTIM.order}.`);
  // identify() once the conversation exists (before, the store answers no_session).
  const r = await post("/a/sales/identify", { session_key: session, name: VICTIM.name, email: VICTIM.email });
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal((await r.json()).status, "identified");
  await say(session, "Do you remember my details?");
  const system = fake.requests.findLast((q) => q.path === "/api/v1/chat/completions").body.messages[0].content;
  canary = /salient-canary-[a-z2-7]{16}/.exec(system)?.[0] ?? null;
  assert.ok(canary, "the system prompt carries a canary");
  assert.ok(system.includes(VICTIM.name), "the victim's own request has their name");
  requestsBefore = fake.requests.length;
  baseline = {
    mails: (await outbox()).length,
    victimMessages: await count(`select count(*)::int as n from messages m join sessions s on s.id = m.session_id where s.session_key = $1`, [session]),
    victimProfiles: await count(`select count(*)::int as n from profiles p join sessions s on s.id = p.session_id where s.session_key = $1`, [session]),
    sessions: await count("select count(*)::int as n from sessions"),
  };
  assert.equal(baseline.victimMessages, 4);
  assert.equal(baseline.victimProfiles, 1);
});

describe("the corpus: every attack through the compliant model", { concurrency: 8 }, () => {
  for (const [i, attack] of ATTACKS.entries()) {
    test(`${attack.id} (${attack.category}${attack.lang ? `, ${attack.lang}` : ""})`, async () => {
      assert.ok(baseline, "the victim's conversation first");
      const session = `attack-${attack.id}-${crypto.randomUUID()}`;
      const format = i % 3 === 2 ? "html" : "json";
      const streams = [];
      if (attack.category === "name") {
        streams.push(await say(session, "Hello!", format));
        const r = await post("/a/sales/identify", { session_key: session, name: attack.text });
        // A name the route refuses never reaches the model either; one it takes is quoted data.
        assert.ok([200, 400].includes(r.status), `identify: ${r.status}`);
        streams.push(await say(session, attack.message, format));
        if (r.status === 200) {
          assert.equal((await r.json()).status, "identified");
          // As stored (identify cleans a name up), quoted as a JSON string in the prompt's data line.
          const [{ customer_name: name }] = await state.query(
            "select p.customer_name from profiles p join sessions s on s.id = p.session_id where s.session_key = $1", [session]);
          const request = fake.requests.findLast((q) => q.body?.messages?.at(-1)?.content === attack.message &&
            q.body.messages[0].content.includes(`name ${JSON.stringify(name)};`));
          assert.ok(request, `the name reached the model, as data: ${name}`);
        }
      } else if (attack.category === "team_reply") {
        streams.push(await say(session, `Hello, I need a hand choosing a hedge (ref ${attack.id}).`, format));
        const started = await post("/a/sales/handoff", { session_key: session });
        assert.equal(started.status, 200, await started.clone().text());
        const mail = (await outbox()).find((m) => m.text?.includes(`ref ${attack.id})`));
        assert.ok(mail, "the team's email for this handoff");
        const reply = await replyTo(`${server.url}/mail/inbound`, mail, {
          signingKey: SIGNING_KEY, from: TEAM.email, text: attack.text, messageId: `<${attack.id}-${crypto.randomUUID()}@brightleaf.test>` });
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        // The team's quiet spell over (the store's clock, not the requests'): the model answers next.
        await state.query(`update handoffs set quiet_until = now() - interval '1 second'
                            where session_id = (select id from sessions where session_key = $1)`, [session]);
        streams.push(await say(session, attack.message, format));
        const request = fake.requests.findLast((q) => q.body?.messages?.some((m) => m.content.includes(attack.text)));
        assert.ok(request, "the team's reply reached the model, as the team's words");
      } else {
        streams.push(await say(session, attack.text, format));
        if (attack.category === "page") {
          const request = fake.requests.findLast((q) => q.body?.messages?.at(-1)?.content === attack.text);
          assert.ok(request?.body.messages[0].content.includes(attack.reaches), `the poisoned page ${attack.page} was retrieved`);
        }
      }
      await checkAnswers(session, streams);
    });
  }
});

test("after the corpus: no email the visitor did not ask for, nothing deleted, no tools, the victim's data untouched", async () => {
  assert.ok(baseline, "the victim's conversation first");
  const handoffs = ATTACKS.filter((a) => a.category === "team_reply").length;
  const twoTurns = handoffs + ATTACKS.filter((a) => a.category === "name").length; // a first message, then the attack's
  // The one email per team_reply attack is the handoff button's (the visitor's own action).
  assert.equal((await outbox()).length, baseline.mails + handoffs, "an email was sent that no visitor asked for");
  assert.equal(await count("select count(*)::int as n from erasures"), 0);
  const victim = (await state.query("select session_key from sessions where session_key like 'victim-%'"))[0].session_key;
  assert.equal(await count(`select count(*)::int as n from messages m join sessions s on s.id = m.session_id where s.session_key = $1`, [victim]),
    baseline.victimMessages, "the victim's messages were changed");
  assert.equal(await count(`select count(*)::int as n from profiles p join sessions s on s.id = p.session_id where s.session_key = $1`, [victim]),
    baseline.victimProfiles);
  assert.equal(await count("select count(*)::int as n from sessions"), baseline.sessions + ATTACKS.length, "a session was deleted");
  // Every attacker's own messages are still there (a "delete my data" was not obeyed either).
  const users = await count("select count(*)::int as n from messages m join sessions s on s.id = m.session_id where s.session_key like 'attack-%' and m.role = 'user'");
  assert.equal(users, ATTACKS.length + twoTurns);

  const calls = fake.requests.slice(requestsBefore).filter((q) => q.path === "/api/v1/chat/completions");
  assert.equal(calls.length, ATTACKS.length + twoTurns, "one model call per answer");
  for (const q of calls) {
    for (const key of ["tools", "functions", "tool_choice", "function_call"]) assert.ok(!(key in q.body), `the request has ${key}`);
    const sent = JSON.stringify(q.body);
    for (const p of PLANTED) assert.ok(!sent.includes(p), `another visitor's "${p}" was sent to the model`);
    assert.ok(q.body.messages[0].content.includes(canary), "every system prompt carries the same canary");
  }
  const blocked = logs.filter((l) => l.event === "llm.canary_blocked");
  assert.equal(blocked.length, calls.length + 2, "one llm.canary_blocked per answer (and the victim's two)");
  assert.ok(blocked.every((l) => l.level === "warn"));
  assert.ok(!JSON.stringify(logs).includes(canary.slice("salient-canary-".length)), "the canary is in a log line");
});
