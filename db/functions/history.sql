-- What the visitor's browser shows: one conversation, the list of its past ones, and what came
-- since (a team member's reply). The browser knows its session keys (a key is the capability to
-- read that conversation), so all three take keys, never list a tenant's sessions, and create
-- nothing for an unknown key.
--
--   salient_session_history(p_tenant, p_agent, p_session_key, p_limit = 50)
--     → {session_key, session_id, messages: [{id, role, content, created_at, metadata, turn_id}],
--        profile} (profile: salient_session_profile, db/functions/visitors.sql; null when none).
--        role: user, assistant, or team (a team member's reply by email, handoffs.sql: metadata
--        {name, handoff_id, mail_message_id})
--   salient_list_sessions(p_tenant, p_agent, p_session_keys)
--     → {sessions: [{session_key, created_at, last_activity_at, title, message_count}]}
--   salient_session_updates(p_tenant, p_agent, p_session_key, p_after, p_mark_seen, p_now_ms)
--     The widget's poll while a person may answer by email (issue 18, handoffs.sql)
--     → {handoff: null | {status, team_email, created_at, expires_at, quiet_until,
--        last_team_reply_at} (the conversation's latest handoff; status closed once expired),
--        messages: [{id, role, content, created_at, metadata}] (user, assistant and team; the
--        first 50 created after p_after, or the last 50 without it; oldest first), unread: that
--        handoff's team messages not yet shown}
--     With p_mark_seen the visitor counts as present (visitor_seen_at: no email about a reply
--     while they are) and the team messages up to the newest returned, or up to p_after (the
--     client holds those), as shown. Without it (the closed widget's badge) nothing is marked.
--     An unknown session, or another agent's: {handoff: null, messages: [], unread: 0}.

-- A session's title for the list of past conversations: its first user message on one line
-- (runs of ASCII whitespace become one space, none at either end), cut after 80 characters
-- with "…" appended when cut. ASCII only so that the result does not depend on the database
-- locale.
create or replace function salient_session_title(p_content text) returns text
language sql immutable as $$
  select case when char_length(t) > 80 then left(t, 80) || '…' else t end
    from (select btrim(regexp_replace(p_content, '[ \t\n\r\f\v]+', ' ', 'g'), ' ') as t) s
$$;

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
  perform salient_require_agent_enabled(p_tenant, p_agent);

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
           where m.session_id = v_session and m.tenant_id = v_tenant and m.role in ('user', 'assistant', 'team')
           order by m.created_at desc, m.id desc
           limit p_limit) h;
  return jsonb_build_object('session_key', p_session_key, 'session_id', v_session, 'messages', v_messages,
                            'profile', salient_session_profile(v_tenant, v_session));
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
  perform salient_require_agent_enabled(p_tenant, p_agent);
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
                           and m.role in ('user', 'assistant', 'team')) c
   where s.tenant_id = v_tenant and a.code = p_agent and s.session_key = any(p_session_keys);
  return jsonb_build_object('sessions', v_sessions);
end
$$;

-- plpgsql: it names salient_handoff_expire (handoffs.sql), and its two reads differ only in order.
create or replace function salient_session_updates(p_tenant text, p_agent text, p_session_key text,
                                                   p_after timestamptz, p_mark_seen boolean, p_now_ms bigint)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_now timestamptz;
  v_session uuid;
  v_row handoffs%rowtype;
  v_ids uuid[];
  v_messages jsonb;
  v_upto timestamptz;
  v_unread integer := 0;
  v_handoff jsonb;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_agent', p_agent);
  perform salient_require_text('p_session_key', p_session_key);
  if p_now_ms is null then
    raise exception 'invalid input for argument p_now_ms: expected milliseconds' using errcode = '22P02';
  end if;
  perform salient_require_agent_enabled(p_tenant, p_agent);
  v_now := to_timestamp(p_now_ms / 1000.0);
  v_tenant := salient_tenant_id(p_tenant, false);
  v_session := salient_session_of(v_tenant, p_agent, p_session_key);
  if v_session is null then
    return jsonb_build_object('handoff', null, 'messages', '[]'::jsonb, 'unread', 0);
  end if;
  perform salient_handoff_expire(v_tenant, v_now, v_session);

  -- After p_after: the next 50, so that a client far behind catches up page by page. Without it:
  -- the newest 50.
  if p_after is null then
    select array_agg(id) into v_ids from (
      select m.id from messages m
       where m.session_id = v_session and m.tenant_id = v_tenant and m.role in ('user', 'assistant', 'team')
       order by m.created_at desc, m.id desc limit 50) picked;
  else
    select array_agg(id) into v_ids from (
      select m.id from messages m
       where m.session_id = v_session and m.tenant_id = v_tenant and m.role in ('user', 'assistant', 'team')
         and m.created_at > p_after
       order by m.created_at, m.id limit 50) picked;
  end if;
  select coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'role', m.role, 'content', m.content,
                                               'created_at', m.created_at, 'metadata', m.metadata)
                            order by m.created_at, m.id), '[]'::jsonb),
         max(m.created_at)
    into v_messages, v_upto
    from messages m where m.id = any(coalesce(v_ids, '{}'));

  select * into v_row from handoffs where session_id = v_session and tenant_id = v_tenant
   order by created_at desc, id desc limit 1;
  if not found then
    return jsonb_build_object('handoff', null, 'messages', v_messages, 'unread', 0);
  end if;
  if p_mark_seen then
    update handoffs h set visitor_seen_at = v_now,
                          seen_through = greatest(h.seen_through,
                            (select max(m.created_at) from messages m
                              where m.session_id = v_session and m.tenant_id = v_tenant and m.role = 'team'
                                and m.created_at <= coalesce(v_upto, p_after)))
     where h.id = v_row.id returning * into v_row;
  end if;
  -- Team messages before this handoff belong to an earlier one: not unread now.
  select count(*) into v_unread from messages m
   where m.session_id = v_session and m.tenant_id = v_tenant and m.role = 'team'
     and m.created_at > greatest(v_row.created_at, v_row.seen_through);
  v_handoff := jsonb_build_object('status', v_row.status, 'team_email', v_row.team_email,
                                  'created_at', v_row.created_at, 'expires_at', v_row.expires_at,
                                  'quiet_until', v_row.quiet_until, 'last_team_reply_at', v_row.last_team_reply_at);
  return jsonb_build_object('handoff', v_handoff, 'messages', v_messages, 'unread', v_unread);
end
$$;
