-- The admin view's figures (issue 20): the dashboard's days, /metrics' store series, and the
-- cores' recent warnings and errors. The conversations and leads: admin.sql (and its helpers,
-- salient_admin_tenant, salient_admin_invalid, salient_admin_ms, salient_admin_outcome). Times in
-- the answers are epoch milliseconds; days are UTC. A bad argument is a 22023 naming it.
--
--   salient_admin_daily(p_tenant, p_days, p_now_ms)
--     → {days: [{day: "YYYY-MM-DD", conversations, leads, handoffs, cost_usd}], month_cost_usd}
--     Exactly p_days rows (1..90), oldest first, the last p_now_ms's day, zeros where nothing
--     happened: conversations started, leads (as salient_admin_leads lists them, on their
--     created_ms's day), handoffs asked for, and what the model calls cost that day.
--     month_cost_usd: the calendar month's spend so far, as salient_claim_turn sums it.
--   salient_admin_metrics(p_tenant, p_now_ms)
--     → {llm: [{agent, model, requests, prompt_tokens, completion_tokens, cost_usd}] (all time),
--        first_token_ms: {count, p50, p90, p99}, answer_ms: {count, p50, p90, p99} (the 24 hours
--        up to p_now_ms; observed values (percentile_disc), null when count is 0),
--        emails: [{kind, status, count}], conversations, messages, leads,
--        handoffs: [{status, count}], rate_limited_ok: true}
--   salient_log_append(p_tenant, p_lines)
--     p_lines: at most 100 of {ts_ms, level (warn | error), event (1..100 characters),
--     module (at most 20; default ''), fields (an object, at most 4096 characters as JSON text;
--     absent or null: {})}.
--     → {stored: n}. All or nothing: one bad line stores none. Keeps the tenant's newest 1000
--     lines (by ts_ms, then arrival) and deletes the rest. Creates the tenant when missing.
--   salient_admin_warnings(p_tenant, p_limit = 100)
--     → {warnings: [{ts_ms, level, event, module, fields}]}, newest first; p_limit 1..1000.

-- The current leads of a tenant (salient_admin_leads' rows) and when each became one.
create or replace function salient_admin_lead_times(p_tenant uuid)
returns table (session_id uuid, created_at timestamptz)
language sql stable as $$
  select s.id, coalesce((select min(cs.created_at) from conversation_summaries cs where cs.session_id = s.id),
                        l.created_at)
    from sessions s left join leads l on l.session_id = s.id
   where s.tenant_id = p_tenant
     and (l.id is not null
          or (select cs.outcome from conversation_summaries cs where cs.session_id = s.id
               order by cs.created_at desc, cs.id desc limit 1) in ('LEAD', 'CALLBACK'))
$$;

create or replace function salient_admin_daily(p_tenant text, p_days integer, p_now_ms bigint) returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_now timestamptz := to_timestamp(p_now_ms / 1000.0);
  v_last date;
  v_first date;
  v_from timestamptz;
  v_to timestamptz;
begin
  v_tenant := salient_admin_tenant(p_tenant);
  if p_days is null or p_days < 1 or p_days > 90 then
    perform salient_admin_invalid('p_days', 'expected 1 to 90');
  end if;
  if p_now_ms is null then
    perform salient_admin_invalid('p_now_ms', 'expected epoch milliseconds');
  end if;
  v_last := (v_now at time zone 'UTC')::date;
  v_first := v_last - (p_days - 1);
  v_from := v_first::timestamp at time zone 'UTC';
  v_to := (v_last + 1)::timestamp at time zone 'UTC';
  return jsonb_build_object(
    'days', (select jsonb_agg(jsonb_build_object(
                'day', to_char(d.day, 'YYYY-MM-DD'),
                'conversations', coalesce(c.n, 0), 'leads', coalesce(l.n, 0), 'handoffs', coalesce(h.n, 0),
                'cost_usd', round(coalesce(k.usd, 0), 6))
                order by d.day)
               from (select g::date as day from generate_series(v_first::timestamp, v_last::timestamp, interval '1 day') g) d
               left join (select (created_at at time zone 'UTC')::date as day, count(*) as n from sessions
                           where tenant_id = v_tenant and created_at >= v_from and created_at < v_to group by 1) c
                      on c.day = d.day
               left join (select (created_at at time zone 'UTC')::date as day, count(*) as n
                            from salient_admin_lead_times(v_tenant)
                           where created_at >= v_from and created_at < v_to group by 1) l on l.day = d.day
               left join (select (created_at at time zone 'UTC')::date as day, count(*) as n from handoffs
                           where tenant_id = v_tenant and created_at >= v_from and created_at < v_to group by 1) h
                      on h.day = d.day
               left join (select (created_at at time zone 'UTC')::date as day, sum(computed_cost) as usd
                            from llm_requests
                           where tenant_id = v_tenant and created_at >= v_from and created_at < v_to group by 1) k
                      on k.day = d.day),
    'month_cost_usd', round(coalesce((select sum(computed_cost) from llm_requests
                                       where tenant_id = v_tenant
                                         and created_at >= date_trunc('month', v_now at time zone 'UTC') at time zone 'UTC'),
                                      0), 6));
end
$$;

-- {count, p50, p90, p99} of a set of milliseconds (nulls when empty).
create or replace function salient_admin_percentiles(p_values integer[]) returns jsonb
language sql immutable as $$
  select jsonb_build_object('count', count(v),
                            'p50', percentile_disc(0.5) within group (order by v),
                            'p90', percentile_disc(0.9) within group (order by v),
                            'p99', percentile_disc(0.99) within group (order by v))
    from unnest(p_values) v where v is not null
$$;

create or replace function salient_admin_metrics(p_tenant text, p_now_ms bigint) returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_now timestamptz := to_timestamp(p_now_ms / 1000.0);
begin
  v_tenant := salient_admin_tenant(p_tenant);
  if p_now_ms is null then
    perform salient_admin_invalid('p_now_ms', 'expected epoch milliseconds');
  end if;
  return jsonb_build_object(
    'llm', coalesce((select jsonb_agg(jsonb_build_object(
               'agent', x.agent, 'model', x.model, 'requests', x.requests, 'prompt_tokens', x.prompt_tokens,
               'completion_tokens', x.completion_tokens, 'cost_usd', x.cost_usd) order by x.agent nulls last, x.model)
             from (select a.code as agent, r.model, count(*) as requests,
                          coalesce(sum(r.prompt_tokens), 0) as prompt_tokens,
                          coalesce(sum(r.completion_tokens), 0) as completion_tokens,
                          round(coalesce(sum(r.computed_cost), 0), 6) as cost_usd
                     from llm_requests r
                     left join sessions s on s.id = r.session_id
                     left join agents a on a.id = s.agent_id
                    where r.tenant_id = v_tenant
                    group by a.code, r.model) x), '[]'::jsonb),
    'first_token_ms', salient_admin_percentiles(array(
        select first_token_ms from llm_requests
         where tenant_id = v_tenant and created_at > v_now - interval '24 hours' and created_at <= v_now)),
    'answer_ms', salient_admin_percentiles(array(
        select latency_ms from llm_requests
         where tenant_id = v_tenant and created_at > v_now - interval '24 hours' and created_at <= v_now)),
    'emails', coalesce((select jsonb_agg(jsonb_build_object('kind', x.kind, 'status', x.status, 'count', x.n)
                                         order by x.kind, x.status)
                          from (select coalesce(kind, '') as kind, status, count(*) as n from email_events
                                 where tenant_id = v_tenant group by 1, 2) x), '[]'::jsonb),
    'conversations', (select count(*) from sessions where tenant_id = v_tenant),
    'messages', (select count(*) from messages where tenant_id = v_tenant),
    'leads', (select count(*) from salient_admin_lead_times(v_tenant)),
    'handoffs', coalesce((select jsonb_agg(jsonb_build_object('status', x.status, 'count', x.n) order by x.status)
                            from (select status, count(*) as n from handoffs where tenant_id = v_tenant group by 1) x),
                         '[]'::jsonb),
    'rate_limited_ok', true);
end
$$;

create or replace function salient_log_append(p_tenant text, p_lines jsonb) returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_line jsonb;
  v_stored integer;
  v_cut record;
begin
  perform salient_admin_tenant(p_tenant);
  if p_lines is null or jsonb_typeof(p_lines) <> 'array' or jsonb_array_length(p_lines) > 100 then
    perform salient_admin_invalid('p_lines', 'expected an array of at most 100 lines');
  end if;
  for v_line in select value from jsonb_array_elements(p_lines) loop
    if jsonb_typeof(v_line) <> 'object'
       or jsonb_typeof(v_line -> 'ts_ms') is distinct from 'number'
       or (v_line ->> 'ts_ms')::numeric < 0 or (v_line ->> 'ts_ms')::numeric <> trunc((v_line ->> 'ts_ms')::numeric)
       or (v_line ->> 'ts_ms')::numeric > 253402300799999 then
      perform salient_admin_invalid('p_lines', 'each line needs ts_ms, epoch milliseconds');
    end if;
    if (v_line ->> 'level') is null or (v_line ->> 'level') not in ('warn', 'error')
       or jsonb_typeof(v_line -> 'level') <> 'string' then
      perform salient_admin_invalid('p_lines', 'level must be warn or error');
    end if;
    if jsonb_typeof(v_line -> 'event') is distinct from 'string' or length(v_line ->> 'event') not between 1 and 100 then
      perform salient_admin_invalid('p_lines', 'event must be a string of 1 to 100 characters');
    end if;
    if coalesce(nullif(jsonb_typeof(v_line -> 'module'), 'null'), 'string') <> 'string'
       or length(v_line ->> 'module') > 20 then
      perform salient_admin_invalid('p_lines', 'module must be a string of at most 20 characters');
    end if;
    if coalesce(nullif(jsonb_typeof(v_line -> 'fields'), 'null'), 'object') <> 'object'
       or length((v_line -> 'fields')::text) > 4096 then
      perform salient_admin_invalid('p_lines', 'fields must be an object of at most 4096 characters');
    end if;
  end loop;
  v_tenant := salient_tenant_id(p_tenant, true);
  insert into log_events (tenant_id, ts, level, event, module, fields)
    select v_tenant, to_timestamp((l.value ->> 'ts_ms')::numeric / 1000.0), l.value ->> 'level', l.value ->> 'event',
           coalesce(l.value ->> 'module', ''),
           case when jsonb_typeof(l.value -> 'fields') = 'object' then l.value -> 'fields' else '{}'::jsonb end
      from jsonb_array_elements(p_lines) with ordinality l(value, i) order by l.i;
  get diagnostics v_stored = row_count;
  -- The newest 1000 stay: everything older than the 1000th is deleted.
  select ts, id into v_cut from log_events where tenant_id = v_tenant order by ts desc, id desc offset 999 limit 1;
  if found then
    delete from log_events where tenant_id = v_tenant and (ts, id) < (v_cut.ts, v_cut.id);
  end if;
  return jsonb_build_object('stored', v_stored);
end
$$;

create or replace function salient_admin_warnings(p_tenant text, p_limit integer default 100) returns jsonb
language plpgsql as $$
declare
  v_tenant uuid := salient_admin_tenant(p_tenant);
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    perform salient_admin_invalid('p_limit', 'expected 1 to 1000');
  end if;
  return jsonb_build_object('warnings', coalesce((
    select jsonb_agg(jsonb_build_object('ts_ms', salient_admin_ms(x.ts), 'level', x.level, 'event', x.event,
                                        'module', x.module, 'fields', x.fields) order by x.ts desc, x.id desc)
      from (select * from log_events where tenant_id = v_tenant order by ts desc, id desc limit p_limit) x),
    '[]'::jsonb));
end
$$;
