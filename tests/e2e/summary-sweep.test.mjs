// Conversation summaries end to end on the dev server, its own Mailgun: a conversation idle for
// chat.inactivity_minutes is summarized by the sweep and its summary, with the lead's details,
// arrives in /dev/outbox once — however often the sweep runs, overlapping or repeated. The email's
// transcript link works, then dies when the visitor erases their data, and expires after
// summary.link_days. The requests' clock is moved instead of waiting. With a model key, the lead
// card comes from the fake OpenRouter's JSON answers, one of them invalid (the repair call).
//
//   node --test tests/e2e/summary-sweep.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { pgliteBackend } from "../../hosts/node-dev/pglite-state.js";
import { startFakeOpenRouter } from "../support/fake-openrouter.mjs";
import { REPO } from "../support/workerd.mjs";

const MINUTE = 60_000;
const SALES = "sales@brightleaf.example";
const CONFIG = (() => {
  const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  config.email = { ...config.email, sales_recipient: SALES };
  config.chat = { ...config.chat, inactivity_minutes: 30 };
  config.summary = { ...config.summary, link_days: 14 };
  return config;
})();

describe("summaries by the idle sweep on the dev server", () => {
  let server, state;
  let shift = 0; // added to the requests' clock
  const logs = [];
  before(async () => {
    state = await pgliteBackend();
    server = await startServer({
      port: 0, host: "127.0.0.1", state, config: CONFIG, log: (line) => logs.push(line), now: () => Date.now() + shift,
      env: { SALIENT_STREAM_SECRET: "e2e-summary-stream-secret-0123456789abcdefgh",
             SALIENT_OTP_SECRET: "e2e-summary-code-secret-0123456789abcdefghij" },
    });
  });
  after(async () => {
    await server?.close();
    await state?.close();
  });

  const post = (p, body) => fetch(server.url + p, {
    method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body),
  });
  const sweep = async () => {
    const r = await fetch(`${server.url}/dev/sweep`, { method: "POST" });
    assert.equal(r.status, 200, await r.clone().text());
    return r.json();
  };
  const outbox = async () => (await (await fetch(`${server.url}/dev/outbox.json`)).json()).messages;
  const summariesTo = async (to) => (await outbox()).filter((m) => m.to === to && /lead|summary/i.test(m.subject));
  async function say(session, message) {
    const r = await post("/a/sales/chat", { message, session_key: session, idempotency_key: crypto.randomUUID() });
    assert.equal(r.status, 200, await r.clone().text());
    const { stream_url } = await r.json();
    const answer = await fetch(server.url + stream_url + (stream_url.includes("format=json") ? "" : "&format=json"));
    assert.equal(answer.status, 200);
    await answer.text();
  }

  const session = `s-${crypto.randomUUID()}`;
  const lead = `ana.${crypto.randomUUID().slice(0, 8)}@example.com`;
  let link = null;

  test("an idle conversation is summarized once, with the lead's details", async () => {
    await say(session, `Hi, I'm Ana Lima from Acme. Could you quote a garden design? Email me at ${lead}`);
    assert.equal((await sweep()).claimed, 0, "not idle yet");
    assert.equal((await summariesTo(SALES)).length, 0);

    shift = 31 * MINUTE;
    const first = await sweep();
    assert.deepEqual(first, { claimed: 1, sent: 1, failed: 0, unknown: 0, more: false,
      handoffs: { team_emails: 0, forwards: 0, notifies: 0, failed: 0 } });
    // Repeated and overlapping runs (a retried run, a trigger delivered twice) send nothing more.
    const again = await Promise.all([sweep(), sweep(), sweep()]);
    for (const a of again) assert.equal(a.claimed, 0);
    const mails = await summariesTo(SALES);
    assert.equal(mails.length, 1, "one email");
    const [mail] = mails;
    assert.match(mail.subject, /Ana Lima/);
    assert.ok(mail.text.includes(lead), "the lead's email");
    assert.match(mail.text, /Acme/);
    assert.match(mail.text, /Outcome: LEAD/);
    assert.ok(mail.text.includes("Could you quote a garden design?"), "the visitor's words as evidence");
    link = /(\/a\/sales\/transcript\/[A-Za-z0-9._-]+)/.exec(mail.text)?.[1];
    assert.ok(link, "a transcript link");
    const [row] = await state.query("select status, trigger, method, outcome from conversation_summaries");
    assert.deepEqual(row, { status: "sent", trigger: "sweep", method: "rules", outcome: "LEAD" });

    // The button now has nothing new to send.
    const pressed = await post("/a/sales/summary", { session_key: session });
    assert.equal((await pressed.json()).status, "already_sent");
    // A new message, idle again: one more summary.
    await say(session, "Mornings are best for a call.");
    shift = 62 * MINUTE;
    assert.equal((await sweep()).sent, 1);
    assert.equal((await summariesTo(SALES)).length, 2);
  });

  test("the transcript link: readable, noindex; gone once the visitor's data is erased", async () => {
    assert.ok(link, "the first test found the link");
    const page = await fetch(server.url + link);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("x-robots-tag") ?? "", /noindex/);
    const html = await page.text();
    assert.match(html, /<meta name="robots" content="noindex/);
    assert.ok(html.includes("Could you quote a garden design?"));
    // The token opens the conversation: the request's log line keeps the path without it.
    const token = link.split("/").at(-1);
    assert.ok(logs.some((l) => l.event === "http.request" && l.path === "/a/sales/transcript/…"));
    assert.ok(!JSON.stringify(logs).includes(token), "the token is in no log line");
    assert.ok(!JSON.stringify(logs).includes(lead), "nor the visitor's address");

    shift += 15 * 24 * 60 * MINUTE; // past summary.link_days
    assert.equal((await fetch(server.url + link)).status, 410, "expired");
    shift = 62 * MINUTE;

    // The visitor erases everything (the privacy page's flow): the link dies with the data.
    const asked = await post("/otp/request", { email: lead, purpose: "delete_data" });
    assert.equal(asked.status, 200, await asked.clone().text());
    const codeMail = (await outbox()).filter((m) => m.to === lead).at(-1);
    const code = /(?<!\d)(\d{6})(?!\d)/.exec(codeMail?.text ?? "")?.[1];
    assert.ok(code, "a code was emailed");
    const erased = await post("/otp/verify", { email: lead, code, purpose: "delete_data" });
    assert.equal(erased.status, 200, await erased.clone().text());
    assert.equal((await erased.json()).erased.summaries, 2);
    assert.equal((await fetch(server.url + link)).status, 410, "erased");
    // The summaries' rows and their emails to the team (which quote the visitor) went with it.
    const tables = await state.query(`select table_name as t from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE'`);
    for (const { t } of tables) {
      const [{ n }] = await state.query(`select count(*)::int as n from "${t}" r where lower(r::text) like $1`, [`%${lead}%`]);
      assert.equal(n, 0, `${t} still names the address`);
    }
  });
});

describe("the model path: the fake OpenRouter's JSON answer, repaired once", () => {
  let server, state, openrouter;
  before(async () => {
    openrouter = await startFakeOpenRouter();
    state = await pgliteBackend();
    server = await startServer({
      port: 0, host: "127.0.0.1", state, config: CONFIG, log: () => {},
      env: { SALIENT_STREAM_SECRET: "e2e-summary-stream-secret-0123456789abcdefgh",
             SALIENT_OTP_SECRET: "e2e-summary-code-secret-0123456789abcdefghij",
             OPENROUTER_API_KEY: "sk-or-fake", OPENROUTER_BASE_URL: openrouter.url },
    });
  });
  after(async () => {
    await server?.close();
    await state?.close();
    await openrouter?.close();
  });

  test("a prose answer is repaired; the card keeps only what the visitor wrote", async () => {
    const session = `s-${crypto.randomUUID()}`;
    const post = (p, body) => fetch(server.url + p, {
      method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body),
    });
    const said = await post("/a/sales/chat", {
      message: "This is Bo Chen from Fernway Cafe. We need planters for our terrace, call 415 555 0123 after 3pm.",
      session_key: session, idempotency_key: crypto.randomUUID(),
    });
    assert.equal(said.status, 200);
    openrouter.reset();
    const card = {
      summary: "Bo Chen of Fernway Cafe wants terrace planters and a call.", needs: ["terrace planters"],
      interests: ["planters"], name: "Bo Chen", email: "hello@brightleaf.example", phone: "415 555 0123",
      company: "Fernway Cafe", address: null, preferred_time: "after 3pm", language: "en", outcome: "CALLBACK",
      evidence: ["call 415 555 0123 after 3pm", "a line the visitor never wrote"], next_step: "Call Bo after 3pm.",
    };
    openrouter.enqueue({ kind: "ok", text: "Sure! Here is what I found about the lead." },
      { kind: "ok", text: JSON.stringify(card) });
    const pressed = await post("/a/sales/summary", { session_key: session });
    assert.equal(pressed.status, 200, await pressed.clone().text());
    assert.equal(openrouter.requests.length, 2, "the answer and its repair");
    assert.equal(openrouter.requests[0].body.response_format?.type, "json_schema");
    assert.ok(!JSON.stringify(openrouter.requests[0].body).includes(SALES), "the sales address is not in the prompt");
    const [row] = await state.query("select method, outcome, lead from conversation_summaries");
    assert.equal(row.method, "model");
    assert.equal(row.outcome, "CALLBACK");
    assert.equal(row.lead.phone, "+14155550123");
    assert.equal(row.lead.email, "", "the business's own address is no lead's");
    assert.deepEqual(row.lead.evidence, ["call 415 555 0123 after 3pm"]);
    const [cost] = await state.query("select count(*)::int as n, sum(total_tokens)::int as tokens from llm_requests");
    assert.equal(cost.n, 1);
    assert.ok(cost.tokens > 0, "the two calls' tokens are stored");
    const { messages } = await (await fetch(`${server.url}/dev/outbox.json`)).json();
    const mail = messages.filter((m) => m.to === SALES).at(-1);
    assert.match(mail.subject, /Bo Chen/);
    assert.match(mail.text, /terrace planters/);
    assert.doesNotMatch(mail.text, /Summary by rules/);
  });
});
