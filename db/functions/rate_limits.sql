-- The one general rate check: at most p_limit events of (bucket, key) within p_window_seconds,
-- counted in Postgres so that a limit holds across every edge instance. Keys are keyed hashes
-- (an address or IP never appears in clear); buckets name the limit ("otp_email", "otp_ip"…).
--
--   salient_rate_check(p_tenant, p_bucket, p_key, p_limit, p_window_seconds, p_now_ms, p_record)
--     → {allowed, count, retry_after}
--     allowed: fewer than p_limit events in the window. When allowed and p_record, this event is
--     counted. retry_after: seconds until the oldest counted event leaves the window (0 when
--     allowed). The caller's clock (p_now_ms) is the time, so that tests can move it.
--
-- salient_rate_take is the same on a tenant id, for the other functions; it serialises checks of
-- one (tenant, bucket, key) with a transaction-scoped advisory lock, so two concurrent requests
-- cannot both take the last slot.
--
--   salient_rate_take_all(p_tenant uuid, p_checks, p_now)
--     → {allowed: true} | {allowed: false, scope, bucket, retry_after}
--     p_checks: [{scope, bucket, key, limit, window_seconds}], all or nothing: when any is over
--     its limit nothing is counted, else every one is. A check with limit 0 or an empty key is
--     skipped (a limit switched off; a host that gave no client address). The checks' locks are
--     taken in the order given and held to the end of the transaction: callers list them in one
--     fixed order (ip, session, tenant), so two requests never wait on each other crosswise.
--     Used by salient_begin_turn (messages per minute) and salient_email_take (emails per hour).

create or replace function salient_rate_take(p_tenant uuid, p_bucket text, p_key text, p_limit integer,
                                             p_window_seconds integer, p_now timestamptz, p_record boolean)
returns integer
language plpgsql as $$
declare
  v_count integer;
  v_oldest timestamptz;
  v_start timestamptz := p_now - make_interval(secs => p_window_seconds);
begin
  if p_limit is null or p_limit < 1 or p_window_seconds is null or p_window_seconds < 1 then
    raise exception 'invalid input: a rate limit needs p_limit >= 1 and p_window_seconds >= 1'
      using errcode = '22P02';
  end if;
  perform pg_advisory_xact_lock(hashtext(p_tenant::text || '|' || p_bucket || '|' || p_key));
  -- Rows older than any window we use (a day) only cost space: the bucket's, whatever their key
  -- (keys seen once would otherwise stay forever).
  delete from rate_hits where tenant_id = p_tenant and bucket = p_bucket and at < p_now - interval '2 days';
  select count(*), min(at) into v_count, v_oldest
    from (select at from rate_hits
           where tenant_id = p_tenant and bucket = p_bucket and key = p_key and at > v_start
           order by at desc limit p_limit) recent;
  if v_count >= p_limit then
    return greatest(1, ceil(extract(epoch from (v_oldest + make_interval(secs => p_window_seconds) - p_now)))::integer);
  end if;
  if p_record then
    insert into rate_hits (tenant_id, bucket, key, at) values (p_tenant, p_bucket, p_key, p_now);
  end if;
  return 0;
end
$$;

create or replace function salient_rate_check(p_tenant text, p_bucket text, p_key text, p_limit integer,
                                              p_window_seconds integer, p_now_ms bigint,
                                              p_record boolean default true)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_retry integer;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_bucket', p_bucket);
  perform salient_require_string('p_key', p_key);
  v_tenant := salient_tenant_id(p_tenant, true);
  v_retry := salient_rate_take(v_tenant, p_bucket, p_key, p_limit, p_window_seconds,
                               to_timestamp(p_now_ms / 1000.0), coalesce(p_record, true));
  return jsonb_build_object('allowed', v_retry = 0, 'retry_after', v_retry,
                            'count', (select count(*) from rate_hits
                                       where tenant_id = v_tenant and bucket = p_bucket and key = p_key
                                         and at > to_timestamp(p_now_ms / 1000.0) - make_interval(secs => p_window_seconds)));
end
$$;

create or replace function salient_rate_take_all(p_tenant uuid, p_checks jsonb, p_now timestamptz)
returns jsonb
language plpgsql as $$
declare
  v_check jsonb;
  v_retry integer;
begin
  if p_checks is null or jsonb_typeof(p_checks) <> 'array' then
    raise exception 'invalid input for argument p_checks: expected a JSON array of {scope, bucket, key, limit, window_seconds}'
      using errcode = '22P02';
  end if;
  for v_check in select value from jsonb_array_elements(p_checks) loop
    if jsonb_typeof(v_check) <> 'object' or jsonb_typeof(v_check -> 'bucket') is distinct from 'string'
       or jsonb_typeof(v_check -> 'key') is distinct from 'string'
       or jsonb_typeof(v_check -> 'limit') is distinct from 'number'
       or jsonb_typeof(v_check -> 'window_seconds') is distinct from 'number' then
      raise exception 'invalid input for argument p_checks: each check needs bucket, key (strings), limit and window_seconds (numbers)'
        using errcode = '22P02';
    end if;
  end loop;
  -- First every count (taking each lock), then, only when all allow it, every record.
  for v_check in select value from jsonb_array_elements(p_checks) loop
    continue when (v_check ->> 'limit')::integer < 1 or v_check ->> 'key' = '';
    v_retry := salient_rate_take(p_tenant, v_check ->> 'bucket', v_check ->> 'key', (v_check ->> 'limit')::integer,
                                 (v_check ->> 'window_seconds')::integer, p_now, false);
    if v_retry > 0 then
      return jsonb_build_object('allowed', false, 'scope', coalesce(v_check ->> 'scope', v_check ->> 'bucket'),
                                'bucket', v_check ->> 'bucket', 'retry_after', v_retry);
    end if;
  end loop;
  for v_check in select value from jsonb_array_elements(p_checks) loop
    continue when (v_check ->> 'limit')::integer < 1 or v_check ->> 'key' = '';
    insert into rate_hits (tenant_id, bucket, key, at) values (p_tenant, v_check ->> 'bucket', v_check ->> 'key', p_now);
  end loop;
  return jsonb_build_object('allowed', true);
end
$$;

-- The emails a visitor's action sends (a one-time code, the summary button, "Talk to a person",
-- the stream's request for a person) are counted here, inside the function that claims the
-- email, so a refusal writes nothing else and costs no extra round trip: null when allowed (and
-- counted), else the refusal those functions return. p_limits is the `p_email_limits` the core
-- sends (shared/flows/rate_limits.h): the checks of salient_rate_take_all; null = none.
create or replace function salient_email_take(p_tenant uuid, p_limits jsonb, p_now timestamptz)
returns jsonb
language plpgsql as $$
declare
  v_taken jsonb;
begin
  if p_limits is null or jsonb_typeof(p_limits) = 'null' then
    return null;
  end if;
  v_taken := salient_rate_take_all(p_tenant, p_limits, p_now);
  if (v_taken ->> 'allowed')::boolean then
    return null;
  end if;
  return jsonb_build_object('status', 'limited', 'limit', 'emails_per_hour', 'scope', v_taken ->> 'scope',
                            'retry_after', (v_taken ->> 'retry_after')::integer);
end
$$;
