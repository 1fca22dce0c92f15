-- A team member's reply to a handoff email, as POST /mail/inbound stores it (handoffs.sql has the
-- rest of the handoff; H as there). The route checks Mailgun's signature, then calls these in
-- this order:
--
--   salient_inbound_token_take(p_tenant, p_token, p_mail_message_id, p_now_ms)
--     Mailgun's token, once, before anything else: → {status: taken} | duplicate {message_id}
--     (that email's reply is stored: Mailgun resending it) | replayed.
--   salient_handoff_lookup(p_tenant, p_reply_id, p_now_ms)
--     → {status: unknown} (no such id of this tenant, also once the visitor's data was erased)
--       | {status: expired} (closed, or past expires_at) | {status: ok, handoff: H}
--   salient_handoff_reply(p_tenant, p_reply_id, p_token, p_mail_message_id, p_name, p_text,
--                         p_now_ms, p_quiet_minutes)
--     A verified inbound reply, in one transaction: Mailgun's token accepted once (seen before:
--     {status: duplicate, message_id} when that email is already stored, else {status:
--     replayed}); unknown | expired as lookup; the reply stored as a 'team' message, idempotent by
--     Message-Id ({status: duplicate, message_id}), the assistant quiet for p_quiet_minutes →
--     {status: stored, message_id, created_at, session_id}. It does not count as the visitor's
--     activity (sessions.last_activity_at), nor as a new message for the summary sweep.
--     p_token null: taken already by salient_inbound_token_take (the route's way).

create or replace function salient_handoff_lookup(p_tenant text, p_reply_id text, p_now_ms bigint)
returns jsonb
language plpgsql stable as $$
declare
  v_row handoffs%rowtype;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_reply_id', p_reply_id);
  if p_now_ms is null then
    raise exception 'invalid input for argument p_now_ms: expected milliseconds' using errcode = '22P02';
  end if;
  select h.* into v_row from handoffs h join tenants t on t.id = h.tenant_id
   where h.reply_id = p_reply_id and t.slug = p_tenant;
  if not found then
    return jsonb_build_object('status', 'unknown');
  end if;
  if v_row.status <> 'open' or v_row.expires_at <= to_timestamp(p_now_ms / 1000.0) then
    return jsonb_build_object('status', 'expired');
  end if;
  return jsonb_build_object('status', 'ok', 'handoff', salient_handoff_of(v_row.id));
end
$$;

create or replace function salient_handoff_reply(p_tenant text, p_reply_id text, p_token text, p_mail_message_id text,
                                                 p_name text, p_text text, p_now_ms bigint, p_quiet_minutes integer)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_now timestamptz;
  v_row handoffs%rowtype;
  v_key text := 'mail:' || p_mail_message_id;
  v_message uuid;
  v_created timestamptz;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_reply_id', p_reply_id);
  perform salient_require_text('p_mail_message_id', p_mail_message_id);
  perform salient_require_text('p_name', p_name);
  perform salient_require_text('p_text', p_text);
  if p_now_ms is null or p_quiet_minutes is null or p_quiet_minutes < 0 then
    raise exception 'invalid input: p_now_ms and p_quiet_minutes (>= 0) are required' using errcode = '22P02';
  end if;
  v_now := to_timestamp(p_now_ms / 1000.0);
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null then
    return jsonb_build_object('status', 'unknown');
  end if;

  -- p_token null: salient_inbound_token_take took it already (the route does, before anything
  -- else); given, it is taken here, in the same transaction as the reply.
  if p_token is not null then
    perform salient_require_text('p_token', p_token);
    delete from inbound_tokens where tenant_id = v_tenant and seen_at < v_now - interval '1 day';
    insert into inbound_tokens (tenant_id, token, seen_at) values (v_tenant, p_token, v_now)
      on conflict (tenant_id, token) do nothing;
  end if;
  if p_token is not null and not found then
    -- Mailgun retrying a post it sent (same token) is a duplicate; anything else is a replay.
    select m.id into v_message from messages m join handoffs h on h.session_id = m.session_id
     where h.reply_id = p_reply_id and h.tenant_id = v_tenant and m.tenant_id = v_tenant
       and m.role = 'team' and m.idempotency_key = v_key;
    if v_message is not null then
      return jsonb_build_object('status', 'duplicate', 'message_id', v_message);
    end if;
    return jsonb_build_object('status', 'replayed');
  end if;

  select * into v_row from handoffs where reply_id = p_reply_id and tenant_id = v_tenant for update;
  if not found then
    return jsonb_build_object('status', 'unknown');
  end if;
  if v_row.status <> 'open' or v_row.expires_at <= v_now then
    update handoffs set status = 'closed' where id = v_row.id;
    return jsonb_build_object('status', 'expired');
  end if;

  -- Stamped no earlier than the database's present: the visitor's messages are stamped by its
  -- clock (now()), and the widget asks for what came after the newest message it holds, so a
  -- reply stamped by a slower caller's clock could fall behind one and never be shown.
  insert into messages (tenant_id, session_id, agent_id, role, content, metadata, idempotency_key, created_at)
    values (v_tenant, v_row.session_id, (select agent_id from sessions where id = v_row.session_id), 'team', p_text,
            jsonb_build_object('name', p_name, 'handoff_id', v_row.id, 'mail_message_id', p_mail_message_id),
            v_key, greatest(v_now, clock_timestamp()))
    on conflict (session_id, idempotency_key) do nothing
    returning id, created_at into v_message, v_created;
  if v_message is null then  -- Mailgun's retry of a stored reply, under a new token
    select id into v_message from messages where session_id = v_row.session_id and idempotency_key = v_key;
    return jsonb_build_object('status', 'duplicate', 'message_id', v_message);
  end if;
  update handoffs set last_team_reply_at = v_now, quiet_until = v_now + make_interval(mins => p_quiet_minutes)
   where id = v_row.id;
  return jsonb_build_object('status', 'stored', 'message_id', v_message, 'created_at', v_created,
                            'session_id', v_row.session_id);
end
$$;

-- Mailgun's token, taken once, before anything else is looked at: the signature covers only
-- timestamp + token, so whoever holds one signed post could change the rest of it and post it
-- again within the timestamp's window; taken first, a second post with the token does nothing.
--   → {status: taken} | duplicate {message_id} (Mailgun resending a stored reply: that reply's
--     Message-Id is stored) | replayed
create or replace function salient_inbound_token_take(p_tenant text, p_token text, p_mail_message_id text,
                                                      p_now_ms bigint)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_now timestamptz;
  v_message uuid;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_token', p_token);
  perform salient_require_text('p_mail_message_id', p_mail_message_id);
  if p_now_ms is null then
    raise exception 'invalid input: p_now_ms is required' using errcode = '22P02';
  end if;
  v_now := to_timestamp(p_now_ms / 1000.0);
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null then  -- no tenant, no handoffs: the lookup that follows answers unknown
    return jsonb_build_object('status', 'taken');
  end if;
  delete from inbound_tokens where tenant_id = v_tenant and seen_at < v_now - interval '1 day';
  insert into inbound_tokens (tenant_id, token, seen_at) values (v_tenant, p_token, v_now)
    on conflict (tenant_id, token) do nothing;
  if found then
    return jsonb_build_object('status', 'taken');
  end if;
  select m.id into v_message from messages m
   where m.tenant_id = v_tenant and m.role = 'team' and m.idempotency_key = 'mail:' || p_mail_message_id
   limit 1;
  if v_message is not null then
    return jsonb_build_object('status', 'duplicate', 'message_id', v_message);
  end if;
  return jsonb_build_object('status', 'replayed');
end
$$;
