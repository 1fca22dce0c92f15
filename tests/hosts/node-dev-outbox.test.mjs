// The dev server's development outbox (hosts/node-dev/outbox.js): without MAILGUN_API_KEY the
// server plays Mailgun for its core and shows what it kept at /dev/outbox; loopback clients only;
// with a key, or from another address, /dev/* does not exist.
import assert from "node:assert/strict";
import http from "node:http";
import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { after, before, describe, test } from "node:test";
import { clientAddress } from "../../hosts/node-dev/http.js";
import { createOutbox, isLoopback, OUTBOX_DOMAIN } from "../../hosts/node-dev/outbox.js";
import { startServer } from "../../hosts/node-dev/server.js";

const basic = (key) => `Basic ${Buffer.from(`api:${key}`).toString("base64")}`;
const SEND_PATH = `/dev/mailgun/v3/${OUTBOX_DOMAIN}/messages`;

function form(fields) {
  const f = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) if (v !== undefined) f.append(name, v);
  return f;
}

const MAIL = {
  from: "Brightleaf <noreply@outbox.localhost>",
  to: "Ada <ada@example.com>",
  subject: "Your sign-in code",
  text: "Your code is 482913.\n<b>not markup</b>",
  html: '<p onclick="x()">Your code is <b>482913</b></p><script>parent.alert(1)</script>',
  "h:Reply-To": "sales@brightleaf.test",
  "o:tag": "otp",
  "v:conversation": "c-1",
};

/** A GET or POST from `localAddress` (default: the loopback the server listens on). */
function raw(base, { method = "GET", path, headers = {}, body, localAddress }) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method, headers, localAddress }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    }).on("error", reject);
    req.end(body);
  });
}

test("isLoopback: 127.0.0.0/8, ::1 and IPv4-mapped 127.x only", () => {
  for (const a of ["127.0.0.1", "127.255.3.4", "::1", "::ffff:127.0.0.1", "::ffff:127.1.2.3"]) assert.equal(isLoopback(a), true, a);
  for (const a of ["10.0.0.1", "192.0.2.2", "::ffff:10.0.0.1", "fd00::2", "::", "0.0.0.0", "128.0.0.1", "1127.0.0.1",
    "127.0.0.1.evil", "::ffff:127.0.0.1:80", "", undefined, null]) assert.equal(isLoopback(a), false, String(a));
});

test("clientAddress: the socket's peer, IPv4-mapped addresses as IPv4, '' unknown", () => {
  assert.equal(clientAddress({ remoteAddress: "::ffff:127.0.0.1" }), "127.0.0.1");
  assert.equal(clientAddress({ remoteAddress: "::FFFF:203.0.113.9" }), "203.0.113.9");
  assert.equal(clientAddress({ remoteAddress: "2001:db8::1" }), "2001:db8::1");
  assert.equal(clientAddress({ remoteAddress: "198.51.100.4" }), "198.51.100.4");
  assert.equal(clientAddress({}), "");
  assert.equal(clientAddress(undefined), "");
});

test("the outbox keeps the last 200 messages, newest first in its JSON", async () => {
  const outbox = createOutbox();
  for (let i = 0; i < 205; i++) {
    const res = await outbox.handle(new Request(`http://127.0.0.1${SEND_PATH}`, {
      method: "POST", headers: { authorization: basic(outbox.key) }, body: form({ ...MAIL, subject: `n${i}` }),
    }), "127.0.0.1");
    assert.equal(res.status, 200);
  }
  const { messages } = await (await outbox.handle(new Request("http://127.0.0.1/dev/outbox.json"), "127.0.0.1")).json();
  assert.equal(messages.length, 200);
  assert.equal(messages[0].subject, "n204");
  assert.equal(messages.at(-1).subject, "n5");
  assert.equal(await outbox.handle(new Request("http://127.0.0.1/dev/outbox.json"), "10.1.2.3"), null, "not from another address");
  // A tunnel or a DNS-rebinding page reaches the socket from 127.0.0.1 but names another host.
  for (const host of ["evil.example", "evil.example:8787", "127.0.0.1.evil.example"]) {
    assert.equal(await outbox.handle(new Request(`http://${host}/dev/outbox.json`), "127.0.0.1"), null, host);
  }
  assert.notEqual(await outbox.handle(new Request("http://localhost:8787/dev/outbox.json"), "::1"), null);
});

describe("node-dev without MAILGUN_API_KEY: the outbox", () => {
  let server;
  const logs = [];
  before(async () => (server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: (l) => logs.push(l) })));
  after(() => server.close());

  const post = (fields, headers = { authorization: basic(server.outbox.key) }, path = SEND_PATH) =>
    fetch(`${server.url}${path}`, { method: "POST", headers, body: form(fields) });

  test("it says so at start, and the process's key is its own random one", () => {
    assert.match(server.mailDescription, /no MAILGUN_API_KEY: nothing is sent; messages are kept at http:\/\/127\.0\.0\.1:\d+\/dev\/outbox/);
    assert.ok(server.outbox.key.length >= 32);
  });

  test("Mailgun's checks: 401 for a wrong or missing key, 404 for another domain, 400 for a missing field", async () => {
    for (const headers of [{ authorization: basic("wrong") }, {}, { authorization: `Basic ${Buffer.from(`user:${server.outbox.key}`).toString("base64")}` }]) {
      const res = await post(MAIL, headers);
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { message: "Invalid private key" });
    }
    const other = await post(MAIL, undefined, "/dev/mailgun/v3/example.com/messages");
    assert.equal(other.status, 404);
    assert.deepEqual(await other.json(), { message: "Domain not found: example.com" });
    const noSubject = await post({ ...MAIL, subject: undefined });
    assert.equal(noSubject.status, 400);
    assert.match((await noSubject.json()).message, /'subject' parameter is missing/);
  });

  test("a multipart message is queued like Mailgun queues it, listed, shown escaped and given as text and JSON", async () => {
    const res = await post(MAIL);
    assert.equal(res.status, 200);
    const queued = await res.json();
    assert.equal(queued.message, "Queued. Thank you.");
    assert.match(queued.id, /^<20\d{12}\.\d+\.[0-9a-f]{8}@outbox\.localhost>$/);

    const { messages } = await (await fetch(`${server.url}/dev/outbox.json`)).json();
    const m = messages.find((x) => x.id === queued.id);
    assert.equal(m.to, MAIL.to);
    // FormData's multipart encoding writes a value's line breaks as CRLF (the HTML standard's
    // rule); the outbox keeps what arrived.
    const crlf = MAIL.text.replace(/\n/g, "\r\n");
    assert.equal(m.text, crlf);
    assert.equal(m.replyTo, "sales@brightleaf.test");
    assert.equal(m.tag, "otp");
    assert.deepEqual(m.variables, { conversation: "c-1" });
    assert.equal(/\b(\d{6})\b/.exec(m.text)[1], "482913", "how a test reads a code");

    const list = await fetch(`${server.url}/dev/outbox`);
    assert.equal(list.status, 200);
    assert.match(list.headers.get("content-type"), /^text\/html/);
    assert.match(list.headers.get("content-security-policy"), /default-src 'none'/);
    const listHtml = await list.text();
    assert.match(listHtml, /development outbox: nothing here was sent/);
    assert.match(listHtml, /Ada &lt;ada@example\.com&gt;/);
    assert.ok(listHtml.includes(`href="/dev/outbox/${m.key}"`));

    const page = await (await fetch(`${server.url}/dev/outbox/${m.key}`)).text();
    assert.match(page, /development outbox: nothing here was sent/);
    const iframe = /<iframe sandbox srcdoc="([^"]*)"/.exec(page);
    assert.ok(iframe, "the HTML part in a sandboxed iframe");
    assert.ok(iframe[1].includes("&lt;script&gt;parent.alert(1)&lt;/script&gt;"));
    assert.ok(iframe[1].includes("onclick=&quot;x()&quot;"));
    assert.doesNotMatch(page, /<script|<b>not markup/, "nothing of the message is markup of the page");
    assert.ok(page.includes("<pre>Your code is 482913.\r\n&lt;b&gt;not markup&lt;/b&gt;</pre>"));

    const text = await fetch(`${server.url}/dev/outbox/${m.key}.txt`);
    assert.match(text.headers.get("content-type"), /^text\/plain/);
    assert.equal(await text.text(), crlf);
    assert.equal((await fetch(`${server.url}/dev/outbox/no-such-message`)).status, 404);
  });

  test("its log line names the message, never the address, the body or the code", async () => {
    logs.length = 0;
    assert.equal((await post(MAIL)).status, 200);
    const lines = logs.filter((l) => l.event === "dev.outbox");
    assert.equal(lines.length, 1);
    assert.match(lines[0].id, /@outbox\.localhost>$/);
    assert.equal(lines[0].subject_length, MAIL.subject.length);
    assert.doesNotMatch(JSON.stringify(logs), /ada@|482913|sign-in|Brightleaf </);
  });

  test("a client on another address gets the routes' 404, as if they did not exist", async (t) => {
    const address = Object.values(networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address;
    if (!address) return t.skip("no non-loopback IPv4 address on this machine");
    // The server stays on 127.0.0.1; the connection comes from this machine's other address.
    for (const path of ["/dev/outbox", "/dev/outbox.json"]) {
      const res = await raw(server.url, { path, localAddress: address });
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /outbox|nothing here was sent/, path);
    }
    const send = await raw(server.url, { method: "POST", path: SEND_PATH, localAddress: address,
      headers: { authorization: basic(server.outbox.key), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ from: "a@b", to: "c@d", subject: "s", text: "t" }).toString() });
    assert.equal(send.status, 404);
    assert.doesNotMatch(send.body, /Queued/);
  });
});

test("node-dev with MAILGUN_API_KEY: no outbox; /dev/* is the ordinary 404", async () => {
  const server = await startServer({ port: 0, env: { SALIENT_STATE: "memory", MAILGUN_API_KEY: "key-real" }, log: () => {} });
  try {
    assert.equal(server.outbox, null);
    assert.equal(server.mailDescription, "mail: Mailgun (MAILGUN_API_KEY)");
    for (const path of ["/dev/outbox", "/dev/outbox.json"]) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /nothing here was sent|"messages"/, path);
    }
    const send = await fetch(`${server.url}${SEND_PATH}`, { method: "POST", headers: { authorization: basic("key-real") }, body: form(MAIL) });
    assert.equal(send.status, 404);
    assert.doesNotMatch(await send.text(), /Queued/);
  } finally {
    await server.close();
  }
});

test("no deployed adapter reaches hosts/node-dev/ (the outbox lives only there)", () => {
  // Follows each entry's relative imports through the repository's .js files.
  const reached = (entry, seen = new Set()) => {
    if (seen.has(entry.href) || !/\.m?js$/.test(entry.pathname)) return seen;
    seen.add(entry.href);
    const source = readFileSync(entry, "utf8");
    // `… from "./x"`, `import "./x"` and `import("./x")`: the relative ones only.
    const specs = /\b(?:import|export)\b[^'";]*?\bfrom\s*["'](\.[^"']+)["']|\bimport\s*\(?\s*["'](\.[^"']+)["']/g;
    for (const [, from, bare] of source.matchAll(specs)) reached(new URL(from ?? bare, entry), seen);
    return seen;
  };
  for (const entry of ["hosts/cloudflare/worker.js", "hosts/netlify/edge-functions/salient.js", "api/salient.js", "hosts/vercel/function.js",
    "api/sweep.js", "hosts/vercel/sweep.js", "hosts/netlify/functions/sweep.mjs"]) {
    const files = [...reached(new URL(`../../${entry}`, import.meta.url))];
    assert.ok(files.some((f) => f.endsWith("/hosts/driver.js")), `${entry} reaches the driver`);
    assert.deepEqual(files.filter((f) => f.includes("/hosts/node-dev/")), [], entry);
  }
});
