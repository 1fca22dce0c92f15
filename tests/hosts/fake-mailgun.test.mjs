// tests/support/fake-mailgun.mjs against real fetch and real multipart bodies (FormData), as the
// core's Mailgun client will send them: the checks Mailgun makes, what is recorded, each fault.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { DOMAIN, KEY, QUEUED, startFakeMailgun } from "../support/fake-mailgun.mjs";

let fake;
before(async () => (fake = await startFakeMailgun()));
after(() => fake.close());
beforeEach(() => fake.reset());

const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

function form(fields) {
  const f = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    // Undefined leaves the field out (FormData.append would send the string "undefined").
    for (const v of [value].flat()) if (v !== undefined) f.append(name, v);
  }
  return f;
}

const CODE_MAIL = {
  from: "Brightleaf <noreply@mg.salient.test>",
  to: "Ada Lovelace <Ada@Example.com>",
  subject: "Your code",
  text: "Your code is 482913. It expires in 10 minutes (ref 1234567).",
  html: "<p>Your code is <b>482913</b></p>",
  "h:Reply-To": "sales@brightleaf.test",
  "o:tag": "otp",
  "v:conversation": "c-1",
  "v:tenant": "brightleaf",
};

async function send(fields, { key = KEY, domain = DOMAIN, user = "api", signal } = {}) {
  const res = await fetch(`${fake.url}/v3/${domain}/messages`, {
    method: "POST", headers: { authorization: basic(user, key) }, body: form(fields), signal,
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

test("a multipart message is queued and recorded with its options and variables", async () => {
  const res = await send(CODE_MAIL);
  assert.equal(res.status, 200);
  assert.equal(res.body.message, QUEUED);
  assert.match(res.body.id, new RegExp(`^<20\\d{12}\\.1\\.[0-9A-F]{16}@${DOMAIN.replace(/\./g, "\\.")}>$`));
  const [m] = fake.messages();
  assert.equal(m.id, res.body.id);
  assert.deepEqual({ ...m, id: undefined, at: undefined }, {
    id: undefined, at: undefined,
    from: CODE_MAIL.from, to: CODE_MAIL.to, subject: "Your code", text: CODE_MAIL.text, html: CODE_MAIL.html,
    replyTo: "sales@brightleaf.test", inReplyTo: null, references: null, tag: "otp", variables: { conversation: "c-1", tenant: "brightleaf" },
  });
  assert.ok(Math.abs(m.at - Date.now()) < 5000);
  assert.match(fake.requests[0].contentType, /^multipart\/form-data; boundary=/);
});

test("lastTo and codeFor find the last message to an address, whatever its case or display name", async () => {
  await send(CODE_MAIL);
  await send({ ...CODE_MAIL, to: ["someone@else.test", "ada@example.com"], text: "New code: 000123." });
  await send({ ...CODE_MAIL, to: "bob@example.com", text: "No code here, only 12345 and 1234567.", html: undefined });
  assert.equal(fake.lastTo("ADA@example.com").text, "New code: 000123.");
  assert.equal(fake.lastTo("ada@example.com").to, "someone@else.test, ada@example.com");
  assert.equal(fake.codeFor("ada@example.com"), "000123");
  assert.equal(fake.codeFor("bob@example.com"), null, "no 6-digit run in the text");
  assert.equal(fake.lastTo("nobody@example.com"), null);
  assert.equal(fake.codeFor("nobody@example.com"), null);
  assert.equal(fake.messages().length, 3);
});

test("an html-only message is accepted; urlencoded bodies too (Mailgun accepts both)", async () => {
  assert.equal((await send({ from: "a@b.test", to: "c@d.test", subject: "s", html: "<p>hi</p>" })).status, 200);
  const res = await fetch(`${fake.url}/v3/${DOMAIN}/messages`, {
    method: "POST", headers: { authorization: basic("api", KEY) },
    body: new URLSearchParams({ from: "a@b.test", to: "c@d.test", subject: "s", text: "t 654321" }),
  });
  assert.equal(res.status, 200);
  assert.equal(fake.codeFor("c@d.test"), "654321");
});

test("401 for a wrong key, a wrong user or no auth; 404 for another domain or path", async () => {
  for (const opts of [{ key: "key-wrong" }, { user: "apix" }]) {
    const res = await send(CODE_MAIL, opts);
    assert.equal(res.status, 401, JSON.stringify(opts));
    assert.deepEqual(res.body, { message: "Invalid private key" });
  }
  const anonymous = await fetch(`${fake.url}/v3/${DOMAIN}/messages`, { method: "POST", body: form(CODE_MAIL) });
  assert.equal(anonymous.status, 401);
  const other = await send(CODE_MAIL, { domain: "other.test" });
  assert.equal(other.status, 404);
  assert.deepEqual(other.body, { message: "Domain not found: other.test" });
  assert.equal((await fetch(`${fake.url}/v3/${DOMAIN}/events`, { headers: { authorization: basic("api", KEY) } })).status, 404);
  assert.equal((await fetch(`${fake.url}/v3/${DOMAIN}/messages`, { headers: { authorization: basic("api", KEY) } })).status, 404);
  assert.deepEqual(fake.messages(), []);
});

test("400 for each missing required parameter, and for a body that is not form data", async () => {
  const cases = [
    ["from", /'from' parameter is missing/],
    ["to", /'to' parameter is missing/],
    ["subject", /'subject' parameter is missing/],
  ];
  for (const [name, message] of cases) {
    const res = await send({ ...CODE_MAIL, [name]: undefined });
    assert.equal(res.status, 400, name);
    assert.match(res.body.message, message);
  }
  const bodiless = await send({ ...CODE_MAIL, text: undefined, html: undefined });
  assert.equal(bodiless.status, 400);
  assert.match(bodiless.body.message, /at least one of 'text' or 'html'/);
  const json = await fetch(`${fake.url}/v3/${DOMAIN}/messages`, {
    method: "POST", headers: { authorization: basic("api", KEY), "content-type": "application/json" }, body: "{}",
  });
  assert.equal(json.status, 400);
  assert.equal(typeof (await json.json()).message, "string");
  assert.deepEqual(fake.messages(), []);
});

test("faults are one-shot by default, in order, and record no message: 401, 400, 429 with Retry-After, 500, 503", async () => {
  fake.fail(401);
  fake.fail({ status: 400, message: "to parameter is not a valid address" });
  fake.fail({ status: 429, retryAfter: 7 });
  fake.fail("500");
  fake.fail({ status: 503 });
  const seen = [];
  for (let i = 0; i < 5; i++) {
    const res = await send(CODE_MAIL);
    seen.push([res.status, res.headers.get("retry-after"), res.body.message]);
  }
  assert.deepEqual(seen, [
    [401, null, "Invalid private key"],
    [400, null, "to parameter is not a valid address"],
    [429, "7", "Too many requests"],
    [500, null, "Internal server error"],
    [503, null, "Service unavailable"],
  ]);
  assert.deepEqual(fake.messages(), []);
  assert.deepEqual(fake.requests.map((r) => r.status), [401, 400, 429, 500, 503]);
  assert.equal((await send(CODE_MAIL)).status, 200, "the faults are used up");
});

test("a fault with times serves that many sends; a persistent one lasts until cleared", async () => {
  fake.fail(503, { times: 2 });
  assert.deepEqual([(await send(CODE_MAIL)).status, (await send(CODE_MAIL)).status, (await send(CODE_MAIL)).status], [503, 503, 200]);
  fake.fail({ status: 429, retryAfter: 1 }, { persistent: true });
  for (let i = 0; i < 3; i++) assert.equal((await send(CODE_MAIL)).status, 429);
  fake.clearFaults();
  assert.equal((await send(CODE_MAIL)).status, 200);
  fake.fail(500, { persistent: true });
  fake.reset();
  assert.equal((await send(CODE_MAIL)).status, 200, "reset() clears faults too");
});

test("an unknown fault is refused when it is set, not silently ignored", () => {
  for (const bad of ["slow", { status: 200 }, { code: 500 }, null]) assert.throws(() => fake.fail(bad), /unknown fault/);
  assert.throws(() => fake.fail(500, { times: 0 }), /bad times/);
});

test("timeout: the request is read and never answered; the client's abort ends it; close() ends the rest", async () => {
  fake.fail("timeout");
  await assert.rejects(send(CODE_MAIL, { signal: AbortSignal.timeout(300) }), { name: "TimeoutError" });
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0].status, null);
  assert.equal(fake.requests[0].fault, "timeout");
  assert.deepEqual(fake.messages(), []);
  assert.equal((await send(CODE_MAIL)).status, 200, "one-shot: the next send goes through");

  // A held answer does not keep close() waiting: the client sees its connection end.
  const other = await startFakeMailgun();
  other.fail("timeout", { persistent: true });
  const pending = fetch(`${other.url}/v3/${other.domain}/messages`, {
    method: "POST", headers: { authorization: basic("api", other.apiKey) }, body: form(CODE_MAIL),
  });
  while (other.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
  await other.close();
  await assert.rejects(pending);
});
