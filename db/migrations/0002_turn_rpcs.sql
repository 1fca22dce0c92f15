-- 0002: the chat-turn RPCs, called as `POST /rest/v1/rpc/<fn>` with named JSON arguments.
--
-- Their contract (argument names, result shapes, statuses, error codes) is the one
-- hosts/node-dev/memory-state.js implements and shared/src/state_client.cpp speaks:
--   salient_begin_turn(p_tenant, p_agent, p_session_key, p_idempotency_key, p_message_id, p_content)
--     → {turn_id, session_id, duplicate}
--   salient_claim_turn(p_tenant, p_turn_id)
--     → {status: "claimed", message, session_id, agent} | {status: "already_claimed"} | {status: "not_found"}
--   salient_finish_turn(p_tenant, p_turn_id, p_message_id, p_content, p_metadata)
--     → {message_id}
-- Tenants are named by slug and created on first use (by begin_turn only). Every statement is
-- filtered by the p_tenant's id: no function reads or changes another tenant's rows. Errors:
-- 22P02 bad argument (PostgREST: 400), 23505 a message id already used (409), P0002 unknown
-- turn in finish_turn. SECURITY INVOKER: see the row-level security note in 0001.
-- Re-runnable: `create or replace` with unchanged signatures.

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

-- Hands a stored turn to exactly one stream: the first call gets "claimed" with the message.
create or replace function salient_claim_turn(p_tenant text, p_turn_id uuid)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_content text;
  v_session uuid;
  v_agent uuid;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_turn_id', p_turn_id);
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null then
    return jsonb_build_object('status', 'not_found');
  end if;

  update messages set stream_claimed_at = now()
   where id = p_turn_id and tenant_id = v_tenant and role = 'user' and stream_claimed_at is null
  returning content, session_id, agent_id into v_content, v_session, v_agent;
  if found then
    return jsonb_build_object('status', 'claimed', 'message', v_content, 'session_id', v_session,
                              'agent', (select code from agents where id = v_agent));
  end if;
  if exists (select 1 from messages where id = p_turn_id and tenant_id = v_tenant and role = 'user') then
    return jsonb_build_object('status', 'already_claimed');
  end if;
  return jsonb_build_object('status', 'not_found');
end
$$;

-- Stores the assistant's answer to a turn. Repeating the call with the same message id updates
-- that answer; a message id that belongs to anything else is a 23505.
create or replace function salient_finish_turn(
  p_tenant text, p_turn_id uuid, p_message_id uuid, p_content text,
  p_metadata jsonb default '{}'::jsonb)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_session uuid;
  v_agent uuid;
  v_id uuid;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_turn_id', p_turn_id);
  perform salient_require_uuid('p_message_id', p_message_id);
  perform salient_require_string('p_content', p_content);
  v_tenant := salient_tenant_id(p_tenant, false);

  select session_id, agent_id into v_session, v_agent
    from messages where id = p_turn_id and tenant_id = v_tenant and role = 'user';
  if v_session is null then
    raise exception 'turn % not found', p_turn_id using errcode = 'P0002';
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

  update sessions set last_activity_at = now() where id = v_session and tenant_id = v_tenant;
  return jsonb_build_object('message_id', v_id);
end
$$;
