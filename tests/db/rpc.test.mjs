// The chat-turn and history RPCs (db/functions/) against PGlite and against a real PostgreSQL 15
// server started for this file: the same cases, run once per backend (tests/db/backends.mjs).
// The personas, agents and their switch are config.test.mjs; what one tenant may do to another's
// rows is tenants.test.mjs; the HTTP face of the embedded store is postgrest.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { backends, client, json, pgSkip } from "./backends.mjs";

if (pgSkip) console.log(`# SKIPPING the real-PostgreSQL half: ${pgSkip}`);

for (const backend of backends()) {
  describe(`RPCs on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let db, sql, rpc, rpcError, turn, conversation, retime;
    before(async () => {
      db = await backend.open();
      ({ sql, rpc, rpcError, turn, conversation, retime } = client(db.adapter));
      console.log(`# ${backend.name}: started in ${db.startMs} ms`);
    });
    after(() => db?.close());

    test("begin_turn stores the turn, creates tenant and session once, and is idempotent", async () => {
      const first = turn();
      const a = await rpc("salient_begin_turn", first);
      assert.deepEqual(Object.keys(a).sort(), ["duplicate", "session_id", "turn_id"]);
      assert.equal(a.turn_id, first.p_message_id);
      assert.equal(a.duplicate, false);
      const [stored] = await sql(`select m.role, m.content, m.idempotency_key, m.stream_claimed_at, s.session_key,
          t.slug, ag.code from messages m join sessions s on s.id = m.session_id join tenants t on t.id = m.tenant_id
          join agents ag on ag.id = m.agent_id where m.id = $1`, [a.turn_id]);
      assert.deepEqual(stored, { role: "user", content: "hello", idempotency_key: first.p_idempotency_key,
        stream_claimed_at: null, session_key: "sk-1", slug: "acme", code: "sales" });

      const b = await rpc("salient_begin_turn", turn());
      assert.equal(b.session_id, a.session_id, "same tenant + session key → same session");
      const c = await rpc("salient_begin_turn", turn({ p_tenant: "globex" }));
      assert.notEqual(c.session_id, a.session_id, "sessions are per tenant");

      const again = await rpc("salient_begin_turn", { ...first, p_message_id: crypto.randomUUID(), p_content: "other" });
      assert.deepEqual(again, { ...a, duplicate: true });
      const [{ content }] = await sql("select content from messages where id = $1", [a.turn_id]);
      assert.equal(content, "hello", "the first content is kept");
      const retry = await rpc("salient_begin_turn", first);
      assert.deepEqual(retry, { ...a, duplicate: true });
      const [{ n }] = await sql("select count(*)::int as n from messages where idempotency_key = $1", [first.p_idempotency_key]);
      assert.equal(n, 1, "one stored message per idempotency key");
      const [{ tenants }] = await sql("select count(*)::int as tenants from tenants where slug = 'acme'");
      assert.equal(tenants, 1);
      const err = await (async () => {
        try {
          await sql(`insert into messages (tenant_id, session_id, role, content, idempotency_key)
            select tenant_id, session_id, 'user', 'x', idempotency_key from messages where id = $1`, [a.turn_id]);
        } catch (e) { return e; }
      })();
      assert.equal(err?.code, "23505", "the table itself refuses a second message with the same key");
    });

    test("claim_turn succeeds once, then already_claimed", async () => {
      const { turn_id, session_id } = await rpc("salient_begin_turn",
        turn({ p_session_key: "sk-claim", p_content: "what does a patio cost?" }));
      const first = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual(first, { status: "claimed", message: "what does a patio cost?", session_id, agent: "sales",
        history: [], persona: null, profile: null, month_cost_usd: 0, retrieval: null, handoff: null });
      const second = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual(second, { status: "already_claimed" });
      const [{ claimed }] = await sql("select stream_claimed_at is not null as claimed from messages where id = $1", [turn_id]);
      assert.equal(claimed, true);
    });

    test("attach_retrieval stores passages with an unclaimed turn; claim_turn hands them back", async () => {
      const retrieval = { mode: "pinecone", sources: [{ title: "Prices", heading: "Patios", url: "/prices#patios",
        source: "prices.md", text: "A patio costs…", score: 0.82 }] };
      const { turn_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-attach" }));
      assert.deepEqual(await rpc("salient_attach_retrieval", { p_tenant: "globex", p_turn_id: turn_id, p_retrieval: retrieval }),
        { status: "not_found" }, "another tenant's turn");
      assert.deepEqual(await rpc("salient_attach_retrieval", { p_tenant: "acme", p_turn_id: turn_id, p_retrieval: retrieval }),
        { status: "attached" });
      const claim = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.equal(claim.status, "claimed");
      assert.deepEqual(claim.retrieval, retrieval);
      // Too late once a stream has the turn: what it used stays as it was.
      assert.deepEqual(await rpc("salient_attach_retrieval", { p_tenant: "acme", p_turn_id: turn_id,
        p_retrieval: { mode: "unavailable", reason: "late" } }), { status: "already_claimed" });
      const [{ metadata }] = await sql("select metadata from messages where id = $1", [turn_id]);
      assert.deepEqual(metadata.retrieval, retrieval);
      assert.deepEqual(await rpc("salient_attach_retrieval", { p_tenant: "acme", p_turn_id: crypto.randomUUID(),
        p_retrieval: retrieval }), { status: "not_found" });
      for (const value of [json([1]), json("text"), null]) {
        const bad = await rpcError("salient_attach_retrieval", { p_tenant: "acme", p_turn_id: turn_id, p_retrieval: value });
        assert.equal(bad.code, "22P02", JSON.stringify(value));
      }
    });

    test("identify: a session's profile gets the visitor's email and name; the next claim hands them over", async () => {
      const args = (extra) => ({ p_tenant: "acme", p_agent: "sales", p_session_key: "sk-identify", p_email: null, p_name: null, ...extra });
      assert.deepEqual(await rpc("salient_identify", args({ p_email: "ana@example.com" })), { status: "no_session" },
        "no conversation yet: nothing is created");
      const first = await rpc("salient_begin_turn", turn({ p_session_key: "sk-identify" }));
      assert.deepEqual(await rpc("salient_identify", args({ p_email: "ana@example.com", p_name: "Ana" })), { status: "identified" });
      assert.deepEqual(await rpc("salient_identify", args({ p_name: "Ana Lima" })), { status: "identified" }, "a null keeps the email");
      const claim = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: first.turn_id });
      assert.equal(claim.profile.email, "ana@example.com");
      assert.equal(claim.profile.customer_name, "Ana Lima");
      assert.deepEqual(await rpc("salient_identify", { ...args({ p_email: "x@example.com" }), p_tenant: "globex" }),
        { status: "no_session" }, "another tenant's session key");
      assert.equal((await rpcError("salient_identify", args({}))).code, "22P02");
    });

    test("turn_answer: pending until the answer is stored, then the stored answer (for a resumed stream)", async () => {
      const { turn_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-resume" }));
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "acme", p_turn_id: turn_id }), { status: "pending" });
      await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "acme", p_turn_id: turn_id }), { status: "pending" });
      const message_id = crypto.randomUUID();
      const metadata = { mode: "llm", interrupted: true };
      await rpc("salient_finish_turn", { p_tenant: "acme", p_turn_id: turn_id, p_message_id: message_id,
        p_content: "Half an answer", p_metadata: metadata });
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "acme", p_turn_id: turn_id }),
        { status: "answered", message_id, content: "Half an answer", metadata });
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "globex", p_turn_id: turn_id }), { status: "not_found" },
        "another tenant's turn");
      assert.deepEqual(await rpc("salient_turn_answer", { p_tenant: "acme", p_turn_id: crypto.randomUUID() }),
        { status: "not_found" });
      assert.equal((await rpcError("salient_turn_answer", { p_tenant: "acme", p_turn_id: null })).code, "22P02");
    });

    test("an unknown turn or tenant is not_found", async () => {
      assert.deepEqual(await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: crypto.randomUUID() }),
        { status: "not_found" });
      assert.deepEqual(await rpc("salient_claim_turn", { p_tenant: "nobody", p_turn_id: crypto.randomUUID() }),
        { status: "not_found" });
      const [{ n }] = await sql("select count(*)::int as n from tenants where slug = 'nobody'");
      assert.equal(n, 0, "claim_turn creates no tenant");
    });

    test("finish_turn stores the assistant message linked to its turn", async () => {
      const { turn_id, session_id } = await rpc("salient_begin_turn", turn());
      const id = crypto.randomUUID();
      const done = await rpc("salient_finish_turn", {
        p_tenant: "acme", p_turn_id: turn_id, p_message_id: id, p_content: "Hi!", p_metadata: { offline: true },
      });
      assert.deepEqual(done, { message_id: id });
      const [stored] = await sql("select role, content, metadata, turn_id, session_id from messages where id = $1", [id]);
      assert.deepEqual(stored, { role: "assistant", content: "Hi!", metadata: { offline: true }, turn_id, session_id });
      // A retried finish with the same message id updates that answer, never a second one.
      await rpc("salient_finish_turn", { p_tenant: "acme", p_turn_id: turn_id, p_message_id: id, p_content: "Hi!!" });
      const rows = await sql("select content, metadata from messages where turn_id = $1", [turn_id]);
      assert.deepEqual(rows, [{ content: "Hi!!", metadata: {} }]);
      // A message id that is already another row (here: the user's message) is a 23505.
      const clash = await rpcError("salient_finish_turn", {
        p_tenant: "acme", p_turn_id: turn_id, p_message_id: turn_id, p_content: "x", p_metadata: {},
      });
      assert.equal(clash.code, "23505");
    });

    test("bad arguments are errors", async () => {
      const malformed = await rpcError("salient_claim_turn", { p_tenant: "acme", p_turn_id: "not-a-uuid" });
      assert.equal(malformed.code, "22P02");
      assert.equal((await rpcError("salient_begin_turn", turn({ p_message_id: "42" }))).code, "22P02");
      assert.equal((await rpcError("salient_begin_turn", turn({ p_tenant: "" }))).code, "22P02");
      assert.equal((await rpcError("salient_begin_turn", turn({ p_session_key: null }))).code, "22P02");
      assert.equal((await rpcError("salient_begin_turn", turn({ p_content: null }))).code, "22P02");
      assert.equal((await rpcError("salient_finish_turn", {
        p_tenant: "acme", p_turn_id: crypto.randomUUID(), p_message_id: "nope", p_content: "x",
      })).code, "22P02");
      // A message id already used (here by another tenant's turn) is refused, not overwritten.
      const { turn_id } = await rpc("salient_begin_turn", turn());
      const dup = await rpcError("salient_begin_turn", turn({ p_tenant: "globex", p_message_id: turn_id }));
      assert.equal(dup.code, "23505");
    });

    test("claim_turn carries the history before the turn, oldest first, at most p_history_limit", async () => {
      const [first] = await conversation("sk-ctx", ["one", "two", "three"]);
      const t = await rpc("salient_begin_turn", turn({ p_session_key: "sk-ctx", p_content: "four" }));
      const later = await rpc("salient_begin_turn", turn({ p_session_key: "sk-ctx", p_content: "five" }));
      await retime([t.turn_id, later.turn_id]);
      // A system message is stored but never replayed to the model.
      await sql(`insert into messages (tenant_id, session_id, role, content, created_at)
        select tenant_id, session_id, 'system', 'internal note', created_at + interval '1 ms' from messages where id = $1`,
      [first.answer_id]);
      // Another session of the same tenant is not this conversation.
      await conversation("sk-ctx-other", ["elsewhere"]);

      const claim = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: t.turn_id, p_history_limit: 4 });
      assert.equal(claim.status, "claimed");
      assert.equal(claim.message, "four");
      assert.deepEqual(claim.history.map((m) => [m.role, m.content]),
        [["user", "two"], ["assistant", "re: two"], ["user", "three"], ["assistant", "re: three"]],
        "the 4 most recent before the turn; neither the turn itself nor the later message");
      assert.deepEqual(Object.keys(claim.history[0]).sort(), ["content", "created_at", "role"]);
      const times = claim.history.map((m) => Date.parse(m.created_at));
      assert.ok(times.every((ms, i) => Number.isFinite(ms) && (i === 0 || ms > times[i - 1])), "created_at, ascending");
      const all = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: later.turn_id });
      assert.deepEqual(all.history.map((m) => m.content),
        ["one", "re: one", "two", "re: two", "three", "re: three", "four"], "default limit 20; the unanswered turn too");

      const fresh = await rpc("salient_begin_turn", turn({ p_session_key: "sk-ctx-new" }));
      for (const bad of [-1, 201, null]) {
        const err = await rpcError("salient_claim_turn", { p_tenant: "acme", p_turn_id: fresh.turn_id, p_history_limit: bad });
        assert.equal(err.code, "22P02", `p_history_limit ${bad}`);
        assert.match(err.message, /p_history_limit: expected an integer from 0 to 200/);
      }
      for (const bad of [2.5, "x"]) { // not an integer at all: PostgreSQL's own refusal
        const err = await rpcError("salient_claim_turn", { p_tenant: "acme", p_turn_id: fresh.turn_id, p_history_limit: bad });
        assert.equal(err.code, "22P02", `p_history_limit ${bad}`);
      }
      const none = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: fresh.turn_id, p_history_limit: 0 });
      assert.equal(none.status, "claimed", "a refused limit did not use up the turn");
      assert.deepEqual(none.history, []);
    });

    test("claim_turn resolves the persona: tenant's choice, agent's default, tenant's default", async () => {
      const claimPersona = async () => {
        const { turn_id } = await rpc("salient_begin_turn", turn({ p_tenant: "personae", p_agent: "persona-agent" }));
        return (await rpc("salient_claim_turn", { p_tenant: "personae", p_turn_id: turn_id })).persona;
      };
      assert.equal(await claimPersona(), null, "no persona at all");
      await rpc("salient_begin_turn", turn({ p_tenant: "globex", p_agent: "persona-agent" }));
      const persona = async (tenant, code, isDefault = false) => (await sql(`insert into personas
          (tenant_id, code, name, system_prompt, is_default)
          select id, $2, upper($2), 'You are ' || $2 || '.', $3 from tenants where slug = $1 returning id`,
      [tenant, code, isDefault]))[0].id;
      await persona("personae", "tenant-default", true);
      const expect = (code) => ({ code, name: code.toUpperCase(), system_prompt: `You are ${code}.` });
      assert.deepEqual(await claimPersona(), expect("tenant-default"));
      // The shared agent's default names another tenant's persona: not ours to use.
      const foreign = await persona("globex", "globex-voice");
      await sql("update agents set default_persona_id = $1 where code = 'persona-agent'", [foreign]);
      assert.deepEqual(await claimPersona(), expect("tenant-default"));
      const agentDefault = await persona("personae", "agent-default");
      await sql("update agents set default_persona_id = $1 where code = 'persona-agent'", [agentDefault]);
      assert.deepEqual(await claimPersona(), expect("agent-default"));
      const chosen = await persona("personae", "tenant-choice");
      await sql(`update tenant_agents set persona_id = $1 where agent_id = (select id from agents where code = 'persona-agent')
        and tenant_id = (select id from tenants where slug = 'personae')`, [chosen]);
      assert.deepEqual(await claimPersona(), expect("tenant-choice"));
      await sql("update agents set default_persona_id = null where code = 'persona-agent'");
    });

    test("claim_turn carries the session's profile", async () => {
      const { turn_id, session_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-profile" }));
      await sql(`insert into profiles (tenant_id, session_id, customer_name, email, phone, products_of_interest, address_city)
        select tenant_id, id, 'Ada', 'ada@example.com', null, '{patio,"deck, large"}', 'Paris' from sessions where id = $1`,
      [session_id]);
      const claim = await rpc("salient_claim_turn", { p_tenant: "acme", p_turn_id: turn_id });
      assert.deepEqual(claim.profile, { customer_name: "Ada", email: "ada@example.com", phone: null,
        products_of_interest: ["patio", "deck, large"], services_of_interest: [], verified: false });
    });

    test("claim_turn reports the tenant's model spend this calendar month", async () => {
      const answered = async (tenant, cost) => {
        const { turn_id } = await rpc("salient_begin_turn", turn({ p_tenant: tenant, p_session_key: "sk-budget" }));
        const id = crypto.randomUUID();
        await rpc("salient_finish_turn", { p_tenant: tenant, p_turn_id: turn_id, p_message_id: id, p_content: "a",
          p_metadata: {}, p_llm_request: { model: "m", cost } });
        return id;
      };
      const claimCost = async (tenant) => {
        const { turn_id } = await rpc("salient_begin_turn", turn({ p_tenant: tenant, p_session_key: "sk-budget" }));
        return (await rpc("salient_claim_turn", { p_tenant: tenant, p_turn_id: turn_id })).month_cost_usd;
      };
      assert.equal(await claimCost("budget-co"), 0);
      await answered("budget-co", 0.5);
      await answered("budget-co", 0.25);
      const old = await answered("budget-co", 1);
      await answered("spendthrift-co", 10); // another tenant's spend is not ours
      await sql(`update llm_requests set created_at = date_trunc('month', now()) - interval '1 day' where message_id = $1`, [old]);
      assert.equal(Number(await claimCost("budget-co")), 0.75);
      assert.equal(Number(await claimCost("spendthrift-co")), 10);
    });

    test("finish_turn records one llm_requests row per answer", async () => {
      const { turn_id, session_id } = await rpc("salient_begin_turn", turn({ p_session_key: "sk-llm" }));
      const id = crypto.randomUUID();
      const finish = (llm, messageId = id) => rpc("salient_finish_turn", {
        p_tenant: "acme", p_turn_id: turn_id, p_message_id: messageId, p_content: "Hi!", p_metadata: {},
        p_llm_request: llm,
      });
      const rows = () => sql(`select t.slug as tenant, r.session_id, r.provider, r.model, r.request_body, r.response_body,
          r.prompt_tokens, r.completion_tokens, r.total_tokens, r.unit_cost_prompt::float8 as unit_cost_prompt,
          r.unit_cost_completion::float8 as unit_cost_completion, r.computed_cost::float8 as computed_cost, r.latency_ms
        from llm_requests r join tenants t on t.id = r.tenant_id where r.message_id = $1`, [id]);
      assert.deepEqual(await finish({
        model: "openai/gpt-4o-mini", request_body: { messages: [{ role: "user", content: "hello" }] },
        response_body: { id: "gen-1" }, prompt_tokens: 10, completion_tokens: 5, total_tokens: 15,
        unit_cost_prompt: 0.00000015, unit_cost_completion: 0.0000006, cost: 0.0000045, latency_ms: 830,
      }), { message_id: id });
      assert.deepEqual(await rows(), [{
        tenant: "acme", session_id, provider: "openrouter", model: "openai/gpt-4o-mini",
        request_body: { messages: [{ role: "user", content: "hello" }] }, response_body: { id: "gen-1" },
        prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, unit_cost_prompt: 0.00000015,
        unit_cost_completion: 0.0000006, computed_cost: 0.0000045, latency_ms: 830,
      }]);
      // A retried finish replaces the row's values: still one row.
      await finish({ model: "other/model", provider: "direct", prompt_tokens: 7 });
      assert.deepEqual(await rows(), [{
        tenant: "acme", session_id, provider: "direct", model: "other/model", request_body: null, response_body: null,
        prompt_tokens: 7, completion_tokens: null, total_tokens: null, unit_cost_prompt: null,
        unit_cost_completion: null, computed_cost: null, latency_ms: null,
      }]);
      // Without p_llm_request (or with null): the row stays as it was.
      await rpc("salient_finish_turn", { p_tenant: "acme", p_turn_id: turn_id, p_message_id: id, p_content: "Hi!" });
      await finish(null);
      await finish(json(null));
      assert.equal((await rows()).length, 1);

      const fresh = crypto.randomUUID();
      for (const bad of [{}, { model: 5 }, { model: "" }, { model: "m", prompt_tokens: 1.5 }, { model: "m", cost: "0.1" },
        { model: "m", provider: 1 }, json(["model"]), json("{\"model\":\"m\"}"), json(3)]) {
        const err = await rpcError("salient_finish_turn", { p_tenant: "acme", p_turn_id: turn_id, p_message_id: fresh,
          p_content: "x", p_llm_request: bad });
        assert.equal(err.code, "22P02", JSON.stringify(bad));
        assert.match(err.message, /p_llm_request/);
      }
      const [{ n }] = await sql("select count(*)::int as n from messages where id = $1", [fresh]);
      assert.equal(n, 0, "a refused llm_request stores no answer either");
    });

    test("finish_turn on an unknown turn is PT404", async () => {
      const unknown = crypto.randomUUID();
      const err = await rpcError("salient_finish_turn", {
        p_tenant: "acme", p_turn_id: unknown, p_message_id: crypto.randomUUID(), p_content: "x",
      });
      assert.equal(err.code, "PT404");
      assert.equal(err.message, `turn ${unknown} not found`);
      const noTenant = await rpcError("salient_finish_turn", {
        p_tenant: "nobody-at-all", p_turn_id: unknown, p_message_id: crypto.randomUUID(), p_content: "x",
      });
      assert.equal(noTenant.code, "PT404");
    });

    test("begin_turn refuses an inactive tenant with PT403", async () => {
      const first = turn({ p_tenant: "sleepy" });
      await rpc("salient_begin_turn", first);
      await sql("update tenants set is_active = false where slug = 'sleepy'");
      const err = await rpcError("salient_begin_turn", turn({ p_tenant: "sleepy" }));
      assert.equal(err.code, "PT403", "PostgREST: 403");
      assert.equal(err.message, "tenant sleepy is not active");
      assert.equal((await rpcError("salient_begin_turn", first)).code, "PT403", "a resubmission too");
      const [{ n }] = await sql(`select count(*)::int as n from messages m join tenants t on t.id = m.tenant_id
        where t.slug = 'sleepy'`);
      assert.equal(n, 1);
      await sql("update tenants set is_active = true where slug = 'sleepy'");
      assert.equal((await rpc("salient_begin_turn", turn({ p_tenant: "sleepy" }))).duplicate, false);
    });

    test("session_history shows one session of one tenant and agent, oldest first", async () => {
      const turns = await conversation("sk-hist", ["a", "b", "c"]);
      await conversation("sk-hist", ["theirs"], { tenant: "globex" });
      await sql(`insert into messages (tenant_id, session_id, role, content) select tenant_id, id, 'system', 'note'
        from sessions where id = $1`, [turns[0].session_id]);
      const history = (over = {}) => rpc("salient_session_history",
        { p_tenant: "acme", p_agent: "sales", p_session_key: "sk-hist", ...over });
      const all = await history();
      assert.equal(all.session_key, "sk-hist");
      assert.equal(all.session_id, turns[0].session_id);
      assert.deepEqual(all.messages.map((m) => m.content), ["a", "re: a", "b", "re: b", "c", "re: c"]);
      assert.deepEqual({ ...all.messages[1], created_at: undefined }, { id: turns[0].answer_id, role: "assistant",
        content: "re: a", created_at: undefined, metadata: { mode: "llm" }, turn_id: turns[0].turn_id });
      assert.ok(!Number.isNaN(Date.parse(all.messages[1].created_at)));
      assert.deepEqual([all.messages[0].metadata, all.messages[0].turn_id], [{}, null]);
      assert.deepEqual((await history({ p_limit: 3 })).messages.map((m) => m.content), ["re: b", "c", "re: c"]);
      const theirs = await history({ p_tenant: "globex" });
      assert.deepEqual(theirs.messages.map((m) => m.content), ["theirs", "re: theirs"], "globex's own sk-hist only");

      const [{ sessions: before }] = await sql("select count(*)::int as sessions from sessions");
      const empty = (key, res) => assert.deepEqual(res, { session_key: key, session_id: null, messages: [] });
      empty("sk-nope", await history({ p_session_key: "sk-nope" }));
      empty("sk-hist", await history({ p_tenant: "initech" }));
      empty("sk-hist", await history({ p_agent: "support" }));
      const [{ sessions: after }] = await sql("select count(*)::int as sessions from sessions");
      assert.equal(after, before, "creates nothing");
      const [{ n }] = await sql("select count(*)::int as n from tenants where slug = 'initech'");
      assert.equal(n, 0);
      for (const bad of [0, 201, null]) assert.equal((await rpcError("salient_session_history",
        { p_tenant: "acme", p_agent: "sales", p_session_key: "sk-hist", p_limit: bad })).code, "22P02");
      for (const name of ["p_tenant", "p_agent", "p_session_key"]) {
        assert.equal((await rpcError("salient_session_history",
          { p_tenant: "acme", p_agent: "sales", p_session_key: "sk-hist", [name]: "" })).code, "22P02", name);
      }
    });

    test("list_sessions summarises the given keys, most recently active first", async () => {
      const long = `  Première\tligne\n\n  d'une ${"très ".repeat(20)}longue question  `;
      const [a] = await conversation("sk-list-a", [long, "second"]);
      await conversation("sk-list-b", ["short one"]);
      await conversation("sk-list-c", ["other tenant"], { tenant: "globex" });
      await conversation("sk-list-d", ["other agent"], { agent: "support" });
      await sql(`insert into messages (tenant_id, session_id, role, content) select tenant_id, id, 'system', 'note'
        from sessions where id = $1`, [a.session_id]);
      await sql(`update sessions set last_activity_at = timestamptz '2031-01-01 00:00:00+00' +
        (case session_key when 'sk-list-a' then interval '1 hour' else interval '2 hours' end)
        where session_key in ('sk-list-a', 'sk-list-b')`);
      const list = await rpc("salient_list_sessions", { p_tenant: "acme", p_agent: "sales",
        p_session_keys: ["sk-list-a", "sk-list-b", "sk-list-c", "sk-list-d", "nope", "sk-list-a"] });
      const collapsed = `Première ligne d'une ${"très ".repeat(20)}longue question`;
      assert.deepEqual(list.sessions.map(({ session_key, title, message_count }) => ({ session_key, title, message_count })), [
        { session_key: "sk-list-b", title: "short one", message_count: 2 },
        { session_key: "sk-list-a", title: `${collapsed.slice(0, 80)}…`, message_count: 4 },
      ]);
      assert.equal(Array.from(list.sessions[1].title).length, 81);
      assert.deepEqual(Object.keys(list.sessions[0]).sort(),
        ["created_at", "last_activity_at", "message_count", "session_key", "title"]);
      assert.equal(new Date(list.sessions[0].last_activity_at).toISOString(), "2031-01-01T02:00:00.000Z");
      assert.deepEqual(await rpc("salient_list_sessions", { p_tenant: "acme", p_agent: "sales", p_session_keys: [] }),
        { sessions: [] });
      assert.deepEqual(await rpc("salient_list_sessions", { p_tenant: "nobody-here", p_agent: "sales",
        p_session_keys: ["sk-list-a"] }), { sessions: [] });
      const keys51 = Array.from({ length: 51 }, (_, i) => `k${i}`);
      assert.equal((await rpcError("salient_list_sessions", { p_tenant: "acme", p_agent: "sales", p_session_keys: keys51 })).code,
        "22P02");
      assert.equal((await rpcError("salient_list_sessions", { p_tenant: "acme", p_agent: "sales", p_session_keys: null })).code,
        "22P02");
      assert.equal((await rpcError("salient_list_sessions", { p_tenant: "acme", p_agent: "sales",
        p_session_keys: "sk-list-a" })).code, "22P02", "a string is not an array of keys");
      assert.equal((await rpc("salient_list_sessions", { p_tenant: "acme", p_agent: "sales",
        p_session_keys: keys51.slice(1) })).sessions.length, 0, "50 keys are fine");
    });


    test("a call naming an argument the function does not have, or leaving one out, matches no function", async () => {
      // PostgREST answers these 404 PGRST202 (postgrest.test.mjs); PostgreSQL's own code is 42883.
      for (const [fn, args] of [
        ["salient_begin_turn", { p_tenant: "acme" }],
        ["salient_claim_turn", { p_tenant: "acme", p_turn_id: crypto.randomUUID(), p_nope: 1 }],
        ["salient_sync_config", { p_tenant: "acme", p_personas: {} }],
        ["salient_nope", { p_x: 1 }],
      ]) {
        assert.equal((await rpcError(fn, args)).code, "42883", `${fn}(${Object.keys(args)})`);
      }
    });
  });
}
