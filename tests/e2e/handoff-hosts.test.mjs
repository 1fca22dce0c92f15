// Handoff by email end to end on the three hosts that run apart from the tests (issue 18; the dev
// server's loop is tests/e2e/handoff-outbox.test.mjs): workerd running the Cloudflare worker,
// Deno running the Netlify Edge Function and Node running the Vercel function behind
// vercel.json's rewrites, each beside its own state store (PGlite over HTTP, as Supabase) and
// the fake Mailgun. On each: the visitor presses the button → the team's email reaches the fake
// with a reply+<id> Reply-To → the fake posts a signed reply to /mail/inbound → the visitor's
// updates show it, named from the config, with no address in sight. Mailgun's retry of the same
// Message-Id is a duplicate, a wrong signature a 406; a 200 KB multipart reply (a photo attached)
// is read whole (the host reads more for /mail/inbound than limits.max_body_bytes) and stored
// without its attachment, and the team member is told so by email.
//
//   node --test tests/e2e/handoff-hosts.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { bodyLimitFor, INBOUND_MAIL_MAX_BODY_BYTES } from "../../hosts/routes.js";
import { addressesOf, DOMAIN, KEY, startFakeMailgun } from "../support/fake-mailgun.mjs";
import { startBesideStore } from "../support/host-process.mjs";
import { PLATFORM_HOSTS as HOSTS } from "../support/platform-hosts.mjs";
import { REPO } from "../support/workerd.mjs";

const SIGNING_KEY = "e2e-handoff-hosts-signing-key-0123456789";
const SECRETS = {
  SALIENT_STREAM_SECRET: "e2e-handoff-hosts-stream-secret-0123456789ab",
  SALIENT_OTP_SECRET: "e2e-handoff-hosts-code-secret-0123456789abcde",
};
const ANA = { email: "ana.souza@brightleaf.test", name: "Ana Souza" };
// The repository's compiled config with one team member for every agent.
const CONFIG = (() => {
  const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  config.handoff = { ...config.handoff, team: [ANA], response_time: "within the hour", per_session_per_day: 20 };
  for (const agent of Object.values(config.agents ?? {})) delete agent.handoff;
  return config;
})();
const MAX_BODY = CONFIG.limits?.max_body_bytes ?? 65536;


let mailgun;
before(async () => {
  mailgun = await startFakeMailgun();
});
after(() => mailgun?.close());

const toAna = (since) => mailgun.messages().slice(since).filter((m) => addressesOf(m.to).includes(ANA.email));

test("the host reads up to 10 MB for Mailgun's inbound post only", () => {
  assert.equal(INBOUND_MAIL_MAX_BODY_BYTES, 10 * 1024 * 1024);
  assert.equal(bodyLimitFor("POST", "/mail/inbound", MAX_BODY), INBOUND_MAIL_MAX_BODY_BYTES);
  for (const [method, p] of [["GET", "/mail/inbound"], ["POST", "/mail/inbound/x"], ["POST", "/a/sales/chat"],
    ["POST", "/a/sales/handoff"], ["POST", "/otp/request"], ["POST", "/a/mail/inbound"]]) {
    assert.equal(bodyLimitFor(method, p, MAX_BODY), MAX_BODY, `${method} ${p}`);
  }
});

for (const { name, start, skip } of HOSTS) {
  describe(`handoff by email on ${name}`, { skip }, () => {
    let host, startError = null;
    before(async () => {
      const t0 = performance.now();
      host = await startBesideStore(start, {
        salientConfig: CONFIG,
        env: (url) => ({ ...SECRETS, SUPABASE_URL: url, MAILGUN_API_KEY: KEY, MAILGUN_DOMAIN: DOMAIN,
          MAILGUN_BASE_URL: mailgun.url, MAILGUN_WEBHOOK_SIGNING_KEY: SIGNING_KEY }),
      }).catch((err) => void (startError = err));
      if (host) console.log(`# ${name}: started in ${Math.round(performance.now() - t0)} ms`);
    });
    after(() => host?.stop());
    const started = () => {
      if (startError) throw startError;
    };

    const post = (p, body) => fetch(host.url + p, {
      method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body),
    });
    const updates = async (session) => {
      const r = await post("/a/sales/updates", { session_key: session });
      assert.equal(r.status, 200, await r.clone().text());
      return r.json();
    };
    const teamMessages = async (session) => (await updates(session)).messages.filter((m) => m.role === "team");
    const inbound = () => `${host.url}/mail/inbound`;

    const session = `s-${crypto.randomUUID()}`;
    let teamMail = null; // the team's email about this host's conversation, as the fake got it
    const needsTeamMail = () => {
      started();
      assert.ok(teamMail, "the button's test found the team email");
    };

    test("the button: the team's email reaches Mailgun with the conversation's reply+ address", async () => {
      started();
      const said = await post("/a/sales/chat", { message: "Which hedge survives a windy, salty garden?", session_key: session, idempotency_key: crypto.randomUUID() });
      assert.equal(said.status, 200, await said.clone().text());
      const { stream_url } = await said.json();
      const answer = await fetch(host.url + stream_url + (stream_url.includes("format=json") ? "" : "&format=json"));
      assert.equal(answer.status, 200);
      await answer.text(); // the turn is stored once the stream ends
      const since = mailgun.messages().length;
      const r = await post("/a/sales/handoff", { session_key: session });
      assert.equal(r.status, 200, await r.clone().text());
      const body = await r.json();
      assert.equal(body.status, "started");
      assert.equal(body.handoff.team, ANA.name);
      assert.equal(body.handoff.response_time, "within the hour");
      const mails = toAna(since);
      assert.equal(mails.length, 1, "one email to the team");
      [teamMail] = mails;
      assert.match(teamMail.replyTo, new RegExp(`^reply\\+[a-z2-7]{26}@${DOMAIN.replaceAll(".", "\\.")}$`));
      assert.equal(mailgun.lastHandoff(ANA.email)?.id, teamMail.id);
      assert.ok(teamMail.text.includes("windy, salty garden"), "the transcript is in the email");
    });

    test("a signed reply is stored and shown in the visitor's updates under the config's name", async () => {
      needsTeamMail();
      const text = "Hi, Ana here. Griselinia or escallonia both cope with salt wind.";
      const messageId = `<hosts-${crypto.randomUUID()}@brightleaf.test>`;
      // The From header's display name is not what the visitor sees: the config's name is.
      const reply = { signingKey: SIGNING_KEY, from: `"A. Souza (mobile)" <${ANA.email}>`, text, messageId };
      const stored = await mailgun.replyTo(inbound(), teamMail, reply);
      assert.deepEqual([stored.status, stored.body?.status], [200, "stored"], JSON.stringify(stored.body));
      const u = await updates(session);
      assert.equal(u.handoff?.active, true);
      const team = u.messages.filter((m) => m.role === "team");
      assert.equal(team.length, 1);
      assert.equal(team[0].content, text);
      assert.equal(team[0].name, ANA.name);
      assert.ok(!JSON.stringify(u).toLowerCase().includes(ANA.email), "the team's address never reaches the visitor");
      assert.ok(!JSON.stringify(u).includes("mobile"), "nor the From header's name");

      // Mailgun's retry of the same mail: a new token, the same Message-Id.
      const again = await mailgun.replyTo(inbound(), teamMail, reply);
      assert.deepEqual([again.status, again.body?.status], [200, "duplicate"], JSON.stringify(again.body));
      const forged = await mailgun.replyTo(inbound(), teamMail, { ...reply, signingKey: "not-the-signing-key", messageId: `<forged-${crypto.randomUUID()}@x.test>` });
      assert.equal(forged.status, 406);
      assert.equal(forged.body?.error?.code, "bad_signature");
      assert.equal((await teamMessages(session)).length, 1, "neither stored a second message");
    });

    test("a 200 KB multipart reply with a photo: stored without it, and the team member is told", async () => {
      needsTeamMail();
      const photo = new Uint8Array(200 * 1024);
      crypto.getRandomValues(photo.subarray(0, 65536)); // the rest stays zero: the size is what counts
      photo.set([0xff, 0xd8, 0xff, 0xe0]);
      assert.ok(photo.length > MAX_BODY * 2, "well past limits.max_body_bytes");
      const since = mailgun.messages().length;
      const text = "Here is a photo of an escallonia hedge after a winter by the sea.";
      const r = await mailgun.replyTo(inbound(), teamMail, {
        signingKey: SIGNING_KEY, from: ANA.email, text, messageId: `<photo-${crypto.randomUUID()}@brightleaf.test>`,
        attachments: [{ filename: "hedge.jpg", contentType: "image/jpeg", content: photo }],
      });
      assert.deepEqual([r.status, r.body?.status], [200, "stored"], JSON.stringify(r.body));
      const team = await teamMessages(session);
      assert.equal(team.at(-1)?.content, text, "the text shown, nothing of the file");
      const told = toAna(since);
      assert.equal(told.length, 1, "one email back to the team member");
      assert.match(told[0].text, /without its attachments/);
      assert.ok(!told[0].replyTo || !/^reply\+/.test(told[0].replyTo), "the note takes no replies into the chat");
    });

    test("other routes keep limits.max_body_bytes: an oversized chat post is still a 413", async () => {
      started();
      const r = await post("/a/sales/chat", { message: "x".repeat(MAX_BODY + 1), session_key: session, idempotency_key: crypto.randomUUID() });
      assert.equal(r.status, 413);
      assert.equal((await r.json()).error.code, "payload_too_large");
    });
  });
}
