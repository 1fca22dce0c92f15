-- Argument checks and lookups shared by the RPCs. Internal: the dev server's /rest/v1/rpc does
-- not expose them (its allow-list is in hosts/node-dev/pglite-state.js), and on Supabase only
-- the roles salient_grant_execute() (grants.sql) names may execute them.
--
-- Like every file in db/functions: only `create or replace function`, so applying it again
-- changes nothing, and db/migrate.mjs applies it again whenever its content changed. A changed
-- signature also needs `drop function if exists <old signature>` first: both would exist
-- otherwise, and PostgREST could not choose between them for a call naming the common arguments.

create or replace function salient_require_text(p_name text, p_value text) returns void
language plpgsql immutable as $$
begin
  if p_value is null or p_value = '' then
    raise exception 'invalid input for argument %: expected a non-empty string', p_name
      using errcode = '22P02';
  end if;
end
$$;

create or replace function salient_require_uuid(p_name text, p_value uuid) returns void
language plpgsql immutable as $$
begin
  if p_value is null then
    raise exception 'invalid input for argument %: expected a uuid', p_name using errcode = '22P02';
  end if;
end
$$;

-- A string that may be empty (message text) but must be given.
create or replace function salient_require_string(p_name text, p_value text) returns void
language plpgsql immutable as $$
begin
  if p_value is null then
    raise exception 'invalid input for argument %: expected a string', p_name using errcode = '22P02';
  end if;
end
$$;

-- The id of the tenant with this slug; created when missing and p_create (NULL otherwise).
create or replace function salient_tenant_id(p_slug text, p_create boolean) returns uuid
language plpgsql as $$
declare
  v_id uuid;
begin
  select id into v_id from tenants where slug = p_slug;
  if v_id is null and p_create then
    insert into tenants (name, slug) values (p_slug, p_slug) on conflict (slug) do nothing returning id into v_id;
    if v_id is null then  -- created concurrently
      select id into v_id from tenants where slug = p_slug;
    end if;
  end if;
  return v_id;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- p_llm_request's members (salient_finish_turn).

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

-- ---------------------------------------------------------------------------------------------
-- The per-tenant agent switch (tenant_agents.is_enabled), checked by salient_begin_turn,
-- salient_claim_turn, salient_session_history, salient_list_sessions and salient_identify.
-- No tenant_agents row for the agent is an enabled agent.

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
