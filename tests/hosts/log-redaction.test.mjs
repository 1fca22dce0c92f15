// Log redaction (hosts/driver/redact.js, issue 19 "private logs"): each pattern replaced in any
// string at any depth, the look-alikes an operator needs (UUIDs, hex ids, timestamps, ports,
// versions, file names) kept, secrets from the env, and linear time on long hostile strings.
//
//   node --test tests/hosts/log-redaction.test.mjs

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { redactText, redactor, redactingLog } from "../../hosts/driver/redact.js";
import { jsonlLogger } from "../../hosts/node-dev/jsonl-log.js";

const cases = (label, pairs) => {
  for (const [input, expected] of pairs) assert.equal(redactText(input), expected, `${label}: ${input}`);
};

test("emails, reply+ handoff addresses and their URL-encoded form become [email]", () => {
  cases("email", [
    ["ana@example.com", "[email]"],
    ["write to Ana.Souza+quotes@brightleaf.co.uk, thanks", "write to [email], thanks"],
    ["Reply-To: reply+abcdefghijklmnopqrstuvwxyz@outbox.localhost", "Reply-To: [email]"],
    ["From: Ana <ana.souza@brightleaf.example>", "From: Ana <[email]>"],
    ["<2026120711.1234@mg.salient.test>", "<[email]>"], // not Mailgun's id shape
    ["?email=ana%40example.com&x=1", "?email=[email]&x=1"],
    ['{"message":"\'to\' parameter is not a valid address: bo@x.test"}', '{"message":"\'to\' parameter is not a valid address: [email]"}'],
  ]);
});

test("phone numbers: international, and national with spaces, dashes, dots or parentheses", () => {
  cases("phone", [
    ["+44 20 7946 0958", "[phone]"],
    ["+14155552671", "[phone]"],
    ["call +1 (415) 555-2671 after 5", "call [phone] after 5"],
    ["(415) 555-2671", "[phone]"],
    ["555.123.4567", "[phone]"],
    ["01.23.45.67.89", "[phone]"],
    ["ring 555-1234 or 555 1234", "ring [phone] or [phone]"],
    ["mobile 07946095812", "mobile [phone]"],
    ["+49-30-901820", "[phone]"],
    ["tel:+33 6 12 34 56 78.", "tel:[phone]."],
    ["phone:555-123-4567", "phone:[phone]"],
  ]);
});

test("card-like numbers (13-19 digits, grouped or not) become [card]", () => {
  cases("card", [
    ["4111 1111 1111 1111", "[card]"],
    ["card 4111-1111-1111-1111 exp 12/29", "card [card] exp 12/29"],
    ["4111111111111111", "[card]"],
    ["amex 3782 822463 10005", "amex [card]"],
    ["6011000990139424", "[card]"],
    ["4000 0566 5566 5556 123", "[card]"], // 19 digits
    ["/a/4111-1111-1111-1111/privacy", "/a/[card]/privacy"], // a path segment
  ]);
});

test("numbers side by side (a card and its expiry, two phone numbers) are redacted whole", () => {
  cases("number", [
    ["4111 1111 1111 1111 12 28", "[number]"],
    ["card 4111 1111 1111 1111 123 0528", "card [number]"],
    ["555 123 4567 555 987 6543", "[number]"],
    ["+44 20 7946 0958 10 30", "[number]"],
  ]);
});

test("an address at the end of a long run (a URL-encoded sentence, a long field name) is still found", () => {
  for (const text of ["q=" + "please%20contact%20me%20".repeat(4) + "john.smith%40example.com",
    "contact_information_for_the_visitor_who_asked_about_the_rooftop_value_john@example.com"]) {
    const out = redactText(text);
    assert.ok(out.endsWith("[email]") && !out.includes("john") && !out.includes("example.com"), out);
  }
});

test("six-digit one-time codes, as emailed and as typed with a space, become [code]", () => {
  cases("code", [
    ["your code is 493817", "your code is [code]"],
    ["493 817", "[code]"],
    ['{"code":"000000"}', '{"code":"[code]"}'],
    ["/a/sales/chat/493817", "/a/sales/chat/[code]"],
  ]);
});

test("credentials: Bearer and Basic tokens, api:<key>; ordinary words after them kept", () => {
  cases("credential", [
    ["Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "Authorization: Bearer [secret]"],
    ["Basic YXBpOmtleS1mYWtlLW1haWxndW4=", "Basic [secret]"],
    ["https://api:key-0123456789abcdef@api.mailgun.net/v3", "https://api:[secret]@api.mailgun.net/v3"],
    ["Basic information about Bearer tokens", "Basic information about Bearer tokens"],
  ]);
});

test("left alone: UUIDs, hex ids, MACs, timestamps, dates, request ids, ports, statuses, sizes, versions, file names", () => {
  const keep = [
    "550e8400-e29b-41d4-a716-446655440000",
    "01932c07-2f1a-7b3e-9c4d-123456789012", // v7, its last segment all digits
    "12345678-1234-4123-8123-123456789012", // every segment digits
    "session 0193a1b2-0000-7000-8000-000000123456 stored",
    "5f3a9c0012345678", "deadbeef12345678", "sha 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
    "00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E",
    "2026-12-07T11:53:43.123Z", "2026-12-07 11:53:43", "on 2026-12-07", "07.12.2026", "12/07/2026",
    "8d3a1b2c3d4e5f60-LHR", "fra1::iad1::abcde-1733612345678-abcdef", "req-000123456789",
    "open 10:30 to 11:45", "at 11:53:43.123456",
    "listening on 127.0.0.1:8787", "localhost:54321", "::ffff:192.168.1.10", "client 192.168.100.200",
    "http://localhost:54321/rest/v1/rpc/x",
    "Mailgun: HTTP 503", "HTTP/1.1 200", "exp 12/29",
    "answered in 1532 ms", "body over 10485760 bytes", "read 65536 bytes",
    "node v22.11.0", "version 1.22.333", "salient 0.19.2",
    "logs/app.2026-12-06T23-40-12.jsonl", "app.2026-12-06T23-40-12_1.jsonl",
    "<20261207115930.1.4f3a2b1c@outbox.localhost>", "<20261207115930.12.A1B2C3D4@mg.example.com>", // Message-Ids
    "/a/sales/transcript/…", "tries left: 4", "limit 20 per 60 s", "Retry-After: 3600",
  ];
  for (const text of keep) assert.equal(redactText(text), text, text);
});

test("every string at any depth, whatever the key; keys, numbers, booleans and null kept; no mutation", () => {
  const redact = redactor();
  const entry = {
    level: "error", event: "mail.send_failed", status: 400, retry: false, latency_ms: 123456, none: null,
    message: "Mailgun 400: 'to' is not a valid address: ana@example.com",
    "ana@example.com": "key stays",
    detail: { upstream: { body: ["ok", "call +44 20 7946 0958", { card: "4111 1111 1111 1111" }] } },
    codes: ["123456"],
  };
  const copy = structuredClone(entry);
  const out = redact(entry);
  assert.deepEqual(entry, copy, "the caller's entry is not changed");
  assert.deepEqual(out, {
    level: "error", event: "mail.send_failed", status: 400, retry: false, latency_ms: 123456, none: null,
    message: "Mailgun 400: 'to' is not a valid address: [email]",
    "ana@example.com": "key stays",
    detail: { upstream: { body: ["ok", "call [phone]", { card: "[card]" }] } },
    codes: ["[code]"],
  });
  const cyclic = { a: {} };
  cyclic.a.self = cyclic;
  assert.doesNotThrow(() => redact(cyclic), "a cycle ends at the depth limit");
  assert.match(redact(new Error("bad ana@example.com")), /\[email\]/);
});

test("the env's secret values become [secret]; short values and non-secret names are not used", () => {
  const env = {
    SALIENT_STREAM_SECRET: "s3cr3t-stream-0123456789abcdef",
    SALIENT_OTP_SECRET: "otp-key-material-0123456789",
    OPENROUTER_API_KEY: "sk-or-v1-abcdefabcdefabcdef",
    MAILGUN_WEBHOOK_SIGNING_KEY: "d41d8cd98f00b204e9800998ecf8427e",
    SUPABASE_SERVICE_ROLE_KEY: "eyJhbGciOiJIUzI1NiJ9-service",
    SALIENT_SHORT_KEY: "abc", // too short to be anyone's secret: never matched inside words
    MAILGUN_DOMAIN: "mg.example.com",
  };
  const redact = redactor(env);
  const out = redact({
    message: `fetch https://x.test/?k=${env.OPENROUTER_API_KEY} failed; stream ${env.SALIENT_STREAM_SECRET}`,
    nested: [`sig ${env.MAILGUN_WEBHOOK_SIGNING_KEY}`, `${env.SUPABASE_SERVICE_ROLE_KEY}`, `otp=${env.SALIENT_OTP_SECRET}`],
    domain: "sent via mg.example.com", word: "abcdef",
  });
  assert.deepEqual(out, {
    message: "fetch https://x.test/?k=[secret] failed; stream [secret]",
    nested: ["sig [secret]", "[secret]", "otp=[secret]"],
    domain: "sent via mg.example.com", word: "abcdef",
  });
});

test("redactingLog wraps any log (close kept); the JSONL writer redacts as its last step", async () => {
  const seen = [];
  const sink = (e) => seen.push(e);
  sink.close = async () => seen.push("closed");
  const log = redactingLog(sink, { SALIENT_STREAM_SECRET: "stream-secret-value-1234" });
  log({ event: "x", message: "ana@example.com stream-secret-value-1234" });
  await log.close();
  assert.deepEqual(seen, [{ event: "x", message: "[email] [secret]" }, "closed"]);

  const dir = mkdtempSync(path.join(os.tmpdir(), "salient-redact-"));
  const file = path.join(dir, "app.jsonl");
  const jsonl = jsonlLogger({ file, stdout: false, env: { MAILGUN_API_KEY: "key-live-0123456789abcdef" } });
  jsonl({ level: "info", event: "dev.outbox", note: "to ana@example.com, code 493817, key key-live-0123456789abcdef" });
  await jsonl.close();
  const [line] = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  rmSync(dir, { recursive: true, force: true });
  assert.equal(line.note, "to [email], code [code], key [secret]");
  assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, "the time stamp is not taken for a number");
});

test("linear time: long and hostile strings are still redacted, each well under a second", () => {
  const redact = redactor({ SALIENT_STREAM_SECRET: "stream-secret-value-1234" });
  const hostile = ["1 ", "(1) ", "1-a", "9.", "+1-", "a@", "ana.", "a".repeat(63) + "-", "Bearer a", "0-0."];
  for (const unit of hostile) {
    const text = unit.repeat(Math.ceil(200_000 / unit.length));
    const started = performance.now();
    redact({ text });
    const ms = performance.now() - started;
    assert.ok(ms < 1000, `${JSON.stringify(unit)} × ${text.length / unit.length}: ${ms.toFixed(0)} ms`);
  }
  const long = "x".repeat(100_000) + " ana@example.com 4111 1111 1111 1111 " + "y".repeat(100_000);
  assert.equal(redactText(long), "x".repeat(100_000) + " [email] [card] " + "y".repeat(100_000));
});
