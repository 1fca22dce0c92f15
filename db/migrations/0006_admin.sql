-- Issue 20. The operator's admin view (/admin, /metrics): a lead's follow-up status, the recent
-- warnings and errors, the time to an answer's first token, and sign-in codes for the operator.
-- The functions are in db/functions/{admin,otp,visitors,answers}.sql.

-- A conversation the operator follows up as a lead: one row per conversation, made by the first
-- status or note set in /admin/leads. A conversation whose newest summary's outcome is LEAD or
-- CALLBACK is a lead without a row (status "new"). Erasing the visitor's conversation removes it.
create table if not exists leads (
  id          uuid primary key default gen_random_uuid(),
  tenant_id   uuid not null references tenants (id) on delete cascade,
  session_id  uuid not null references sessions (id) on delete cascade,
  status      text not null default 'new' check (status in ('new', 'contacted', 'won', 'lost')),
  notes       text not null default '' check (length(notes) <= 4000),
  created_at  timestamptz not null,
  updated_at  timestamptz not null,
  updated_by  text,           -- the operator's address (who set it), not a visitor's
  unique (tenant_id, session_id)
);
create index if not exists leads_session on leads (session_id);

-- The cores' warnings and errors (level warn / error), newest 1000 per tenant kept
-- (salient_log_append prunes the rest). No visitor data: an event name, the module and a few
-- fields the core chose (never message text, addresses or secrets). The id orders lines that
-- share a timestamp by arrival.
create table if not exists log_events (
  id         bigint generated always as identity primary key,
  tenant_id  uuid not null references tenants (id) on delete cascade,
  ts         timestamptz not null,
  level      text not null check (level in ('warn', 'error')),
  event      text not null,
  module     text not null default '',
  fields     jsonb not null default '{}'::jsonb
);
create index if not exists log_events_tenant_ts on log_events (tenant_id, ts, id);

-- Milliseconds from the stream's start to the model's first byte (latency_ms is the whole answer,
-- claim to stored answer, measured by the database).
alter table llm_requests add column if not exists first_token_ms integer;

-- Sign-in codes for the addresses of salient.yaml's admin.emails: bound to no conversation.
alter table otp_links drop constraint if exists otp_links_purpose_check;
alter table otp_links add constraint otp_links_purpose_check
  check (purpose in ('link_session', 'delete_data', 'admin_sign_in'));

-- Who asked for an erasure: the visitor (a delete_data code) or an operator (/admin/erase, whose
-- address is erased_by). An operator's erasure may come without the address's keyed hash.
alter table erasures add column if not exists source text not null default 'visitor'
  check (source in ('visitor', 'admin'));
alter table erasures add column if not exists erased_by text;
alter table erasures alter column email_key drop not null;

-- The admin view's per-day counts (salient_admin_daily): range scans by creation time.
create index if not exists sessions_tenant_created on sessions (tenant_id, created_at);
create index if not exists conversation_summaries_tenant_created on conversation_summaries (tenant_id, created_at);
create index if not exists handoffs_tenant_created on handoffs (tenant_id, created_at);

do $$
declare
  t text;
begin
  foreach t in array array['leads', 'log_events'] loop
    execute format('alter table %I enable row level security', t);
    execute format('drop policy if exists tenant_isolation on %I', t);
    execute format('create policy tenant_isolation on %I using (tenant_id = salient_current_tenant_id())'
                   ' with check (tenant_id = salient_current_tenant_id())', t);
  end loop;
end
$$;
