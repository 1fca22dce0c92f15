// Private logs end to end (issue 19): an email address, a phone number, a card number and a code
// go in through every route that takes a visitor's or a team member's words — chat message,
// identify, OTP request and a wrong verify, the summary button, the handoff button, a team reply
// to /mail/inbound, the privacy page and erasure — and through the error paths where they could
// come back in a message: Mailgun refusing the address (400, quoted in its answer), the store
// failing with the arguments in its error (a driver error quoting a row), a request id and a
// path made of them. None of them may be in any line the dev server writes: its JSONL file, its
// stdout, or the entries its `log` receives from the driver; the lines themselves must be there.
// Then one check that workerd's stdout (the worker's console.log lines) is redacted too.
//
//   node --test tests/hosts/log-redaction-hosts.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { jsonlLogger } from "../../hosts/node-dev/jsonl-log.js";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { DOMAIN, KEY, replyTo, startFakeMailgun } from "../support/fake-mailgun.mjs";
import { REPO, startWorkerd } from "../support/workerd.mjs";

const EMAIL = "ada.plant7741@example.com";
const PHONE = "+44 20 7946 0958";
const NATIONAL = "(415) 555-2671";
const CARD = "4111 1111 1111 1111";
const CODE = "493817";
const ALL = `${EMAIL}, ${PHONE}, ${NATIONAL}, ${CARD}, ${CODE}`;
const SIGNING = "log-redaction-signing-key-0123456789abcdef";
const SECRETS = {
  SALIENT_STREAM_SECRET: "log-redaction-stream-secret-0123456789abcd",
  SALIENT_OTP_SECRET: "log-redaction-otp-secret-0123456789abcdefgh",
  MAILGUN_WEBHOOK_SIGNING_KEY: SIGNING,
};

/** Every way a planted value could be written: as typed, and its digits without separators. */
const FORBIDDEN = [EMAIL, "ada.plant7741", "ada.plant7741%40example.com", PHONE, "7946 0958", "7946%200958", NATIONAL, "555-2671", CARD,
  "4111-1111-1111-1111", ...Object.values(SECRETS), KEY];
const FORBIDDEN_DIGITS = ["442079460958", "4155552671", "4111111111111111", CODE];

function assertClean(where, text) {
  for (const value of FORBIDDEN) assert.ok(!text.includes(value), `${where} holds ${value}:\n${lineWith(text, value)}`);
  // Separators taken out (a normalized phone number, a card without its spaces); a digit run
  // is forbidden only standing alone, so a UUID or a timestamp cannot match by chance.
  const squeezed = text.replace(/[ ().-]/g, "");
  for (const digits of FORBIDDEN_DIGITS) {
    const found = new RegExp(`(?<![0-9A-Za-z])\\+?${digits}(?![0-9A-Za-z])`).exec(squeezed);
    assert.ok(!found, `${where} holds ${digits}: …${squeezed.slice(Math.max(0, found?.index - 200), found?.index + 50)}…`);
  }
}
const TEAM = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8")).handoff.team[0].email;
const lineWith = (text, value) => text.split("\n").find((l) => l.includes(value)) ?? "";

describe("the dev server's logs hold no address, phone, card, code or secret, whichever route they came in by", () => {
  let server, mailgun, store, dir, file, jsonl;
  const received = []; // the entries the host's log is given (the driver's, the dev server's own)
  const stdout = [];
  let failStore = null; // the next store call throws this (a driver error quoting the arguments)
  let consoleLog;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "salient-redaction-"));
    file = path.join(dir, "logs", "app.jsonl");
    mailgun = await startFakeMailgun();
    const pglite = await pgliteBackend();
    store = {
      ...pglite,
      async call(fn, args) {
        if (failStore) {
          const err = failStore;
          failStore = null;
          throw err(args);
        }
        return pglite.call(fn, args);
      },
      close: () => pglite.close(),
    };
    consoleLog = console.log;
    console.log = (...args) => stdout.push(args.join(" "));
    const env = { ...SECRETS, MAILGUN_API_KEY: KEY, MAILGUN_DOMAIN: DOMAIN, MAILGUN_BASE_URL: mailgun.url };
    jsonl = jsonlLogger({ file, level: "DEBUG", stdout: true, env });
    server = await startServer({ port: 0, state: store, env, log: (entry) => (received.push(entry), jsonl(entry)) });
  });
  after(async () => {
    if (consoleLog) console.log = consoleLog;
    await server?.close();
    await jsonl?.close();
    await store?.close();
    await mailgun?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (p, body, headers = {}) => fetch(server.url + p, {
    method: "POST", headers: { "content-type": "application/json", accept: "application/json", ...headers }, body: JSON.stringify(body),
  });
  async function say(session, message, headers = {}) {
    const r = await post("/a/sales/chat", { message, session_key: session, idempotency_key: crypto.randomUUID() }, headers);
    assert.equal(r.status, 200, await r.clone().text());
    const { stream_url } = await r.json();
    const answer = await fetch(server.url + stream_url + (stream_url.includes("format=json") ? "" : "&format=json"));
    assert.equal(answer.status, 200);
    await answer.text();
  }

  const session = `s-${crypto.randomUUID()}`;

  test("every route with the planted values, the error paths too", async () => {
    // A chat message, with a request id made of a card number (the driver takes x-request-id as given).
    await say(session, `Hi, I'm Ada. Mail ${EMAIL}, call ${PHONE} or ${NATIONAL}, card ${CARD}, code ${CODE}. Which hedge for salt wind?`,
      { "x-request-id": CARD.replaceAll(" ", "-") });
    // Identify: the address, and a name with a phone number in it.
    const identified = await post("/a/sales/identify", { session_key: session, email: EMAIL, name: `Ada ${PHONE}` });
    assert.equal(identified.status, 200, await identified.clone().text());
    // A one-time code for the address, then a wrong one (the planted code).
    const asked = await post("/otp/request", { email: EMAIL, purpose: "link_session", session_key: session });
    assert.equal(asked.status, 200, await asked.clone().text());
    const wrong = await post("/otp/verify", { email: EMAIL, code: CODE, purpose: "link_session", session_key: session });
    assert.equal(wrong.status, 400, await wrong.clone().text());
    // The summary button and the handoff button.
    const summary = await post("/a/sales/summary", { session_key: session });
    assert.equal(summary.status, 200, await summary.clone().text());
    const handoff = await post("/a/sales/handoff", { session_key: session });
    assert.equal(handoff.status, 200, await handoff.clone().text());
    // The team's reply by email, quoting everything.
    const teamMail = mailgun.lastHandoff();
    assert.ok(teamMail, "the handoff emailed the team");
    const reply = await replyTo(`${server.url}/mail/inbound`, teamMail, {
      signingKey: SIGNING, from: TEAM, text: `Hi Ada, we will call ${PHONE}; confirm ${EMAIL}? ${ALL}`,
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    // A refused one too (not on the team), whose sender is the planted address.
    const refused = await replyTo(`${server.url}/mail/inbound`, teamMail, { signingKey: SIGNING, from: EMAIL, text: ALL });
    assert.equal(refused.status, 406);

    // Mailgun refuses the address and quotes it in its answer.
    mailgun.fail({ status: 400, message: `'to' parameter is not a valid address: ${EMAIL} (${PHONE})` });
    const bounced = await post("/otp/request", { email: EMAIL, purpose: "delete_data" });
    assert.ok(bounced.status >= 500, `a refused send fails: ${bounced.status}`);
    // The store fails with the arguments in its error: in-process (the core's own call) and on
    // the store's socket (another host's core, or a tool), where the dev server logs the failure.
    const quoting = (args) => new Error(`duplicate key value violates unique constraint: ${JSON.stringify(args)} ${ALL}`);
    failStore = quoting;
    const storeDown = await post("/a/sales/chat", { message: `again ${ALL}`, session_key: session, idempotency_key: crypto.randomUUID() });
    assert.ok(storeDown.status >= 500, `a failed store: ${storeDown.status}`);
    failStore = quoting;
    const direct = await fetch(`${server.url}/rest/v1/rpc/salient_identify`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ p_email: EMAIL, p_name: PHONE }),
    });
    assert.equal(direct.status, 500);
    // Paths made of the values (a scraper, a broken link): the request line logs the path.
    for (const p of [`/a/sales/${EMAIL}`, `/a/sales/chat/${CODE}`, `/a/${CARD.replaceAll(" ", "-")}/privacy`, `/a/sales/${PHONE}`]) {
      const r = await fetch(server.url + p, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      assert.ok(r.status >= 400, p);
    }

    // The privacy page, and erasure of everything about the address.
    assert.equal((await fetch(`${server.url}/a/sales/privacy`)).status, 200);
    const erase = await post("/otp/request", { email: EMAIL, purpose: "delete_data" });
    assert.equal(erase.status, 200, await erase.clone().text());
    const code = mailgun.codeFor(EMAIL);
    assert.match(code ?? "", /^\d{6}$/);
    FORBIDDEN_DIGITS.push(code);
    const erased = await post("/otp/verify", { email: EMAIL, code, purpose: "delete_data" });
    assert.equal(erased.status, 200, await erased.clone().text());
    assert.equal((await erased.json()).status, "erased");
  });

  test("no line of the JSONL file, stdout or the host's log holds them; the lines are there", () => {
    const text = readFileSync(file, "utf8");
    const entries = text.trim().split("\n").map((line) => JSON.parse(line));
    assertClean("the JSONL file", text);
    assertClean("stdout", stdout.join("\n"));
    assertClean("the entries the host's log was given", received.map((e) => JSON.stringify(e)).join("\n"));
    const events = new Set(entries.map((e) => e.event));
    for (const event of ["chat.turn_stored", "session.identified", "otp.requested", "email.send_failed", "chat.store_failed",
      "dev.request_failed", "http.request"]) {
      assert.ok(events.has(event), `a ${event} line: ${[...events].join(", ")}`);
    }
    const paths = entries.filter((e) => e.event === "http.request").map((e) => `${e.method} ${e.path} ${e.status}`);
    for (const p of ["POST /a/sales/identify 200", "POST /otp/verify 400", "POST /a/sales/summary 200", "POST /a/sales/handoff 200",
      "POST /mail/inbound 200", "POST /mail/inbound 406", "GET /a/sales/privacy 200", "POST /a/sales/[email] 404"]) {
      assert.ok(paths.includes(p), `${p} in ${paths.join("; ")}`);
    }
    // Redacted, not dropped: the request id, the path and the store's error are still there.
    assert.ok(entries.some((e) => e.request_id === "[card]"), "the card-shaped request id");
    assert.ok(entries.some((e) => e.path === "/a/sales/chat/[code]"));
    assert.ok(entries.some((e) => e.path === "/a/sales/[phone]"), "a percent-encoded path is logged decoded, so redacted");
    const failed = entries.find((e) => e.event === "dev.request_failed");
    assert.match(failed.message, /duplicate key value.*\[email\].*\[phone\]/s);
    assert.equal(stdout.length, entries.length, "every line on stdout too");
  });
});

describe("workerd: the worker's console lines are redacted", () => {
  let worker;
  before(async () => {
    worker = await startWorkerd({ env: { ...SECRETS } });
  });
  after(() => worker?.stop());

  test("a path and a request id made of the values reach stdout redacted", async () => {
    const r = await fetch(`${worker.url}/a/sales/${EMAIL}`, { headers: { "x-request-id": CARD.replaceAll(" ", "-") } });
    assert.equal(r.status, 404);
    await r.arrayBuffer();
    let output = "";
    for (let i = 0; i < 40 && !output.includes("/a/sales/[email]"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      output = worker.output();
    }
    assert.match(output, /"path":"\/a\/sales\/\[email\]"/, output.slice(-2000));
    assert.match(output, /"request_id":"\[card\]"/);
    assertClean("workerd's output", output);
  });
});
