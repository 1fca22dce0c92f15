-- Conversation summaries: claimed, stored, and (through salient_email_queue / salient_email_result
-- with p_summary_id, email.sql) sent at most once. The schema and the states: migration 0003.
--
--   salient_summary_claim(p_tenant, p_agent, p_session_key, p_now_ms, p_idle_minutes, p_limit,
--                         p_lease_seconds, p_per_session_per_day, p_email_limits = null)
--     With p_session_key (the "Email summary" button): that conversation →
--       {status: claimed, claims: [one]} | no_conversation | already_sent {sent_at} (a sent or
--       unknown summary covers the newest message) | busy (claimed, or its summary `sending`) |
--       limited {retry_after} (or {limit: emails_per_hour, scope, retry_after}: p_email_limits, the
--       visitor's rate_limits.emails_per_hour, taken by salient_email_take)
--     Without (the scheduled sweep): conversations idle ≥ p_idle_minutes with a message newer than
--       their last summary, not claimed, not waiting for a retry → {status: claimed, claims: [...],
--       more, unknown}: at most p_limit, oldest first; `more` when others remain for the next run.
--       "A message" is the visitor's or the assistant's: a team member's reply by email (role
--       team, handoffs.sql) is neither activity nor a reason to summarize again.
--       First, summaries whose send lease ended while `sending` become `unknown` (their count).
--     A claim: {claim, session_id, session_key, agent, through, message_count, started_at,
--       messages: [{role, content, created_at}] (the first visitor message and the last 60),
--       profile, month_cost_usd}. Claimed rows are locked with skip locked: two overlapping runs
--       never claim the same conversation.
--   salient_summary_store(p_tenant, p_session_id, p_claim, p_trigger, p_method, p_outcome,
--                         p_summary, p_lead, p_through, p_message_count, p_now_ms, p_link_days,
--                         p_lease_seconds, p_llm)
--     → {status: stored, summary_id, link_expires_at} | lost (the claim is gone: not sent)
--     Stores the summary as `sending` and updates the session's profile from the lead, never
--     overwriting a field the profile marks verified.
--   salient_summary_transcript(p_tenant, p_summary_id, p_now_ms)
--     → {status: ok, agent, lead, outcome, method, messages, link_expires_at} | expired | gone

-- The conversation's messages for a summary: the first visitor message and the last 60.
create or replace function salient_summary_messages(p_tenant uuid, p_session uuid) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object('role', m.role, 'content', m.content, 'created_at', m.created_at)
                            order by m.created_at, m.id), '[]'::jsonb)
    from messages m
   where m.session_id = p_session and m.tenant_id = p_tenant and m.role in ('user', 'assistant')
     and (m.id in (select id from messages where session_id = p_session and tenant_id = p_tenant
                    and role in ('user', 'assistant') order by created_at desc, id desc limit 60)
          or m.id = (select id from messages where session_id = p_session and tenant_id = p_tenant and role = 'user'
                      order by created_at, id limit 1))
$$;

-- plpgsql, not sql: its body names salient_session_profile (visitors.sql), applied after this file.
create or replace function salient_summary_claim_of(p_tenant uuid, p_session uuid, p_claim uuid) returns jsonb
language plpgsql stable as $$
begin
  return (select jsonb_build_object(
           'claim', p_claim, 'session_id', s.id, 'session_key', s.session_key,
           'agent', (select code from agents where id = s.agent_id),
           'through', (select max(created_at) from messages where session_id = s.id and tenant_id = p_tenant
                         and role in ('user', 'assistant')),
           'message_count', (select count(*) from messages where session_id = s.id and tenant_id = p_tenant
                              and role in ('user', 'assistant')),
           'started_at', s.created_at,
           'messages', salient_summary_messages(p_tenant, s.id),
           'profile', salient_session_profile(p_tenant, s.id),
           'month_cost_usd', (select coalesce(sum(l.computed_cost), 0) from llm_requests l
                               where l.tenant_id = p_tenant
                                 and l.created_at >= date_trunc('month', now() at time zone 'utc') at time zone 'utc'))
    from sessions s where s.id = p_session and s.tenant_id = p_tenant);
end
$$;

-- Sends whose lease ended before their outcome was recorded (of the tenant, or of one session):
-- Mailgun may have the email, so it is never sent again by itself; the summary and its email
-- become `unknown` and the conversation counts as summarized up to it. → how many.
create or replace function salient_summary_expire(p_tenant uuid, p_now timestamptz, p_session uuid) returns integer
language plpgsql as $$
declare
  v_count integer;
begin
  with lost as (
    update conversation_summaries set status = 'unknown'
     where tenant_id = p_tenant and status = 'sending' and lease_until < p_now
       and (p_session is null or session_id = p_session)
    returning id, session_id, through_message_at)
  , marked as (
    update email_events e set status = 'unknown' from lost where e.summary_id = lost.id and e.status = 'queued')
  , sessions_done as (
    update sessions s set summarized_through = greatest(s.summarized_through, lost.through_message_at),
                          summary_claim = null, summary_claim_until = null
      from lost where s.id = lost.session_id)
  select count(*) into v_count from lost;
  return v_count;
end
$$;

drop function if exists salient_summary_claim(text, text, text, bigint, integer, integer, integer, integer);
create or replace function salient_summary_claim(p_tenant text, p_agent text, p_session_key text, p_now_ms bigint,
                                                 p_idle_minutes integer, p_limit integer, p_lease_seconds integer,
                                                 p_per_session_per_day integer default 5,
                                                 p_email_limits jsonb default null)
returns jsonb
language plpgsql as $$
declare
  v_refusal jsonb;
  v_tenant uuid;
  v_now timestamptz;
  v_session sessions%rowtype;
  v_newest timestamptz;
  v_claim uuid := gen_random_uuid();
  v_claims jsonb := '[]'::jsonb;
  v_ids uuid[];
  v_unknown integer := 0;
  v_retry integer;
  v_sent_at timestamptz;
begin
  perform salient_require_text('p_tenant', p_tenant);
  if p_now_ms is null or p_lease_seconds is null or p_lease_seconds < 10 or p_lease_seconds > 3600 then
    raise exception 'invalid input: p_now_ms and p_lease_seconds (10 … 3600) are required' using errcode = '22P02';
  end if;
  v_now := to_timestamp(p_now_ms / 1000.0);
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null then
    return jsonb_build_object('status', case when p_session_key is null then 'claimed' else 'no_conversation' end,
                              'claims', '[]'::jsonb, 'more', false, 'unknown', 0);
  end if;

  if p_session_key is not null then
    perform salient_require_text('p_agent', p_agent);
    perform salient_require_agent_enabled(p_tenant, p_agent);
    select * into v_session from sessions
     where id = salient_session_of(v_tenant, p_agent, p_session_key) for update;
    select max(created_at) into v_newest from messages where session_id = v_session.id and tenant_id = v_tenant
                                                          and role in ('user', 'assistant');
    if v_session.id is null or v_newest is null then
      return jsonb_build_object('status', 'no_conversation');
    end if;
    if v_session.summary_claim_until > v_now then
      return jsonb_build_object('status', 'busy');
    end if;
    -- A summary still `sending` is busy even once the claim's own lease ended (the send's lease
    -- runs from the store, later): pressing then must not start a second email.
    perform salient_summary_expire(v_tenant, v_now, v_session.id);
    if exists (select 1 from conversation_summaries where session_id = v_session.id and status = 'sending') then
      return jsonb_build_object('status', 'busy');
    end if;
    -- Already sent: a summary that went out (or may have: unknown) covers the newest message. A
    -- conversation given up after Mailgun failures was never sent: the visitor's press tries again.
    select coalesce(c.sent_at, c.created_at) into v_sent_at from conversation_summaries c
     where c.session_id = v_session.id and c.status in ('sent', 'unknown') and c.through_message_at >= v_newest
     order by c.created_at desc limit 1;
    if v_sent_at is not null then
      -- ISO 8601 in UTC with milliseconds and "Z", as the core writes a fresh send's sent_at.
      return jsonb_build_object('status', 'already_sent',
                                'sent_at', to_char(v_sent_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
    end if;
    -- The button's own limit first, then the visitor's emails_per_hour; each counted only when
    -- both allow the email (the advisory locks hold from the check to the count).
    v_retry := salient_rate_take(v_tenant, 'summary_button', v_session.id::text,
                                 coalesce(p_per_session_per_day, 5), 86400, v_now, false);
    if v_retry > 0 then
      return jsonb_build_object('status', 'limited', 'retry_after', v_retry);
    end if;
    v_refusal := salient_email_take(v_tenant, p_email_limits, v_now);
    if v_refusal is not null then
      return v_refusal;
    end if;
    perform salient_rate_take(v_tenant, 'summary_button', v_session.id::text,
                              coalesce(p_per_session_per_day, 5), 86400, v_now, true);
    update sessions set summary_claim = v_claim, summary_claim_until = v_now + make_interval(secs => p_lease_seconds)
     where id = v_session.id;
    return jsonb_build_object('status', 'claimed',
                              'claims', jsonb_build_array(salient_summary_claim_of(v_tenant, v_session.id, v_claim)));
  end if;

  if p_idle_minutes is null or p_idle_minutes < 1 or p_limit is null or p_limit < 1 or p_limit > 100 then
    raise exception 'invalid input: the sweep needs p_idle_minutes >= 1 and p_limit 1 … 100' using errcode = '22P02';
  end if;
  v_unknown := salient_summary_expire(v_tenant, v_now, null);

  select array_agg(id) into v_ids from (
    select s.id from sessions s
     cross join lateral (select max(m.created_at) as newest from messages m
                          where m.session_id = s.id and m.tenant_id = v_tenant
                            and m.role in ('user', 'assistant')) n
     where s.tenant_id = v_tenant and n.newest is not null
       and n.newest <= v_now - make_interval(mins => p_idle_minutes)
       and (s.summarized_through is null or n.newest > s.summarized_through)
       and (s.summary_claim_until is null or s.summary_claim_until <= v_now)
       and (s.summary_retry_at is null or s.summary_retry_at <= v_now)
       and not exists (select 1 from conversation_summaries c where c.session_id = s.id and c.status = 'sending')
     order by n.newest, s.id
     limit p_limit + 1
     for update of s skip locked) picked;

  if v_ids is null then
    return jsonb_build_object('status', 'claimed', 'claims', '[]'::jsonb, 'more', false, 'unknown', v_unknown);
  end if;
  update sessions set summary_claim = v_claim, summary_claim_until = v_now + make_interval(secs => p_lease_seconds)
   where id = any(v_ids[1:p_limit]);
  select coalesce(jsonb_agg(salient_summary_claim_of(v_tenant, id, v_claim)), '[]'::jsonb) into v_claims
    from unnest(v_ids[1:p_limit]) id;
  return jsonb_build_object('status', 'claimed', 'claims', v_claims, 'more', cardinality(v_ids) > p_limit,
                            'unknown', v_unknown);
end
$$;

-- The lead's fields on the session's profile. A field the profile (or the verified profile the
-- session is linked to) lists in verified_fields is never replaced; empty values change nothing.
create or replace function salient_summary_profile(p_tenant uuid, p_session uuid, p_lead jsonb) returns void
language plpgsql as $$
declare
  v_verified text[];
  v_name text := nullif(p_lead ->> 'name', '');
  v_email text := nullif(p_lead ->> 'email', '');
  v_phone text := nullif(p_lead ->> 'phone', '');
  v_interests text[] := coalesce((select array_agg(x) from jsonb_array_elements_text(
                                    case when jsonb_typeof(p_lead -> 'interests') = 'array' then p_lead -> 'interests'
                                         else '[]'::jsonb end) x), '{}');
begin
  -- A session a code linked points at its verified profile (salient_link_session), whose
  -- verified_fields hold 'email' (set there; migration 0003 for profiles verified before it).
  select coalesce(vp.verified_fields, '{}')
    into v_verified
    from sessions s left join profiles vp on vp.id = s.profile_id where s.id = p_session;
  insert into profiles (tenant_id, session_id) values (p_tenant, p_session) on conflict (session_id) do nothing;
  update profiles p set
      customer_name = case when 'customer_name' = any(p.verified_fields || v_verified) then p.customer_name
                           else coalesce(v_name, p.customer_name) end,
      email = case when 'email' = any(p.verified_fields || v_verified) then p.email else coalesce(v_email, p.email) end,
      phone = case when 'phone' = any(p.verified_fields || v_verified) then p.phone else coalesce(v_phone, p.phone) end,
      company = coalesce(nullif(p_lead ->> 'company', ''), p.company),
      address = coalesce(nullif(p_lead ->> 'address', ''), p.address),
      preferred_time = coalesce(nullif(p_lead ->> 'preferred_time', ''), p.preferred_time),
      language = coalesce(nullif(p_lead ->> 'language', ''), p.language),
      products_of_interest = (select array(select distinct unnest(p.products_of_interest || v_interests))),
      updated_at = now()
   where p.session_id = p_session and p.tenant_id = p_tenant;
end
$$;

create or replace function salient_summary_store(p_tenant text, p_session_id uuid, p_claim uuid, p_trigger text,
                                                 p_method text, p_outcome text, p_summary text, p_lead jsonb,
                                                 p_through timestamptz, p_message_count integer, p_now_ms bigint,
                                                 p_link_days integer, p_lease_seconds integer,
                                                 p_llm jsonb default null)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  -- The later of the request's clock and the database's: a long sweep's request started minutes
  -- ago, and its claims' leases must end on time all the same.
  v_now timestamptz := greatest(to_timestamp(p_now_ms / 1000.0), clock_timestamp());
  v_id uuid;
  v_expires timestamptz;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_session_id', p_session_id);
  perform salient_require_uuid('p_claim', p_claim);
  perform salient_require_text('p_summary', p_summary);
  if p_lead is null or jsonb_typeof(p_lead) <> 'object' then
    raise exception 'invalid input for argument p_lead: expected an object' using errcode = '22P02';
  end if;
  v_tenant := salient_tenant_id(p_tenant, false);
  perform 1 from sessions where id = p_session_id and tenant_id = v_tenant and summary_claim = p_claim
                            and summary_claim_until > v_now for update;
  if not found then
    return jsonb_build_object('status', 'lost');
  end if;
  v_expires := v_now + make_interval(days => greatest(1, coalesce(p_link_days, 14)));
  insert into conversation_summaries (tenant_id, session_id, agent_id, summary, trigger, method, outcome, lead,
                                      through_message_at, message_count, status, lease_until, link_expires_at,
                                      created_at)
    values (v_tenant, p_session_id, (select agent_id from sessions where id = p_session_id), p_summary, p_trigger,
            p_method, p_outcome, p_lead, p_through, coalesce(p_message_count, 0), 'sending',
            v_now + make_interval(secs => p_lease_seconds), v_expires, v_now)
    returning id into v_id;
  perform salient_summary_profile(v_tenant, p_session_id, p_lead);
  -- The model's calls for it, billed whether or not their answer was used: they count against
  -- budget.monthly_usd like the chat's.
  if jsonb_typeof(p_llm) = 'object' then
    insert into llm_requests (tenant_id, session_id, provider, model, prompt_tokens, completion_tokens, total_tokens,
                              computed_cost, created_at)
      values (v_tenant, p_session_id, 'openrouter', coalesce(nullif(p_llm ->> 'model', ''), 'unknown'),
              salient_json_integer('p_llm.prompt_tokens', p_llm -> 'prompt_tokens'),
              salient_json_integer('p_llm.completion_tokens', p_llm -> 'completion_tokens'),
              salient_json_integer('p_llm.total_tokens', p_llm -> 'total_tokens'),
              salient_json_number('p_llm.cost', p_llm -> 'cost'), v_now);
  end if;
  return jsonb_build_object('status', 'stored', 'summary_id', v_id, 'link_expires_at', v_expires);
end
$$;

-- A summary's send outcome (called by salient_email_result): sent → the conversation is
-- summarized up to it; unknown (the request left, no answer came back: Mailgun may have it) →
-- the same, never sent again by itself; failed → retried with backoff (2, 4, 8, 16 minutes),
-- given up after 5.
drop function if exists salient_summary_outcome(uuid, boolean, timestamptz);  -- before p_status
create or replace function salient_summary_outcome(p_summary uuid, p_status text, p_now timestamptz) returns void
language plpgsql as $$
declare
  v_row conversation_summaries%rowtype;
  v_attempts integer;
begin
  update conversation_summaries set status = p_status,
                                    sent_at = case when p_status = 'sent' then p_now end, lease_until = null
   where id = p_summary returning * into v_row;
  if not found then return; end if;
  if p_status in ('sent', 'unknown') then
    update sessions set summarized_through = greatest(summarized_through, v_row.through_message_at),
                        summary_claim = null, summary_claim_until = null, summary_attempts = 0,
                        summary_retry_at = null
     where id = v_row.session_id;
    return;
  end if;
  update sessions set summary_attempts = summary_attempts + 1, summary_claim = null, summary_claim_until = null
   where id = v_row.session_id returning summary_attempts into v_attempts;
  if v_attempts >= 5 then
    update sessions set summarized_through = greatest(summarized_through, v_row.through_message_at),
                        summary_retry_at = null, summary_attempts = 0
     where id = v_row.session_id;
  else
    update sessions set summary_retry_at = p_now + make_interval(mins => power(2, v_attempts)::integer)
     where id = v_row.session_id;
  end if;
end
$$;

create or replace function salient_summary_transcript(p_tenant text, p_summary_id uuid, p_now_ms bigint)
returns jsonb
language plpgsql stable as $$
declare
  v_tenant uuid;
  v_row conversation_summaries%rowtype;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_summary_id', p_summary_id);
  v_tenant := salient_tenant_id(p_tenant, false);
  select * into v_row from conversation_summaries where id = p_summary_id and tenant_id = v_tenant;
  if not found then
    return jsonb_build_object('status', 'gone');  -- erased with the visitor's data, or never existed
  end if;
  if v_row.link_expires_at <= to_timestamp(p_now_ms / 1000.0) then
    return jsonb_build_object('status', 'expired');
  end if;
  return jsonb_build_object(
    'status', 'ok', 'agent', (select code from agents where id = v_row.agent_id), 'lead', v_row.lead,
    'outcome', v_row.outcome, 'method', v_row.method, 'link_expires_at', v_row.link_expires_at,
    'messages', (select coalesce(jsonb_agg(jsonb_build_object('role', m.role, 'content', m.content,
                                                              'created_at', m.created_at) order by m.created_at, m.id),
                                 '[]'::jsonb)
                   from messages m where m.session_id = v_row.session_id and m.tenant_id = v_tenant
                    and m.role in ('user', 'assistant') and m.created_at <= v_row.through_message_at));
end
$$;
