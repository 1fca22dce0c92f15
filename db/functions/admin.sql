-- The operator's admin view (issue 20): /admin's conversations, leads and erasure. The dashboard's
-- figures, /metrics and the warnings are admin_metrics.sql. The schema: migration 0006. Times in
-- the answers are epoch milliseconds (UTC). Every function reads or changes only p_tenant's rows;
-- an unknown tenant has nothing (nothing is created for it). A bad argument is a 22023 naming it.
--
--   salient_admin_conversations(p_tenant, p_query = '', p_outcome = '', p_before_ms = null, p_limit = 50)
--     → {conversations: [{session_id, agent, started_ms, last_activity_ms, message_count, email, name,
--         outcome, lead_status, handoff, first_message}], next_before_ms}
--     Newest activity first. p_query (trimmed, cut to 200 characters) is a case-insensitive
--     substring (% and _ match themselves) of the session's or its profiles' address or name, or
--     of any message. p_outcome: '' (all), LEAD, CALLBACK, INFO_ONLY, SUPPORT, SPAM (the newest
--     summary's outcome), none (no summary, or its outcome is null), handoff (had a handoff).
--     p_limit 1..200. A page never ends inside a millisecond: the conversations that share the
--     last one's are all on it (it may hold more than p_limit), so next_before_ms (the last one's
--     last_activity_ms, null when no older conversation matches) loses none.
--   salient_admin_conversation(p_tenant, p_session_id)
--     → {status: "not_found"} | {status: "found", session, profile, messages, summaries, emails,
--        handoffs, lead}: everything of one conversation, oldest first.
--   salient_admin_leads(p_tenant, p_status = '', p_limit = 500)
--     → {leads: [{session_id, agent, name, email, phone, company, outcome, summary, status, notes,
--        created_ms, updated_ms, last_activity_ms}]}: conversations whose newest summary's outcome
--     is LEAD or CALLBACK, or that have a leads row; newest activity first. p_status '', new,
--     contacted, won, lost (no leads row is new). p_limit 1..10000.
--   salient_admin_lead_update(p_tenant, p_session_id, p_status, p_notes, p_by, p_now_ms)
--     → {status: "updated", lead: {status, notes, updated_ms, updated_by}} | {status: "not_found"}
--   salient_admin_erase(p_tenant, p_email, p_by, p_now_ms, p_email_key = null)
--     → {status: "erased", erased: {sessions, messages, summaries, profiles, emails, llm_requests,
--        codes, consents, leads}}: salient_erase_visitor (visitors.sql), the privacy page's erasure,
--     recorded in erasures with source 'admin' and erased_by p_by.
-- Functions that name other files' functions are plpgsql (resolved when called): db/migrate.mjs
-- applies the files in name order, and this one comes first.

-- Epoch milliseconds of a time (NULL for NULL).
create or replace function salient_admin_ms(p_at timestamptz) returns bigint
language sql immutable as $$
  select floor(extract(epoch from p_at) * 1000)::bigint
$$;

create or replace function salient_admin_invalid(p_name text, p_expected text) returns void
language plpgsql immutable as $$
begin
  raise exception 'invalid input for argument %: %', p_name, p_expected using errcode = '22023';
end
$$;

-- The tenant's id for an admin call (NULL when it does not exist): p_tenant must be given.
create or replace function salient_admin_tenant(p_tenant text) returns uuid
language plpgsql stable as $$
begin
  if p_tenant is null or p_tenant = '' then
    perform salient_admin_invalid('p_tenant', 'expected a non-empty string');
  end if;
  return (select id from tenants where slug = p_tenant);
end
$$;

-- The newest summary's outcome of a conversation (NULL when none).
create or replace function salient_admin_outcome(p_session uuid) returns text
language sql stable as $$
  select cs.outcome from conversation_summaries cs where cs.session_id = p_session
   order by cs.created_at desc, cs.id desc limit 1
$$;

-- The conversations matching the list's filters, newest activity first: last activity in
-- [p_after, p_before) (either bound NULL: open), at most p_limit.
create or replace function salient_admin_matches(p_tenant uuid, p_pattern text, p_outcome text,
                                                 p_after timestamptz, p_before timestamptz, p_limit integer)
returns table (id uuid, ms bigint)
language sql stable as $$
  select s.id, salient_admin_ms(s.last_activity_at)
    from sessions s
   where s.tenant_id = p_tenant
     and (p_before is null or s.last_activity_at < p_before)
     and (p_after is null or s.last_activity_at >= p_after)
     and (p_pattern is null
          or s.email ilike p_pattern
          or exists (select 1 from profiles p
                      where p.tenant_id = p_tenant and (p.id = s.profile_id or p.session_id = s.id)
                        and (p.email ilike p_pattern or p.customer_name ilike p_pattern))
          or exists (select 1 from messages m where m.session_id = s.id and m.content ilike p_pattern))
     and (p_outcome = ''
          or (p_outcome = 'handoff' and exists (select 1 from handoffs h where h.session_id = s.id))
          or (p_outcome <> 'handoff'
              and salient_admin_outcome(s.id) is not distinct from nullif(p_outcome, 'none')))
   order by s.last_activity_at desc, s.id desc
   limit p_limit
$$;

-- One conversation of the list.
create or replace function salient_admin_row(p_tenant uuid, p_session uuid) returns jsonb
language sql stable as $$
  select jsonb_build_object(
      'session_id', s.id, 'agent', a.code,
      'started_ms', salient_admin_ms(s.created_at), 'last_activity_ms', salient_admin_ms(s.last_activity_at),
      'message_count', (select count(*) from messages m where m.session_id = s.id and m.role <> 'system'),
      'email', coalesce(s.email, vp.email, pr.email),
      'name', coalesce(vp.customer_name, pr.customer_name),
      'outcome', salient_admin_outcome(s.id),
      'lead_status', (select l.status from leads l where l.session_id = s.id),
      'handoff', (select h.status from handoffs h where h.session_id = s.id order by h.created_at desc, h.id desc limit 1),
      'first_message', (select left(m.content, 200) from messages m where m.session_id = s.id and m.role = 'user'
                         order by m.created_at, m.id limit 1))
    from sessions s
    left join agents a on a.id = s.agent_id
    left join profiles vp on vp.id = s.profile_id
    left join profiles pr on pr.session_id = s.id
   where s.id = p_session and s.tenant_id = p_tenant
$$;

create or replace function salient_admin_conversations(p_tenant text, p_query text default '',
                                                       p_outcome text default '', p_before_ms bigint default null,
                                                       p_limit integer default 50)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid := salient_admin_tenant(p_tenant);
  v_query text := left(btrim(coalesce(p_query, '')), 200);
  v_outcome text := coalesce(p_outcome, '');
  v_pattern text;
  v_ids uuid[];
  v_ms bigint[];
  v_page uuid[];
  v_cut bigint;
  v_next bigint;
begin
  if p_limit is null or p_limit < 1 or p_limit > 200 then
    perform salient_admin_invalid('p_limit', 'expected 1 to 200');
  end if;
  if v_outcome not in ('', 'LEAD', 'CALLBACK', 'INFO_ONLY', 'SUPPORT', 'SPAM', 'none', 'handoff') then
    perform salient_admin_invalid('p_outcome', 'expected one of LEAD, CALLBACK, INFO_ONLY, SUPPORT, SPAM, none, handoff or empty');
  end if;
  if v_tenant is null then
    return jsonb_build_object('conversations', '[]'::jsonb, 'next_before_ms', null);
  end if;
  if v_query <> '' then
    v_pattern := '%' || replace(replace(replace(v_query, '\', '\\'), '%', '\%'), '_', '\_') || '%';
  end if;

  select coalesce(array_agg(m.id order by ord), '{}'), coalesce(array_agg(m.ms order by ord), '{}')
    into v_ids, v_ms
    from salient_admin_matches(v_tenant, v_pattern, v_outcome, null,
                               to_timestamp(p_before_ms / 1000.0), p_limit + 1) with ordinality m(id, ms, ord);
  if cardinality(v_ids) <= p_limit then
    v_page := v_ids;
  else
    v_cut := v_ms[p_limit];
    if v_ms[p_limit + 1] < v_cut then
      v_page := v_ids[1:p_limit];
      v_next := v_cut;
    else
      -- The page would end inside a millisecond: it takes every conversation of that millisecond.
      select coalesce(array_agg(id order by i), '{}') into v_page
        from unnest(v_ids[1:p_limit], v_ms[1:p_limit]) with ordinality u(id, ms, i) where u.ms > v_cut;
      v_page := v_page || array(select m.id from salient_admin_matches(v_tenant, v_pattern, v_outcome,
                                                                      to_timestamp(v_cut / 1000.0),
                                                                      to_timestamp((v_cut + 1) / 1000.0), null) m);
      if exists (select 1 from salient_admin_matches(v_tenant, v_pattern, v_outcome, null,
                                                     to_timestamp(v_cut / 1000.0), 1)) then
        v_next := v_cut;
      end if;
    end if;
  end if;
  return jsonb_build_object(
    'conversations', coalesce((select jsonb_agg(salient_admin_row(v_tenant, u.id) order by u.i)
                                 from unnest(v_page) with ordinality u(id, i)), '[]'::jsonb),
    'next_before_ms', v_next);
end
$$;

-- A conversation's lead row as the admin view shows it (NULL when none).
create or replace function salient_admin_lead_of(p_session uuid) returns jsonb
language sql stable as $$
  select jsonb_build_object('status', l.status, 'notes', l.notes, 'updated_ms', salient_admin_ms(l.updated_at),
                            'updated_by', l.updated_by)
    from leads l where l.session_id = p_session
$$;

create or replace function salient_admin_conversation(p_tenant text, p_session_id uuid) returns jsonb
language plpgsql as $$
declare
  v_tenant uuid := salient_admin_tenant(p_tenant);
  v_session sessions%rowtype;
begin
  if p_session_id is null then
    perform salient_admin_invalid('p_session_id', 'expected a uuid');
  end if;
  select * into v_session from sessions where id = p_session_id and tenant_id = v_tenant;
  if not found then
    return jsonb_build_object('status', 'not_found');
  end if;
  return jsonb_build_object(
    'status', 'found',
    'session', jsonb_build_object(
      'session_id', v_session.id, 'agent', (select code from agents where id = v_session.agent_id),
      'session_key_hint', left(v_session.session_key, 6), 'started_ms', salient_admin_ms(v_session.created_at),
      'last_activity_ms', salient_admin_ms(v_session.last_activity_at), 'email', v_session.email,
      'email_verified', v_session.email_verified_at is not null),
    -- The verified profile's fields first, what this conversation said filling the gaps.
    'profile', (select jsonb_build_object(
                  'customer_name', coalesce(vp.customer_name, pr.customer_name), 'email', coalesce(vp.email, pr.email),
                  'phone', coalesce(vp.phone, pr.phone), 'company', coalesce(vp.company, pr.company),
                  'address', coalesce(vp.address, pr.address),
                  'preferred_time', coalesce(vp.preferred_time, pr.preferred_time),
                  'language', coalesce(vp.language, pr.language),
                  'products_of_interest', to_jsonb(coalesce(vp.products_of_interest, pr.products_of_interest)),
                  'services_of_interest', to_jsonb(coalesce(vp.services_of_interest, pr.services_of_interest)),
                  'verified', vp.email_verified_at is not null)
                  from (select 1) one
                  left join profiles vp on vp.id = v_session.profile_id
                  left join profiles pr on pr.session_id = v_session.id
                 where vp.id is not null or pr.id is not null),
    'messages', coalesce((select jsonb_agg(jsonb_build_object(
                   'id', m.id, 'role', m.role, 'content', m.content, 'created_ms', salient_admin_ms(m.created_at),
                   'citations', case when jsonb_typeof(m.metadata -> 'citations') = 'array'
                                     then m.metadata -> 'citations' else '[]'::jsonb end)
                   order by m.created_at, m.id)
                   from messages m where m.session_id = v_session.id), '[]'::jsonb),
    'summaries', coalesce((select jsonb_agg(jsonb_build_object(
                    'id', cs.id, 'created_ms', salient_admin_ms(cs.created_at), 'trigger', cs.trigger,
                    'method', cs.method, 'outcome', cs.outcome, 'status', cs.status, 'summary', cs.summary,
                    'lead', cs.lead)
                    order by cs.created_at, cs.id)
                    from conversation_summaries cs where cs.session_id = v_session.id), '[]'::jsonb),
    'emails', coalesce((select jsonb_agg(jsonb_build_object(
                 'id', e.id, 'kind', e.kind, 'to', e.to_email, 'subject', e.subject, 'status', e.status,
                 'created_ms', salient_admin_ms(e.created_at), 'sent_ms', salient_admin_ms(e.sent_at))
                 order by e.created_at, e.id)
                 from email_events e
                where e.tenant_id = v_tenant
                  and (e.session_id = v_session.id
                       or e.summary_id in (select id from conversation_summaries where session_id = v_session.id)
                       or e.handoff_id in (select id from handoffs where session_id = v_session.id))), '[]'::jsonb),
    'handoffs', coalesce((select jsonb_agg(jsonb_build_object(
                   'id', h.id, 'status', h.status, 'trigger', h.trigger, 'team_email', h.team_email,
                   'attempts', h.attempts, 'created_ms', salient_admin_ms(h.created_at),
                   'expires_ms', salient_admin_ms(h.expires_at),
                   'last_team_reply_ms', salient_admin_ms(h.last_team_reply_at))
                   order by h.created_at, h.id)
                   from handoffs h where h.session_id = v_session.id), '[]'::jsonb),
    'lead', salient_admin_lead_of(v_session.id));
end
$$;

create or replace function salient_admin_leads(p_tenant text, p_status text default '', p_limit integer default 500)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid := salient_admin_tenant(p_tenant);
  v_status text := coalesce(p_status, '');
begin
  if v_status not in ('', 'new', 'contacted', 'won', 'lost') then
    perform salient_admin_invalid('p_status', 'expected new, contacted, won, lost or empty');
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    perform salient_admin_invalid('p_limit', 'expected 1 to 10000');
  end if;
  return jsonb_build_object('leads', coalesce((
    select jsonb_agg(x.lead order by x.at desc, x.id desc) from (
      select s.id, s.last_activity_at as at, jsonb_build_object(
          'session_id', s.id, 'agent', a.code,
          'name', coalesce(vp.customer_name, pr.customer_name, ns.lead ->> 'name'),
          'email', coalesce(s.email, vp.email, pr.email, ns.lead ->> 'email'),
          'phone', coalesce(vp.phone, pr.phone, ns.lead ->> 'phone'),
          'company', coalesce(vp.company, pr.company, ns.lead ->> 'company'),
          'outcome', ns.outcome, 'summary', left(ns.summary, 300),
          'status', coalesce(l.status, 'new'), 'notes', coalesce(l.notes, ''),
          'created_ms', salient_admin_ms(coalesce(
                          (select min(cs.created_at) from conversation_summaries cs where cs.session_id = s.id),
                          l.created_at)),
          'updated_ms', salient_admin_ms(l.updated_at), 'last_activity_ms', salient_admin_ms(s.last_activity_at)) as lead
        from sessions s
        left join agents a on a.id = s.agent_id
        left join profiles vp on vp.id = s.profile_id
        left join profiles pr on pr.session_id = s.id
        left join leads l on l.session_id = s.id
        left join lateral (select cs.outcome, cs.summary, cs.lead from conversation_summaries cs
                            where cs.session_id = s.id order by cs.created_at desc, cs.id desc limit 1) ns on true
       where s.tenant_id = v_tenant
         and (l.id is not null or ns.outcome in ('LEAD', 'CALLBACK'))
         and (v_status = '' or coalesce(l.status, 'new') = v_status)
       order by s.last_activity_at desc, s.id desc
       limit p_limit) x), '[]'::jsonb));
end
$$;

create or replace function salient_admin_lead_update(p_tenant text, p_session_id uuid, p_status text, p_notes text,
                                                     p_by text, p_now_ms bigint)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid := salient_admin_tenant(p_tenant);
  v_now timestamptz := to_timestamp(p_now_ms / 1000.0);
begin
  if p_session_id is null then
    perform salient_admin_invalid('p_session_id', 'expected a uuid');
  end if;
  if p_status is null or p_status not in ('new', 'contacted', 'won', 'lost') then
    perform salient_admin_invalid('p_status', 'expected new, contacted, won or lost');
  end if;
  if length(coalesce(p_notes, '')) > 4000 then
    perform salient_admin_invalid('p_notes', 'at most 4000 characters');
  end if;
  if p_now_ms is null then
    perform salient_admin_invalid('p_now_ms', 'expected epoch milliseconds');
  end if;
  perform 1 from sessions where id = p_session_id and tenant_id = v_tenant;
  if not found then
    return jsonb_build_object('status', 'not_found');
  end if;
  insert into leads (tenant_id, session_id, status, notes, created_at, updated_at, updated_by)
    values (v_tenant, p_session_id, p_status, coalesce(p_notes, ''), v_now, v_now, nullif(p_by, ''))
    on conflict (tenant_id, session_id) do update
      set status = excluded.status, notes = excluded.notes, updated_at = excluded.updated_at,
          updated_by = excluded.updated_by;
  return jsonb_build_object('status', 'updated', 'lead', salient_admin_lead_of(p_session_id));
end
$$;

create or replace function salient_admin_erase(p_tenant text, p_email text, p_by text, p_now_ms bigint,
                                               p_email_key text default null)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid := salient_admin_tenant(p_tenant);
  v_email text := lower(btrim(coalesce(p_email, '')));
begin
  if v_email = '' or strpos(v_email, '@') = 0 then
    perform salient_admin_invalid('p_email', 'expected an email address');
  end if;
  if p_by is null or p_by = '' then
    perform salient_admin_invalid('p_by', 'expected the operator''s address');
  end if;
  if p_now_ms is null then
    perform salient_admin_invalid('p_now_ms', 'expected epoch milliseconds');
  end if;
  if v_tenant is null then  -- nothing held, nothing to record
    return jsonb_build_object('status', 'erased', 'erased', jsonb_build_object(
      'sessions', 0, 'messages', 0, 'summaries', 0, 'profiles', 0, 'emails', 0, 'llm_requests', 0,
      'codes', 0, 'consents', 0, 'leads', 0));
  end if;
  return jsonb_build_object('status', 'erased',
                            'erased', salient_erase_visitor(v_tenant, v_email, p_email_key,
                                                            to_timestamp(p_now_ms / 1000.0), p_by));
end
$$;
