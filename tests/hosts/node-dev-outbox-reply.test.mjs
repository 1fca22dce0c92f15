// The dev outbox's "Reply as the team" (hosts/node-dev/outbox-reply.js): the form under a
// handoff's email only (Reply-To reply+<26 base32>@…), everything on it escaped; POST
// /dev/outbox/reply signs Mailgun's inbound post (mailgun-inbound.js) with the server's key, in
// reply to the email's Mailgun id, and delivers it to /mail/inbound; it answers loopback clients
// naming a local Host only, and refuses other sites' pages (Sec-Fetch-Site, Origin). The dev
// server: the reply reaches the summary module in-process at /mail/inbound, and no log line
// carries it. The whole loop with the core's flow: tests/e2e/handoff-outbox.test.mjs.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { test } from "node:test";
import { createOutbox, OUTBOX_DOMAIN } from "../../hosts/node-dev/outbox.js";
import { crossSiteReason, handoffAddress, prefillSender, teamMembers } from "../../hosts/node-dev/outbox-reply.js";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing, openPage } from "../support/chromium.mjs";

const SIGNING_KEY = "dev-signing-key-for-this-test";
const REPLY = `reply+${"a2b3c4d5e6f7g".repeat(2)}@${OUTBOX_DOMAIN}`;
const basic = (key) => `Basic ${Buffer.from(`api:${key}`).toString("base64")}`;
// The built salient.yaml without a team (its demo has one): the form's sender is then the email's To.
const NO_TEAM_CONFIG = (() => {
  const config = JSON.parse(readFileSync(new URL("../../build/salient.json", import.meta.url), "utf8"));
  config.handoff = { ...config.handoff, team: [] };
  return config;
})();
const TEAM_CONFIG = {
  handoff: { team: [{ email: "desk@brightleaf.test", name: "Front desk" }] },
  agents: { sales: { handoff: { team: [{ email: "ana@brightleaf.test", name: 'Ana <img src=x onerror="alert(1)">' }] } }, support: {} },
};

/** An outbox whose /mail/inbound is a recorder answering `answer` (default 200 stored). */
async function outboxWithInbox({ answer = () => Response.json({ status: "stored" }), ready = true, now = Date.now } = {}) {
  const posts = [];
  const outbox = createOutbox({
    now,
    team: teamMembers(TEAM_CONFIG),
    inbound: () => (ready ? {
      url: "http://127.0.0.1:8787/mail/inbound", signingKey: SIGNING_KEY,
      fetch: async (url, init) => {
        const request = new Request(url, init);
        posts.push({ url, contentType: request.headers.get("content-type"), form: new URLSearchParams(await request.text()) });
        return answer();
      },
    } : null),
  });
  const send = async (fields) => {
    const res = await outbox.handle(new Request(`http://127.0.0.1:8787/dev/mailgun/v3/${OUTBOX_DOMAIN}/messages`, {
      method: "POST", headers: { authorization: basic(outbox.key) }, body: new URLSearchParams(fields),
    }), "127.0.0.1");
    assert.equal(res.status, 200);
    return outbox.messages().at(-1);
  };
  const get = async (path) => outbox.handle(new Request(`http://127.0.0.1:8787${path}`), "127.0.0.1");
  const reply = (fields, { headers = {}, remote = "127.0.0.1", host = "127.0.0.1:8787" } = {}) =>
    outbox.handle(new Request(`http://${host}/dev/outbox/reply`, { method: "POST", headers, body: new URLSearchParams(fields), redirect: "manual" }), remote);
  return { outbox, posts, send, get, reply };
}

const TEAM_MAIL = {
  from: "Brightleaf <noreply@outbox.localhost>", to: "Ana <ana@brightleaf.test>", subject: "Ada <script>x()</script> asks for a person",
  text: "Lead card\nAda: can someone call me?", "h:Reply-To": REPLY,
};

test("handoffAddress: reply+<26 lowercase base32>@domain only, bare or in angle brackets", () => {
  assert.equal(handoffAddress(REPLY), REPLY);
  assert.equal(handoffAddress(`Brightleaf team <${REPLY}>`), REPLY);
  for (const other of ["sales@brightleaf.test", `reply+${"a".repeat(25)}@x.test`, `reply+${"a".repeat(27)}@x.test`,
    `reply+${"A".repeat(26)}@x.test`, `reply+${"a".repeat(25)}1@x.test`, `reply+${"a".repeat(26)}@x.test, evil@x.test`, "", null]) {
    assert.equal(handoffAddress(other), null, String(other));
  }
});

test("teamMembers and the prefilled sender: a To on a team, else the email's agent's, else the first member, else the To", () => {
  const team = teamMembers(TEAM_CONFIG);
  assert.deepEqual(team.map((m) => [m.email, m.agent]), [["ana@brightleaf.test", "sales"], ["desk@brightleaf.test", null]]);
  assert.deepEqual(teamMembers({}), []);
  assert.equal(prefillSender({ to: "x@y.test, Desk <DESK@brightleaf.test>" }, team), "desk@brightleaf.test");
  assert.equal(prefillSender({ to: "x@y.test", variables: { agent: "sales" } }, team), "ana@brightleaf.test");
  assert.equal(prefillSender({ to: "x@y.test", variables: {} }, team), "ana@brightleaf.test");
  assert.equal(prefillSender({ to: "Bo <bo@y.test>", variables: {} }, []), "bo@y.test");
});

test("the form appears under a handoff's email only, linked from the list; everything on it escaped", async () => {
  const { send, get } = await outboxWithInbox();
  const team = await send(TEAM_MAIL);
  const other = await send({ ...TEAM_MAIL, subject: "Summary", "h:Reply-To": "ada@example.com" });
  const page = await (await get(`/dev/outbox/${team.key}`)).text();
  assert.match(page, /<h2 id="reply">Reply as the team<\/h2>/);
  assert.match(page, /<form method="post" action="\/dev\/outbox\/reply">/);
  assert.ok(page.includes(`<input type="hidden" name="key" value="${team.key}">`));
  assert.match(page, /name="from" type="email" required [^>]*value="ana@brightleaf\.test"/);
  assert.ok(page.includes("<option value=\"ana@brightleaf.test\">Ana &lt;img src=x onerror=&quot;alert(1)&quot;&gt;</option>"));
  assert.ok(page.includes("Ada &lt;script&gt;x()&lt;/script&gt; asks for a person"));
  assert.doesNotMatch(page, /<script|<img/);
  const res = await get(`/dev/outbox/${other.key}`);
  assert.match(res.headers.get("content-security-policy"), /form-action 'self'/);
  const otherPage = await res.text();
  assert.doesNotMatch(otherPage, /Reply as the team|<form/);
  const list = await (await get("/dev/outbox")).text();
  assert.equal((list.match(/reply as the team/g) ?? []).length, 1);
  assert.ok(list.includes(`href="/dev/outbox/${team.key}#reply"`));
});

test("POST /dev/outbox/reply: a signed Mailgun post in the email's thread, then back to the email with the answer", async () => {
  const { posts, send, get, reply } = await outboxWithInbox();
  const first = await send(TEAM_MAIL);
  const mail = await send({ ...TEAM_MAIL, subject: "Re: more from Ada", "h:In-Reply-To": first.id, "h:References": first.id });
  const text = "Hi Ada, <b>Ana</b> here:\r\nI'll call at 10.";
  const res = await reply({ key: mail.key, from: "ana@brightleaf.test", text }, { headers: { "sec-fetch-site": "same-origin", origin: "http://127.0.0.1:8787" } });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), `/dev/outbox/${mail.key}#reply`);
  assert.equal(posts.length, 1);
  const [{ url, contentType, form }] = posts;
  assert.equal(url, "http://127.0.0.1:8787/mail/inbound");
  assert.match(contentType, /^application\/x-www-form-urlencoded/);
  const expected = createHmac("sha256", SIGNING_KEY).update(form.get("timestamp") + form.get("token")).digest("hex");
  assert.equal(form.get("signature"), expected, "signed with the server's key");
  assert.ok(Math.abs(Number(form.get("timestamp")) - Date.now() / 1000) < 5);
  assert.equal(form.get("recipient"), REPLY);
  assert.equal(form.get("sender"), "ana@brightleaf.test");
  assert.equal(form.get("In-Reply-To"), mail.id, "the email's Mailgun id");
  assert.equal(form.get("References"), `${first.id} ${mail.id}`);
  assert.match(form.get("Message-Id"), /^<[0-9a-f]{24}@brightleaf\.test>$/);
  assert.equal(form.get("subject"), "Re: more from Ada");
  assert.equal(form.get("stripped-text"), "Hi Ada, <b>Ana</b> here:\nI'll call at 10.");
  assert.match(form.get("body-plain"), /wrote:\n> Lead card\n> Ada: can someone call me\?$/, "the quote in body-plain only");
  const headers = JSON.parse(form.get("message-headers"));
  assert.ok(headers.some(([k, v]) => k === "X-Mailgun-Spf" && v === "Pass"));

  const page = await (await get(`/dev/outbox/${mail.key}`)).text();
  assert.match(page, /<strong>200 stored<\/strong>/);
  assert.ok(page.includes("Hi Ada, &lt;b&gt;Ana&lt;/b&gt; here:"));
  // A second reply gets a fresh Message-Id and token; JSON for a client asking for it.
  const again = await reply({ key: mail.key, from: "desk@brightleaf.test", text: "Me too" }, { headers: { accept: "application/json" } });
  assert.deepEqual(await again.json(), { status: 200, outcome: "stored" });
  assert.notEqual(posts[1].form.get("Message-Id"), form.get("Message-Id"));
  assert.notEqual(posts[1].form.get("token"), form.get("token"));
});

test("the signed timestamp is the server's clock (the dev server's requests' clock, which tests move)", async () => {
  const { posts, send, reply } = await outboxWithInbox({ now: () => 1_800_000_000_500 });
  const mail = await send(TEAM_MAIL);
  await reply({ key: mail.key, from: "ana@brightleaf.test", text: "later" });
  assert.equal(posts[0].form.get("timestamp"), "1800000000");
});

test("the core's refusal is shown as it came (406 and its code)", async () => {
  const { send, get, reply } = await outboxWithInbox({ answer: () => Response.json({ error: { code: "not_team", message: "x" } }, { status: 406 }) });
  const mail = await send(TEAM_MAIL);
  assert.equal((await reply({ key: mail.key, from: "intruder@elsewhere.test", text: "hi" })).status, 303);
  assert.match(await (await get(`/dev/outbox/${mail.key}`)).text(), /<strong>406 not_team<\/strong>/);
});

test("refused: another address or Host (no route at all), other sites' pages, bad fields; nothing is posted then", async () => {
  const { outbox, posts, send, reply } = await outboxWithInbox();
  const mail = await send(TEAM_MAIL);
  const summary = await send({ ...TEAM_MAIL, "h:Reply-To": "ada@example.com" });
  const good = { key: mail.key, from: "ana@brightleaf.test", text: "hello" };
  assert.equal(await reply(good, { remote: "192.0.2.7" }), null, "not loopback");
  assert.equal(await reply(good, { host: "evil.example:8787" }), null, "a rebinding page's Host");
  for (const [headers, why] of [
    [{ "sec-fetch-site": "cross-site" }, "cross-site"], [{ "sec-fetch-site": "same-site" }, "same-site"], [{ "sec-fetch-site": "none" }, "none"],
    [{ origin: "http://evil.example" }, "another origin"], [{ origin: "null" }, "an opaque origin"],
    [{ origin: "http://127.0.0.1:9999" }, "another port"], [{ "sec-fetch-site": "cross-site", origin: "http://127.0.0.1:8787" }, "Sec-Fetch-Site decides"],
  ]) {
    const res = await reply(good, { headers });
    assert.equal(res.status, 403, why);
  }
  const expect = async (fields, status, init) => assert.equal((await reply(fields, init)).status, status, JSON.stringify(fields));
  await expect({ ...good, key: "no-such" }, 404);
  await expect({ ...good, key: summary.key }, 400);
  await expect({ ...good, from: "Ana <ana@brightleaf.test>" }, 400);
  await expect({ ...good, from: "a@b.test, c@d.test" }, 400);
  await expect({ ...good, text: "  \n " }, 400);
  await expect({ ...good, text: "x".repeat(20_001) }, 400);
  const plain = await outbox.handle(new Request("http://127.0.0.1:8787/dev/outbox/reply", { method: "POST", headers: { "content-type": "text/plain" }, body: "key=x" }), "127.0.0.1");
  assert.equal(plain.status, 415);
  assert.equal((await outbox.handle(new Request("http://127.0.0.1:8787/dev/outbox/reply"), "127.0.0.1"))?.status ?? 404, 404, "GET: no such page");
  assert.equal(posts.length, 0);
  const notReady = await outboxWithInbox({ ready: false });
  const m = await notReady.send(TEAM_MAIL);
  assert.equal((await notReady.reply({ ...good, key: m.key })).status, 503);
  assert.equal(crossSiteReason(new Request("http://localhost:8787/x", { headers: { origin: "http://LOCALHOST:8787" } })), null);
  // Chromium's own form under Referrer-Policy: no-referrer: Origin null, Sec-Fetch-Site same-origin.
  assert.equal(crossSiteReason(new Request("http://127.0.0.1:8787/x", { headers: { origin: "null", "sec-fetch-site": "same-origin" } })), null);
});

test("dev server: the reply reaches the summary module at /mail/inbound in-process, no log line carries it", async () => {
  const logs = [];
  const server = await startServer({ port: 0, config: NO_TEAM_CONFIG, env: { SALIENT_STATE: "memory" }, log: (l) => logs.push(l) });
  try {
    const res = await fetch(`${server.url}/dev/mailgun/v3/${OUTBOX_DOMAIN}/messages`, {
      method: "POST", headers: { authorization: basic(server.outbox.key) }, body: new URLSearchParams(TEAM_MAIL),
    });
    assert.equal(res.status, 200);
    const [mail] = server.outbox.messages();
    const page = await (await fetch(`${server.url}/dev/outbox/${mail.key}`)).text();
    assert.match(page, /value="ana@brightleaf\.test"/, "no team in this config: the email's To");
    const secret = "Ada, the secret plan is 4711";
    const post = await fetch(`${server.url}/dev/outbox/reply`, {
      method: "POST", redirect: "manual", headers: { origin: server.url, "sec-fetch-site": "same-origin" },
      body: new URLSearchParams({ key: mail.key, from: "ana@brightleaf.test", text: secret }),
    });
    assert.equal(post.status, 303);
    const [kept] = server.outbox.messages()[0].replies;
    assert.ok(kept.status >= 200, `the core answered (${kept.status} ${kept.outcome})`);
    const line = logs.find((l) => l.event === "http.request" && l.path === "/mail/inbound");
    assert.ok(line, "the driver's request line for /mail/inbound");
    assert.equal(line.module, "summary");
    assert.equal(line.method, "POST");
    assert.ok(logs.some((l) => l.event === "dev.outbox_reply" && l.status === kept.status));
    const all = JSON.stringify(logs);
    for (const leak of ["4711", "secret plan", "ana@brightleaf", REPLY, "signature", SIGNING_KEY]) assert.ok(!all.includes(leak), leak);
  } finally {
    await server.close();
  }
});

test("in Chromium: the form posts and comes back to the email with the answer; another site's page is refused", { skip: chromiumMissing }, async () => {
  const server = await startServer({ port: 0, config: NO_TEAM_CONFIG, env: { SALIENT_STATE: "memory" }, log: () => {} });
  // Another origin (another port): a page that submits a form to the dev server, as any site the
  // developer visits could.
  const attacker = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<form id="f" method="post" action="${server.url}/dev/outbox/reply"><input name="key" value="${req.url.slice(1)}">` +
      `<input name="from" value="mallory@evil.test"><input name="text" value="forged"></form><script>f.submit()</script>`);
  });
  await new Promise((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  let browser;
  try {
    const res = await fetch(`${server.url}/dev/mailgun/v3/${OUTBOX_DOMAIN}/messages`, {
      method: "POST", headers: { authorization: basic(server.outbox.key) }, body: new URLSearchParams(TEAM_MAIL),
    });
    assert.equal(res.status, 200);
    const [mail] = server.outbox.messages();
    let page, problems;
    ({ browser, page, problems } = await openPage());
    await page.goto(`${server.url}/dev/outbox`);
    await page.click("text=reply as the team");
    await page.fill("textarea[name=text]", "From the browser <b>hi</b>");
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/dev/outbox/reply")), page.click("button[type=submit]")]);
    assert.equal(answer.status(), 303);
    await page.waitForURL(`${server.url}/dev/outbox/${mail.key}#reply`);
    assert.match(await page.locator("ul.replies").innerText(), /ana@brightleaf\.test · \d{3} .*\nFrom the browser <b>hi<\/b>/);
    assert.deepEqual(problems, []);

    const port = attacker.address().port;
    const [forged] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/dev/outbox/reply")), page.goto(`http://127.0.0.1:${port}/${mail.key}`)]);
    assert.equal(forged.status(), 403);
    assert.equal(server.outbox.messages()[0].replies.length, 1, "the forged post was not sent");
  } finally {
    await browser?.close();
    await new Promise((resolve) => attacker.close(resolve));
    await server.close();
  }
});
