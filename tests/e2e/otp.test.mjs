// One-time codes end to end, over real loopback HTTP, on each host that runs the built modules:
// the Node dev server as its own Mailgun (codes read from /dev/outbox.json), and workerd, Deno
// running the Netlify Edge Function and Node running the Vercel function against the fake
// Mailgun (tests/support/fake-mailgun.mjs), each with the state store (PGlite) on its own port.
// A visitor links a conversation to a verified address, then erases everything about it; after
// that no table holds a row naming the address.
//
//   node --test tests/e2e/otp.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { startFakeMailgun, DOMAIN, KEY } from "../support/fake-mailgun.mjs";
import { startBesideStore } from "../support/host-process.mjs";
import { startNetlifyEdge } from "../support/netlify-edge.mjs";
import { startVercel } from "../support/vercel.mjs";
import { startWorkerd } from "../support/workerd.mjs";

const SECRETS = {
  SALIENT_STREAM_SECRET: "e2e-otp-stream-secret-0123456789abcdefghijk",
  SALIENT_OTP_SECRET: "e2e-otp-code-secret-0123456789abcdefghijklmn",
};

let mailgun;
before(async () => {
  mailgun = await startFakeMailgun();
});
after(() => mailgun?.close());

const besideStore = async (start) => {
  const backend = await pgliteBackend();
  const host = await startBesideStore(start, {
    backend,
    env: (url) => ({ ...SECRETS, SUPABASE_URL: url, MAILGUN_API_KEY: KEY, MAILGUN_DOMAIN: DOMAIN, MAILGUN_BASE_URL: mailgun.url }),
  });
  return { ...host, query: backend.query, lastMail: async (to) => mailgun.lastTo(to) };
};

const hosts = {
  "node-dev (its own outbox)": async () => {
    const state = await pgliteBackend();
    const server = await startServer({ port: 0, host: "127.0.0.1", state, env: { ...SECRETS }, log: () => {} });
    return {
      url: server.url,
      query: state.query,
      async lastMail(to) {
        const { messages } = await (await fetch(`${server.url}/dev/outbox.json`)).json();
        return messages.find((m) => m.to === to) ?? null;
      },
      stop: async () => {
        await server.close();
        await state.close();
      },
    };
  },
  workerd: () => besideStore(startWorkerd),
  "netlify-edge": () => besideStore(startNetlifyEdge),
  vercel: () => besideStore(startVercel),
};

const codeIn = (mail) => /(?<!\d)(\d{6})(?!\d)/.exec(mail?.text ?? "")?.[1] ?? null;

for (const [name, startHost] of Object.entries(hosts)) {
  describe(`one-time codes on ${name}`, () => {
    let host;
    before(async () => {
      host = await startHost();
    });
    after(() => host?.stop());

    const post = (path, body, headers = {}) => fetch(host.url + path, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(body),
    });
    async function chat(sessionKey, message) {
      const r = await post("/a/sales/chat", { message, session_key: sessionKey, idempotency_key: crypto.randomUUID() });
      assert.equal(r.status, 200, await r.clone().text());
    }

    test("link a conversation to a verified address; wrong codes and replays refused", async () => {
      const email = `ada.${crypto.randomUUID().slice(0, 8)}@example.com`;
      const session = `s-${crypto.randomUUID()}`;
      await chat(session, "Do you build decks?");
      const asked = await post("/otp/request", { email: email.toUpperCase(), purpose: "link_session", session_key: session });
      assert.equal(asked.status, 200, await asked.clone().text());
      assert.deepEqual(await asked.json(), { status: "sent", purpose: "link_session", email, expires_in_s: 600, resend_after_s: 60 });
      const code = codeIn(await host.lastMail(email));
      assert.match(code ?? "", /^\d{6}$/, "a code was emailed");
      const wrongCode = code === "000000" ? "111111" : "000000";
      const wrong = await post("/otp/verify", { email, code: wrongCode, purpose: "link_session", session_key: session });
      assert.equal(wrong.status, 400);
      assert.deepEqual((await wrong.json()).error, { code: "wrong_code", message: "that code is not right; 4 tries left" });
      const other = await post("/otp/verify", { email, code, purpose: "delete_data" });
      assert.notEqual(other.status, 200, "a link_session code does not erase");
      const ok = await post("/otp/verify", { email, code: `${code.slice(0, 3)} ${code.slice(3)}`, purpose: "link_session", session_key: session });
      assert.equal(ok.status, 200, await ok.clone().text());
      const body = await ok.json();
      assert.equal(body.status, "verified");
      assert.deepEqual(body.session_keys, [session]);
      assert.equal(body.profile.verified, true);
      const replay = await post("/otp/verify", { email, code, purpose: "link_session", session_key: session });
      assert.equal(replay.status, 410);
      const [row] = await host.query("select email, is_anonymous from sessions where session_key = $1", [session]);
      assert.deepEqual(row, { email, is_anonymous: false });
      const stored = await host.query("select text_body, status, provider_id from email_events where to_email = $1", [email]);
      assert.equal(stored.length, 1);
      assert.equal(stored[0].status, "sent");
      assert.ok(stored[0].provider_id);
      assert.ok(!stored[0].text_body.includes(code), "the stored copy masks the code");
    });

    test("erase: the same answer for an unknown address; a known one leaves no row naming it", async () => {
      const unknown = `nobody.${crypto.randomUUID().slice(0, 8)}@example.com`;
      const email = `bo.${crypto.randomUUID().slice(0, 8)}@example.com`;
      const session = `s-${crypto.randomUUID()}`;
      await chat(session, `Call me back, my address is ${email}`);
      const a = await post("/otp/request", { email: unknown, purpose: "delete_data" });
      const b = await post("/otp/request", { email, purpose: "delete_data" });
      assert.equal(a.status, 200);
      assert.deepEqual(await a.json(), { ...(await b.json()), email: unknown }, "identical apart from the address");
      assert.equal(codeIn(await host.lastMail(unknown)), null, "no code for an address with nothing stored");
      assert.match((await host.lastMail(unknown)).text, /nothing/i);
      const code = codeIn(await host.lastMail(email));
      const erased = await post("/otp/verify", { email, code, purpose: "delete_data" });
      assert.equal(erased.status, 200, await erased.clone().text());
      const body = await erased.json();
      assert.equal(body.status, "erased");
      assert.equal(body.erased.sessions, 1);
      assert.equal(body.confirmation_sent, true);
      assert.match((await host.lastMail(email)).subject, /erased|deleted/i);
      const tables = await host.query(`select table_name as t from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE'`);
      for (const { t } of tables) {
        const [{ n }] = await host.query(`select count(*)::int as n from "${t}" r where lower(r::text) like $1`, [`%${email}%`]);
        assert.equal(n, 0, `${t} still names the address`);
      }
      const codes = await host.query("select otp_hash from otp_links");
      for (const { otp_hash } of codes) assert.match(otp_hash, /^[0-9a-f]{64}$/, "codes only as keyed hashes");
    });

    test("a cross-site request is refused; the privacy page is served", async () => {
      const r = await post("/otp/request", { email: "x@example.com", purpose: "delete_data" }, { origin: "https://evil.example" });
      assert.equal(r.status, 403);
      const page = await fetch(`${host.url}/a/sales/privacy`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /hx-post="\/otp\/request"/);
    });
  });
}

describe("a failing Mailgun", () => {
  let host;
  before(async () => {
    host = await besideStore(startVercel);
  });
  after(() => host?.stop());

  test("a failed send is recorded failed, the visitor told to try again, and no code from it verifies", async () => {
    const email = `cy.${crypto.randomUUID().slice(0, 8)}@example.com`;
    const ask = () => fetch(`${host.url}/otp/request`, {
      method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ email, purpose: "delete_data" }),
    });
    for (const fault of [{ status: 429, retryAfter: 7 }, { status: 503 }, { status: 401 }]) {
      mailgun.fail(fault);
      const r = await ask();
      assert.equal(r.status, fault.status === 401 ? 500 : 503, JSON.stringify(fault));
      if (fault.retryAfter) assert.equal(r.headers.get("retry-after"), "7");
      if (fault.status !== 401) assert.equal((await r.json()).error.code, "send_failed");
    }
    const rows = await host.query("select status from email_events where to_email = $1", [email]);
    assert.deepEqual(rows.map((r) => r.status), ["failed", "failed", "failed"]);
  });
});
