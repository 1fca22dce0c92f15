-- A chat turn's answer: stored by the stream that claimed the turn (with what the model call
-- cost), and read back by a stream resumed after a dropped connection.
--
--   salient_finish_turn(p_tenant, p_turn_id, p_message_id, p_content, p_metadata = {}, p_llm_request = null)
--     → {message_id}; PT404 for an unknown turn (or another tenant's)
--   salient_turn_answer(p_tenant, p_turn_id)
--     → {status: "answered", message_id, content, metadata} | {status: "pending"} | {status: "not_found"}
--
-- finish_turn takes no agent and does not check the agent switch: an answer whose turn was
-- claimed before the agent was switched off is still stored.

-- ---------------------------------------------------------------------------------------------
-- Stores the assistant's answer and, for a model's answer, what the call cost. Repeating the call
-- with the same message id updates that answer and its llm_requests row; a message id that
-- belongs to anything else is a 23505.

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
  v_answer_ms integer;  -- claim to stored answer (replaces the given latency_ms when the turn was claimed)
  v_first_token integer;
  v_ip_key text;
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
    -- Milliseconds to the first streamed token (the admin view's percentiles); absent for an
    -- answer that was not streamed.
    v_first_token := salient_json_integer('first_token_ms', v_llm -> 'first_token_ms');
    if v_first_token < 0 then
      raise exception 'invalid input for argument p_llm_request: first_token_ms must not be negative'
        using errcode = '22P02';
    end if;
  end if;

  v_tenant := salient_tenant_id(p_tenant, false);
  select session_id, agent_id, metadata ->> 'ip_key',
         -- The whole answer's time, claim to store, on the database's one clock (the core has
         -- only the model's first byte: first_token_ms).
         (extract(epoch from (now() - stream_claimed_at)) * 1000)::integer
    into v_session, v_agent, v_ip_key, v_answer_ms
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
    v_latency := coalesce(v_answer_ms, v_latency);
    update llm_requests
       set session_id = v_session, provider = v_provider, model = v_model,
           request_body = v_llm -> 'request_body', response_body = v_llm -> 'response_body',
           prompt_tokens = v_prompt_tokens, completion_tokens = v_completion_tokens,
           total_tokens = v_total_tokens, unit_cost_prompt = v_unit_prompt,
           unit_cost_completion = v_unit_completion, computed_cost = v_cost, latency_ms = v_latency,
           first_token_ms = v_first_token, ip_key = v_ip_key
     where message_id = v_id and tenant_id = v_tenant;
    if not found then
      insert into llm_requests (tenant_id, session_id, message_id, provider, model, request_body, response_body,
                                prompt_tokens, completion_tokens, total_tokens, unit_cost_prompt,
                                unit_cost_completion, computed_cost, latency_ms, first_token_ms, ip_key)
        values (v_tenant, v_session, v_id, v_provider, v_model, v_llm -> 'request_body', v_llm -> 'response_body',
                v_prompt_tokens, v_completion_tokens, v_total_tokens, v_unit_prompt,
                v_unit_completion, v_cost, v_latency, v_first_token, v_ip_key);
    end if;
  end if;

  update sessions set last_activity_at = now() where id = v_session and tenant_id = v_tenant;
  return jsonb_build_object('message_id', v_id);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- A stream is single-use: its claim hands the turn to one GET. When the visitor's connection
-- drops, that stream's function is cancelled and stores what it had (finish_turn runs even when
-- the client has left). The widget then asks again with the same stream URL and a
-- Last-Event-ID; the stream function reads the stored answer here and sends what the visitor had
-- not received yet. "pending": the turn exists but has no answer yet (a stream is still writing
-- it, or none was opened). Reads only.

create or replace function salient_turn_answer(p_tenant text, p_turn_id uuid)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_answer record;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_turn_id', p_turn_id);
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null
     or not exists (select 1 from messages where id = p_turn_id and tenant_id = v_tenant and role = 'user') then
    return jsonb_build_object('status', 'not_found');
  end if;
  select m.id, m.content, m.metadata into v_answer
    from messages m
   where m.turn_id = p_turn_id and m.tenant_id = v_tenant and m.role = 'assistant'
   order by m.created_at desc, m.id desc
   limit 1;
  if not found then
    return jsonb_build_object('status', 'pending');
  end if;
  return jsonb_build_object('status', 'answered', 'message_id', v_answer.id, 'content', v_answer.content,
                            'metadata', coalesce(v_answer.metadata, '{}'::jsonb));
end
$$;
