-- 0003: the conversation's context for the LLM call, its cost record, the visitor's history, and
-- who may execute the salient_* functions.
--
-- Contract (hosts/node-dev/memory-state.js implements the same; shared/src/state_client.cpp
-- speaks it):
--   salient_begin_turn(p_tenant, p_agent, p_session_key, p_idempotency_key, p_message_id, p_content)
--     → {turn_id, session_id, duplicate}; now PT403 for an inactive tenant
--   salient_claim_turn(p_tenant, p_turn_id, p_history_limit = 20)
--     → {status: "claimed", message, session_id, agent, history, persona, profile}
--       | {status: "already_claimed"} | {status: "not_found"}
--   salient_finish_turn(p_tenant, p_turn_id, p_message_id, p_content, p_metadata = {}, p_llm_request = null)
--     → {message_id}; PT404 for an unknown turn
--   salient_session_history(p_tenant, p_agent, p_session_key, p_limit = 50)
--     → {session_key, session_id, messages: [{id, role, content, created_at, metadata, turn_id}]}
--   salient_list_sessions(p_tenant, p_agent, p_session_keys)
--     → {sessions: [{session_key, created_at, last_activity_at, title, message_count}]}
--
-- Why claim_turn carries the context: a turn costs the core two store round trips, one before
-- the LLM call (claim: the message, history, persona and profile it needs to build the prompt)
-- and one after (finish: the answer and its llm_requests row). Every extra round trip to Supabase
-- is latency the visitor waits through before the first token.
--
-- Statuses: PostgREST answers a SQLSTATE "PTxyz" with HTTP status xyz, so the refusals the core
-- must tell apart get real statuses: PT403 (inactive tenant), PT404 (unknown turn). 0002 used
-- P0002 for the unknown turn, which PostgREST answers with 500 ("server error, retry"): wrong.
--
-- Re-runnable: a changed signature is `drop function if exists <old signature>` followed by
-- `create or replace` of the new one (both would otherwise coexist, and PostgREST could not
-- choose between them for a call naming only the common arguments: "function is not unique").
-- Pasting 0002 alone again would bring the old signatures back; always run the files in order
-- (db/migrate.mjs does).
--
-- Execute grants (end of file): PostgreSQL lets PUBLIC execute every new function, and Supabase
-- also grants execute on new functions in `public` to `anon` explicitly (default privileges).
-- `anon` is the key a browser may hold: it must not be able to start, claim or finish turns, or
-- read a tenant's history, by calling these functions through /rest/v1/rpc directly (they are
-- SECURITY INVOKER and filter by p_tenant, but p_tenant is whatever the caller says). So
-- execute is revoked from PUBLIC and `anon` on every salient_* function, and granted to the
-- roles that are meant to call them: `service_role` (the functions' server key) and
-- `authenticated` (a per-tenant key, confined by row-level security). Table owners and
-- superusers (the migrator, PGlite's single user) are not affected. That includes the RLS
-- helpers salient_current_tenant[_id]: a role without execute on them gets "permission denied"
-- from any tenant table instead of an empty result, which for `anon` is what we want.
-- A later migration that adds a salient_* function must repeat the grants block at its end.

-- ---------------------------------------------------------------------------------------------
-- Helpers for p_llm_request's members (internal: not in pglite-state.js's allow-list).

-- A JSON member as text: NULL when absent or JSON null, a 22P02 naming it when not a string.
create or replace function salient_json_text(p_name text, p_value jsonb) returns text
language plpgsql immutable as $$
begin
  if p_value is null or jsonb_typeof(p_value) = 'null' then
    return null;
  end if;
  if jsonb_typeof(p_value) <> 'string' then
    raise exception 'invalid input for argument p_llm_request: % must be a string', p_name
      using errcode = '22P02';
  end if;
  return p_value #>> '{}';
end
$$;

-- A JSON member as a number (tokens, costs, latency): NULL when absent or JSON null. A string
-- such as "0.001" is refused rather than parsed, so that a provider's odd payload is noticed.
create or replace function salient_json_number(p_name text, p_value jsonb) returns numeric
language plpgsql immutable as $$
begin
  if p_value is null or jsonb_typeof(p_value) = 'null' then
    return null;
  end if;
  if jsonb_typeof(p_value) <> 'number' then
    raise exception 'invalid input for argument p_llm_request: % must be a number', p_name
      using errcode = '22P02';
  end if;
  return p_value::numeric;
end
$$;

-- The same for integer columns; 12.5 tokens is an error, not silently rounded.
create or replace function salient_json_integer(p_name text, p_value jsonb) returns integer
language plpgsql immutable as $$
declare
  v numeric := salient_json_number(p_name, p_value);
begin
  if v is not null and v <> trunc(v) then
    raise exception 'invalid input for argument p_llm_request: % must be an integer', p_name
      using errcode = '22P02';
  end if;
  return v::integer;  -- beyond integer: 22003, also a 400
end
$$;

-- A session's title for the list of past conversations: its first user message on one line
-- (runs of ASCII whitespace become one space, none at either end), cut after 80 characters
-- with "…" appended when cut. ASCII only so that the result does not depend on the database
-- locale (and memory-state.js can give the same).
create or replace function salient_session_title(p_content text) returns text
language sql immutable as $$
  select case when char_length(t) > 80 then left(t, 80) || '…' else t end
    from (select btrim(regexp_replace(p_content, '[ \t\n\r\f\v]+', ' ', 'g'), ' ') as t) s
$$;

-- ---------------------------------------------------------------------------------------------
-- salient_begin_turn: unchanged but for the inactive-tenant check (same signature, so a plain
-- `create or replace`).

create or replace function salient_begin_turn(
  p_tenant text, p_agent text, p_session_key text, p_idempotency_key text,
  p_message_id uuid, p_content text)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_agent uuid;
  v_session uuid;
  v_turn uuid;
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

  -- A resubmitted message (same session key and idempotency key): the first turn, unchanged.
  select m.id, m.session_id into v_turn, v_session
    from sessions s join messages m on m.session_id = s.id
   where s.tenant_id = v_tenant and s.session_key = p_session_key
     and m.tenant_id = v_tenant and m.idempotency_key = p_idempotency_key;
  if v_turn is not null then
    return jsonb_build_object('turn_id', v_turn, 'session_id', v_session, 'duplicate', true);
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

  insert into messages (id, tenant_id, session_id, agent_id, role, content, idempotency_key)
    values (p_message_id, v_tenant, v_session, v_agent, 'user', p_content, p_idempotency_key)
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
-- salient_claim_turn: hands a stored turn to exactly one stream, with what its LLM call needs.

drop function if exists salient_claim_turn(text, uuid);

create or replace function salient_claim_turn(p_tenant text, p_turn_id uuid, p_history_limit integer default 20)
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

  update messages set stream_claimed_at = now()
   where id = p_turn_id and tenant_id = v_tenant and role = 'user' and stream_claimed_at is null
  returning content, session_id, agent_id, created_at into v_content, v_session, v_agent, v_created;
  if not found then
    if exists (select 1 from messages where id = p_turn_id and tenant_id = v_tenant and role = 'user') then
      return jsonb_build_object('status', 'already_claimed');
    end if;
    return jsonb_build_object('status', 'not_found');
  end if;

  -- The conversation so far: what came before this turn in (created_at, id) order, which is
  -- also the order session_history shows. A later message (a turn sent while this one waited)
  -- is not part of this turn's context. System messages are not replayed to the model.
  select coalesce(jsonb_agg(jsonb_build_object('role', h.role, 'content', h.content, 'created_at', h.created_at)
                            order by h.created_at, h.id), '[]'::jsonb)
    into v_history
    from (select m.role, m.content, m.created_at, m.id
            from messages m
           where m.session_id = v_session and m.tenant_id = v_tenant and m.role in ('user', 'assistant')
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

  select jsonb_build_object('customer_name', pr.customer_name, 'email', pr.email, 'phone', pr.phone,
                            'products_of_interest', to_jsonb(pr.products_of_interest),
                            'services_of_interest', to_jsonb(pr.services_of_interest))
    into v_profile
    from profiles pr
   where pr.session_id = v_session and pr.tenant_id = v_tenant;

  return jsonb_build_object('status', 'claimed', 'message', v_content, 'session_id', v_session,
                            'agent', (select code from agents where id = v_agent),
                            'history', v_history, 'persona', v_persona, 'profile', v_profile);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- salient_finish_turn: stores the assistant's answer and, for a model's answer, what the call
-- cost. Repeating the call with the same message id updates that answer and its llm_requests
-- row; a message id that belongs to anything else is a 23505.

drop function if exists salient_finish_turn(text, uuid, uuid, text, jsonb);

create or replace function salient_finish_turn(
  p_tenant text, p_turn_id uuid, p_message_id uuid, p_content text,
  p_metadata jsonb default '{}'::jsonb, p_llm_request jsonb default null)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_session uuid;
  v_agent uuid;
  v_id uuid;
  v_llm jsonb := p_llm_request;
  v_model text;
  v_provider text;
  v_prompt_tokens integer;
  v_completion_tokens integer;
  v_total_tokens integer;
  v_unit_prompt numeric;
  v_unit_completion numeric;
  v_cost numeric;
  v_latency integer;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_turn_id', p_turn_id);
  perform salient_require_uuid('p_message_id', p_message_id);
  perform salient_require_string('p_content', p_content);

  -- p_llm_request is checked in full before anything is written. JSON null counts as absent
  -- (PostgREST hands `"p_llm_request": null` over as SQL NULL, a client library may not).
  if v_llm is not null and jsonb_typeof(v_llm) = 'null' then
    v_llm := null;
  end if;
  if v_llm is not null then
    if jsonb_typeof(v_llm) <> 'object' then
      raise exception 'invalid input for argument p_llm_request: expected a JSON object or null'
        using errcode = '22P02';
    end if;
    v_model := salient_json_text('model', v_llm -> 'model');
    if v_model is null or v_model = '' then
      raise exception 'invalid input for argument p_llm_request: model must be a non-empty string'
        using errcode = '22P02';
    end if;
    v_provider := coalesce(nullif(salient_json_text('provider', v_llm -> 'provider'), ''), 'openrouter');
    v_prompt_tokens := salient_json_integer('prompt_tokens', v_llm -> 'prompt_tokens');
    v_completion_tokens := salient_json_integer('completion_tokens', v_llm -> 'completion_tokens');
    v_total_tokens := salient_json_integer('total_tokens', v_llm -> 'total_tokens');
    v_unit_prompt := salient_json_number('unit_cost_prompt', v_llm -> 'unit_cost_prompt');
    v_unit_completion := salient_json_number('unit_cost_completion', v_llm -> 'unit_cost_completion');
    v_cost := salient_json_number('cost', v_llm -> 'cost');
    v_latency := salient_json_integer('latency_ms', v_llm -> 'latency_ms');
  end if;

  v_tenant := salient_tenant_id(p_tenant, false);
  select session_id, agent_id into v_session, v_agent
    from messages where id = p_turn_id and tenant_id = v_tenant and role = 'user';
  if v_session is null then
    raise exception 'turn % not found', p_turn_id using errcode = 'PT404';
  end if;

  insert into messages (id, tenant_id, session_id, agent_id, role, content, metadata, turn_id)
    values (p_message_id, v_tenant, v_session, v_agent, 'assistant', p_content,
            coalesce(p_metadata, '{}'::jsonb), p_turn_id)
    on conflict (id) do update set content = excluded.content, metadata = excluded.metadata
      where messages.turn_id = excluded.turn_id and messages.tenant_id = excluded.tenant_id
        and messages.role = 'assistant'
    returning id into v_id;
  if v_id is null then
    raise exception 'duplicate key value violates unique constraint "messages_pkey"'
      using errcode = '23505', detail = format('Key (id)=(%s) already exists.', p_message_id);
  end if;

  -- One llm_requests row per answer: a retried finish replaces its values. No unique index
  -- (a later feature may log several calls for one answer); update-then-insert is safe against
  -- a concurrent retry because the messages upsert above holds the answer's row lock until
  -- commit, so two finishes for one message id run this part one after the other.
  if v_llm is not null then
    update llm_requests
       set session_id = v_session, provider = v_provider, model = v_model,
           request_body = v_llm -> 'request_body', response_body = v_llm -> 'response_body',
           prompt_tokens = v_prompt_tokens, completion_tokens = v_completion_tokens,
           total_tokens = v_total_tokens, unit_cost_prompt = v_unit_prompt,
           unit_cost_completion = v_unit_completion, computed_cost = v_cost, latency_ms = v_latency
     where message_id = v_id and tenant_id = v_tenant;
    if not found then
      insert into llm_requests (tenant_id, session_id, message_id, provider, model, request_body, response_body,
                                prompt_tokens, completion_tokens, total_tokens, unit_cost_prompt,
                                unit_cost_completion, computed_cost, latency_ms)
        values (v_tenant, v_session, v_id, v_provider, v_model, v_llm -> 'request_body', v_llm -> 'response_body',
                v_prompt_tokens, v_completion_tokens, v_total_tokens, v_unit_prompt,
                v_unit_completion, v_cost, v_latency);
    end if;
  end if;

  update sessions set last_activity_at = now() where id = v_session and tenant_id = v_tenant;
  return jsonb_build_object('message_id', v_id);
end
$$;

-- For the lookup above (and for "what did this answer cost").
create index if not exists llm_requests_message on llm_requests (message_id) where message_id is not null;

-- ---------------------------------------------------------------------------------------------
-- What the visitor's browser shows: one conversation, and the list of its past ones. The
-- browser knows its session keys (a key is the capability to read that conversation), so both
-- take keys, never list a tenant's sessions, and create nothing for an unknown key.

create or replace function salient_session_history(
  p_tenant text, p_agent text, p_session_key text, p_limit integer default 50)
returns jsonb
language plpgsql stable as $$
declare
  v_tenant uuid;
  v_session uuid;
  v_messages jsonb;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_agent', p_agent);
  perform salient_require_text('p_session_key', p_session_key);
  if p_limit is null or p_limit < 1 or p_limit > 200 then
    raise exception 'invalid input for argument p_limit: expected an integer from 1 to 200, got %',
      coalesce(p_limit::text, 'null') using errcode = '22P02';
  end if;

  -- The agent must match too: a session key from one agent's widget shows nothing in another's.
  select s.tenant_id, s.id into v_tenant, v_session
    from sessions s
    join tenants t on t.id = s.tenant_id
    join agents a on a.id = s.agent_id
   where t.slug = p_tenant and s.session_key = p_session_key and a.code = p_agent;
  if v_session is null then
    return jsonb_build_object('session_key', p_session_key, 'session_id', null, 'messages', '[]'::jsonb);
  end if;

  select coalesce(jsonb_agg(jsonb_build_object('id', h.id, 'role', h.role, 'content', h.content,
                                               'created_at', h.created_at, 'metadata', h.metadata,
                                               'turn_id', h.turn_id)
                            order by h.created_at, h.id), '[]'::jsonb)
    into v_messages
    from (select m.id, m.role, m.content, m.created_at, m.metadata, m.turn_id
            from messages m
           where m.session_id = v_session and m.tenant_id = v_tenant and m.role in ('user', 'assistant')
           order by m.created_at desc, m.id desc
           limit p_limit) h;
  return jsonb_build_object('session_key', p_session_key, 'session_id', v_session, 'messages', v_messages);
end
$$;

create or replace function salient_list_sessions(p_tenant text, p_agent text, p_session_keys text[])
returns jsonb
language plpgsql stable as $$
declare
  v_tenant uuid;
  v_sessions jsonb;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_agent', p_agent);
  -- Bounded so that one request cannot make the database summarise any number of sessions.
  if p_session_keys is null or cardinality(p_session_keys) > 50 then
    raise exception 'invalid input for argument p_session_keys: expected an array of at most 50 session keys'
      using errcode = '22P02';
  end if;
  v_tenant := salient_tenant_id(p_tenant, false);

  select coalesce(jsonb_agg(jsonb_build_object('session_key', s.session_key, 'created_at', s.created_at,
                                               'last_activity_at', s.last_activity_at,
                                               'title', salient_session_title(f.content),
                                               'message_count', c.n)
                            order by s.last_activity_at desc, s.created_at desc, s.session_key), '[]'::jsonb)
    into v_sessions
    from sessions s
    join agents a on a.id = s.agent_id
    left join lateral (select m.content from messages m
                        where m.session_id = s.id and m.tenant_id = v_tenant and m.role = 'user'
                        order by m.created_at, m.id limit 1) f on true
    cross join lateral (select count(*)::integer as n from messages m
                         where m.session_id = s.id and m.tenant_id = v_tenant
                           and m.role in ('user', 'assistant')) c
   where s.tenant_id = v_tenant and a.code = p_agent and s.session_key = any(p_session_keys);
  return jsonb_build_object('sessions', v_sessions);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Execute grants (why: see the header). Every salient_* function of this schema, helpers
-- included: none of them is meant for `anon`. The roles are Supabase's; elsewhere (plain
-- PostgreSQL, PGlite) the ones that do not exist are skipped.

do $$
declare
  f regprocedure;
  has_anon boolean := exists (select 1 from pg_roles where rolname = 'anon');
  has_authenticated boolean := exists (select 1 from pg_roles where rolname = 'authenticated');
  has_service boolean := exists (select 1 from pg_roles where rolname = 'service_role');
begin
  for f in select p.oid::regprocedure
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = current_schema() and p.proname like 'salient\_%' loop
    execute format('revoke execute on function %s from public', f);
    if has_anon then
      execute format('revoke execute on function %s from anon', f);
    end if;
    if has_authenticated then
      execute format('grant execute on function %s to authenticated', f);
    end if;
    if has_service then
      execute format('grant execute on function %s to service_role', f);
    end if;
  end loop;
end
$$;
