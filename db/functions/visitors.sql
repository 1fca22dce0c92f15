-- What a verified code does (called by salient_otp_verify, in its transaction):
--   salient_link_session: the conversation gets the proven address and joins the tenant-wide
--     profile of that address (profiles row with session_id NULL, unique per tenant + email).
--   salient_erase_visitor: everything the tenant holds about the address, deleted. The one
--     erasure: a visitor's delete_data code (p_by null) and the operator's /admin/erase
--     (salient_admin_erase, admin.sql: p_by is the operator's address) both run it.
-- And what salient_otp_issue asks first: salient_holds_data.
--
-- "The visitor's sessions" are those that carry the address (sessions.email, set only by a
-- verified code), those joined to its profile, those whose own profile names it (identify()),
-- and those in which the visitor typed the address in a message: the whole address, not a part
-- of a longer one (b@x.com is not in bob@x.com or b@x.com.au).

-- The session with this key of this tenant and agent, or NULL.
create or replace function salient_session_of(p_tenant uuid, p_agent text, p_session_key text) returns uuid
language sql stable as $$
  select s.id from sessions s join agents a on a.id = s.agent_id
   where s.tenant_id = p_tenant and s.session_key = p_session_key and a.code = p_agent
$$;

-- A regular expression matching the address where it stands alone in a text.
create or replace function salient_address_pattern(p_email text) returns text
language sql immutable as $$
  select '(^|[^[:alnum:]!#$%&''*+/=?^_`{|}~.-])'
      || regexp_replace(p_email, '([^[:alnum:]@])', '\\\1', 'g')
      || '($|[^[:alnum:]@_.-]|\.($|[^[:alnum:]-]))'
$$;

create or replace function salient_visitor_sessions(p_tenant uuid, p_email text) returns setof uuid
language sql stable as $$
  select s.id from sessions s where s.tenant_id = p_tenant and lower(s.email) = p_email
  union
  select s.id from sessions s join profiles p on p.id = s.profile_id
   where s.tenant_id = p_tenant and lower(p.email) = p_email
  union
  select p.session_id from profiles p
   where p.tenant_id = p_tenant and p.session_id is not null and lower(p.email) = p_email
  union
  select m.session_id from messages m
   where m.tenant_id = p_tenant and m.role = 'user' and strpos(lower(m.content), p_email) > 0
     and lower(m.content) ~ salient_address_pattern(p_email)
$$;

create or replace function salient_holds_data(p_tenant uuid, p_email text) returns boolean
language sql stable as $$
  select exists (select 1 from salient_visitor_sessions(p_tenant, p_email))
      or exists (select 1 from profiles where tenant_id = p_tenant and lower(email) = p_email)
      -- Earlier emails count, except those of this very flow (codes, "we hold nothing").
      or exists (select 1 from email_events where tenant_id = p_tenant and lower(to_email) = p_email
                    and coalesce(kind, '') not in ('otp_code', 'admin_code', 'nothing_held'))
$$;

create or replace function salient_visitor_profile(p_profile uuid) returns jsonb
language sql stable as $$
  select jsonb_build_object('customer_name', p.customer_name, 'email', p.email, 'phone', p.phone,
                            'products_of_interest', to_jsonb(p.products_of_interest),
                            'services_of_interest', to_jsonb(p.services_of_interest),
                            'verified', p.email_verified_at is not null)
    from profiles p where p.id = p_profile
$$;

-- What the conversation knows of its visitor: the verified profile of the session's address when
-- a code proved it (its fields first), else what this conversation said (identify(): not
-- verified); NULL when neither exists.
create or replace function salient_session_profile(p_tenant uuid, p_session uuid) returns jsonb
language sql stable as $$
  select jsonb_build_object('customer_name', coalesce(vp.customer_name, pr.customer_name),
                            'email', coalesce(vp.email, pr.email), 'phone', coalesce(vp.phone, pr.phone),
                            'products_of_interest', to_jsonb(coalesce(vp.products_of_interest, pr.products_of_interest)),
                            'services_of_interest', to_jsonb(coalesce(vp.services_of_interest, pr.services_of_interest)),
                            'verified', vp.email_verified_at is not null)
    from sessions s
    left join profiles vp on vp.id = s.profile_id
    left join profiles pr on pr.session_id = s.id and pr.tenant_id = p_tenant
   where s.id = p_session and s.tenant_id = p_tenant and (vp.id is not null or pr.id is not null)
$$;

create or replace function salient_link_session(p_tenant uuid, p_session uuid, p_email text, p_agent text,
                                                p_now timestamptz, p_consent_version text)
returns jsonb
language plpgsql as $$
declare
  v_profile uuid;
  v_own profiles%rowtype;
begin
  -- verified_fields: the address was proven, so a summary's extraction never replaces it.
  insert into profiles (tenant_id, session_id, email, email_verified_at, verified_fields, updated_at)
    values (p_tenant, null, p_email, p_now, array['email'], p_now)
    on conflict (tenant_id, email) where session_id is null
      do update set email_verified_at = excluded.email_verified_at, updated_at = excluded.updated_at,
                    verified_fields = (select array(select distinct unnest(profiles.verified_fields || array['email'])))
    returning id into v_profile;
  -- What this conversation said about the visitor fills the profile's empty fields; it never
  -- replaces what the profile holds, and its address is not taken (the verified one is).
  select * into v_own from profiles where session_id = p_session;
  if found then
    update profiles
       set customer_name = coalesce(customer_name, v_own.customer_name),
           phone = coalesce(phone, v_own.phone),
           products_of_interest = (select coalesce(array_agg(distinct x), '{}')
                                     from unnest(products_of_interest || v_own.products_of_interest) x),
           services_of_interest = (select coalesce(array_agg(distinct x), '{}')
                                     from unnest(services_of_interest || v_own.services_of_interest) x)
     where id = v_profile;
  end if;
  update sessions
     set email = p_email, is_anonymous = false, email_verified_at = p_now, profile_id = v_profile
   where id = p_session;
  insert into consents (tenant_id, session_id, profile_id, purpose, text_version, given_at)
    values (p_tenant, p_session, v_profile, 'link_session', coalesce(nullif(p_consent_version, ''), 'unversioned'), p_now);
  return jsonb_build_object(
    'status', 'verified',
    'profile', salient_visitor_profile(v_profile),
    'session_keys', coalesce((select jsonb_agg(s.session_key order by s.last_activity_at desc)
                                from sessions s join agents a on a.id = s.agent_id
                               where s.profile_id = v_profile and a.code = p_agent), '[]'::jsonb));
end
$$;

drop function if exists salient_erase_visitor(uuid, text, text, timestamptz);  -- before p_by
create or replace function salient_erase_visitor(p_tenant uuid, p_email text, p_email_key text, p_now timestamptz,
                                                 p_by text default null)
returns jsonb
language plpgsql as $$
declare
  v_sessions uuid[];
  v_counts jsonb;
  n_messages bigint; n_summaries bigint; n_llm bigint; n_emails bigint; n_profiles bigint;
  n_codes bigint; n_consents bigint; n_sessions bigint; n_leads bigint;
begin
  select coalesce(array_agg(id), '{}') into v_sessions from salient_visitor_sessions(p_tenant, p_email) id;
  delete from email_events
   where tenant_id = p_tenant and (lower(to_email) = p_email or session_id = any (v_sessions));
  get diagnostics n_emails = row_count;
  delete from llm_requests where tenant_id = p_tenant and session_id = any (v_sessions);
  get diagnostics n_llm = row_count;
  delete from conversation_summaries where tenant_id = p_tenant and session_id = any (v_sessions);
  get diagnostics n_summaries = row_count;
  delete from messages where tenant_id = p_tenant and session_id = any (v_sessions);
  get diagnostics n_messages = row_count;
  delete from consents
   where tenant_id = p_tenant
     and (session_id = any (v_sessions)
          or profile_id in (select id from profiles where tenant_id = p_tenant and lower(email) = p_email));
  get diagnostics n_consents = row_count;
  delete from otp_links
   where tenant_id = p_tenant and (lower(email) = p_email or email_key = p_email_key or session_id = any (v_sessions));
  get diagnostics n_codes = row_count;
  delete from profiles where tenant_id = p_tenant and (lower(email) = p_email or session_id = any (v_sessions));
  get diagnostics n_profiles = row_count;
  delete from leads where tenant_id = p_tenant and session_id = any (v_sessions);
  get diagnostics n_leads = row_count;
  delete from sessions where tenant_id = p_tenant and id = any (v_sessions);
  get diagnostics n_sessions = row_count;
  v_counts := jsonb_build_object('sessions', n_sessions, 'messages', n_messages, 'summaries', n_summaries,
                                 'profiles', n_profiles, 'emails', n_emails, 'llm_requests', n_llm,
                                 'codes', n_codes, 'consents', n_consents, 'leads', n_leads);
  insert into erasures (tenant_id, email_key, counts, erased_at, source, erased_by)
    values (p_tenant, nullif(p_email_key, ''), v_counts, p_now,
            case when p_by is null then 'visitor' else 'admin' end, p_by);
  return v_counts;
end
$$;
