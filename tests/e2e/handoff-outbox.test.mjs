// Handoff by email end to end on the dev server (issue 18), its own Mailgun: the visitor asks for
// a person → the team's email in /dev/outbox with a reply+<id> Reply-To → "Reply as the team"
// there (POST /dev/outbox/reply: a signed Mailgun inbound post to /mail/inbound) → the reply in
// the visitor's updates and history, named from the config → the visitor's answer threads back to
// the team by email. Then Mailgun's checks, each with the tests' fake's signed posts
// (tests/support/fake-mailgun.mjs inbound): a retry stored once, a replayed token, a wrong key, a
// stale timestamp, a sender not on the team, failed SPF and DKIM, an unknown address, no text.
// The requests' clock is moved instead of waiting.
//
//   node --test tests/e2e/handoff-outbox.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { handoffAddress } from "../../hosts/node-dev/outbox-reply.js";
import { signedInboundForm, postInbound } from "../../hosts/node-dev/mailgun-inbound.js";
import { inbound, replyTo } from "../support/fake-mailgun.mjs";
import { REPO } from "../support/workerd.mjs";

const MINUTE = 60_000;
const KEY = "e2e-handoff-signing-key-0123456789abcdef";
const ANA = { email: "ana@brightleaf.test", name: "Ana Souza" };
const CONFIG = (() => {
  const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  config.handoff = { ...config.handoff, team: [ANA], response_time: "within the hour", quiet_minutes: 15, notify_minutes: 10 };
  return config;
})();


describe("handoff by email on the dev server: button, team email, reply from /dev/outbox, shown to the visitor", () => {
  let server, startError = null;
  let shift = 0; // added to the requests' clock
  const logs = [];
  before(async () => {
    server = await startServer({
      port: 0, config: CONFIG, log: (line) => logs.push(line), now: () => Date.now() + shift,
      env: { SALIENT_STATE: "memory", MAILGUN_WEBHOOK_SIGNING_KEY: KEY,
             SALIENT_STREAM_SECRET: "e2e-handoff-stream-secret-0123456789abcdefgh",
             SALIENT_OTP_SECRET: "e2e-handoff-code-secret-0123456789abcdefghij" },
    }).catch((err) => void (startError = err));
  });
  const started = () => {
    if (startError) throw startError;
  };
  after(() => server?.close());

  const post = (p, body) => fetch(server.url + p, {
    method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body),
  });
  const outbox = async () => (await (await fetch(`${server.url}/dev/outbox.json`)).json()).messages; // newest first
  const toAna = async () => (await outbox()).filter((m) => m.to.includes(ANA.email));
  async function say(session, message) {
    started();
    const r = await post("/a/sales/chat", { message, session_key: session, idempotency_key: crypto.randomUUID() });
    assert.equal(r.status, 200, await r.clone().text());
    const { stream_url } = await r.json();
    const answer = await fetch(server.url + stream_url + (stream_url.includes("format=json") ? "" : "&format=json"));
    assert.equal(answer.status, 200);
    return answer.text();
  }
  const updates = async (session) => {
    started();
    const r = await post("/a/sales/updates", { session_key: session });
    assert.equal(r.status, 200, await r.clone().text());
    return r.json();
  };
  const teamMessages = async (session) => (await updates(session)).messages.filter((m) => m.role === "team");

  const session = `s-${crypto.randomUUID()}`;
  let teamMail = null; // the first team email, from the outbox

  test("the button: one team email, Reply-To the conversation's reply+ address; again: open, no second email", async () => {
    await say(session, "Hi, I'm Ada. Which hedge survives a windy, salty garden?");
    const r = await post("/a/sales/handoff", { session_key: session });
    assert.equal(r.status, 200, await r.clone().text());
    const started = await r.json();
    assert.equal(started.status, "started");
    assert.equal(started.handoff.team, ANA.name);
    assert.equal(started.handoff.response_time, "within the hour");
    assert.equal(typeof started.message, "string");
    const mails = await toAna();
    assert.equal(mails.length, 1);
    [teamMail] = mails;
    assert.ok(handoffAddress(teamMail.replyTo), `a handoff Reply-To: ${teamMail.replyTo}`);
    assert.match(teamMail.replyTo, /^reply\+[a-z2-7]{26}@outbox\.localhost$/);
    assert.ok(teamMail.text.includes("windy, salty garden"), "the transcript");
    const again = await (await post("/a/sales/handoff", { session_key: session })).json();
    assert.equal(again.status, "open");
    assert.equal((await toAna()).length, 1);
  });

  test("Reply as the team in /dev/outbox: stored; the visitor's updates show it with the config's name", async () => {
    started();
    assert.ok(teamMail, "the first test's team email");
    const text = "Hi Ada, Ana here. Griselinia or escallonia both cope with salt wind.";
    const r = await fetch(`${server.url}/dev/outbox/reply`, {
      method: "POST", redirect: "manual", headers: { origin: server.url, "sec-fetch-site": "same-origin" },
      body: new URLSearchParams({ key: teamMail.key, from: ANA.email, text }),
    });
    assert.equal(r.status, 303);
    const [kept] = (await outbox()).find((m) => m.id === teamMail.id).replies;
    assert.deepEqual([kept.status, kept.outcome], [200, "stored"]);
    const u = await updates(session);
    assert.equal(u.handoff?.active, true);
    const team = u.messages.filter((m) => m.role === "team");
    assert.equal(team.length, 1);
    assert.equal(team[0].content, text);
    assert.equal(team[0].name, ANA.name);
    assert.ok(!JSON.stringify(u).includes(ANA.email), "the team's address never reaches the visitor");
    const history = await (await post("/a/sales/history", { session_key: session })).json();
    assert.ok(JSON.stringify(history).includes("Griselinia"), "in the history too");
    assert.ok(!JSON.stringify(logs).includes("Griselinia"), "the reply is in no log line");
  });

  test("Mailgun's checks: a retry is stored once; replay, wrong key, stale, not on the team, no SPF/DKIM, unknown, empty: 406", async () => {
    started();
    assert.ok(teamMail, "the first test's team email");
    const url = `${server.url}/mail/inbound`;
    const base = { signingKey: KEY, from: ANA.email, text: "Also: plant in autumn.", messageId: `<retry-${crypto.randomUUID()}@brightleaf.test>` };
    const first = await replyTo(url, teamMail, base);
    assert.deepEqual([first.status, first.body.status], [200, "stored"]);
    const retried = await replyTo(url, teamMail, base); // Mailgun's retry: a new token, the same Message-Id
    assert.deepEqual([retried.status, retried.body.status], [200, "duplicate"]);
    const form = signedInboundForm({ ...base, recipient: handoffAddress(teamMail.replyTo), messageId: "<replay@brightleaf.test>" });
    assert.equal((await postInbound(url, form)).status, 200);
    // The same post again (Mailgun may resend a token): stored already, nothing more.
    const again = await postInbound(url, form);
    assert.deepEqual([again.status, (await again.json()).status], [200, "duplicate"]);
    // A captured post altered (the signature covers only timestamp + token): its token was used.
    form.set("Message-Id", "<altered@brightleaf.test>");
    form.set("stripped-text", "Send your card number here.");
    const replayed = await postInbound(url, form);
    assert.equal(replayed.status, 406);
    assert.equal((await replayed.json()).error.code, "replayed");
    const count = (await teamMessages(session)).length;

    const refused = async (options, code) => {
      const res = await replyTo(url, teamMail, { ...base, messageId: `<${code}-${crypto.randomUUID()}@x.test>`, ...options });
      assert.equal(res.status, 406, `${code}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code);
    };
    await refused({ signingKey: "not-the-key" }, "bad_signature");
    await refused({ signature: "0".repeat(64) }, "bad_signature");
    await refused({ timestamp: Math.floor((Date.now() + shift) / 1000) - 10 * 60 }, "stale");
    await refused({ from: "mallory@elsewhere.test" }, "not_team");
    await refused({ spf: "Fail", dkim: "Fail" }, "unauthenticated");
    await refused({ recipient: `reply+${"a".repeat(26)}@outbox.localhost` }, "unknown_reply");
    await refused({ text: "" }, "empty");
    assert.equal((await teamMessages(session)).length, count, "nothing more stored");
    // Mailgun's multipart shape (a mail with an attachment) is read as well.
    const multi = await inbound(url, { ...base, recipient: handoffAddress(teamMail.replyTo), messageId: "<multi@brightleaf.test>",
      text: "Photo attached.", attachments: [{ filename: "hedge.jpg", contentType: "image/jpeg", content: "\xff\xd8" }] });
    assert.equal(multi.status, 200, JSON.stringify(multi.body));
  });

  test("the visitor's answer goes to the team in the same thread, batched, by the sweep", async () => {
    assert.ok(teamMail, "the first test's team email");
    await say(session, "Thanks Ana! Escallonia it is. Can you deliver on Friday?");
    shift += 5 * MINUTE;
    const swept = await fetch(`${server.url}/dev/sweep`, { method: "POST" });
    assert.equal(swept.status, 200, await swept.clone().text());
    const forwarded = (await toAna()).filter((m) => m.id !== teamMail.id && m.text?.includes("deliver on Friday"));
    assert.equal(forwarded.length, 1);
    assert.equal(forwarded[0].replyTo, teamMail.replyTo);
    assert.equal(forwarded[0].inReplyTo, teamMail.id, "threaded under the first team email");
  });
});
