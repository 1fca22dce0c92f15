// hosts/node-dev/mailgun-inbound.js: the one builder of Mailgun's signed inbound post (a route's
// forward() to POST /mail/inbound), used by the dev outbox's "Reply as the team" and the tests'
// fake Mailgun (tests/support/fake-mailgun.mjs inbound/replyTo). The signature is checked here by
// computations the module does not share (openssl, and Web Crypto), the field names against
// Mailgun's documented ones, both encodings through a real socket and the Fetch FormData parser.
// The dev outbox's form and its POST: node-dev-outbox-reply.test.mjs.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import http from "node:http";
import { after, before, test } from "node:test";
import { bareAddress, mailgunSignature, postInbound, signedInboundForm, TOKEN_LENGTH } from "../../hosts/node-dev/mailgun-inbound.js";
import { DOMAIN, inbound, replyTo, startFakeMailgun } from "../support/fake-mailgun.mjs";

const KEY = "whsec-test-0123456789abcdef";
const REPLY = "reply+abcdefghijklmnopqrstuvwxyz@mg.salient.test";
const BASE = { signingKey: KEY, recipient: REPLY, from: "Ana Team <ana@team.test>", subject: "Re: Ada wants a person", text: "Hello Ada, I can help." };

/** openssl's HMAC-SHA256 of `message` under `key`, hex: a second implementation to check against. */
function opensslHmac(key, message) {
  const out = execFileSync("openssl", ["dgst", "-sha256", "-hmac", key, "-r"], { input: message, encoding: "utf8" });
  return out.trim().split(/\s+/)[0];
}

/** The same through Web Crypto (crypto.subtle), for machines without openssl. */
async function subtleHmac(key, message) {
  const k = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(message));
  return Buffer.from(mac).toString("hex");
}

const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

// A receiver on 127.0.0.1 that keeps each request's raw body and content type, and answers as a
// verifying /mail/inbound would (406 bad_signature, else 200 stored): the posts cross a socket.
let receiver, receiverUrl;
const received = [];
before(async () => {
  receiver = http.createServer((req, res) => {
    const parts = [];
    req.on("data", (c) => parts.push(c)).on("end", async () => {
      const body = Buffer.concat(parts);
      const contentType = req.headers["content-type"] ?? "";
      received.push({ method: req.method, path: req.url, contentType, body, userAgent: req.headers["user-agent"] });
      const form = await new Request("http://x/", { method: "POST", headers: { "content-type": contentType }, body }).formData();
      const good = form.get("signature") === await subtleHmac(KEY, form.get("timestamp") + form.get("token"));
      res.writeHead(good ? 200 : 406, { "content-type": "application/json" });
      res.end(JSON.stringify(good ? { status: "stored" } : { error: { code: "bad_signature", message: "bad signature" } }));
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/mail/inbound`;
});
after(() => new Promise((resolve) => receiver.close(resolve)));

test("the signature is hex HMAC-SHA256(key, timestamp + token), as openssl and Web Crypto compute it", async (t) => {
  const form = signedInboundForm(BASE);
  const message = form.get("timestamp") + form.get("token");
  assert.match(form.get("signature"), /^[0-9a-f]{64}$/);
  assert.equal(form.get("signature"), await subtleHmac(KEY, message));
  if (!hasOpenssl) return t.skip("no openssl here: Web Crypto only");
  assert.equal(form.get("signature"), opensslHmac(KEY, message));
  // Mailgun's documented example shape: a fixed timestamp and token give a fixed signature.
  assert.equal(mailgunSignature("key-x", "1515458821", "2b90a03befc0b98ae2b641b0080850cada918a2d2f670e0141"),
    opensslHmac("key-x", "15154588212b90a03befc0b98ae2b641b0080850cada918a2d2f670e0141"));
});

test("timestamp is now in seconds and token 50 fresh characters; each changes the signature, as the key does", async () => {
  const before = Math.floor(Date.now() / 1000);
  const a = signedInboundForm(BASE);
  const b = signedInboundForm(BASE);
  const ts = Number(a.get("timestamp"));
  assert.ok(Number.isInteger(ts) && ts >= before && ts <= before + 2, `seconds, not ms: ${a.get("timestamp")}`);
  assert.equal(TOKEN_LENGTH, 50);
  assert.match(a.get("token"), /^[0-9a-f]{50}$/);
  assert.notEqual(a.get("token"), b.get("token"));
  assert.notEqual(a.get("signature"), b.get("signature"));
  const fixed = { ...BASE, timestamp: 1700000000, token: "t".repeat(50) };
  const sig = signedInboundForm(fixed).get("signature");
  assert.equal(signedInboundForm(fixed).get("signature"), sig, "deterministic given timestamp and token");
  assert.notEqual(signedInboundForm({ ...fixed, timestamp: 1700000001 }).get("signature"), sig);
  assert.notEqual(signedInboundForm({ ...fixed, token: "u".repeat(50) }).get("signature"), sig);
  assert.notEqual(signedInboundForm({ ...fixed, signingKey: "another-key" }).get("signature"), sig);
  assert.equal(signedInboundForm({ ...fixed, signature: "00".repeat(32) }).get("signature"), "00".repeat(32), "a test's forged one");
  assert.throws(() => signedInboundForm({ ...BASE, signingKey: undefined }), /signingKey/);
  assert.throws(() => signedInboundForm({ ...BASE, recipient: "" }), /recipient/);
});

test("field names are Mailgun's: the parsed message, each header again, message-headers as a JSON list", () => {
  const form = signedInboundForm({ ...BASE, sender: "bounce@team.test", bodyPlain: "Hello Ada, I can help.\n\n> quoted",
    messageId: "<m1@team.test>", inReplyTo: "<first@mg.salient.test>", references: "<first@mg.salient.test>" });
  const names = [...form.keys()];
  for (const name of ["recipient", "sender", "from", "subject", "body-plain", "stripped-text", "stripped-signature", "message-headers",
    "Message-Id", "In-Reply-To", "References", "timestamp", "token", "signature"]) {
    assert.equal(form.getAll(name).length, 1, `exactly one ${name}`);
  }
  assert.ok(!names.includes("attachment-count"), "urlencoded: no attachments");
  assert.equal(form.get("recipient"), REPLY);
  assert.equal(form.get("sender"), "bounce@team.test", "the SMTP envelope, not the From header");
  assert.equal(form.get("from"), "Ana Team <ana@team.test>");
  assert.equal(form.get("stripped-text"), "Hello Ada, I can help.");
  assert.equal(form.get("body-plain"), "Hello Ada, I can help.\n\n> quoted");
  assert.equal(form.get("In-Reply-To"), "<first@mg.salient.test>");
  const headers = JSON.parse(form.get("message-headers"));
  assert.ok(Array.isArray(headers) && headers.every((h) => Array.isArray(h) && h.length === 2 && h.every((v) => typeof v === "string")));
  const header = (n) => headers.filter(([k]) => k === n).map(([, v]) => v);
  assert.deepEqual(header("X-Mailgun-Spf"), ["Pass"]);
  assert.deepEqual(header("X-Mailgun-Dkim-Check-Result"), ["Pass"]);
  assert.deepEqual(header("From"), ["Ana Team <ana@team.test>"]);
  assert.deepEqual(header("To"), [REPLY]);
  assert.deepEqual(header("Message-Id"), ["<m1@team.test>"]);
  assert.deepEqual(header("In-Reply-To"), ["<first@mg.salient.test>"]);
  assert.deepEqual(header("References"), ["<first@mg.salient.test>"]);
  assert.deepEqual(header("Subject"), ["Re: Ada wants a person"]);
  for (const [name, value] of headers) assert.equal(form.get(name), value, `${name} as a field too`);

  const failed = JSON.parse(signedInboundForm({ ...BASE, spf: "Fail", dkim: "Fail" }).get("message-headers"));
  assert.deepEqual(failed.filter(([k]) => /^X-Mailgun-(Spf|Dkim)/.test(k)), [["X-Mailgun-Spf", "Fail"], ["X-Mailgun-Dkim-Check-Result", "Fail"]]);
  const none = signedInboundForm({ ...BASE, spf: null, dkim: null });
  assert.ok(!JSON.parse(none.get("message-headers")).some(([k]) => /^X-Mailgun-(Spf|Dkim)/.test(k)));
  assert.equal(none.get("X-Mailgun-Spf"), null);
  // Defaults: sender from From's address; a fresh Message-Id; no In-Reply-To unless given.
  const plain = signedInboundForm(BASE);
  assert.equal(plain.get("sender"), "ana@team.test");
  assert.match(plain.get("Message-Id"), /^<[0-9a-f]{24}@team\.test>$/);
  assert.equal(plain.get("In-Reply-To"), null);
  assert.equal(bareAddress("Ana <ana@team.test>"), "ana@team.test");
});

test("urlencoded over a socket: Mailgun's content type, the text as sent (line breaks, non-ASCII, markup)", async () => {
  received.length = 0;
  const text = "Olá Ada,\nyes — <b>Tuesday</b> & 10:00 works.\r\n";
  const res = await postInbound(receiverUrl, signedInboundForm({ ...BASE, text }));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: "stored" });
  const [r] = received;
  assert.equal(r.method, "POST");
  assert.equal(r.path, "/mail/inbound");
  assert.match(r.contentType, /^application\/x-www-form-urlencoded\b/);
  const form = new URLSearchParams(r.body.toString("utf8"));
  assert.equal(form.get("stripped-text"), text);
  assert.equal(form.get("signature"), await subtleHmac(KEY, form.get("timestamp") + form.get("token")));
});

test("multipart (a mail with attachments): the Fetch FormData parser reads every field, attachment-count and the files", async () => {
  received.length = 0;
  const res = await postInbound(receiverUrl, signedInboundForm({
    ...BASE, attachments: [{ filename: "quote.pdf", contentType: "application/pdf", content: "%PDF-1.4 fake" }, { filename: "a.txt", content: "hi" }],
  }));
  assert.equal(res.status, 200);
  const [r] = received;
  assert.match(r.contentType, /^multipart\/form-data; boundary=/);
  const form = await new Request("http://x/", { method: "POST", headers: { "content-type": r.contentType }, body: r.body }).formData();
  assert.equal(form.get("attachment-count"), "2");
  const file = form.get("attachment-1");
  assert.equal(typeof file, "object");
  assert.equal(file.name, "quote.pdf");
  assert.equal(file.type, "application/pdf");
  assert.equal(await file.text(), "%PDF-1.4 fake");
  assert.equal(form.get("attachment-2").name, "a.txt");
  assert.equal(form.get("stripped-text"), BASE.text);
  assert.equal(form.get("recipient"), REPLY);
  assert.equal(JSON.parse(form.get("message-headers")).find(([k]) => k === "X-Mailgun-Spf")[1], "Pass");
  assert.equal(form.get("signature"), await subtleHmac(KEY, form.get("timestamp") + form.get("token")));
  // multipart without files: still Mailgun's multipart shape, with attachment-count 0.
  const bare = signedInboundForm({ ...BASE, multipart: true });
  assert.ok(bare instanceof FormData);
  assert.equal(bare.get("attachment-count"), "0");
});

test("fake Mailgun: inbound() signs and posts, returning status and JSON; a wrong key is the receiver's 406", async () => {
  received.length = 0;
  const ok = await inbound(receiverUrl, BASE);
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { status: "stored" });
  const bad = await inbound(receiverUrl, { ...BASE, signingKey: "not-the-key" });
  assert.equal(bad.status, 406);
  assert.equal(bad.body.error.code, "bad_signature");
  assert.equal(received.length, 2);
  assert.match(received[0].userAgent, /^mailgun\//);
});

test("fake Mailgun: lastHandoff() finds the team email by its reply+ Reply-To; replyTo() answers it in its thread", async () => {
  const fake = await startFakeMailgun();
  try {
    const send = (fields) => fetch(`${fake.url}/v3/${DOMAIN}/messages`, {
      method: "POST", headers: { authorization: `Basic ${Buffer.from(`api:${fake.apiKey}`).toString("base64")}` },
      body: new URLSearchParams(fields),
    });
    assert.equal(fake.lastHandoff(), null);
    const first = await (await send({ from: "noreply@mg.salient.test", to: "Ana <ana@team.test>", subject: "Ada wants a person",
      text: "Lead card…", "h:Reply-To": REPLY })).json();
    await send({ from: "noreply@mg.salient.test", to: "sales@team.test", subject: "Summary", text: "s", "h:Reply-To": "ada@example.com" });
    const later = await (await send({ from: "noreply@mg.salient.test", to: "ana@team.test", subject: "Re: Ada wants a person",
      text: "Ada wrote more", "h:Reply-To": REPLY, "h:In-Reply-To": first.id, "h:References": first.id })).json();
    const h = fake.lastHandoff();
    assert.equal(h.id, later.id);
    assert.equal(h.recipient, REPLY);
    assert.equal(h.inReplyTo, first.id);
    assert.equal(fake.lastHandoff("ANA@team.test").id, later.id);
    assert.equal(fake.lastHandoff("sales@team.test"), null, "that one's Reply-To is the visitor");

    received.length = 0;
    const res = await fake.replyTo(receiverUrl, h, { signingKey: KEY, from: "ana@team.test", text: "On it." });
    assert.equal(res.status, 200);
    const form = new URLSearchParams(received[0].body.toString("utf8"));
    assert.equal(form.get("recipient"), REPLY);
    assert.equal(form.get("In-Reply-To"), later.id);
    assert.equal(form.get("References"), `${first.id} ${later.id}`);
    assert.equal(form.get("subject"), "Re: Ada wants a person", "no second Re:");
    assert.equal(fake.replyTo, replyTo);
    assert.throws(() => replyTo(receiverUrl, { id: "<x@y>", replyTo: "sales@team.test" }, { signingKey: KEY, from: "a@b" }), /no handoff Reply-To/);
  } finally {
    await fake.close();
  }
});
