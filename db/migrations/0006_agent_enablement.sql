-- 0006: the per-tenant agent switch, tenant_agents.is_enabled, is enforced (issue 4, item 8:
-- "agents enabled per tenant (tenant_agents) … a disabled agent → 404").
--
-- 0005's salient_sync_config writes is_enabled from salient.yaml's agents.<code>.enabled; until
-- now nothing read it. From this migration on, the functions that take an agent refuse one that
-- the tenant has switched off:
--
--   when the tenant's tenant_agents row for the agent exists with is_enabled = false:
--     raise PT404 'agent "<code>" is not enabled for tenant "<slug>"' (PostgREST: HTTP 404)
--
-- in salient_begin_turn (p_agent), salient_claim_turn (the turn's agent), and the two history
-- functions, salient_session_history and salient_list_sessions (p_agent). No row for the agent
-- keeps the earlier behaviour: begin_turn creates the row, enabled (the schema's default), and
-- the others answer as before. So an agent is on unless a tenant_agents row says it is off.
--
-- Where the check sits:
--   - begin_turn: after the inactive-tenant check (PT403 wins) and before the duplicate lookup,
--     so a disabled agent's widget gets one clear answer whatever it resubmits, and nothing is
--     stored;
--   - claim_turn: after the turn is found (an unknown turn stays {status: "not_found"}) and
--     before it is claimed, so a refused claim does not use the turn up: re-enabling the agent
--     lets the turn be streamed. A turn stored while the agent was on is refused once it is off;
--   - session_history, list_sessions: after the arguments are checked.
-- salient_finish_turn takes no agent and is unchanged: an answer whose turn was claimed before
-- the agent was switched off is still stored.
--
-- The core (shared/src/state_client.cpp, to_error) tells this PT404 from finish_turn's unknown
-- turn by the function: begin_turn, claim_turn, session_history and list_sessions raise PT404
-- for nothing else. Keep it that way, or give the core another way to tell them apart.
--
-- The functions are 0003's (begin_turn, session_history, list_sessions) and 0004's (claim_turn)
-- with the check added, same signatures, so plain `create or replace`; nothing else changed.

-- ---------------------------------------------------------------------------------------------
-- The check, shared by the four functions (internal: not in pglite-state.js's allow-list).

create or replace function salient_require_agent_enabled(p_tenant text, p_agent text) returns void
language plpgsql stable as $$
begin
  if exists (select 1
               from tenant_agents ta
               join tenants t on t.id = ta.tenant_id
               join agents a on a.id = ta.agent_id
              where t.slug = p_tenant and a.code = p_agent and not ta.is_enabled) then
    raise exception 'agent "%" is not enabled for tenant "%"', p_agent, p_tenant
      using errcode = 'PT404',
            hint = format('enable it in salient.yaml (agents.%s.enabled: true) and sync the config, '
                          'or set tenant_agents.is_enabled for this tenant', p_agent);
  end if;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- salient_begin_turn: 0003's, with the check.

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
  -- 0006: an agent the tenant switched off (tenant_agents.is_enabled = false), resubmissions too.
  perform salient_require_agent_enabled(p_tenant, p_agent);

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
-- salient_claim_turn: 0004's, with the check between finding the turn and claiming it.

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
  v_month_cost numeric;
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

  -- 0006: the turn's agent must be enabled for the tenant. Checked before claiming, for the
  -- same reason: a refused call must not use up the turn (re-enabling the agent lets it stream).
  select m.agent_id into v_agent
    from messages m where m.id = p_turn_id and m.tenant_id = v_tenant and m.role = 'user';
  if v_agent is not null then
    perform salient_require_agent_enabled(p_tenant, (select code from agents where id = v_agent));
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

  -- What the tenant's model calls cost this calendar month (UTC), for budget.monthly_usd.
  select coalesce(sum(l.computed_cost), 0) into v_month_cost
    from llm_requests l
   where l.tenant_id = v_tenant and l.created_at >= date_trunc('month', now() at time zone 'utc') at time zone 'utc';

  return jsonb_build_object('status', 'claimed', 'message', v_content, 'session_id', v_session,
                            'agent', (select code from agents where id = v_agent),
                            'history', v_history, 'persona', v_persona, 'profile', v_profile,
                            'month_cost_usd', v_month_cost);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- salient_session_history, salient_list_sessions: 0003's, with the check after the arguments.

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
  perform salient_require_agent_enabled(p_tenant, p_agent);  -- 0006

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
  perform salient_require_agent_enabled(p_tenant, p_agent);  -- 0006
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
-- Execute grants (0004's salient_grant_execute; why: see 0003's header): the new helper starts
-- with PUBLIC's execute (and, on Supabase, anon's); the replaced functions keep theirs.

select salient_grant_execute();
