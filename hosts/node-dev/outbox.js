// The development outbox: when the dev server starts without MAILGUN_API_KEY, it plays Mailgun
// for its own core (server.js points MAILGUN_BASE_URL here, with a random key for the process),
// so sign-in codes and summaries can be read in a browser instead of being sent.
//
//   POST /dev/mailgun/v3/<domain>/messages   Mailgun's wire format and checks (Basic auth, user
//                                            `api`, the process's key; multipart form fields)
//   GET  /dev/outbox                         the messages, newest first (HTML)
//   GET  /dev/outbox/<key>                   one message: its HTML part in a sandboxed iframe,
//                                            its text part in <pre>
//   GET  /dev/outbox/<key>.txt               the text part
//   GET  /dev/outbox.json                    {"messages": [...]}, newest first (tests read codes here)
//   POST /dev/outbox/reply                   "Reply as the team" under a handoff's email: a signed
//                                            inbound post to the server's /mail/inbound (outbox-reply.js)
//
// Every /dev/ route answers only a loopback socket, and only while the outbox exists (no key
// configured): otherwise handle() returns null and the request goes on as if the route did not
// exist. Only hosts/node-dev imports this file: no deployed bundle carries it.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createReplier, handoffAddress, REPLY_PATH, replyFormHtml } from "./outbox-reply.js";

export const OUTBOX_DOMAIN = "outbox.localhost";
// A loopback socket is not enough: a tunnel (ngrok, cloudflared) or a DNS-rebinding page in the
// developer's browser also arrives from 127.0.0.1, but names another host.
const LOCAL_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i;
export const OUTBOX_PATH = "/dev/mailgun"; // MAILGUN_BASE_URL's path: the core appends /v3/…
const KEEP = 200; // messages kept in memory, the oldest dropped first
const MAX_BODY_BYTES = 1024 * 1024; // a message the core builds is a few KB
const QUEUED = "Queued. Thank you.";

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x: the addresses a socket from this machine comes from. */
export function isLoopback(address) {
  if (typeof address !== "string") return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === "::1";
}

/** A request from this machine that names a local Host: the only one the /dev/ routes answer. */
export function isLocalClient(request, remoteAddress) {
  const host = request.headers.get("host") ?? new URL(request.url).host;
  return isLoopback(remoteAddress) && LOCAL_HOST.test(host);
}

/**
 * The outbox for one server process. `baseUrl(origin)` is the MAILGUN_BASE_URL to give the core;
 * `handle(request, remoteAddress)` answers a /dev/ request or returns null. `team` is the config's
 * team members (outbox-reply.js teamMembers), to prefill "Reply as the team"; `inbound()` gives
 * {url, signingKey, fetch} for its posts once the server listens (null: the form answers 503).
 */
export function createOutbox({ log = () => {}, now = Date.now, team = [], inbound = () => null } = {}) {
  const key = randomBytes(24).toString("base64url"); // never logged, never shown: only the core has it
  const messages = []; // oldest first
  let sequence = 0;
  const reply = createReplier({ find: (key) => messages.find((m) => m.key === key), readForm: formOf, inbound, log, now });

  async function receive(request, domain) {
    if (!authorized(request.headers.get("authorization"), key)) return json(401, { message: "Invalid private key" });
    if (domain !== OUTBOX_DOMAIN) return json(404, { message: `Domain not found: ${domain}` });
    let form;
    try {
      form = await formOf(request);
    } catch (err) {
      return json(err.status ?? 400, { message: err.status ? err.message : "Could not parse the request body as form data" });
    }
    const problem = missingMailgunField(form);
    if (problem) return json(400, { message: problem });
    const at = now();
    sequence += 1;
    const slug = `${new Date(at).toISOString().replace(/\D/g, "").slice(0, 14)}.${sequence}.${randomBytes(4).toString("hex")}`;
    const message = { key: slug, id: `<${slug}@${OUTBOX_DOMAIN}>`, at, ...mailgunFields(form) };
    messages.push(message);
    if (messages.length > KEEP) messages.splice(0, messages.length - KEEP);
    // No address, body or code in the log: a line per message, enough to see that one was kept.
    log({ level: "info", event: "dev.outbox", id: message.id, subject_length: message.subject.length,
      text_bytes: Buffer.byteLength(message.text ?? ""), html_bytes: Buffer.byteLength(message.html ?? "") });
    return json(200, { id: message.id, message: QUEUED });
  }

  function show(pathname) {
    if (pathname === "/dev/outbox" || pathname === "/dev/outbox/") return page("Outbox", listHtml(messages));
    if (pathname === "/dev/outbox.json") {
      return new Response(JSON.stringify({ messages: [...messages].reverse() }), { headers: { ...HEADERS, "content-type": "application/json" } });
    }
    const m = /^\/dev\/outbox\/([\w.-]+?)(\.txt)?$/.exec(pathname);
    const message = m && messages.find((x) => x.key === m[1]);
    if (!message) return null;
    if (m[2]) return new Response(message.text ?? "", { headers: { ...HEADERS, "content-type": "text/plain; charset=utf-8" } });
    return page(message.subject, messageHtml(message, team));
  }

  return {
    key,
    domain: OUTBOX_DOMAIN,
    baseUrl: (origin) => origin + OUTBOX_PATH,
    /** The messages kept, oldest first (copies), for the process's own tests. */
    messages: () => structuredClone(messages),
    async handle(request, remoteAddress) {
      if (!isLocalClient(request, remoteAddress)) return null;
      const { pathname } = new URL(request.url);
      const send = /^\/dev\/mailgun\/v3\/([^/]+)\/messages$/.exec(pathname);
      if (send) return request.method === "POST" ? receive(request, safeDecode(send[1])) : null;
      if (pathname === REPLY_PATH && request.method === "POST") return reply(request);
      if (request.method !== "GET" && request.method !== "HEAD") return null;
      return show(pathname);
    },
  };
}

/**
 * `Basic base64(api:<key>)`, compared in constant time: SHA-256 of both sides, so that neither
 * the given value's content nor its length shows in the time taken (as hosts/vercel/sweep.js).
 */
export function authorized(header, key) {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  const given = m ? Buffer.from(m[1], "base64") : Buffer.alloc(0);
  const wanted = Buffer.from(`api:${key}`);
  return timingSafeEqual(sha256(given), sha256(wanted)) && m !== null;
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest();

/** The request's form fields, the body read to MAX_BODY_BYTES at most (413 past it). */
async function formOf(request) {
  const chunks = [];
  let size = 0;
  const reader = request.body?.getReader();
  for (;;) {
    const { done, value } = reader ? await reader.read() : { done: true };
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      reader.cancel().catch(() => {});
      throw Object.assign(new Error("Message too large"), { status: 413 });
    }
    chunks.push(value);
  }
  const body = Buffer.concat(chunks, size);
  return new Request("http://outbox/", { method: "POST", headers: { "content-type": request.headers.get("content-type") ?? "" }, body }).formData();
}

/**
 * Mailgun's 400 message for the first required parameter that is missing, or null. One reading
 * of Mailgun's send parameters for the outbox and the tests' fake Mailgun.
 */
export function missingMailgunField(form) {
  for (const name of ["from", "to", "subject"]) {
    if (!form.getAll(name).some((v) => typeof v === "string" && v.trim() !== "")) return `'${name}' parameter is missing`;
  }
  if (!["text", "html"].some((n) => typeof form.get(n) === "string" && form.get(n) !== "")) {
    return "Need at least one of 'text' or 'html' parameters specified";
  }
  return null;
}

/** A send's fields as the outbox and the fake keep them: {from, to, subject, text, html, replyTo, inReplyTo, references, tag, variables}. */
export function mailgunFields(form) {
  const text = (name) => (typeof form.get(name) === "string" ? form.get(name) : null);
  const variables = {};
  for (const [name, value] of form) if (name.startsWith("v:") && typeof value === "string") variables[name.slice(2)] = value;
  return {
    from: text("from"),
    to: form.getAll("to").filter((v) => typeof v === "string").join(", "),
    subject: text("subject"),
    text: text("text"),
    html: text("html"),
    replyTo: text("h:Reply-To"),
    // A handoff's later emails thread under the first (the team's mail client shows one thread).
    inReplyTo: text("h:In-Reply-To"),
    references: text("h:References"),
    tag: text("o:tag"),
    variables,
  };
}

/** Mailgun's answers: JSON, as its API sends them. */
function json(status, value) {
  return new Response(JSON.stringify(value), {
    status, headers: { "content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff" },
  });
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// --- pages -------------------------------------------------------------------------------

// The pages run no script; a message's HTML (from the core, but shown as mail clients would)
// is inert in a sandboxed iframe, and loads nothing from elsewhere (the CSP reaches srcdoc). The
// one form ("Reply as the team") may post to this server only (form-action: default-src does not
// cover it).
const HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; form-action 'self'",
};

const escapeHtml = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const when = (ms) => new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";

function page(title, body) {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · dev outbox</title>
<style>body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem}
.banner{background:#fff3cd;border:1px solid #e0c060;padding:.5rem .75rem;border-radius:.25rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
iframe{width:100%;height:28rem;border:1px solid #ccc}pre{white-space:pre-wrap;background:#f6f6f6;padding:.75rem}
dt{font-weight:600}dd{margin:0 0 .4rem 0}</style></head>
<body><p class="banner" role="status">development outbox: nothing here was sent</p>
${body}
</body></html>`;
  return new Response(html, { headers: { ...HEADERS, "content-type": "text/html; charset=utf-8" } });
}

function listHtml(messages) {
  if (messages.length === 0) return "<h1>Outbox</h1><p>No messages yet.</p>";
  const rows = [...messages].reverse().map((m) => {
    const href = `/dev/outbox/${encodeURIComponent(m.key)}`;
    return `<tr><td>${escapeHtml(when(m.at))}</td><td>${escapeHtml(m.to)}</td><td>${escapeHtml(m.subject)}</td>` +
      `<td><a href="${escapeHtml(href)}">view</a> · <a href="${escapeHtml(href)}.txt">text</a>` +
      `${handoffAddress(m.replyTo) ? ` · <a href="${escapeHtml(href)}#reply">reply as the team</a>` : ""}</td></tr>`;
  }).join("\n");
  return `<h1>Outbox</h1><p>${messages.length} message${messages.length === 1 ? "" : "s"}, newest first ` +
    `(<a href="/dev/outbox.json">JSON</a>).</p>\n<table><thead><tr><th>time</th><th>to</th><th>subject</th><th></th></tr></thead>\n<tbody>\n${rows}\n</tbody></table>`;
}

function messageHtml(m, team) {
  const fields = [["from", m.from], ["to", m.to], ["reply-to", m.replyTo], ["subject", m.subject], ["tag", m.tag],
    ["in-reply-to", m.inReplyTo], ["time", when(m.at)], ["id", m.id], ...Object.entries(m.variables).map(([k, v]) => [`v:${k}`, v])]
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("");
  // sandbox with no allow-*: no script, no forms, no top navigation, an opaque origin.
  const html = m.html ? `<h2>HTML part</h2>\n<iframe sandbox srcdoc="${escapeHtml(m.html)}" title="HTML part"></iframe>` : "";
  const text = m.text !== null ? `<h2>Text part</h2>\n<pre>${escapeHtml(m.text)}</pre>` : "";
  return `<p><a href="/dev/outbox">← outbox</a></p><h1>${escapeHtml(m.subject)}</h1><dl>${fields}</dl>\n${html}\n${text}\n` +
    replyFormHtml(m, team, escapeHtml);
}
