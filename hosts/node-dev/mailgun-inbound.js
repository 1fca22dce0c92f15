// Mailgun's inbound post, built here the way a Mailgun route's forward() sends it: the dev
// outbox's "Reply as the team" form (outbox-reply.js) and the tests' fake Mailgun
// (tests/support/fake-mailgun.mjs) both sign their replies with this one builder, so the core's
// POST /mail/inbound is exercised with a single reading of the wire format.
//
// The format (/work/shared/UPSTREAM-APIS.md, "Inbound replies"; Mailgun's "Receive messages via
// HTTP"): an application/x-www-form-urlencoded body, multipart/form-data when the mail had
// attachments, with
//   recipient, sender (SMTP envelope), from, subject, body-plain, stripped-text (the reply
//   without the quoted part), stripped-signature, message-headers (a JSON list of [name, value]
//   pairs, in the message's order, with Mailgun's X-Mailgun-Spf and X-Mailgun-Dkim-Check-Result),
//   each header again as its own field (Message-Id, In-Reply-To, References, …),
//   timestamp (seconds), token (50 random characters) and
//   signature = hex HMAC-SHA256(signing key, timestamp + token).
// Multipart adds attachment-count and attachment-1 … attachment-n (files).
//
// Only hosts/node-dev and the tests import this file: no deployed bundle carries it.

import { createHmac, randomBytes } from "node:crypto";

/** Mailgun's token length (its documentation: "a randomly generated string with a length of 50"). */
export const TOKEN_LENGTH = 50;

/** hex HMAC-SHA256(key, timestamp + token): Mailgun's route and webhook signature. */
export function mailgunSignature(signingKey, timestamp, token) {
  return createHmac("sha256", signingKey).update(String(timestamp) + String(token)).digest("hex");
}

/** 50 random characters; Mailgun's are hex, so these are too (a parser may rely on nothing else). */
export function randomToken() {
  return randomBytes(TOKEN_LENGTH / 2).toString("hex");
}

/** The bare address of "Name <a@b>" or "a@b". */
export function bareAddress(value) {
  const s = String(value ?? "");
  const angle = /<([^<>]*)>\s*$/.exec(s);
  return (angle ? angle[1] : s).trim();
}

/**
 * The signed inbound form for one reply. `text` is what the person wrote (stripped-text);
 * `bodyPlain` the whole text part, quoted original included (default: `text`). `spf` / `dkim`
 * are Mailgun's check results ("Pass", "Fail", "Neutral", …; null leaves the header out).
 * `timestamp` (seconds) and `token` default to now and a fresh random one; `signature` replaces
 * the computed one (a test's tampered post). `headers` adds [name, value] pairs after Mailgun's.
 * With `multipart` (or any `attachments`: [{filename, contentType, content}]) the answer is a
 * FormData, as Mailgun posts a mail with attachments; otherwise URLSearchParams.
 */
export function signedInboundForm({
  signingKey, recipient, sender, from, subject = "", text = "", bodyPlain, html = null,
  strippedSignature = "", messageId, inReplyTo = null, references = null, spf = "Pass", dkim = "Pass",
  timestamp = Math.floor(Date.now() / 1000), token = randomToken(), signature = null, date = new Date(),
  headers = [], multipart = false, attachments = [],
} = {}) {
  if (!signingKey && signature === null) throw new Error("signedInboundForm: signingKey is required");
  if (!recipient) throw new Error("signedInboundForm: recipient is required");
  from ??= sender;
  sender ??= bareAddress(from);
  if (!sender) throw new Error("signedInboundForm: sender or from is required");
  messageId ??= `<${randomBytes(12).toString("hex")}@${bareAddress(sender).split("@")[1] || "localhost"}>`;

  // Mailgun keeps the message's header order; these are what a mail client's reply carries,
  // after the lines Mailgun's receiving MTA adds in front.
  const messageHeaders = [
    ["X-Mailgun-Incoming", "Yes"],
    ...(spf === null ? [] : [["X-Mailgun-Spf", spf]]),
    ...(dkim === null ? [] : [["X-Mailgun-Dkim-Check-Result", dkim]]),
    ["X-Envelope-From", `<${sender}>`],
    ["Received", `from mail-client.invalid by mxa.mailgun.org with ESMTP; ${date.toUTCString()}`],
    ["Mime-Version", "1.0"],
    ["Date", date.toUTCString()],
    ["From", from],
    ["To", recipient],
    ["Subject", subject],
    ["Message-Id", messageId],
    ...(inReplyTo ? [["In-Reply-To", inReplyTo]] : []),
    ...(references ? [["References", references]] : []),
    ["Content-Type", 'text/plain; charset="UTF-8"'],
    ...headers,
  ];

  const fields = [
    ["recipient", recipient],
    ["sender", sender],
    ["subject", subject],
    ["from", from],
    // Each header as a field of its own too, as Mailgun posts them (From beside from, …).
    ...messageHeaders,
    ["message-headers", JSON.stringify(messageHeaders)],
    ["body-plain", bodyPlain ?? text],
    ["stripped-text", text],
    ["stripped-signature", strippedSignature],
    ...(html === null ? [] : [["body-html", html], ["stripped-html", html]]),
    ["timestamp", String(timestamp)],
    ["token", String(token)],
    ["signature", signature ?? mailgunSignature(signingKey, timestamp, token)],
  ];

  if (!multipart && attachments.length === 0) return new URLSearchParams(fields);
  const form = new FormData();
  for (const [name, value] of fields) form.append(name, value);
  form.append("attachment-count", String(attachments.length));
  attachments.forEach((a, i) => {
    const blob = new Blob([a.content ?? ""], { type: a.contentType ?? "application/octet-stream" });
    form.append(`attachment-${i + 1}`, blob, a.filename ?? `attachment-${i + 1}`);
  });
  return form;
}

/**
 * POSTs the form to `url` as Mailgun would (no cookies, no Origin: a server's request). `fetch`
 * lets the dev server deliver it in-process. Resolves with the Response.
 */
export function postInbound(url, form, { fetch = globalThis.fetch, headers = {} } = {}) {
  // The body's own type: urlencoded for URLSearchParams, multipart with a boundary for FormData.
  return fetch(url, { method: "POST", headers: { "user-agent": "mailgun/treq-16.12.0", ...headers }, body: form });
}
