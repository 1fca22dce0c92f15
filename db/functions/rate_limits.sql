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
