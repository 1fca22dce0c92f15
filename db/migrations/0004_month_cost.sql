-- 0004: the tenant's model spend this month, for the monthly budget (budget.monthly_usd).
--
-- salient_claim_turn (same signature as 0003) also returns `month_cost_usd`: the sum of
-- llm_requests.computed_cost for the tenant since the start of the calendar month in UTC. It
-- rides on the claim because that is the one round trip before the model call: the stream
-- function decides there whether the model may be called or the offline responder answers.
-- The rest of the function is 0003's, unchanged (a function is replaced whole).
--
-- An index on llm_requests (tenant_id, created_at) keeps the sum a range scan.

create index if not exists llm_requests_tenant_created on llm_requests (tenant_id, created_at);

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
-- Execute grants (why: see 0003's header), as a function so that every later migration that
-- adds or replaces a salient_* function ends with one line, `select salient_grant_execute();`,
-- instead of a copy of this block. A replaced function keeps its grants; a new one starts with
-- PUBLIC's (and, on Supabase, anon's) and needs this.

create or replace function salient_grant_execute() returns void
language plpgsql as $$
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

select salient_grant_execute();
