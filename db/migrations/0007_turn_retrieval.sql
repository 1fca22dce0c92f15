-- 0007: retrieval results travel with the turn (issue 5, item 1).
--
-- With Pinecone configured, the chat function searches the index for the visitor's question
-- while salient_begin_turn stores it (the two run in parallel), then stores what it found with
-- the turn, and the stream function's claim hands that back, so the stream can prompt the model
-- without searching again:
--
--   salient_attach_retrieval(p_tenant, p_turn_id, p_retrieval jsonb) → {status}
--     sets messages.metadata.retrieval of the visitor's message (the turn) to p_retrieval, a
--     JSON object: {"mode":"pinecone","sources":[{title, heading, url, source, text, score}]}
--     or {"mode":"unavailable","reason":"…"} (shared/src/pinecone_retrieval.h).
--     status: "attached"; "already_claimed" (a stream has the turn: too late, nothing changed);
--     "not_found" (no such turn for this tenant). p_retrieval must be an object (22P02).
--
--   salient_claim_turn: 0006's, plus `retrieval` in its answer: the turn's
--     metadata.retrieval, or null.
--
-- Only an unclaimed turn takes retrieval results, so a late or repeated attach never changes
-- what a stream already used.

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
-- salient_claim_turn: 0006's, also returning the turn's retrieval results.

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
  v_retrieval jsonb;
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
                            'month_cost_usd', v_month_cost, 'retrieval', v_retrieval);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Execute grants (0004's salient_grant_execute): the new function starts with PUBLIC's execute
-- (and, on Supabase, anon's); the replaced one keeps its grants.

select salient_grant_execute();
