-- A chat turn, before the model is called: the visitor's message stored, what a search found
-- attached to it, and the turn handed to exactly one answer stream with what its model call
-- needs. The answer's side (salient_finish_turn, salient_turn_answer) is answers.sql.
--
--   salient_begin_turn(p_tenant, p_agent, p_session_key, p_idempotency_key, p_message_id, p_content,
--                      p_limits = null)
--     → {turn_id, session_id, duplicate}
--     | {status: "limited", limit: "messages_per_minute" | "tokens_per_day", scope: "ip" | "session" |
--        "tenant", retry_after}   (nothing stored)
--     p_limits (the agent's rate_limits, salient.yaml; null = none): {ip_key, messages_per_minute:
--     {ip, session, tenant}, tokens_per_day: {ip, session, tenant}}, 0 = no limit. ip_key is the
--     keyed hash of the client's address ("" = unknown: no per-address limit).
--   salient_attach_retrieval(p_tenant, p_turn_id, p_retrieval jsonb)
--     → {status: "attached" | "already_claimed" | "not_found"}
--   salient_claim_turn(p_tenant, p_turn_id, p_history_limit = 20, p_claim = null)
--     → {status: "claimed", message, session_id, agent, history, persona, profile, month_cost_usd,
--        retrieval, handoff} | {status: "already_claimed"} | {status: "not_found"}
--     history: [{role, content, created_at}], a team member's reply (role "team", handoffs.sql)
--     with its `name`. handoff: null, or the conversation's open handoff (issue 18) as {id,
--     quiet: a person replied within handoff.quiet_minutes (the answer is a holding note),
--     resumed_note_due: that window ended and no answer since said the assistant is back (an
--     answer stored with metadata {"handoff": "resumed"}), created_at, last_team_reply_at}.
--
-- Tenants are named by slug and created on first use (by begin_turn; sync_config too). Every
-- statement is filtered by p_tenant's id: no function reads or changes another tenant's rows.
-- SECURITY INVOKER: see the row-level security note in db/migrations/0001_baseline.sql.
--
-- Why claim_turn carries the context: a turn costs the core two store round trips, one before
-- the model call (claim: the message, history, persona, profile, the month's spend and the
-- retrieval results it needs to build the prompt) and one after (finish: the answer and its
-- llm_requests row). Every extra round trip to Supabase is latency the visitor waits through
-- before the first token.
--
-- Statuses: PostgREST answers a SQLSTATE "PTxyz" with HTTP status xyz, so the refusals the core
-- must tell apart get real statuses: PT403 (inactive tenant), PT404 (an agent the tenant
-- switched off; finish_turn's unknown turn). The core (shared/upstream/store/state_client.cpp)
-- tells the two PT404s apart by the function: begin_turn, claim_turn, session_history and
-- list_sessions raise PT404 for nothing but the switched-off agent. Keep it that way, or give
-- the core another way to tell them apart.

-- The chat's rate limits for one new message (salient_begin_turn's p_limits): null when it may
-- be stored, else the refusal. Tokens per day are the answers' own counts (llm_requests of the
-- last 24 hours: the session's, the address's, the tenant's), checked before messages per
-- minute so that a refused message does not use up a slot; messages per minute are rate_hits
-- taken all or nothing.
create or replace function salient_turn_limits(p_tenant uuid, p_session_key text, p_limits jsonb)
returns jsonb
language plpgsql as $$
declare
  v_ip_key text := coalesce(p_limits ->> 'ip_key', '');
  v_tokens jsonb := coalesce(p_limits -> 'tokens_per_day', '{}'::jsonb);
  v_per_minute jsonb := coalesce(p_limits -> 'messages_per_minute', '{}'::jsonb);
  v_since timestamptz := now() - interval '1 day';
  v_session uuid;
  v_scope text;
  v_limit bigint;
  v_used bigint;
  v_oldest timestamptz;
  v_taken jsonb;
begin
  if p_limits is null or jsonb_typeof(p_limits) = 'null' then
    return null;
  end if;
  if jsonb_typeof(p_limits) <> 'object' or jsonb_typeof(v_tokens) <> 'object' or jsonb_typeof(v_per_minute) <> 'object' then
    raise exception 'invalid input for argument p_limits: expected {ip_key, messages_per_minute: {ip, session, tenant}, tokens_per_day: {ip, session, tenant}}'
      using errcode = '22P02';
  end if;
  select id into v_session from sessions where tenant_id = p_tenant and session_key = p_session_key;
  foreach v_scope in array array['ip', 'session', 'tenant'] loop
    v_limit := coalesce((v_tokens ->> v_scope)::bigint, 0);
    continue when v_limit < 1 or (v_scope = 'ip' and v_ip_key = '') or (v_scope = 'session' and v_session is null);
    -- One query per scope, each an index range (llm_requests_tenant_ip, _session_created, _tenant_created).
    if v_scope = 'ip' then
      select coalesce(sum(total_tokens), 0), min(created_at) into v_used, v_oldest
        from llm_requests where tenant_id = p_tenant and ip_key = v_ip_key and created_at > v_since;
    elsif v_scope = 'session' then
      select coalesce(sum(total_tokens), 0), min(created_at) into v_used, v_oldest
        from llm_requests where session_id = v_session and tenant_id = p_tenant and created_at > v_since;
    else
      select coalesce(sum(total_tokens), 0), min(created_at) into v_used, v_oldest
        from llm_requests where tenant_id = p_tenant and created_at > v_since;
    end if;
    if v_used >= v_limit then
      return jsonb_build_object('status', 'limited', 'limit', 'tokens_per_day', 'scope', v_scope,
                                'retry_after', greatest(60, ceil(extract(epoch from (v_oldest - v_since)))::integer));
    end if;
  end loop;
  v_taken := salient_rate_take_all(p_tenant, jsonb_build_array(
    jsonb_build_object('scope', 'ip', 'bucket', 'chat_ip', 'key', v_ip_key,
                       'limit', coalesce((v_per_minute ->> 'ip')::integer, 0), 'window_seconds', 60),
    jsonb_build_object('scope', 'session', 'bucket', 'chat_session', 'key', p_session_key,
                       'limit', coalesce((v_per_minute ->> 'session')::integer, 0), 'window_seconds', 60),
    jsonb_build_object('scope', 'tenant', 'bucket', 'chat_tenant', 'key', 'all',
                       'limit', coalesce((v_per_minute ->> 'tenant')::integer, 0), 'window_seconds', 60)), now());
  if not (v_taken ->> 'allowed')::boolean then
    return jsonb_build_object('status', 'limited', 'limit', 'messages_per_minute', 'scope', v_taken ->> 'scope',
                              'retry_after', (v_taken ->> 'retry_after')::integer);
  end if;
  return null;
end
$$;

-- Stores the visitor's message as a new turn, creating the tenant, the shared agent row, the
-- tenant's agent row and the session when missing. The same session key and idempotency key
-- again return the first turn with duplicate: true, and store nothing.
drop function if exists salient_begin_turn(text, text, text, text, uuid, text);  -- before p_limits
create or replace function salient_begin_turn(
  p_tenant text, p_agent text, p_session_key text, p_idempotency_key text,
  p_message_id uuid, p_content text, p_limits jsonb default null)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_agent uuid;
  v_session uuid;
  v_turn uuid;
  v_ip_key text := coalesce(p_limits ->> 'ip_key', '');
  v_refusal jsonb;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_agent', p_agent);
  perform salient_require_text('p_session_key', p_session_key);
  perform salient_require_text('p_idempotency_key', p_idempotency_key);
  perform salient_require_uuid('p_message_id', p_message_id);
  perform salient_require_string('p_content', p_content);

  v_tenant := salient_tenant_id(p_tenant, true);
  -- Checked before the duplicate lookup too: a deactivated tenant's widget gets one clear
  -- answer (the core shows "not available") whatever it resubmits.
  if not (select is_active from tenants where id = v_tenant) then
    raise exception 'tenant % is not active', p_tenant using errcode = 'PT403';
  end if;
  -- An agent the tenant switched off (tenant_agents.is_enabled = false), resubmissions too.
  perform salient_require_agent_enabled(p_tenant, p_agent);

  -- A resubmitted message (same session key and idempotency key): the first turn, unchanged.
  select m.id, m.session_id into v_turn, v_session
    from sessions s join messages m on m.session_id = s.id
   where s.tenant_id = v_tenant and s.session_key = p_session_key
     and m.tenant_id = v_tenant and m.idempotency_key = p_idempotency_key;
  if v_turn is not null then
    return jsonb_build_object('turn_id', v_turn, 'session_id', v_session, 'duplicate', true);
  end if;

  -- The limits, after the duplicate lookup (a resubmission is not a new message) and before
  -- anything is written: a refused message leaves no trace but its rate_hits.
  v_refusal := salient_turn_limits(v_tenant, p_session_key, p_limits);
  if v_refusal is not null then
    return v_refusal;
  end if;

  select id into v_agent from agents where code = p_agent;
  if v_agent is null then
    insert into agents (code, name) values (p_agent, p_agent) on conflict (code) do nothing returning id into v_agent;
    if v_agent is null then
      select id into v_agent from agents where code = p_agent;
    end if;
  end if;
  insert into tenant_agents (tenant_id, agent_id) values (v_tenant, v_agent)
    on conflict (tenant_id, agent_id) do nothing;

  insert into sessions (tenant_id, agent_id, session_key) values (v_tenant, v_agent, p_session_key)
    on conflict (tenant_id, session_key) do update set last_activity_at = now()
    returning id into v_session;

  insert into messages (id, tenant_id, session_id, agent_id, role, content, idempotency_key, metadata)
    values (p_message_id, v_tenant, v_session, v_agent, 'user', p_content, p_idempotency_key,
            case when v_ip_key = '' then '{}'::jsonb else jsonb_build_object('ip_key', v_ip_key) end)
    on conflict (session_id, idempotency_key) do nothing
    returning id into v_turn;
  if v_turn is null then  -- the same submission stored concurrently
    select id into v_turn from messages where session_id = v_session and idempotency_key = p_idempotency_key;
    return jsonb_build_object('turn_id', v_turn, 'session_id', v_session, 'duplicate', true);
  end if;
  return jsonb_build_object('turn_id', v_turn, 'session_id', v_session, 'duplicate', false);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Retrieval results travel with the turn. With Pinecone configured, the chat function searches
-- the index while salient_begin_turn stores the question (the two run in parallel), then stores
-- what it found here, in the visitor's message's metadata.retrieval:
-- {"mode":"pinecone","sources":[{title, heading, url, source, text, score}]} or
-- {"mode":"unavailable","reason":"…"}. Only an unclaimed turn takes it, so a late or repeated
-- attach never changes what a stream already used.

create or replace function salient_attach_retrieval(p_tenant text, p_turn_id uuid, p_retrieval jsonb)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_turn_id', p_turn_id);
  if p_retrieval is null or jsonb_typeof(p_retrieval) <> 'object' then
    raise exception 'invalid input for argument p_retrieval: expected a JSON object'
      using errcode = '22P02';
  end if;
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null then
    return jsonb_build_object('status', 'not_found');
  end if;

  update messages
     set metadata = coalesce(metadata, '{}'::jsonb) || jsonb_build_object('retrieval', p_retrieval)
   where id = p_turn_id and tenant_id = v_tenant and role = 'user' and stream_claimed_at is null;
  if found then
    return jsonb_build_object('status', 'attached');
  end if;
  if exists (select 1 from messages where id = p_turn_id and tenant_id = v_tenant and role = 'user') then
    return jsonb_build_object('status', 'already_claimed');
  end if;
  return jsonb_build_object('status', 'not_found');
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Hands a stored turn to exactly one stream, with what its model call needs. The agent switch is
-- checked after the turn is found (an unknown turn stays {status: "not_found"}) and before it is
-- claimed, so a refused claim does not use the turn up: re-enabling the agent lets it stream.

drop function if exists salient_claim_turn(text, uuid, integer);  -- before p_claim
-- p_claim: the claiming request's own token. Claiming again with the same token succeeds (the
-- stream retries a claim whose answer was lost: flows/store_retry.h); any other is already_claimed.
create or replace function salient_claim_turn(p_tenant text, p_turn_id uuid, p_history_limit integer default 20,
                                              p_claim text default null)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_content text;
  v_session uuid;
  v_agent uuid;
  v_created timestamptz;
  v_history jsonb;
  v_persona jsonb;
  v_profile jsonb;
  v_month_cost numeric;
  v_retrieval jsonb;
  v_handoff jsonb;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_turn_id', p_turn_id);
  -- Validated before claiming: a refused call must not use up the turn.
  if p_history_limit is null or p_history_limit < 0 or p_history_limit > 200 then
    raise exception 'invalid input for argument p_history_limit: expected an integer from 0 to 200, got %',
      coalesce(p_history_limit::text, 'null') using errcode = '22P02';
  end if;
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null then
    return jsonb_build_object('status', 'not_found');
  end if;

  -- The turn's agent must be enabled for the tenant. Checked before claiming, for the
  -- same reason: a refused call must not use up the turn (re-enabling the agent lets it stream).
  select m.agent_id into v_agent
    from messages m where m.id = p_turn_id and m.tenant_id = v_tenant and m.role = 'user';
  if v_agent is not null then
    perform salient_require_agent_enabled(p_tenant, (select code from agents where id = v_agent));
  end if;

  update messages set stream_claimed_at = coalesce(stream_claimed_at, now()), stream_claim = p_claim
   where id = p_turn_id and tenant_id = v_tenant and role = 'user'
     and (stream_claimed_at is null or (p_claim is not null and stream_claim = p_claim))
  returning content, session_id, agent_id, created_at, metadata -> 'retrieval'
       into v_content, v_session, v_agent, v_created, v_retrieval;
  if not found then
    if exists (select 1 from messages where id = p_turn_id and tenant_id = v_tenant and role = 'user') then
      return jsonb_build_object('status', 'already_claimed');
    end if;
    return jsonb_build_object('status', 'not_found');
  end if;

  -- The conversation so far: what came before this turn in (created_at, id) order, which is
  -- also the order session_history shows. A later message (a turn sent while this one waited)
  -- is not part of this turn's context. System messages are not replayed to the model; a team
  -- member's replies are, with their name, so that the assistant knows what the person said.
  select coalesce(jsonb_agg(jsonb_build_object('role', h.role, 'content', h.content, 'created_at', h.created_at)
                            || case when h.role = 'team' then jsonb_build_object('name', h.metadata ->> 'name')
                                    else '{}'::jsonb end
                            order by h.created_at, h.id), '[]'::jsonb)
    into v_history
    from (select m.role, m.content, m.created_at, m.id, m.metadata
            from messages m
           where m.session_id = v_session and m.tenant_id = v_tenant and m.role in ('user', 'assistant', 'team')
             and (m.created_at, m.id) < (v_created, p_turn_id)
           order by m.created_at desc, m.id desc
           limit p_history_limit) h;

  -- The persona: the tenant's choice for this agent, else the agent's default, else the
  -- tenant's default. Each candidate must be one of this tenant's personas: agents are shared by
  -- all tenants, so agents.default_persona_id may name another tenant's persona, and nothing in
  -- the schema stops tenant_agents.persona_id from doing so either.
  select jsonb_build_object('code', p.code, 'name', p.name, 'system_prompt', p.system_prompt)
    into v_persona
    from personas p
   where p.tenant_id = v_tenant
     and p.id = coalesce(
       (select ta.persona_id from tenant_agents ta join personas tp on tp.id = ta.persona_id
         where ta.tenant_id = v_tenant and ta.agent_id = v_agent and tp.tenant_id = v_tenant),
       (select a.default_persona_id from agents a join personas ap on ap.id = a.default_persona_id
         where a.id = v_agent and ap.tenant_id = v_tenant),
       (select d.id from personas d where d.tenant_id = v_tenant and d.is_default));

  v_profile := salient_session_profile(v_tenant, v_session);

  -- What the tenant's model calls cost this calendar month (UTC), for budget.monthly_usd.
  select coalesce(sum(l.computed_cost), 0) into v_month_cost
    from llm_requests l
   where l.tenant_id = v_tenant and l.created_at >= date_trunc('month', now() at time zone 'utc') at time zone 'utc';

  -- A person engaged by email (handoffs.sql): the answer holds back while they are, and says the
  -- assistant is back once, after.
  select jsonb_build_object(
           'id', h.id, 'quiet', coalesce(h.quiet_until > now(), false),
           'resumed_note_due', coalesce(h.quiet_until <= now(), false)
             and not exists (select 1 from messages a
                              where a.session_id = v_session and a.tenant_id = v_tenant and a.role = 'assistant'
                                and a.created_at >= h.quiet_until and a.metadata ->> 'handoff' = 'resumed'),
           'created_at', h.created_at, 'last_team_reply_at', h.last_team_reply_at)
    into v_handoff
    from handoffs h
   where h.session_id = v_session and h.tenant_id = v_tenant and h.status = 'open' and h.expires_at > now();

  return jsonb_build_object('status', 'claimed', 'message', v_content, 'session_id', v_session,
                            'agent', (select code from agents where id = v_agent),
                            'history', v_history, 'persona', v_persona, 'profile', v_profile,
                            'month_cost_usd', v_month_cost, 'retrieval', v_retrieval, 'handoff', v_handoff);
end
$$;
