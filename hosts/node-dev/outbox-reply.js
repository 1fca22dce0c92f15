// "Reply as the team" in the development outbox (outbox.js): under every kept email whose
// Reply-To is a handoff's address (reply+<26 base32>@<domain>), a form that answers it the way a
// team member's mail client and Mailgun's inbound route would, so the whole handoff loop works
// offline in ./scripts/dev:
//
//   POST /dev/outbox/reply   key (the outbox message), from (the team member's address), text
//        → the signed inbound form (mailgun-inbound.js: the process's MAILGUN_WEBHOOK_SIGNING_KEY,
//          In-Reply-To the email's Mailgun id, a fresh Message-Id), posted to the server's own
//          POST /mail/inbound; the answer is kept with the message and the browser is sent back
//          to it (303). With Accept: application/json the answer is JSON instead.
//
// Like every /dev/ route it answers loopback clients naming a local Host only (outbox.js checks
// that first). A form post is also a cross-site request any page the developer opens could make:
// Sec-Fetch-Site must say same-origin, or without it an Origin must be this server's own (a
// browser sends one or both with every POST; a client that sends neither is not a browser).

import { randomBytes } from "node:crypto";
import { bareAddress, postInbound, signedInboundForm } from "./mailgun-inbound.js";

export const REPLY_PATH = "/dev/outbox/reply";
// The core's handoff address (docs: issue 18): a 128-bit id in lowercase RFC 4648 base32.
const REPLY_TO = /^(?:[^<>]*<)?\s*(reply\+[a-z2-7]{26}@[A-Za-z0-9.-]+)\s*>?\s*$/;
const ADDRESS = /^[^\s<>@,;"]+@[^\s<>@,;"]+$/;
const MAX_TEXT = 20_000; // a reply typed into a form; the core bounds what it stores anyway
const KEEP_REPLIES = 20; // per message: the answers shown under its form

/** The handoff address a Reply-To names, or null for any other Reply-To. */
export function handoffAddress(replyTo) {
  const m = REPLY_TO.exec(String(replyTo ?? ""));
  return m ? m[1] : null;
}

/**
 * The compiled config's team members, [{email, name, agent}]: every agent's handoff.team, then
 * the shared handoff.team (agent null). Empty before the config has handoffs.
 */
export function teamMembers(config) {
  const out = [];
  const add = (list, agent) => {
    for (const m of Array.isArray(list) ? list : []) {
      if (m && typeof m.email === "string" && !out.some((x) => x.email === m.email && x.agent === agent)) {
        out.push({ email: m.email, name: typeof m.name === "string" ? m.name : "", agent });
      }
    }
  };
  for (const [code, agent] of Object.entries(config?.agents ?? {})) add(agent?.handoff?.team, code);
  add(config?.handoff?.team, null);
  return out;
}

/**
 * Who answers, prefilled: the first of the email's To addresses that is on a team (the team email
 * goes to the team), else the first member of the email's agent (its v:agent, when it has one),
 * else the first team member, else the email's first To address.
 */
export function prefillSender(message, team) {
  const to = String(message.to ?? "").split(",").map((a) => bareAddress(a).toLowerCase()).filter(Boolean);
  const onTeam = to.find((a) => team.some((m) => m.email.toLowerCase() === a));
  if (onTeam) return onTeam;
  const agent = message.variables?.agent;
  return team.find((m) => agent && m.agent === agent)?.email ?? team[0]?.email ?? to[0] ?? "";
}

/** The form (and the answers so far) under a message with a handoff Reply-To; "" for any other. */
export function replyFormHtml(message, team, escapeHtml) {
  if (!handoffAddress(message.replyTo)) return "";
  const options = team.map((m) => `<option value="${escapeHtml(m.email)}">${escapeHtml(m.name)}</option>`).join("");
  const answers = (message.replies ?? []).map((r) =>
    `<li>${escapeHtml(new Date(r.at).toISOString().slice(11, 19))} UTC · ${escapeHtml(r.from)} · ` +
    `<strong>${escapeHtml(r.status)} ${escapeHtml(r.outcome)}</strong><br>${escapeHtml(r.text)}</li>`).join("");
  return `<h2 id="reply">Reply as the team</h2>
<p>Posts what Mailgun would post to this server's <code>/mail/inbound</code> when a team member answers this email:
signed with this run's MAILGUN_WEBHOOK_SIGNING_KEY, SPF and DKIM passed, in reply to ${escapeHtml(message.id)}.</p>
<form method="post" action="${REPLY_PATH}">
<input type="hidden" name="key" value="${escapeHtml(message.key)}">
<p><label>From (a team member's address)<br><input name="from" type="email" required size="40" list="team-${escapeHtml(message.key)}" value="${escapeHtml(prefillSender(message, team))}"></label>
<datalist id="team-${escapeHtml(message.key)}">${options}</datalist></p>
<p><label>Reply<br><textarea name="text" required rows="5" cols="60" maxlength="${MAX_TEXT}"></textarea></label></p>
<p><button type="submit">Send reply</button></p>
</form>
${answers ? `<h3>Replies sent from here</h3><ul class="replies">${answers}</ul>` : ""}`;
}

/**
 * Why a browser's POST is not this server's own page's, or null when it is (or no browser).
 * Sec-Fetch-Site decides when present: a page cannot set it, and Origin is no help then (under
 * the outbox's Referrer-Policy: no-referrer, Chromium sends "Origin: null" even from its own
 * form). Without it (an older browser), Origin must name this server.
 */
export function crossSiteReason(request) {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin" ? null : `Sec-Fetch-Site: ${site}`;
  const origin = request.headers.get("origin");
  if (origin !== null) {
    const host = request.headers.get("host") ?? new URL(request.url).host;
    let ok = false;
    try {
      const o = new URL(origin);
      ok = (o.protocol === "http:" || o.protocol === "https:") && o.host.toLowerCase() === host.toLowerCase();
    } catch {
      ok = false; // "null" (a sandboxed or privacy-sensitive context) and anything unparsable
    }
    if (!ok) return "Origin is not this server";
  }
  return null;
}

/**
 * The POST /dev/outbox/reply handler. `find(key)` is the outbox's message (kept by reference, so
 * the answer can be recorded on it), `readForm(request)` its bounded form reader, `inbound()`
 * → {url, signingKey, fetch} once the server listens (null before).
 */
export function createReplier({ find, readForm, inbound, log = () => {}, now = Date.now }) {
  const answer = (request, status, code, message) => {
    const wantsJson = /application\/json/.test(request.headers.get("accept") ?? "");
    return wantsJson ? Response.json({ error: { code, message } }, { status, headers: { "cache-control": "no-store", "x-content-type-options": "nosniff" } })
      : new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" } });
  };

  return async function reply(request) {
    if (request.method !== "POST") return answer(request, 405, "method_not_allowed", "POST only");
    const crossSite = crossSiteReason(request);
    if (crossSite) return answer(request, 403, "cross_site", `refused: ${crossSite}`);
    if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(request.headers.get("content-type") ?? "")) {
      return answer(request, 415, "unsupported_media_type", "a form post only");
    }
    let form;
    try {
      form = await readForm(request);
    } catch (err) {
      return answer(request, err.status ?? 400, "bad_request", err.status ? err.message : "not a form");
    }
    const field = (name) => (typeof form.get(name) === "string" ? form.get(name) : "");
    const message = find(field("key"));
    if (!message) return answer(request, 404, "not_found", "no such message in the outbox");
    const recipient = handoffAddress(message.replyTo);
    if (!recipient) return answer(request, 400, "not_a_handoff", "this message's Reply-To is not a handoff address");
    const from = field("from").trim();
    if (!ADDRESS.test(from)) return answer(request, 400, "bad_sender", "From must be one email address");
    const text = field("text").replace(/\r\n/g, "\n");
    if (!text.trim() || text.length > MAX_TEXT) return answer(request, 400, "bad_text", `the reply must have 1 to ${MAX_TEXT} characters`);
    const target = inbound();
    if (!target) return answer(request, 503, "not_ready", "the server is still starting");

    const domain = from.split("@")[1];
    const subject = /^re:/i.test(message.subject ?? "") ? message.subject : `Re: ${message.subject ?? ""}`;
    const quoted = String(message.text ?? "").split("\n").map((l) => `> ${l}`).join("\n");
    const signed = signedInboundForm({
      signingKey: target.signingKey, recipient, from, sender: from, subject, text,
      // A mail client quotes what it answers; Mailgun's stripped-text leaves the quote out.
      bodyPlain: `${text}\n\nOn ${new Date(message.at).toUTCString()}, ${message.from} wrote:\n${quoted}`,
      messageId: `<${randomBytes(12).toString("hex")}@${domain}>`,
      inReplyTo: message.id,
      references: [message.references, message.id].filter(Boolean).join(" "),
      timestamp: Math.floor(now() / 1000),
    });
    let status, outcome;
    try {
      const res = await postInbound(target.url, signed, { fetch: target.fetch });
      status = res.status;
      const body = await res.text();
      let parsed = null;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = null;
      }
      // The core's status or error code; a plain-text answer's start; an HTML page (the 404 of a
      // build without the route) would say nothing in one line.
      const plain = /^text\/plain/.test(res.headers.get("content-type") ?? "");
      outcome = String(parsed?.status ?? parsed?.error?.code ?? (plain ? body.slice(0, 80) : "(no JSON answer)"));
    } catch (err) {
      status = 0;
      outcome = `not delivered: ${String(err?.message ?? err).slice(0, 120)}`;
    }
    (message.replies ??= []).push({ at: now(), from, text, status, outcome });
    if (message.replies.length > KEEP_REPLIES) message.replies.shift();
    // As the outbox's own line: never the address or the text.
    log({ level: "info", event: "dev.outbox_reply", id: message.id, status, outcome: outcome.slice(0, 40) });
    if (/application\/json/.test(request.headers.get("accept") ?? "")) {
      return Response.json({ status, outcome }, { headers: { "cache-control": "no-store", "x-content-type-options": "nosniff" } });
    }
    return new Response(null, { status: 303, headers: { location: `/dev/outbox/${encodeURIComponent(message.key)}#reply`, "cache-control": "no-store", "x-content-type-options": "nosniff" } });
  };
}
