// The operator's view (/admin/, issue 20) in headless Chromium against the Node dev server (state
// in memory, its own outbox: the sign-in codes are read from /dev/outbox.json). Visitor traffic
// first, over the real routes: a conversation naming a person, an email and a phone and asking
// for a quote, summarized by the "Email summary" button (a lead), and one without lead details.
// Then, as the operator: sign in by an emailed code; the dashboard; search the conversations and
// open one; the lead's status and notes; the CSV; the configuration (no secret values) and its
// YAML; a warning on the Warnings page; /metrics; sign out. Refusals: an unlisted address, a
// wrong code. Every page is saved at 1280×900 and 390×844 in test-results/admin/<page>-<viewport>.png,
// and on the phone no page is wider than the screen (tables scroll in their own wrappers).
//
//   node --test tests/e2e/admin.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import parsePrometheus from "parse-prometheus-text-format";
import { chromiumMissing, openPage } from "../support/chromium.mjs";
import {
  DESKTOP, OPERATOR, PHONE, SALES, SECRETS, codeFor, mailsTo, newContext, parseCsv, shoot, startAdminServer, textOf, visitor,
} from "./admin-support.mjs";

const tag = crypto.randomUUID().slice(0, 8);
const LEAD = { name: "Ada Lovelace", email: `ada.${tag}@example.com`, phone: "+1 415 555 0142", word: "tamarisk" };
const FIRST = `Hi, I'm ${LEAD.name}. Could you send me a quote for a cedar deck with ${LEAD.word} planters? ` +
  `Email me at ${LEAD.email} or call ${LEAD.phone}.`;
const NOTE = `Called back on Tuesday (${tag}); wants a site visit.`;

describe("the admin view in Chromium", { skip: chromiumMissing }, () => {
  let server, origin, browser, page, problems, phone, you;
  const sessions = { lead: `s-${crypto.randomUUID()}`, other: `s-${crypto.randomUUID()}` };
  const pages = {}; // page name → path, for the phone's screenshots
  let conversationPath = null;

  before(async () => {
    ({ server } = await startAdminServer());
    origin = server.url;
    you = visitor(origin);
    await you.say(sessions.lead, FIRST);
    const summary = await you.emailSummary(sessions.lead);
    assert.equal(summary.status, "sent", JSON.stringify(summary));
    const [mail] = await mailsTo(origin, SALES);
    assert.match(mail?.subject ?? "", new RegExp(`^New lead: ${LEAD.name} \\(LEAD\\)`), "the summary was emailed");
    await you.say(sessions.other, "What are your opening hours on Sunday?");
    ({ browser, page, problems } = await openPage({ viewport: DESKTOP }));
  });

  after(async () => {
    await phone?.close();
    await browser?.close();
    await server?.close();
  });

  /** Goes to `path` (relative to the origin) and waits for the page. */
  const open = async (target, p = page) => {
    const response = await p.goto(origin + target);
    return response.status();
  };
  const submit = (button, url, p = page) =>
    Promise.all([p.waitForURL(url), (typeof button === "string" ? p.locator(button) : button).click()]);
  /** The browser's own fetch, with its cookies: { status, type, text }. */
  const browserFetch = (target, init = {}) => page.evaluate(async ([target, init]) => {
    const r = await fetch(target, init);
    return { status: r.status, type: r.headers.get("content-type"), text: await r.text() };
  }, [target, init]);
  const unexpected = () => problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p));

  test("sign in by an emailed code: the dashboard, and a __Host- cookie that scripts cannot read", async () => {
    assert.equal(await open("/admin"), 200, "/admin redirects to /admin/");
    assert.equal(new URL(page.url()).pathname, "/admin/");
    await page.locator("#admin-email").waitFor();
    await shoot(page, "sign-in");
    await page.fill("#admin-email", OPERATOR.toUpperCase());
    await submit("form[action='/admin/sign-in'] button[type=submit]", `${origin}/admin/sign-in`);
    assert.match(await textOf(page), new RegExp(`If ${OPERATOR.replace(/\./g, "\\.")} may sign in, we sent it a code`));
    await shoot(page, "code");
    const code = await codeFor(origin, OPERATOR);
    assert.match(code ?? "", /^\d{6}$/, "a code was emailed to the operator");
    await page.fill("#admin-code", code);
    await submit("form[action='/admin/verify'] button[type=submit]", `${origin}/admin/`);
    assert.equal(await page.locator("h1").innerText(), "Dashboard");
    assert.match(await textOf(page, ".admin-header"), new RegExp(OPERATOR.replace(/\./g, "\\.")));
    assert.ok(await page.locator("main svg").count() > 0, "the daily chart");
    const totals = await textOf(page, "main");
    assert.match(totals, /Conversations 2\b/, totals);
    assert.match(totals, /Leads 1\b/, totals);
    await shoot(page, "dashboard");
    pages.dashboard = "/admin/";

    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name.startsWith("__Host-"));
    assert.ok(session, `a __Host- cookie among ${cookies.map((c) => c.name).join(", ")}`);
    assert.equal(session.name, "__Host-salient_admin");
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.path, "/");
    assert.equal(session.sameSite, "Lax");
    assert.ok(session.expires * 1000 > Date.now() + 11 * 3600e3, "lasts admin.session_hours (12)");
    assert.equal(await page.evaluate(() => document.cookie), "", "HttpOnly: not readable by scripts");
    // The phone signs in with the same cookie (its own sign-in is the refusals' test).
    phone = await newContext(browser, PHONE);
    await phone.addCookies(cookies);
  });

  test("conversations: found by the visitor's email and by a word of theirs; the conversation page", async () => {
    assert.equal(await open("/admin/conversations"), 200);
    assert.equal(await page.locator("tbody tr").count(), 2, "both conversations");
    pages.conversations = "/admin/conversations";
    for (const q of [LEAD.email, LEAD.word]) {
      await page.fill("#conv-q", q);
      await submit("form[role=search] button[type=submit]", /\/admin\/conversations\?/);
      const rows = page.locator("tbody tr");
      assert.equal(await rows.count(), 1, `one conversation for "${q}"`);
      const row = (await rows.first().innerText()).replace(/\s+/g, " ");
      assert.ok(row.includes(LEAD.email), row);
      assert.ok(row.includes(`Hi, I'm ${LEAD.name}`), row);
      assert.match(row, /\bLEAD\b/);
    }
    await shoot(page, "conversations");
    await page.fill("#conv-q", `nobody-${tag}`);
    await submit("form[role=search] button[type=submit]", /\/admin\/conversations\?/);
    assert.match(await textOf(page, "main"), /No conversation matches/);

    await open(`/admin/conversations?q=${encodeURIComponent(LEAD.email)}`);
    await Promise.all([page.waitForURL(/\/admin\/conversations\/[0-9a-f-]{36}$/), page.locator("tbody tr a").first().click()]);
    conversationPath = new URL(page.url()).pathname;
    pages.conversation = conversationPath;
    const transcript = await textOf(page, ".admin-transcript");
    assert.ok(transcript.includes(FIRST), `the visitor's message in the transcript: ${transcript}`);
    assert.match(transcript, /Assistant/i, "the answer too, with its role");
    const card = await textOf(page, "section[aria-labelledby=lead-title]");
    for (const want of [LEAD.name, LEAD.email, "LEAD"]) assert.ok(card.includes(want), `${want} on the lead card: ${card}`);
    assert.match(card, /415\D*555\D*0142/, `the phone on the lead card: ${card}`);
    const summaries = await textOf(page, "section[aria-labelledby=summaries-title]");
    assert.match(summaries, /\bLEAD\b/, summaries);
    assert.match(summaries, /sent/i, summaries);
    const emails = await textOf(page, "section[aria-labelledby=emails-title]");
    assert.match(emails, /summary/i, emails);
    assert.ok(emails.includes(`New lead: ${LEAD.name}`), `the summary email listed: ${emails}`);
    assert.equal(await page.locator("#lead-status").inputValue(), "new");
    await shoot(page, "conversation");
  });

  test("leads: new, then contacted with a note; the CSV has it", async () => {
    assert.equal(await open("/admin/leads"), 200);
    pages.leads = "/admin/leads";
    const row = page.locator("tbody tr", { hasText: LEAD.email });
    assert.equal(await row.count(), 1, "the lead's row");
    assert.equal(await page.locator("tbody tr").count(), 1, "the conversation without details is no lead");
    assert.equal(await row.locator("select[name=status]").inputValue(), "new");
    await row.locator("select[name=status]").selectOption("contacted");
    await row.locator("textarea[name=notes]").fill(NOTE);
    await submit(row.locator("button[type=submit]"), `${origin}/admin/leads`);
    const saved = page.locator("tbody tr", { hasText: LEAD.email });
    assert.equal(await saved.locator("select[name=status]").inputValue(), "contacted");
    assert.equal(await saved.locator("textarea[name=notes]").inputValue(), NOTE);
    assert.equal(await open("/admin/leads?status=contacted"), 200);
    assert.equal(await page.locator("tbody tr", { hasText: LEAD.email }).count(), 1, "filtered by contacted");
    assert.equal(await open("/admin/leads?status=new"), 200);
    assert.equal(await page.locator("tbody tr").count(), 0, "no new leads left");
    await open("/admin/leads");
    await shoot(page, "leads");

    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("a[href='/admin/leads.csv']").click()]);
    assert.equal(download.suggestedFilename(), "leads.csv");
    const rows = parseCsv(await readFile(await download.path(), "utf8"));
    const [header, ...records] = rows;
    assert.deepEqual(header.slice(0, 9), ["session_id", "agent", "name", "email", "phone", "company", "outcome", "status", "notes"]);
    assert.equal(records.length, 1, JSON.stringify(rows));
    const lead = Object.fromEntries(header.map((h, i) => [h, records[0][i]]));
    assert.equal(lead.session_id, conversationPath.split("/").pop());
    assert.equal(lead.name, LEAD.name);
    assert.equal(lead.email, LEAD.email);
    assert.equal(lead.outcome, "LEAD");
    assert.equal(lead.status, "contacted");
    assert.equal(lead.notes, NOTE);
    assert.match(lead.phone, /^'?\+14155550142$/, "the phone (a leading + is defused for spreadsheets)");
  });

  test("configuration: the secrets only as set; the YAML download", async () => {
    assert.equal(await open("/admin/config"), 200);
    pages.config = "/admin/config";
    const html = await page.content();
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.ok(!html.includes(value), `${name}'s value is not on the page`);
      const item = await textOf(page, `.admin-secrets li:has(code:text-is("${name}"))`);
      assert.match(item, /\bset\b/, `${name} shown as set: ${item}`);
      assert.doesNotMatch(item, /not set/);
    }
    assert.match(await textOf(page, `.admin-secrets li:has(code:text-is("OPENROUTER_API_KEY"))`), /not set/);
    assert.ok(html.includes(OPERATOR), "admin.emails is shown");
    await shoot(page, "config");

    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("a[href='/admin/config.yaml']").click()]);
    const yaml = await readFile(await download.path(), "utf8");
    for (const value of Object.values(SECRETS)) assert.ok(!yaml.includes(value), "no secret in the YAML");
    for (const line of ["admin:", "  emails:", `    - "${OPERATOR}"`, "  session_hours: 12", "app:", '  tenant: "brightleaf"',
      '  default_agent: "sales"', "agents:", "  sales:"]) {
      assert.ok(yaml.split("\n").includes(line), `the line ${JSON.stringify(line)} in:\n${yaml.slice(0, 600)}`);
    }
    // Block style: every line is a comment, a "key:" (with a value or a block below), or a list item.
    for (const line of yaml.split("\n").filter(Boolean)) {
      assert.match(line, /^(#.*|( {2})*([A-Za-z0-9_]+|"[^"]*"): ?.*|( {2})*- .+)$/, `a YAML line: ${JSON.stringify(line)}`);
    }
  });

  test("warnings: a form with a wrong CSRF token is refused and listed", async () => {
    const id = conversationPath.split("/").pop();
    const refused = await browserFetch(`/admin/leads/${id}`, {
      method: "POST", body: new URLSearchParams({ csrf: "not-the-token", status: "won", notes: "" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /This form has expired/);
    // The driver stores the run's warn lines after the run (flushLog): look until they are there.
    let listed = false;
    for (let tries = 0; tries < 100 && !listed; tries++) {
      assert.equal(await open("/admin/warnings"), 200);
      listed = (await page.locator("tbody tr", { hasText: "admin.csrf_refused" }).count()) > 0;
      if (!listed) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(listed, "admin.csrf_refused is on the Warnings page");
    const row = await textOf(page, 'tbody tr:has(code:text-is("admin.csrf_refused"))');
    assert.match(row, /\bwarn\b/i);
    pages.warnings = "/admin/warnings";
    await shoot(page, "warnings");
    assert.equal(await open("/admin/leads"), 200);
    assert.equal(await page.locator("tbody tr select[name=status]").inputValue(), "contacted", "the refused form changed nothing");
    assert.equal(await open("/admin/"), 200);
    assert.ok(await page.locator("main", { hasText: "admin.csrf_refused" }).count(), "the dashboard's recent warnings");
  });

  test("/metrics for the signed-in browser: requests, conversations, emails; JSON too", async () => {
    const text = await browserFetch("/metrics");
    assert.equal(text.status, 200);
    assert.match(text.type, /^text\/plain/);
    const families = Object.fromEntries(parsePrometheus(text.text).map((f) => [f.name, f]));
    const chat = families.salient_instance_requests_total.metrics
      .filter((m) => m.labels.route === "/a/{agent}/chat" && m.labels.status === "200");
    assert.equal(chat.length, 1, JSON.stringify(families.salient_instance_requests_total.metrics));
    assert.ok(Number(chat[0].value) >= you.chats, `${chat[0].value} chat requests counted, ${you.chats} made`);
    assert.equal(chat[0].labels.module, "chat");
    assert.ok(Number(families.salient_conversations_total.metrics[0].value) >= 2);
    const kinds = families.salient_emails_total.metrics.map((m) => m.labels.kind);
    for (const kind of ["summary", "admin_code"]) assert.ok(kinds.includes(kind), `emails of kind ${kind}: ${kinds}`);
    assert.ok(Number(families.salient_leads_total.metrics[0].value) >= 1);

    const json = await browserFetch("/metrics?format=json");
    assert.equal(json.status, 200);
    const body = JSON.parse(json.text);
    assert.equal(body.tenant, "brightleaf");
    assert.ok(body.store.conversations >= 2);
    assert.ok(body.instance.requests.some((r) => r.route === "/a/{agent}/chat" && r.status === 200 && r.count >= you.chats));

    // Outside the browser: no cookie, no metrics; the scrapers' bearer token works.
    assert.equal((await fetch(`${origin}/metrics`)).status, 401);
    const scraped = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${SECRETS.SALIENT_METRICS_TOKEN}` } });
    assert.equal(scraped.status, 200);
    assert.match(await scraped.text(), /^salient_conversations_total \d+$/m);
  });

  test("on a phone: every signed-in page fits the screen", async () => {
    const p = await phone.newPage();
    for (const [name, target] of Object.entries(pages)) {
      assert.equal(await open(target, p), 200, name);
      assert.ok(await p.locator(".admin-nav").count(), `${name}: signed in`);
      await shoot(p, name);
    }
    assert.deepEqual(Object.keys(pages).sort(), ["config", "conversation", "conversations", "dashboard", "leads", "warnings"]);
    await p.close();
  });

  test("refusals: an unlisted address gets the same page and no email; a wrong code, no cookie", async () => {
    const ctx = await newContext(browser, PHONE);
    try {
      const p = await ctx.newPage();
      const signIn = async (email) => {
        assert.equal(await open("/admin/", p), 200);
        await p.fill("#admin-email", email);
        await submit("form[action='/admin/sign-in'] button[type=submit]", `${origin}/admin/sign-in`, p);
        return (await textOf(p, "main")).replace(email, "<email>");
      };
      assert.equal(await open("/admin/", p), 200);
      await shoot(p, "sign-in");
      const stranger = `mallory.${tag}@example.com`;
      const codesBefore = (await mailsTo(origin, OPERATOR)).length;
      const unlisted = await signIn(stranger);
      assert.equal((await mailsTo(origin, stranger)).length, 0, "no email to an unlisted address");
      const listed = await signIn(OPERATOR);
      assert.equal(unlisted, listed, "the same page for both");
      assert.equal((await mailsTo(origin, OPERATOR)).length, codesBefore + 1, "a new code for the operator");
      await shoot(p, "code");

      const code = await codeFor(origin, OPERATOR);
      await p.fill("#admin-code", code === "000000" ? "111111" : "000000");
      await submit("form[action='/admin/verify'] button[type=submit]", `${origin}/admin/verify`, p);
      assert.match(await textOf(p, "[role=alert]"), /That code is not right; 4 tries left\./);
      assert.deepEqual(await ctx.cookies(), [], "no cookie");
      assert.equal(await open("/admin/leads", p), 401);
      assert.equal(await p.locator("#admin-email").count(), 1, "the sign-in page");
      // An unlisted address's code: the same refusal as a wrong one.
      await signIn(stranger);
      await p.fill("#admin-code", code);
      await submit("form[action='/admin/verify'] button[type=submit]", `${origin}/admin/verify`, p);
      assert.match(await textOf(p, "[role=alert]"), /That code is not right/);
      assert.deepEqual(await ctx.cookies(), []);
    } finally {
      await ctx.close();
    }
  });

  test("sign out: back to the sign-in page, the cookie gone from the browser", async () => {
    const [cookie] = (await page.context().cookies()).filter((c) => c.name === "__Host-salient_admin");
    assert.equal(await open("/admin/leads"), 200);
    await submit("form.admin-signout button[type=submit]", `${origin}/admin/`);
    assert.equal(await page.locator("#admin-email").count(), 1, "the sign-in page");
    assert.deepEqual((await page.context().cookies()).filter((c) => c.name.startsWith("__Host-")), []);
    assert.equal(await open("/admin/leads"), 401);
    assert.equal(await page.locator("#admin-email").count(), 1);
    assert.match(await textOf(page, "main"), /Please sign in to see this page/);
    // Sessions are stateless (a signed cookie): a copy taken before signing out stays valid until
    // it expires; signing out only clears the browser's.
    const replay = await fetch(`${origin}/admin/leads`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    assert.equal(replay.status, 200);
    // A tampered cookie is refused (and cleared).
    const tampered = await fetch(`${origin}/admin/leads`, { headers: { cookie: `${cookie.name}=${cookie.value.slice(0, -1)}${cookie.value.endsWith("0") ? "1" : "0"}` } });
    assert.equal(tampered.status, 401);
    assert.match(tampered.headers.get("set-cookie") ?? "", /^__Host-salient_admin=;.*Max-Age=0/i);
    assert.deepEqual(unexpected(), []);
  });
});
