// A local fake of Mailgun's sending API, for tests and benchmarks.
//
// Theory of operation
// -------------------
// `startFakeMailgun()` binds an HTTP server to 127.0.0.1 (never a public interface: tests run on
// shared machines) and returns a handle shaped like fake-openrouter's:
//
//   const fake = await startFakeMailgun({ port: 0, apiKey?, domain? });
//   fake.url            // "http://127.0.0.1:PORT" — the base URL (as https://api.mailgun.net);
//                       // the client appends /v3/{domain}/messages
//   fake.apiKey, fake.domain   // what the client must send (defaults KEY, DOMAIN below)
//   fake.fail(f, opts)  // a scripted fault for the next sends (see "Faults")
//   fake.messages()     // the messages accepted, oldest first (copies)
//   fake.lastTo(email)  // the last message addressed to `email` (case-insensitive), or null
//   fake.codeFor(email) // the 6-digit code in the text part of that message, or null
//   fake.requests       // every request received: {method, path, status, fault, contentType}
//                       // (status null while a timeout fault holds the answer back)
//   fake.lastHandoff(email?) // the last message whose Reply-To is a handoff's reply+<id>@… address
//                       // (to `email` when given), with `recipient` = that address, or null
//   fake.reset()        // forgets messages, requests and faults (same `requests` array object)
//   await fake.close()  // ends held (timeout) answers and stops listening
//
// The one endpoint (wire format: /work/shared/UPSTREAM-APIS.md and docs/UPSTREAMS.md, "Mailgun"):
//   POST /v3/{domain}/messages   HTTP Basic auth, user `api`, password the key (else 401
//        {"message":"Invalid private key"}); {domain} must be this fake's (else 404
//        {"message":"Domain not found: x"}); the body `multipart/form-data` (or urlencoded,
//        which Mailgun accepts too) with `from`, `to` (repeatable or comma-separated),
//        `subject` and `text` or `html` (else 400 {"message":"…"}); optional `h:Reply-To`,
//        `o:tag`, `v:<name>`. → 200 {"id":"<2026…@domain>","message":"Queued. Thank you."}
//   anything else                404 {"message":"Not Found"}.
// The body is parsed by the Web platform (Request.formData), so a malformed multipart body is a
// 400 as well.
//
// Faults: `fake.fail(fault, { times = 1, persistent = false })` queues a fault for the next
// sends (FIFO); it replaces the answer of a request to a messages path before any check, and no
// message is recorded. `persistent` keeps it until reset() or fake.clearFaults(). A fault is
//   { status: 401 | 400 | 404 | 429 | 500 | 503 | …, retryAfter?: seconds, message? }
//   "timeout"      read the request, never answer (the client's own timeout must fire)
// or a number / string status ("429") for { status }.
//
// Inbound (the other direction: Mailgun's route posting a team member's reply to the core):
//   await inbound(url, {signingKey, recipient, from, text, inReplyTo, …})  signs the post with
//        hosts/node-dev/mailgun-inbound.js signedInboundForm (the dev outbox's builder; every
//        option of it, `multipart` and `attachments` too), POSTs it to `url` (…/mail/inbound) and
//        resolves {status, headers, body} (body: the JSON answer, else its text).
//   await replyTo(url, message, {signingKey, from, text, …})  the same in reply to a recorded
//        message (fake.messages() / lastHandoff()): recipient its reply+ address, In-Reply-To its
//        Mailgun id, References its thread, "Re: " its subject; the options override any of them.
//   fake.inbound and fake.replyTo are the same functions.
//
// Running it by hand: `node tests/support/fake-mailgun.mjs [port]` prints the base URL and key.

import http from "node:http";
import { pathToFileURL } from "node:url";
import { mailgunFields, missingMailgunField } from "../../hosts/node-dev/outbox.js";
import { handoffAddress } from "../../hosts/node-dev/outbox-reply.js";
import { postInbound, signedInboundForm } from "../../hosts/node-dev/mailgun-inbound.js";

export const KEY = "key-fake-mailgun-0123456789";
export const DOMAIN = "mg.salient.test";
export const QUEUED = "Queued. Thank you.";

const MESSAGES = {
  400: "Bad request",
  401: "Invalid private key",
  404: "Not Found",
  429: "Too many requests",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
};

/** Starts the fake. `now` stamps message ids and `at` (default Date.now). */
export async function startFakeMailgun({ port = 0, apiKey = KEY, domain = DOMAIN, now = Date.now } = {}) {
  const messages = [];
  const requests = [];
  const faults = []; // {fault, remaining, persistent}
  const held = new Set(); // responses a timeout fault holds open, ended by close()
  let sequence = 0;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      // A bug in the fake must surface as a failing request, never as a hung test.
      if (!res.headersSent) send(res, 500, { message: `fake-mailgun: ${err?.stack ?? err}` });
      else res.destroy();
    });
  });

  function takeFault() {
    const entry = faults[0];
    if (!entry) return null;
    if (!entry.persistent && --entry.remaining <= 0) faults.shift();
    return entry.fault;
  }

  async function handle(req, res) {
    const raw = await readBody(req);
    const url = new URL(req.url, "http://fake");
    const record = { method: req.method, path: url.pathname, status: null, fault: null, contentType: req.headers["content-type"] ?? null };
    requests.push(record);
    const answer = (status, body, headers) => {
      record.status = status;
      send(res, status, body, headers);
    };

    const route = /^\/v3\/([^/]+)\/messages$/.exec(url.pathname);
    if (!route || req.method !== "POST") return answer(404, { message: MESSAGES[404] });

    const fault = takeFault();
    if (fault) {
      record.fault = fault;
      if (fault === "timeout") {
        held.add(res);
        res.on("close", () => held.delete(res));
        return; // never answered: the socket stays open until the client gives up or close()
      }
      const headers = fault.retryAfter !== undefined ? { "Retry-After": String(fault.retryAfter) } : {};
      return answer(fault.status, { message: fault.message ?? MESSAGES[fault.status] ?? `HTTP ${fault.status}` }, headers);
    }

    if (!authorized(req.headers.authorization, apiKey)) return answer(401, { message: MESSAGES[401] });
    const asked = decodeURIComponent(route[1]);
    if (asked !== domain) return answer(404, { message: `Domain not found: ${asked}` });

    let form;
    try {
      form = await new Request(`http://fake${url.pathname}`, {
        method: "POST", headers: { "content-type": req.headers["content-type"] ?? "" }, body: raw,
      }).formData();
    } catch {
      return answer(400, { message: "Could not parse the request body as form data" });
    }
    const problem = missingMailgunField(form);
    if (problem) return answer(400, { message: problem });

    sequence += 1;
    const at = now();
    const id = `<${stamp(at)}.${sequence}.${randomHex(8)}@${domain}>`;
    messages.push({ id, ...mailgunFields(form), at });
    return answer(200, { id, message: QUEUED });
  }

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const address = server.address();

  const lastTo = (email) => {
    const wanted = String(email).trim().toLowerCase();
    for (let i = messages.length - 1; i >= 0; i--) {
      if (addressesOf(messages[i].to).includes(wanted)) return structuredClone(messages[i]);
    }
    return null;
  };

  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    apiKey,
    domain,
    requests,
    fail(fault, { times = 1, persistent = false } = {}) {
      const f = normaliseFault(fault);
      if (!Number.isInteger(times) || times < 1) throw new Error(`fake-mailgun: bad times ${times}`);
      faults.push({ fault: f, remaining: times, persistent });
    },
    clearFaults() {
      faults.length = 0;
    },
    messages: () => structuredClone(messages),
    lastTo,
    codeFor(email) {
      const m = /(?<!\d)(\d{6})(?!\d)/.exec(lastTo(email)?.text ?? "");
      return m ? m[1] : null;
    },
    lastHandoff(email = null) {
      for (let i = messages.length - 1; i >= 0; i--) {
        const recipient = handoffAddress(messages[i].replyTo);
        if (recipient && (email === null || addressesOf(messages[i].to).includes(String(email).trim().toLowerCase()))) {
          return { ...structuredClone(messages[i]), recipient };
        }
      }
      return null;
    },
    inbound,
    replyTo,
    reset() {
      messages.length = 0;
      requests.length = 0; // keep the array object: callers may hold a reference
      faults.length = 0;
    },
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections(); // held (timeout) answers would otherwise keep close() waiting
      await closed;
    },
  };
}

/** Signs and POSTs one inbound reply (see "Inbound" above); {status, headers, body}. */
export async function inbound(url, options) {
  const res = await postInbound(url, signedInboundForm(options));
  const text = await res.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text as it came (a 404 page, a proxy's error)
  }
  return { status: res.status, headers: res.headers, body };
}

/** inbound() in reply to a message the fake (or the dev outbox) recorded. */
export function replyTo(url, message, options = {}) {
  const recipient = handoffAddress(message.replyTo);
  if (!recipient) throw new Error(`fake-mailgun: message ${message.id} has no handoff Reply-To`);
  const subject = /^re:/i.test(message.subject ?? "") ? message.subject : `Re: ${message.subject ?? ""}`;
  return inbound(url, {
    recipient, subject, inReplyTo: message.id,
    references: [message.references, message.id].filter(Boolean).join(" "), ...options,
  });
}

/** A fault as fail() takes it, checked now: a typo would otherwise silently send the message. */
function normaliseFault(fault) {
  if (fault === "timeout") return fault;
  if (typeof fault === "number" || (typeof fault === "string" && /^\d{3}$/.test(fault))) return { status: Number(fault) };
  if (fault && typeof fault === "object" && Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599) {
    return { ...fault };
  }
  throw new Error(`fake-mailgun: unknown fault ${JSON.stringify(fault)}`);
}

/** `Basic base64(api:<key>)`, the user exactly `api` (Mailgun's rule). */
function authorized(header, key) {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return false;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon >= 0 && decoded.slice(0, colon) === "api" && decoded.slice(colon + 1) === key;
}

/** The bare addresses of a `to` value: "A <a@x>, b@y" → ["a@x", "b@y"], lower-case. */
export function addressesOf(to) {
  return String(to ?? "").split(",").map((part) => {
    const angle = /<([^>]*)>/.exec(part);
    return (angle ? angle[1] : part).trim().toLowerCase();
  }).filter(Boolean);
}

/** 20260115123456: the id's time part, as Mailgun writes it (UTC). */
function stamp(ms) {
  return new Date(ms).toISOString().replace(/\D/g, "").slice(0, 14);
}

function randomHex(bytes) {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

function send(res, status, value, headers = {}) {
  const text = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on("data", (b) => parts.push(b));
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

// `node tests/support/fake-mailgun.mjs [port]`: run standalone for trying it by hand.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const fake = await startFakeMailgun({ port: Number(process.argv[2] ?? 0) });
  console.log(`fake Mailgun at ${fake.url} (domain ${fake.domain}, key ${fake.apiKey})`);
}
