-- salient.yaml's personas and agents mirrored into the tenant's rows.
--
--   salient_sync_config(p_tenant, p_personas, p_agents, p_default_agent = null)
--     → {personas: <entries of p_personas>, agents: <entries of p_agents>}
--
-- p_personas is the compiled config's `personas` ({code: {name, description, system_prompt}});
-- p_agents its `agents` ({code: {persona, enabled, rate_limits}}; other members, such as name and
-- llm, are ignored); p_default_agent its `app.default_agent`. In one transaction, the function:
--   - creates the tenant when missing (salient_tenant_id(p_tenant, true));
--   - upserts one `personas` row per entry of p_personas, by (tenant, code): name, description
--     and system_prompt are set to the config's ({{app_name}} stays as written: the core fills
--     it in at run time);
--   - for each entry of p_agents: creates the shared `agents` row when missing (as
--     salient_begin_turn does; an existing one is not changed, other tenants share it), and
--     upserts the tenant's `tenant_agents` row with persona_id = that persona's row,
--     is_enabled = enabled (default true) and rate_limits (the agent's compiled rate_limits, for
--     whoever reads the store, such as an operator's view; the functions pass the limits they
--     were built with to salient_begin_turn, so a deploy that skipped the sync still enforces
--     them). salient_claim_turn then returns that persona for the agent's turns
--     (tenant_agents.persona_id comes first there);
--   - with p_default_agent (which must be one of p_agents' codes): makes that agent's persona
--     the tenant's one `is_default` persona, clearing is_default on every other persona of the
--     tenant first (the partial unique index personas_one_default allows one at a time, checked
--     row by row). Without it (null), no is_default is changed.
-- Rows the config does not name are left alone: a persona or tenant_agents row made by hand (or
-- by an older config) keeps its values, except that is_default moves to the default agent's
-- persona. An agent's persona may be one of those hand-made personas of the tenant. Another
-- tenant's rows are never read or written (the shared `agents` row aside, which is only created).
--
-- Bad shapes are refused with 22P02 before anything is written. Re-running it with the same
-- config changes nothing (rows are only updated when a value differs).
--
-- Callers: the dev server at start (hosts/node-dev/server.js, with build/salient.json), and
-- `node db/migrate.mjs --sync-config build/salient.json` for a Supabase project. Its execute
-- grant matters (grants.sql): anon must not be able to rewrite any tenant's prompts.

create or replace function salient_sync_config(
  p_tenant text, p_personas jsonb, p_agents jsonb, p_default_agent text default null)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_code text;
  v_value jsonb;
  v_persona_code text;
  v_agent uuid;
  v_persona uuid;
  v_default uuid;
  v_personas integer := 0;
  v_agents integer := 0;
begin
  perform salient_require_text('p_tenant', p_tenant);

  -- Shapes, all checked before anything is written.
  if p_personas is null or jsonb_typeof(p_personas) <> 'object' then
    raise exception 'invalid input for argument p_personas: expected a JSON object mapping persona codes to {name, description, system_prompt}'
      using errcode = '22P02';
  end if;
  for v_code, v_value in select key, value from jsonb_each(p_personas) loop
    if v_code = '' then
      raise exception 'invalid input for argument p_personas: a persona code must be a non-empty string'
        using errcode = '22P02';
    end if;
    if jsonb_typeof(v_value) <> 'object' then
      raise exception 'invalid input for argument p_personas: persona % must be a JSON object {name, description, system_prompt}', v_code
        using errcode = '22P02';
    end if;
    if jsonb_typeof(v_value -> 'name') is distinct from 'string' or v_value ->> 'name' = '' then
      raise exception 'invalid input for argument p_personas: persona %: name must be a non-empty string', v_code
        using errcode = '22P02';
    end if;
    if jsonb_typeof(v_value -> 'system_prompt') is distinct from 'string' then
      raise exception 'invalid input for argument p_personas: persona %: system_prompt must be a string', v_code
        using errcode = '22P02';
    end if;
    if coalesce(jsonb_typeof(v_value -> 'description'), 'null') not in ('string', 'null') then
      raise exception 'invalid input for argument p_personas: persona %: description must be a string or null', v_code
        using errcode = '22P02';
    end if;
  end loop;

  if p_agents is null or jsonb_typeof(p_agents) <> 'object' then
    raise exception 'invalid input for argument p_agents: expected a JSON object mapping agent codes to {persona, enabled}'
      using errcode = '22P02';
  end if;
  for v_code, v_value in select key, value from jsonb_each(p_agents) loop
    if v_code = '' then
      raise exception 'invalid input for argument p_agents: an agent code must be a non-empty string'
        using errcode = '22P02';
    end if;
    if jsonb_typeof(v_value) <> 'object' then
      raise exception 'invalid input for argument p_agents: agent % must be a JSON object {persona, enabled}', v_code
        using errcode = '22P02';
    end if;
    if jsonb_typeof(v_value -> 'persona') is distinct from 'string' or v_value ->> 'persona' = '' then
      raise exception 'invalid input for argument p_agents: agent %: persona must be a non-empty string', v_code
        using errcode = '22P02';
    end if;
    if coalesce(jsonb_typeof(v_value -> 'enabled'), 'null') not in ('boolean', 'null') then
      raise exception 'invalid input for argument p_agents: agent %: enabled must be true or false', v_code
        using errcode = '22P02';
    end if;
    v_persona_code := v_value ->> 'persona';
    if not (p_personas ? v_persona_code) and not exists (
        select 1 from personas p join tenants t on t.id = p.tenant_id
         where t.slug = p_tenant and p.code = v_persona_code) then
      raise exception 'invalid input for argument p_agents: agent % names persona %, which is neither in p_personas nor a persona of tenant %',
        v_code, v_persona_code, p_tenant using errcode = '22P02';
    end if;
  end loop;

  if p_default_agent is not null and not (p_agents ? p_default_agent) then
    raise exception 'invalid input for argument p_default_agent: "%" is not one of the agents in p_agents', p_default_agent
      using errcode = '22P02';
  end if;

  v_tenant := salient_tenant_id(p_tenant, true);

  -- The personas: inserted, or updated where the config differs.
  for v_code, v_value in select key, value from jsonb_each(p_personas) loop
    insert into personas (tenant_id, code, name, description, system_prompt)
      values (v_tenant, v_code, v_value ->> 'name', v_value ->> 'description', v_value ->> 'system_prompt')
      on conflict (tenant_id, code) do update
        set name = excluded.name, description = excluded.description, system_prompt = excluded.system_prompt
        where (personas.name, personas.description, personas.system_prompt)
              is distinct from (excluded.name, excluded.description, excluded.system_prompt);
    v_personas := v_personas + 1;
  end loop;

  -- The agents: the shared row when missing, the tenant's row with its persona and switch.
  for v_code, v_value in select key, value from jsonb_each(p_agents) loop
    select id into v_agent from agents where code = v_code;
    if v_agent is null then
      insert into agents (code, name) values (v_code, v_code) on conflict (code) do nothing returning id into v_agent;
      if v_agent is null then
        select id into v_agent from agents where code = v_code;
      end if;
    end if;
    select id into v_persona from personas where tenant_id = v_tenant and code = v_value ->> 'persona';
    insert into tenant_agents (tenant_id, agent_id, is_enabled, persona_id, rate_limits)
      values (v_tenant, v_agent, coalesce((v_value ->> 'enabled')::boolean, true), v_persona,
              coalesce(v_value -> 'rate_limits', '{}'::jsonb))
      on conflict (tenant_id, agent_id) do update
        set is_enabled = excluded.is_enabled, persona_id = excluded.persona_id, rate_limits = excluded.rate_limits,
            updated_at = now()
        where (tenant_agents.is_enabled, tenant_agents.persona_id, tenant_agents.rate_limits)
              is distinct from (excluded.is_enabled, excluded.persona_id, excluded.rate_limits);
    if v_code = p_default_agent then
      v_default := v_persona;
    end if;
    v_agents := v_agents + 1;
  end loop;

  -- The tenant's default persona: the others cleared first (one default at a time).
  if v_default is not null then
    update personas set is_default = false where tenant_id = v_tenant and is_default and id <> v_default;
    update personas set is_default = true where id = v_default and not is_default;
  end if;

  return jsonb_build_object('personas', v_personas, 'agents', v_agents);
end
$$;
