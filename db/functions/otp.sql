-- One-time codes: a visitor proves an address to link their conversation (link_session) or to
-- erase what the site holds about them (delete_data); an operator signs in to /admin with one
-- (admin_sign_in: no conversation, p_agent and p_session_key not needed, and a code is always
-- made, subject to the limits; the core sends it only to salient.yaml's admin.emails). The
-- core makes the code (6 digits from the CSPRNG) and sends only its keyed hash here
-- (HMAC-SHA256 with SALIENT_OTP_SECRET over tenant, purpose, address, session and code), with
-- the address's keyed hash (p_email_key) for the counters. The rules (OWASP ASVS 5.0 §6, NIST
-- SP 800-63B) are enforced here, in one transaction per call, so that they hold across every
-- edge instance:
--   a code lives 10 minutes; takes at most 5 wrong tries, then it is dead; is used once; only
--   the newest code of an (address, purpose[, session]) is valid; at most 3 codes per address
--   per 15 minutes; after 10 wrong tries within 24 hours across its codes an address takes no
--   code for 24 hours; p_ip_limit codes per IP per hour; p_daily_cap code emails per tenant
--   per day. A code is valid only once its email was reported sent (salient_email_result).
--   admin_sign_in codes have their own per-IP and per-tenant counters (buckets otp_admin_ip,
--   otp_admin_tenant): the operator's limits count only sign-in codes, the visitors' none.
--
--   salient_otp_issue(p_tenant, p_agent, p_purpose, p_email, p_email_key, p_session_key,
--                     p_code_hash, p_ip_key, p_now_ms, p_ip_limit, p_daily_cap, p_email_limits = null)
--     → {status: "issued", otp_id, session_id}      send the code email
--     | {status: "nothing_held"}                     delete_data for an address with nothing stored:
--                                                    send the "we hold nothing" email (no code in it;
--                                                    a decoy code no one knows is stored, so that
--                                                    /otp/verify answers as for a held address)
--     | {status: "limited", limit, retry_after}      limit: email | ip | tenant | locked, or
--                                                    emails_per_hour (p_email_limits, with its scope:
--                                                    rate_limits.sql's salient_email_take)
--     | {status: "no_session"}                       link_session before the conversation exists
--   salient_otp_verify(p_tenant, p_agent, p_purpose, p_email, p_email_key, p_session_key,
--                      p_code_hash, p_now_ms, p_consent_version)
--     → {status: "verified", profile, session_keys}  link_session: the session now carries the
--                                                    address; the profile's conversations (this agent)
--     | {status: "erased", counts}                   delete_data: everything is gone (visitors.sql)
--     | {status: "verified"}                         admin_sign_in: nothing else is touched
--     | {status: "wrong", tries_left} | {status: "expired"} | {status: "dead"}
--     | {status: "locked", retry_after}

-- Equal hex digests, comparing every character whatever the first difference (no early exit).
create or replace function salient_digest_equal(p_a text, p_b text) returns boolean
language plpgsql immutable as $$
declare
  v_diff integer := 0;
begin
  if p_a is null or p_b is null or length(p_a) <> length(p_b) then
    return false;
  end if;
  for i in 1 .. length(p_a) loop
    v_diff := v_diff | (ascii(substr(p_a, i, 1)) # ascii(substr(p_b, i, 1)));
  end loop;
  return v_diff = 0;
end
$$;

create or replace function salient_otp_check_args(p_tenant text, p_agent text, p_purpose text, p_email text,
                                                   p_email_key text, p_code_hash text) returns void
language plpgsql stable as $$
begin
  perform salient_require_text('p_tenant', p_tenant);
  if p_purpose is distinct from 'admin_sign_in' then
    perform salient_require_text('p_agent', p_agent);
  end if;
  perform salient_require_text('p_email', p_email);
  perform salient_require_text('p_email_key', p_email_key);
  perform salient_require_text('p_code_hash', p_code_hash);
  if p_purpose is null or p_purpose not in ('link_session', 'delete_data', 'admin_sign_in') then
    raise exception 'invalid input for argument p_purpose: expected link_session, delete_data or admin_sign_in'
      using errcode = '22P02';
  end if;
end
$$;

drop function if exists salient_otp_issue(text, text, text, text, text, text, text, text, bigint, integer, integer);
create or replace function salient_otp_issue(p_tenant text, p_agent text, p_purpose text, p_email text,
                                             p_email_key text, p_session_key text, p_code_hash text,
                                             p_ip_key text, p_now_ms bigint, p_ip_limit integer,
                                             p_daily_cap integer, p_email_limits jsonb default null)
returns jsonb
language plpgsql as $$
declare
  v_refusal jsonb;
  v_tenant uuid;
  v_now timestamptz := to_timestamp(p_now_ms / 1000.0);
  v_session uuid;
  v_retry integer;
  v_otp uuid;
  v_admin boolean := p_purpose = 'admin_sign_in';
  -- The operator's sign-in codes are counted apart from the visitors' codes.
  v_ip_bucket text := case when v_admin then 'otp_admin_ip' else 'otp_ip' end;
  v_tenant_bucket text := case when v_admin then 'otp_admin_tenant' else 'otp_tenant' end;
begin
  perform salient_otp_check_args(p_tenant, p_agent, p_purpose, p_email, p_email_key, p_code_hash);
  v_tenant := salient_tenant_id(p_tenant, true);
  if not v_admin then
    perform salient_require_agent_enabled(p_tenant, p_agent);
  end if;
  if p_purpose = 'link_session' then
    perform salient_require_text('p_session_key', p_session_key);
    v_session := salient_session_of(v_tenant, p_agent, p_session_key);
    if v_session is null then
      return jsonb_build_object('status', 'no_session');
    end if;
    -- The session's row before any rate lock: the summary and handoff functions hold it while
    -- they take the same emails_per_hour locks, so both take them in one order (no deadlock).
    perform 1 from sessions where id = v_session for update;
  end if;

  -- Check every limit before counting any, so that one refusal does not spend another's quota.
  v_retry := salient_rate_take(v_tenant, 'otp_lock', p_email_key, 1, 86400, v_now, false);
  if v_retry > 0 then
    return jsonb_build_object('status', 'limited', 'limit', 'locked', 'retry_after', v_retry);
  end if;
  v_retry := salient_rate_take(v_tenant, 'otp_email', p_email_key, 3, 900, v_now, false);
  if v_retry > 0 then
    return jsonb_build_object('status', 'limited', 'limit', 'email', 'retry_after', v_retry);
  end if;
  if coalesce(p_ip_key, '') <> '' then
    v_retry := salient_rate_take(v_tenant, v_ip_bucket, p_ip_key, p_ip_limit, 3600, v_now, false);
    if v_retry > 0 then
      return jsonb_build_object('status', 'limited', 'limit', 'ip', 'retry_after', v_retry);
    end if;
  end if;
  v_retry := salient_rate_take(v_tenant, v_tenant_bucket, '', p_daily_cap, 86400, v_now, false);
  if v_retry > 0 then
    return jsonb_build_object('status', 'limited', 'limit', 'tenant', 'retry_after', v_retry);
  end if;
  -- The deployment's emails_per_hour (rate_limits.sql), once the code's own limits allow it.
  v_refusal := salient_email_take(v_tenant, p_email_limits, v_now);
  if v_refusal is not null then
    return v_refusal;
  end if;
  perform salient_rate_take(v_tenant, 'otp_email', p_email_key, 3, 900, v_now, true);
  if coalesce(p_ip_key, '') <> '' then
    perform salient_rate_take(v_tenant, v_ip_bucket, p_ip_key, p_ip_limit, 3600, v_now, true);
  end if;
  perform salient_rate_take(v_tenant, v_tenant_bucket, '', p_daily_cap, 86400, v_now, true);

  -- Only the newest code is valid.
  update otp_links set status = 'superseded'
   where tenant_id = v_tenant and email_key = p_email_key and purpose = p_purpose
     and status in ('pending', 'sent') and session_id is not distinct from v_session;

  -- An address the tenant holds nothing for gets no code, but a decoy takes its place: a hash of
  -- random bytes that no code matches, valid at once. /otp/verify then answers a guess exactly
  -- as it would for a held address (wrong, tries left, expired…), so it reveals nothing either.
  if p_purpose = 'delete_data' and not salient_holds_data(v_tenant, lower(p_email)) then
    insert into otp_links (tenant_id, email, email_key, purpose, otp_hash, expires_at, agent_id, ip_key,
                           status, sent_at, created_at)
      values (v_tenant, lower(p_email), p_email_key, p_purpose,
              encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex'),
              v_now + interval '10 minutes', (select id from agents where code = p_agent), nullif(p_ip_key, ''),
              'sent', v_now, v_now);
    return jsonb_build_object('status', 'nothing_held');
  end if;

  insert into otp_links (tenant_id, email, email_key, purpose, otp_hash, expires_at, agent_id, session_id,
                         ip_key, status, created_at)
    values (v_tenant, lower(p_email), p_email_key, p_purpose, p_code_hash, v_now + interval '10 minutes',
            (select id from agents where code = p_agent), v_session, nullif(p_ip_key, ''), 'pending', v_now)
    returning id into v_otp;
  return jsonb_build_object('status', 'issued', 'otp_id', v_otp, 'session_id', v_session);
end
$$;

create or replace function salient_otp_verify(p_tenant text, p_agent text, p_purpose text, p_email text,
                                              p_email_key text, p_session_key text, p_code_hash text,
                                              p_now_ms bigint, p_consent_version text)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_now timestamptz := to_timestamp(p_now_ms / 1000.0);
  v_session uuid;
  v_code otp_links%rowtype;
  v_retry integer;
  v_failures integer;
  v_found boolean;
begin
  perform salient_otp_check_args(p_tenant, p_agent, p_purpose, p_email, p_email_key, p_code_hash);
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null then
    return jsonb_build_object('status', 'expired');
  end if;
  v_retry := salient_rate_take(v_tenant, 'otp_lock', p_email_key, 1, 86400, v_now, false);
  if v_retry > 0 then
    return jsonb_build_object('status', 'locked', 'retry_after', v_retry);
  end if;
  if p_purpose = 'link_session' then
    v_session := salient_session_of(v_tenant, p_agent, p_session_key);
  end if;

  -- The newest code still in play; FOR UPDATE serialises concurrent tries of one code. A sign-in
  -- code counts from when it is made: an address not in admin.emails gets one that is never sent
  -- (flows/admin), and its wrong tries must be answered like a listed address's.
  select * into v_code from otp_links
   where tenant_id = v_tenant and email_key = p_email_key and purpose = p_purpose
     and (status in ('sent', 'dead') or (p_purpose = 'admin_sign_in' and status = 'pending'))
     and (p_purpose <> 'link_session' or session_id = v_session)
   order by created_at desc limit 1
   for update;
  v_found := found;  -- PERFORM below resets FOUND

  if v_found and v_code.status in ('sent', 'pending') and v_code.expires_at > v_now
     and salient_digest_equal(v_code.otp_hash, p_code_hash) then
    update otp_links set status = 'used', consumed_at = v_now where id = v_code.id;
    if p_purpose = 'delete_data' then
      return jsonb_build_object('status', 'erased',
                                'counts', salient_erase_visitor(v_tenant, lower(p_email), p_email_key, v_now, null));
    end if;
    if p_purpose = 'admin_sign_in' then
      return jsonb_build_object('status', 'verified');  -- the core sets the admin cookie
    end if;
    return salient_link_session(v_tenant, v_session, lower(p_email), p_agent, v_now, p_consent_version);
  end if;

  if not v_found or (v_code.status in ('sent', 'pending') and v_code.expires_at <= v_now) then
    -- Not a guess at a live code: nothing to count. (Counting it against the address would let
    -- anyone lock any address out without asking for a code.)
    return jsonb_build_object('status', 'expired');
  end if;
  -- A wrong code: counted against the address.
  perform salient_rate_take(v_tenant, 'otp_fail', p_email_key, 1000000, 86400, v_now, true);
  select count(*) into v_failures from rate_hits
   where tenant_id = v_tenant and bucket = 'otp_fail' and key = p_email_key and at > v_now - interval '24 hours';
  if v_failures >= 10 then
    perform salient_rate_take(v_tenant, 'otp_lock', p_email_key, 1, 86400, v_now, true);
    update otp_links set status = 'dead' where id = v_code.id and status in ('sent', 'pending');
    return jsonb_build_object('status', 'locked', 'retry_after', 86400);
  end if;
  if v_code.status = 'dead' then
    return jsonb_build_object('status', 'dead');
  end if;
  update otp_links set attempts = attempts + 1,
                       status = case when attempts + 1 >= 5 then 'dead' else status end
   where id = v_code.id;
  if v_code.attempts + 1 >= 5 then
    return jsonb_build_object('status', 'dead');
  end if;
  return jsonb_build_object('status', 'wrong', 'tries_left', 5 - (v_code.attempts + 1));
end
$$;
