-- A person takes over by email (issue 18): the visitor asks, the team gets an email whose
-- Reply-To is reply+<reply_id>@<MAILGUN_DOMAIN>, a team member's reply comes back through
-- Mailgun's inbound route and is stored as a 'team' message, which the visitor's open widget
-- polls for (salient_session_updates, history.sql). The schema and the states: migration 0004. The
-- sweep's side (the team email retried, the visitor's later messages forwarded, unseen replies
-- emailed to the visitor): handoffs_due.sql.
--
--   salient_handoff_start(p_tenant, p_agent, p_session_key, p_reply_id, p_trigger, p_now_ms,
--                         p_reply_days, p_quiet_minutes, p_lease_seconds, p_per_session_per_day,
--                         p_email_limits = null)
--     The "Talk to a person" button (p_trigger 'button'), or the core acting on a request the
--     stream recorded. → {status: no_conversation} | {status: limited, retry_after} (a new
--     handoff only: bucket 'handoff_session', key the session id, per day) | {status: open,
--     handoff: H} (nothing to send: the team email is sending under a live lease, sent, unknown,
--     or failed and waiting for its retry) | {status: claimed, handoff: H, claim: C} (send the
--     team email now: a new handoff, or the open one's email pending, due for a retry, or given
--     up after 5 failures, which a press tries again and counts like a new handoff). An open
--     handoff past expires_at is closed first. p_reply_id (C++ generates it, [a-z2-7]{26}) is
--     used only for a new handoff. p_quiet_minutes is not used here: the assistant goes quiet
--     when a person replies (salient_handoff_reply), not when one is asked for.
--   salient_handoff_request(p_tenant, p_turn_id, p_reply_id, p_now_ms, p_reply_days,
--                           p_quiet_minutes, p_per_session_per_day, p_email_limits = null)
--     (both: before a new handoff's email, p_email_limits, the visitor's rate_limits.emails_per_hour,
--     is taken by salient_email_take: {status: limited, limit: emails_per_hour, scope, retry_after})
--     The stream read the visitor's own text as asking for a person: an open handoff with its
--     team email pending (no lease; the widget's POST /handoff or the sweep sends it).
--     → {status: requested | open, handoff: H} | {status: limited, retry_after, handoff: null};
--     PT404 for an unknown turn.
--   salient_handoff_lookup, salient_inbound_token_take, salient_handoff_reply: a team member's
--     reply by email, handoff_replies.sql.
--
-- H = {id, reply_id, agent, session_id, status, team_email, created_at, expires_at, quiet_until,
--      last_team_reply_at, thread_message_id}
-- C = salient_summary_claim_of(tenant, session, handoff id) (summaries.sql): the conversation for
--     the team email's lead card, summary and transcript.
-- Team email outcomes: salient_email_queue / salient_email_result with p_handoff_id (email.sql)
-- → salient_handoff_outcome below. Functions that name other files' functions are plpgsql
-- (resolved when called): db/migrate.mjs applies the files in name order.

create or replace function salient_handoff_of(p_handoff uuid) returns jsonb
language sql stable as $$
  select jsonb_build_object('id', h.id, 'reply_id', h.reply_id, 'agent', a.code, 'session_id', h.session_id,
                            'status', h.status, 'team_email', h.team_email, 'created_at', h.created_at,
                            'expires_at', h.expires_at, 'quiet_until', h.quiet_until,
                            'last_team_reply_at', h.last_team_reply_at, 'thread_message_id', h.thread_message_id)
    from handoffs h left join agents a on a.id = h.agent_id where h.id = p_handoff
$$;

-- Of the tenant (or of one session): team emails whose send lease ended unanswered become
-- `unknown` (Mailgun may have them: never sent again by themselves), and open handoffs past
-- expires_at are closed (their reply address answers `expired`). → how many became unknown.
create or replace function salient_handoff_expire(p_tenant uuid, p_now timestamptz, p_session uuid) returns integer
language plpgsql as $$
declare
  v_count integer;
begin
  with lost as (
    update handoffs set team_email = 'unknown', lease_until = null
     where tenant_id = p_tenant and team_email = 'sending' and lease_until < p_now
       and (p_session is null or session_id = p_session)
    returning id)
  , marked as (
    update email_events e set status = 'unknown' from lost
     where e.handoff_id = lost.id and e.kind = 'handoff' and e.status = 'queued')
  select count(*) into v_count from lost;
  update handoffs set status = 'closed'
   where tenant_id = p_tenant and status = 'open' and expires_at <= p_now
     and (p_session is null or session_id = p_session);
  return v_count;
end
$$;

-- Claims a handoff's team email for one send: `sending` under a lease. The transcript the email
-- carries covers the visitor's messages so far, so the forwarding starts after them.
-- → {handoff: H, claim: C}
create or replace function salient_handoff_claim(p_tenant uuid, p_handoff uuid, p_now timestamptz,
                                                 p_lease_seconds integer) returns jsonb
language plpgsql as $$
declare
  v_session uuid;
begin
  update handoffs h set team_email = 'sending', lease_until = p_now + make_interval(secs => p_lease_seconds),
                        forwarded_through = greatest(h.forwarded_through,
                          (select max(m.created_at) from messages m
                            where m.session_id = h.session_id and m.tenant_id = p_tenant and m.role = 'user'))
   where h.id = p_handoff and h.tenant_id = p_tenant
   returning h.session_id into v_session;
  return jsonb_build_object('handoff', salient_handoff_of(p_handoff),
                            'claim', salient_summary_claim_of(p_tenant, v_session, p_handoff));
end
$$;

-- The checks start and request share.
create or replace function salient_handoff_require(p_reply_id text, p_now_ms bigint, p_reply_days integer)
returns void
language plpgsql immutable as $$
begin
  if p_reply_id is null or p_reply_id !~ '^[a-z2-7]{26}$' then
    raise exception 'invalid input for argument p_reply_id: expected 26 characters of lowercase base32'
      using errcode = '22P02';
  end if;
  if p_now_ms is null or p_reply_days is null or p_reply_days < 1 or p_reply_days > 365 then
    raise exception 'invalid input: p_now_ms and p_reply_days (1 … 365) are required' using errcode = '22P02';
  end if;
end
$$;

-- A new handoff, or a press that sends a given-up one again: at most p_per_day a conversation a
-- day, and at most 30 an hour for the whole tenant (conversations are free to make: this caps
-- what a script can make the team's inbox receive); and the visitor's emails_per_hour.
-- → null (taken), or the refusal to return.
drop function if exists salient_handoff_take(uuid, uuid, integer, timestamptz);  -- before p_email_limits
create or replace function salient_handoff_take(p_tenant uuid, p_session uuid, p_per_day integer, p_now timestamptz,
                                                p_email_limits jsonb)
returns jsonb
language plpgsql as $$
declare
  v_retry integer;
  v_refusal jsonb;
begin
  -- Both of the handoff's own limits, then the visitor's emails_per_hour (salient_email_take,
  -- which counts when it allows), then the handoff's counted: a refusal by one counts in none.
  v_retry := greatest(salient_rate_take(p_tenant, 'handoff_tenant', 'all', 30, 3600, p_now, false),
                      salient_rate_take(p_tenant, 'handoff_session', p_session::text, coalesce(p_per_day, 3), 86400,
                                        p_now, false));
  if v_retry > 0 then
    return jsonb_build_object('status', 'limited', 'retry_after', v_retry);
  end if;
  v_refusal := salient_email_take(p_tenant, p_email_limits, p_now);
  if v_refusal is not null then
    return v_refusal;
  end if;
  perform salient_rate_take(p_tenant, 'handoff_session', p_session::text, coalesce(p_per_day, 3), 86400, p_now, true);
  perform salient_rate_take(p_tenant, 'handoff_tenant', 'all', 30, 3600, p_now, true);
  return null;
end
$$;

drop function if exists salient_handoff_start(text, text, text, text, text, bigint, integer, integer, integer, integer);
create or replace function salient_handoff_start(p_tenant text, p_agent text, p_session_key text, p_reply_id text,
                                                 p_trigger text, p_now_ms bigint, p_reply_days integer,
                                                 p_quiet_minutes integer, p_lease_seconds integer,
                                                 p_per_session_per_day integer default 3,
                                                 p_email_limits jsonb default null)
returns jsonb
language plpgsql as $$
declare
  v_refusal jsonb;
  v_tenant uuid;
  v_now timestamptz;
  v_session sessions%rowtype;
  v_row handoffs%rowtype;
  v_retry integer;
  v_id uuid;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_agent', p_agent);
  perform salient_require_text('p_session_key', p_session_key);
  perform salient_handoff_require(p_reply_id, p_now_ms, p_reply_days);
  if p_trigger is null or p_trigger not in ('button', 'intent') then
    raise exception 'invalid input for argument p_trigger: expected "button" or "intent"' using errcode = '22P02';
  end if;
  if p_lease_seconds is null or p_lease_seconds < 10 or p_lease_seconds > 3600 then
    raise exception 'invalid input: p_lease_seconds (10 … 3600) is required' using errcode = '22P02';
  end if;
  v_now := to_timestamp(p_now_ms / 1000.0);
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null then
    return jsonb_build_object('status', 'no_conversation');
  end if;
  perform salient_require_agent_enabled(p_tenant, p_agent);
  -- The session's row lock serialises two presses (or a press and the stream's request).
  select * into v_session from sessions where id = salient_session_of(v_tenant, p_agent, p_session_key) for update;
  if v_session.id is null or not exists (select 1 from messages where session_id = v_session.id
                                          and tenant_id = v_tenant and role in ('user', 'assistant')) then
    return jsonb_build_object('status', 'no_conversation');
  end if;
  perform salient_handoff_expire(v_tenant, v_now, v_session.id);

  select * into v_row from handoffs where session_id = v_session.id and status = 'open' for update;
  if found then
    if v_row.team_email = 'pending' or (v_row.team_email = 'failed' and v_row.retry_at <= v_now) then
      return jsonb_build_object('status', 'claimed') || salient_handoff_claim(v_tenant, v_row.id, v_now, p_lease_seconds);
    end if;
    if v_row.team_email <> 'failed' or v_row.retry_at is not null then
      return jsonb_build_object('status', 'open', 'handoff', salient_handoff_of(v_row.id));
    end if;
    -- Given up after 5 failures: the visitor's press tries again, from the first backoff step,
    -- and counts like a new handoff (a press must not become an unlimited email trigger).
    v_refusal := salient_handoff_take(v_tenant, v_session.id, p_per_session_per_day, v_now, p_email_limits);
    if v_refusal is not null then
      return v_refusal;
    end if;
    update handoffs set attempts = 0 where id = v_row.id;
    return jsonb_build_object('status', 'claimed') || salient_handoff_claim(v_tenant, v_row.id, v_now, p_lease_seconds);
  end if;

  v_refusal := salient_handoff_take(v_tenant, v_session.id, p_per_session_per_day, v_now, p_email_limits);
  if v_refusal is not null then
    return v_refusal;
  end if;
  insert into handoffs (tenant_id, session_id, agent_id, reply_id, trigger, created_at, expires_at)
    values (v_tenant, v_session.id, v_session.agent_id, p_reply_id, p_trigger, v_now,
            v_now + make_interval(days => p_reply_days))
    returning id into v_id;
  return jsonb_build_object('status', 'claimed') || salient_handoff_claim(v_tenant, v_id, v_now, p_lease_seconds);
end
$$;

drop function if exists salient_handoff_request(text, uuid, text, bigint, integer, integer, integer);
create or replace function salient_handoff_request(p_tenant text, p_turn_id uuid, p_reply_id text, p_now_ms bigint,
                                                   p_reply_days integer, p_quiet_minutes integer,
                                                   p_per_session_per_day integer default 3,
                                                   p_email_limits jsonb default null)
returns jsonb
language plpgsql as $$
declare
  v_refusal jsonb;
  v_tenant uuid;
  v_now timestamptz;
  v_session sessions%rowtype;
  v_open uuid;
  v_retry integer;
  v_id uuid;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_turn_id', p_turn_id);
  perform salient_handoff_require(p_reply_id, p_now_ms, p_reply_days);
  v_now := to_timestamp(p_now_ms / 1000.0);
  v_tenant := salient_tenant_id(p_tenant, false);
  select s.* into v_session from sessions s
   where s.id = (select session_id from messages where id = p_turn_id and tenant_id = v_tenant and role = 'user')
     for update;
  if v_session.id is null then
    raise exception 'turn % not found', p_turn_id using errcode = 'PT404';
  end if;
  perform salient_handoff_expire(v_tenant, v_now, v_session.id);
  select id into v_open from handoffs where session_id = v_session.id and status = 'open';
  if v_open is not null then
    return jsonb_build_object('status', 'open', 'handoff', salient_handoff_of(v_open));
  end if;
  v_refusal := salient_handoff_take(v_tenant, v_session.id, p_per_session_per_day, v_now, p_email_limits);
  if v_refusal is not null then
    return v_refusal || jsonb_build_object('handoff', null);
  end if;
  insert into handoffs (tenant_id, session_id, agent_id, reply_id, trigger, created_at, expires_at)
    values (v_tenant, v_session.id, v_session.agent_id, p_reply_id, 'intent', v_now,
            v_now + make_interval(days => p_reply_days))
    returning id into v_id;
  return jsonb_build_object('status', 'requested', 'handoff', salient_handoff_of(v_id));
end
$$;

-- The team email's send outcome (called by salient_email_result for an email of kind 'handoff'):
-- sent → its Mailgun id threads the later emails; unknown (it left, no answer came back) → never
-- sent again by itself; failed → retried with backoff (2, 4, 8, 16 minutes), given up after 5
-- (retry_at null). A handoff already `sent` stays sent.
create or replace function salient_handoff_outcome(p_handoff uuid, p_status text, p_provider_id text,
                                                   p_now timestamptz) returns void
language plpgsql as $$
begin
  update handoffs
     set team_email = p_status, lease_until = null,
         thread_message_id = case when p_status = 'sent' then coalesce(thread_message_id, p_provider_id)
                                  else thread_message_id end,
         attempts = attempts + case when p_status = 'failed' then 1 else 0 end,
         retry_at = case when p_status = 'failed' and attempts + 1 < 5
                         then p_now + make_interval(mins => power(2, attempts + 1)::integer) end
   where id = p_handoff and team_email <> 'sent';
end
$$;
