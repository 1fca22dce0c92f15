// The operator's sign-in to /admin/ and /metrics (issue 20) and their refusals on all four hosts:
// the Node dev server (its embedded store, its own outbox at /dev/outbox), and workerd, Deno
// running the Netlify Edge Function and Node running the Vercel function behind vercel.json's
// rewrites, each beside its own state store (PGlite over HTTP, as Supabase) and the fake Mailgun.
// On each: a listed address gets exactly one email with a code, an unlisted one the same page and
// none; a wrong code no cookie, the right one the __Host- cookie; the cookie opens the pages and
// anything else (none, a changed mac, an expired or unlisted one crafted with the JS port of the
// core's HMAC, tests/support/admin-cookie.mjs) gets the sign-in page; a crafted VALID cookie is
// accepted, which proves the port, so the refusals mean what they say. Every admin POST needs the
// session's CSRF token and a same-site Origin. /metrics takes the bearer token or the cookie and
// counts this host's own requests. On the dev server, restarted with the address taken out of
// admin.emails, the same cookie no longer opens anything.
//
//   node --test tests/e2e/admin-hosts.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { startServer } from "../../hosts/node-dev/server.js";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { adminCookie, adminCsrf, COOKIE_NAME, keyedHash, readAdminCookie, tamperMac } from "../support/admin-cookie.mjs";
import { addressesOf, DOMAIN, KEY, startFakeMailgun } from "../support/fake-mailgun.mjs";
import { startBesideStore } from "../support/host-process.mjs";
import { PLATFORM_HOSTS } from "../support/platform-hosts.mjs";
import { REPO } from "../support/workerd.mjs";

const OTP_SECRET = "e2e-admin-hosts-code-secret-0123456789abcdef";
const METRICS_TOKEN = "e2e-admin-hosts-metrics-token-0123";
const SECRETS = {
  SALIENT_STREAM_SECRET: "e2e-admin-hosts-stream-secret-0123456789abc",
  SALIENT_OTP_SECRET: OTP_SECRET,
  SALIENT_METRICS_TOKEN: METRICS_TOKEN,
};
const OWNER = "owner@brightleaf.example";
const STRANGER = "stranger@brightleaf.example";
const CROSS_SITE = "https://evil.example";
const CONFIG = (() => {
  const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  config.admin = { ...config.admin, emails: [OWNER] };
  return config;
})();
const TENANT = CONFIG.app.tenant;
const HOUR = 3_600_000;

let mailgun;
before(async () => {
  mailgun = await startFakeMailgun();
});
after(() => mailgun?.close());

// The dev server with its own outbox; `config` lets the restart run with another list.
async function startDev(state, config = CONFIG) {
  const server = await startServer({ port: 0, host: "127.0.0.1", state, config, env: { ...SECRETS }, log: () => {} });
  return {
    url: server.url,
    async mails() {
      const { messages } = await (await fetch(`${server.url}/dev/outbox.json`)).json();
      return messages.reverse().map((m) => ({ to: addressesOf(m.to), text: m.text ?? "" }));
    },
    stop: () => server.close(),
  };
}

const HOSTS = [
  {
    name: "the dev server (Node, its outbox)", skip: false, restartable: true,
    async start() {
      const state = await pgliteBackend();
      const dev = await startDev(state).catch(async (err) => {
        await state.close();
        throw err;
      });
      return { ...dev, state, stop: async () => {
        await dev.stop();
        await state.close();
      } };
    },
  },
  ...PLATFORM_HOSTS.map(({ name, start, skip }) => ({
    name, skip, restartable: false,
    async start() {
      const host = await startBesideStore(start, {
        salientConfig: CONFIG,
        env: (url) => ({ ...SECRETS, SUPABASE_URL: url, MAILGUN_API_KEY: KEY, MAILGUN_DOMAIN: DOMAIN, MAILGUN_BASE_URL: mailgun.url }),
      });
      return { ...host, mails: async () => mailgun.messages().map((m) => ({ to: addressesOf(m.to), text: m.text ?? "" })) };
    },
  })),
];

const codeIn = (text) => /(?<!\d)(\d{6})(?!\d)/.exec(text)?.[1] ?? null;
const setCookies = (res) => res.headers.getSetCookie();
const cookieHeader = (value) => ({ cookie: `other=1; ${COOKIE_NAME}=${value}` });
const SET_COOKIE = new RegExp(`^${COOKIE_NAME}=(v1\\.\\d+\\.[0-9a-f]{32}\\.[0-9a-f]+\\.[0-9a-f]{64}); Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=(\\d+)$`);

for (const { name, skip, start, restartable } of HOSTS) {
  describe(`the admin sign-in on ${name}`, { skip }, () => {
    let host, startError = null;
    before(async () => {
      const t0 = performance.now();
      host = await start().catch((err) => void (startError = err));
      if (host) console.log(`# ${name}: started in ${Math.round(performance.now() - t0)} ms`);
    });
    after(() => host?.stop());
    const started = () => {
      if (startError) throw startError;
    };

    // workerd trusts Cloudflare's cf-connecting-ip only; the other hosts take the socket's.
    const base = () => ({ "cf-connecting-ip": "127.0.0.1" });
    const form = (p, fields, { origin = host.url, headers = {} } = {}) => fetch(host.url + p, {
      method: "POST", redirect: "manual",
      headers: { ...base(), "content-type": "application/x-www-form-urlencoded", origin, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    const get = (p, headers = {}) => fetch(host.url + p, { redirect: "manual", headers: { ...base(), ...headers } });
    const mailsTo = async (email, since) => (await host.mails()).slice(since).filter((m) => m.to.includes(email));

    let code = null; // the code emailed to OWNER
    let cookie = null; // the value the host set at sign-in
    const needsCode = () => {
      started();
      assert.ok(code, "the sign-in test got a code");
    };
    const needsCookie = () => {
      started();
      assert.ok(cookie, "the verify test got a cookie");
    };

    test("the host routes /admin, /admin/ and /metrics to the core: /admin redirects to /admin/, the sign-in page", async () => {
      started();
      const bare = await get("/admin");
      const bareText = await bare.text();
      if (bare.status === 200) {
        // hosts/vercel/function.js's visitorRequest makes /admin (the rewrite's empty match) /admin/.
        assert.equal(name, "Vercel (Node)", "only Vercel's adapter serves /admin as /admin/");
        assert.ok(bareText.includes('action="/admin/sign-in"'), "the sign-in page");
      } else {
        // docs say 308; admin_flow.cpp answers with its 303 helper: either is a redirect to /admin/.
        assert.ok([303, 308].includes(bare.status), `${bare.status} ${bareText}`);
        assert.equal(bare.headers.get("location"), "/admin/");
      }
      const signIn = await get("/admin/");
      const page = await signIn.text();
      assert.equal(signIn.status, 200, page);
      assert.match(signIn.headers.get("content-type"), /^text\/html/);
      assert.match(signIn.headers.get("cache-control") ?? "", /no-store/);
      assert.ok(page.includes('action="/admin/sign-in"'), "the sign-in form");
      const metrics = await get("/metrics");
      assert.equal(metrics.status, 401, "the core answers /metrics (not the platform's 404)");
      await metrics.body?.cancel();
    });

    test("sign-in: the listed address gets one email with a code; another the same page and none", async () => {
      started();
      const since = (await host.mails()).length;
      const listed = await form("/admin/sign-in", { email: OWNER });
      const listedPage = await listed.text();
      assert.equal(listed.status, 200, listedPage);
      assert.match(listed.headers.get("content-type"), /^text\/html/);
      const mails = await mailsTo(OWNER, since);
      assert.equal(mails.length, 1, "exactly one email to the operator");
      code = codeIn(mails[0].text);
      assert.match(code ?? "", /^\d{6}$/, "a 6-digit code in the email");
      assert.ok(listedPage.includes(OWNER) && listedPage.includes('action="/admin/verify"'), "the code form");

      const afterListed = (await host.mails()).length;
      const unlisted = await form("/admin/sign-in", { email: STRANGER });
      const unlistedPage = await unlisted.text();
      assert.equal(unlisted.status, 200, unlistedPage);
      assert.equal(unlistedPage.replaceAll(STRANGER, "<address>"), listedPage.replaceAll(OWNER, "<address>"),
        "the same page, only the address differs");
      assert.equal((await host.mails()).length, afterListed, "no email at all");
      assert.equal((await mailsTo(STRANGER, 0)).length, 0);
    });

    test("verify: a wrong code sets no cookie; the right one sets the __Host- cookie and sends to /admin/", async () => {
      needsCode();
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
      const refused = await form("/admin/verify", { email: OWNER, code: wrong });
      assert.equal(refused.status, 400, await refused.text());
      assert.deepEqual(setCookies(refused), []);
      const unlisted = await form("/admin/verify", { email: STRANGER, code });
      assert.equal(unlisted.status, 400);
      assert.deepEqual(setCookies(unlisted), []);

      const ok = await form("/admin/verify", { email: OWNER, code });
      assert.equal(ok.status, 303, await ok.clone().text());
      assert.equal(ok.headers.get("location"), "/admin/");
      const set = setCookies(ok);
      assert.equal(set.length, 1, set.join("\n"));
      const match = SET_COOKIE.exec(set[0]);
      assert.ok(match, set[0]);
      assert.doesNotMatch(set[0], /domain=/i);
      const maxAge = Number(match[2]);
      const hours = CONFIG.admin.session_hours ?? 12;
      assert.ok(maxAge > hours * 3600 - 300 && maxAge <= hours * 3600, `Max-Age ${maxAge}`);
      cookie = match[1];
      const parts = readAdminCookie(cookie);
      assert.equal(parts.email, OWNER);
      // The host's own mac is the port's: the same HMAC over the same parts.
      assert.equal(parts.mac, keyedHash(OTP_SECRET, "admin-session", [TENANT, String(parts.expiresMs), parts.nonce, parts.emailHex]));
      // A code works once.
      const again = await form("/admin/verify", { email: OWNER, code });
      assert.notEqual(again.status, 303);
      assert.deepEqual(setCookies(again), []);
    });

    test("the cookie opens /admin/leads; none, a changed mac, an expired or unlisted one do not", async () => {
      needsCookie();
      const ok = await get("/admin/leads", cookieHeader(cookie));
      const page = await ok.text();
      assert.equal(ok.status, 200, page);
      assert.ok(page.includes(OWNER), "the page names who is signed in");
      const { nonce } = readAdminCookie(cookie);
      const csrf = adminCsrf({ secret: OTP_SECRET, tenant: TENANT, nonce });
      assert.ok(page.includes(`name="csrf" value="${csrf}"`), "the forms carry the port's CSRF token");
      const dashboard = await get("/admin/", cookieHeader(cookie));
      assert.equal(dashboard.status, 200, await dashboard.clone().text());
      assert.ok((await dashboard.text()).includes(OWNER), "the dashboard, signed in");

      const none = await get("/admin/leads");
      const nonePage = await none.text();
      assert.equal(none.status, 401);
      assert.ok(nonePage.includes('action="/admin/sign-in"'), "the sign-in page");
      assert.ok(!nonePage.includes(OWNER));

      const now = Date.now();
      // Each with the note of its own refusal: an expired or unlisted one passed the mac check.
      const anyNote = /Please sign in to see this page\./;
      const refusals = {
        "a changed mac": [tamperMac(cookie), anyNote],
        "an expired cookie": [adminCookie({ secret: OTP_SECRET, tenant: TENANT, email: OWNER, expiresMs: now - 60_000 }), /Your sign-in has ended/],
        "an unlisted address": [adminCookie({ secret: OTP_SECRET, tenant: TENANT, email: STRANGER, expiresMs: now + HOUR }), /may no longer sign in here/],
        "another tenant's": [adminCookie({ secret: OTP_SECRET, tenant: `${TENANT}-other`, email: OWNER, expiresMs: now + HOUR }), anyNote],
        "another secret's": [adminCookie({ secret: `${OTP_SECRET}x`, tenant: TENANT, email: OWNER, expiresMs: now + HOUR }), anyNote],
      };
      for (const [what, [value, note]] of Object.entries(refusals)) {
        const r = await get("/admin/leads", cookieHeader(value));
        const body = await r.text();
        assert.equal(r.status, 401, what);
        assert.match(body, note, what);
        assert.ok(body.includes('action="/admin/sign-in"'), `${what}: the sign-in page`);
        assert.ok(!body.includes("name=\"csrf\""), `${what}: no signed-in form`);
        assert.ok(setCookies(r).some((c) => c.startsWith(`${COOKIE_NAME}=;`) && /Max-Age=0/.test(c)), `${what}: the cookie is cleared`);
      }
      // The same port's valid cookie is accepted: the refusals above are the core's checks, not the port's mistakes.
      const crafted = adminCookie({ secret: OTP_SECRET, tenant: TENANT, email: OWNER, expiresMs: now + HOUR });
      const accepted = await get("/admin/leads", cookieHeader(crafted));
      assert.equal(accepted.status, 200, await accepted.clone().text());
      assert.deepEqual(setCookies(accepted), []);
    });

    test("CSRF: an admin POST needs the session's token and a same-site Origin", async () => {
      needsCookie();
      const lead = `/admin/leads/${crypto.randomUUID()}`;
      const { nonce } = readAdminCookie(cookie);
      const csrf = adminCsrf({ secret: OTP_SECRET, tenant: TENANT, nonce });
      const fields = { status: "contacted", notes: "Called back." };
      const headers = cookieHeader(cookie);
      const noToken = await form(lead, fields, { headers });
      assert.equal(noToken.status, 403, await noToken.text());
      const wrongToken = await form(lead, { ...fields, csrf: tamperMac(csrf) }, { headers });
      assert.equal(wrongToken.status, 403);
      const crossSite = await form(lead, { ...fields, csrf }, { headers, origin: CROSS_SITE });
      assert.equal(crossSite.status, 403);
      const noCookie = await form(lead, { ...fields, csrf });
      assert.equal(noCookie.status, 401, "no sign-in: the sign-in page");
      // The right token gets past the checks: the store has no such conversation.
      const right = await form(lead, { ...fields, csrf }, { headers });
      const body = await right.text();
      assert.equal(right.status, 404, body);
      assert.match(body, /no longer exists/);
      // The token in a header does as well (x-csrf-token).
      const inHeader = await form(lead, fields, { headers: { ...headers, "x-csrf-token": csrf } });
      assert.equal(inHeader.status, 404);
    });

    test("/metrics: 401 without auth; the bearer token or the cookie → Prometheus text counting this host's requests", async () => {
      needsCookie();
      const none = await get("/metrics");
      assert.equal(none.status, 401);
      assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer /);
      assert.equal((await none.json()).error.code, "unauthorized");
      const wrong = await get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}x` });
      assert.equal(wrong.status, 401);
      await wrong.body?.cancel();

      const scraped = await get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}` });
      const text = await scraped.text();
      assert.equal(scraped.status, 200, text);
      assert.equal(scraped.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
      const families = parsePrometheusTextFormat(text);
      const requests = families.find((f) => f.name === "salient_instance_requests_total");
      assert.ok(requests, "the per-instance request counter");
      const count = (route, status) => requests.metrics
        .filter((m) => m.labels.route === route && m.labels.status === status && m.labels.module === "otp")
        .reduce((n, m) => n + Number(m.value), 0);
      assert.ok(count("/admin/sign-in", "200") >= 2, text);
      assert.ok(count("/admin/verify", "303") >= 1, text);
      assert.ok(count("/admin/verify", "400") >= 2, text);
      assert.ok(count("/admin/leads", "401") >= 6, text);
      assert.ok(count("/admin/leads/{id}", "403") >= 3, text);
      assert.ok(!text.includes(OWNER) && !text.includes(STRANGER), "no address in the metrics");

      const byCookie = await get("/metrics", cookieHeader(cookie));
      assert.equal(byCookie.status, 200);
      assert.match(byCookie.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
      assert.ok(parsePrometheusTextFormat(await byCookie.text()).some((f) => f.name === "salient_instance_requests_total"));
    });

    if (restartable) {
      test("restarted with the address taken out of admin.emails, the same cookie opens nothing", async () => {
        needsCookie();
        const config = structuredClone(CONFIG);
        config.admin.emails = ["someone.else@brightleaf.example"];
        const restarted = await startDev(host.state, config);
        try {
          const r = await fetch(`${restarted.url}/admin/leads`, { headers: cookieHeader(cookie), redirect: "manual" });
          const body = await r.text();
          assert.equal(r.status, 401);
          assert.match(body, /may no longer sign in/);
          const m = await fetch(`${restarted.url}/metrics`, { headers: cookieHeader(cookie) });
          assert.equal(m.status, 401);
          await m.body?.cancel();
        } finally {
          await restarted.stop();
        }
        // The first instance, with the address still listed, still lets it in.
        assert.equal((await get("/admin/leads", cookieHeader(cookie))).status, 200);
      });
    }
  });
}
