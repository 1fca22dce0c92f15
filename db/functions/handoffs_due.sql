-- The scheduled sweep's side of a handoff (handoffs.sql has the rest; the states: migration 0004).
--
--   salient_handoff_due(p_tenant, p_now_ms, p_batch_seconds, p_notify_minutes, p_lease_seconds, p_limit)
--     First, team emails whose send lease ended become `unknown` and expired handoffs close; then
--     up to p_limit of each kind of work is claimed under a lease, oldest first, with
--     `for update skip locked` (two overlapping sweeps never claim the same handoff):
--     → {team_emails: [{handoff: H, claim: C}]  (pending, or failed and due for a retry:
--                                                  now `sending`, as salient_handoff_start's)
--        forwards: [{handoff: H, through, subject (the team email's), messages: [{content, created_at}]}]
--            the visitor's messages since the team email (or the last forward), once the visitor
--            has paused for p_batch_seconds; only after the team email was sent (they thread
--            under it); at most 20, the oldest: the rest next run
--        notifies: [{handoff: H, email, through, messages: [{content, created_at, name}]}]
--            team replies the visitor has not seen, once the oldest is p_notify_minutes old and
--            the visitor's widget has not polled for as long, to the profile's address when it
--            is verified (verified_fields has 'email'); at most 20
--        more: whether any kind had more than p_limit}
--     `through` is the created_at of the newest message listed: what the completion marks.
--   salient_handoff_forwarded(p_tenant, p_handoff, p_through)
--   salient_handoff_notified(p_tenant, p_handoff, p_through)
--     The forward (notify) email went out: the handoff's mark advances to p_through (never
--     backwards) and its lease is released. → {status: ok} | {status: not_found}. A send that
--     failed is not marked: its lease ends and a later sweep claims the same messages again.

-- The address an unseen reply may be emailed to: the session's profile's, only when verified.
create or replace function salient_handoff_visitor_email(p_tenant uuid, p_session uuid) returns text
language sql stable as $$
  select coalesce(case when 'email' = any(vp.verified_fields) then vp.email end,
                  case when 'email' = any(pr.verified_fields) then pr.email end)
    from sessions s
    left join profiles vp on vp.id = s.profile_id
    left join profiles pr on pr.session_id = s.id and pr.tenant_id = p_tenant
   where s.id = p_session and s.tenant_id = p_tenant
$$;

-- The first 20 messages of `p_role` in the session after p_after (and up to p_upto), oldest first.
create or replace function salient_handoff_batch(p_tenant uuid, p_session uuid, p_role text, p_after timestamptz,
                                                 p_upto timestamptz) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object('content', b.content, 'created_at', b.created_at)
                            || case when p_role = 'team' then jsonb_build_object('name', b.metadata ->> 'name')
                                    else '{}'::jsonb end
                            order by b.created_at, b.id), '[]'::jsonb)
    from (select m.id, m.content, m.created_at, m.metadata from messages m
           where m.session_id = p_session and m.tenant_id = p_tenant and m.role = p_role
             and m.created_at > p_after and m.created_at <= p_upto
           order by m.created_at, m.id limit 20) b
$$;

create or replace function salient_handoff_due(p_tenant text, p_now_ms bigint, p_batch_seconds integer,
                                               p_notify_minutes integer, p_lease_seconds integer, p_limit integer)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_now timestamptz;
  v_ids uuid[];
  v_more boolean := false;
  v_team jsonb := '[]'::jsonb;
  v_forwards jsonb := '[]'::jsonb;
  v_notifies jsonb := '[]'::jsonb;
  v_lease interval;
  v_notify interval;
begin
  perform salient_require_text('p_tenant', p_tenant);
  if p_now_ms is null or p_lease_seconds is null or p_lease_seconds < 10 or p_lease_seconds > 3600
     or p_batch_seconds is null or p_batch_seconds < 0 or p_notify_minutes is null or p_notify_minutes < 1
     or p_limit is null or p_limit < 1 or p_limit > 100 then
    raise exception 'invalid input: p_now_ms, p_batch_seconds >= 0, p_notify_minutes >= 1, p_lease_seconds '
                    '(10 … 3600) and p_limit (1 … 100) are required' using errcode = '22P02';
  end if;
  v_now := to_timestamp(p_now_ms / 1000.0);
  v_lease := make_interval(secs => p_lease_seconds);
  v_notify := make_interval(mins => p_notify_minutes);
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null then
    return jsonb_build_object('team_emails', v_team, 'forwards', v_forwards, 'notifies', v_notifies, 'more', false);
  end if;
  perform salient_handoff_expire(v_tenant, v_now, null);

  -- Team emails to send: never sent (an intent request nobody pressed on), or due for a retry.
  select array_agg(id) into v_ids from (
    select h.id from handoffs h
     where h.tenant_id = v_tenant and h.status = 'open'
       and (h.team_email = 'pending' or (h.team_email = 'failed' and h.retry_at <= v_now))
     order by h.created_at, h.id
     limit p_limit + 1
     for update skip locked) picked;
  if v_ids is not null then
    v_more := cardinality(v_ids) > p_limit;
    select coalesce(jsonb_agg(salient_handoff_claim(v_tenant, id, v_now, p_lease_seconds) order by ord), '[]'::jsonb)
      into v_team from unnest(v_ids[1:p_limit]) with ordinality as u(id, ord);
  end if;

  -- The visitor's messages since the last forward, once they paused for p_batch_seconds.
  select array_agg(id) into v_ids from (
    select h.id from handoffs h
     cross join lateral (select max(m.created_at) as newest from messages m
                          where m.session_id = h.session_id and m.tenant_id = v_tenant and m.role = 'user'
                            and m.created_at > greatest(h.created_at, h.forwarded_through)) n
     where h.tenant_id = v_tenant and h.status = 'open' and h.team_email = 'sent' and n.newest is not null
       and n.newest <= v_now - make_interval(secs => p_batch_seconds)
       and (h.forward_lease_until is null or h.forward_lease_until <= v_now)
       -- At most 20 forwards a handoff a day: a visitor pausing a minute between lines all day
       -- must not fill the team's inbox (the rest wait for the next day, or the transcript).
       and (select count(*) from email_events e where e.handoff_id = h.id and e.kind = 'handoff_forward'
              and e.created_at > v_now - interval '1 day') < 20
     order by n.newest, h.id
     limit p_limit + 1
     for update of h skip locked) picked;
  if v_ids is not null then
    v_more := v_more or cardinality(v_ids) > p_limit;
    update handoffs set forward_lease_until = v_now + v_lease where id = any(v_ids[1:p_limit]);
    select coalesce(jsonb_agg(jsonb_build_object('handoff', salient_handoff_of(h.id), 'through',
                                                 (select max((b ->> 'created_at')::timestamptz)
                                                    from jsonb_array_elements(f.batch) b),
                                                 'messages', f.batch,
                                                 -- the thread's subject, for mail clients that thread on it
                                                 'subject', (select e.subject from email_events e
                                                              where e.handoff_id = h.id and e.kind = 'handoff'
                                                                and e.status = 'sent'
                                                              order by e.created_at limit 1))
                              order by u.ord), '[]'::jsonb)
      into v_forwards
      from unnest(v_ids[1:p_limit]) with ordinality as u(id, ord)
      join handoffs h on h.id = u.id
     cross join lateral (select salient_handoff_batch(v_tenant, h.session_id, 'user',
                                                      greatest(h.created_at, h.forwarded_through), v_now) as batch) f;
  end if;

  -- Team replies the absent visitor has not seen, to their verified address.
  select array_agg(id) into v_ids from (
    select h.id from handoffs h
     cross join lateral (select min(m.created_at) as oldest from messages m
                          where m.session_id = h.session_id and m.tenant_id = v_tenant and m.role = 'team'
                            and m.created_at > greatest(h.created_at, h.seen_through, h.notified_through)) n
     where h.tenant_id = v_tenant and h.status = 'open' and n.oldest is not null and n.oldest <= v_now - v_notify
       and (h.visitor_seen_at is null or h.visitor_seen_at <= v_now - v_notify)
       and (h.notify_lease_until is null or h.notify_lease_until <= v_now)
       and salient_handoff_visitor_email(v_tenant, h.session_id) is not null
     order by n.oldest, h.id
     limit p_limit + 1
     for update of h skip locked) picked;
  if v_ids is not null then
    v_more := v_more or cardinality(v_ids) > p_limit;
    update handoffs set notify_lease_until = v_now + v_lease where id = any(v_ids[1:p_limit]);
    select coalesce(jsonb_agg(jsonb_build_object('handoff', salient_handoff_of(h.id),
                                                 'email', salient_handoff_visitor_email(v_tenant, h.session_id),
                                                 'through', (select max((b ->> 'created_at')::timestamptz)
                                                               from jsonb_array_elements(f.batch) b),
                                                 'messages', f.batch) order by u.ord), '[]'::jsonb)
      into v_notifies
      from unnest(v_ids[1:p_limit]) with ordinality as u(id, ord)
      join handoffs h on h.id = u.id
     cross join lateral (select salient_handoff_batch(v_tenant, h.session_id, 'team',
                           greatest(h.created_at, h.seen_through, h.notified_through), v_now) as batch) f;
  end if;
  return jsonb_build_object('team_emails', v_team, 'forwards', v_forwards, 'notifies', v_notifies, 'more', v_more);
end
$$;

-- The forward (or notify) email went out: its mark advances, never backwards; the lease ends.
create or replace function salient_handoff_mark(p_tenant text, p_handoff uuid, p_through timestamptz,
                                                p_forwarded boolean) returns jsonb
language plpgsql as $$
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_handoff', p_handoff);
  if p_through is null then
    raise exception 'invalid input for argument p_through: expected a time' using errcode = '22P02';
  end if;
  if p_forwarded then
    update handoffs set forwarded_through = greatest(forwarded_through, p_through), forward_lease_until = null
     where id = p_handoff and tenant_id = salient_tenant_id(p_tenant, false);
  else
    update handoffs set notified_through = greatest(notified_through, p_through), notify_lease_until = null
     where id = p_handoff and tenant_id = salient_tenant_id(p_tenant, false);
  end if;
  return jsonb_build_object('status', case when found then 'ok' else 'not_found' end);
end
$$;

create or replace function salient_handoff_forwarded(p_tenant text, p_handoff uuid, p_through timestamptz)
returns jsonb
language plpgsql as $$
begin
  return salient_handoff_mark(p_tenant, p_handoff, p_through, true);
end
$$;

create or replace function salient_handoff_notified(p_tenant text, p_handoff uuid, p_through timestamptz)
returns jsonb
language plpgsql as $$
begin
  return salient_handoff_mark(p_tenant, p_handoff, p_through, false);
end
$$;
