-- Email through Mailgun, verified visitors (one-time codes) and self-serve erasure.
-- Schema only; the functions are in db/functions/{rate_limits,email,otp,visitors}.sql.
--
-- Addresses and IPs that only serve counters and records are stored as keyed hashes
-- (HMAC-SHA256 with SALIENT_OTP_SECRET, hex, computed by the core): "*_key" columns. A code is
-- never stored, only its keyed hash (otp_links.otp_hash).

-- ---- the general rate check (salient_rate_check) ---------------------------------------------
-- One row per counted event; a limit is "at most N rows of (bucket, key) within a window".
-- Old rows are pruned by the check itself.
create table if not exists rate_hits (
  id         uuid primary key default gen_random_uuid(),
  tenant_id  uuid not null references tenants (id) on delete cascade,
  bucket     text not null,
  key        text not null,
  at         timestamptz not null
);
create index if not exists rate_hits_lookup on rate_hits (tenant_id, bucket, key, at);

-- ---- one-time codes ---------------------------------------------------------------------------
alter table otp_links add column if not exists email_key text;
alter table otp_links add column if not exists agent_id uuid references agents (id) on delete set null;
-- link_session codes are bound to the conversation they were asked for.
alter table otp_links add column if not exists session_id uuid references sessions (id) on delete cascade;
alter table otp_links add column if not exists attempts integer not null default 0;
alter table otp_links add column if not exists ip_key text;
-- pending until the email is reported sent: a code that was never sent is never valid.
alter table otp_links add column if not exists status text not null default 'pending'
  check (status in ('pending', 'sent', 'failed', 'superseded', 'dead', 'used'));
alter table otp_links add column if not exists sent_at timestamptz;
create index if not exists otp_links_lookup on otp_links (tenant_id, email_key, purpose, created_at);

-- ---- verified profiles --------------------------------------------------------------------------
-- A profile with session_id NULL is the tenant-wide profile of a verified address, keyed by
-- (tenant_id, email); the sessions a code verified point at it (sessions.profile_id). A profile
-- with a session_id is what that one conversation said (identify(), unverified).
alter table profiles alter column session_id drop not null;
alter table profiles add column if not exists email_verified_at timestamptz;
create unique index if not exists profiles_verified_email on profiles (tenant_id, email) where session_id is null;
alter table sessions add column if not exists profile_id uuid references profiles (id) on delete set null;
alter table sessions add column if not exists email_verified_at timestamptz;

-- What a visitor agreed to when they gave their address (seeds/004 UserConsent).
create table if not exists consents (
  id            uuid primary key default gen_random_uuid(),
  tenant_id     uuid not null references tenants (id) on delete cascade,
  session_id    uuid references sessions (id) on delete cascade,
  profile_id    uuid references profiles (id) on delete cascade,
  purpose       text not null,
  text_version  text not null,
  given_at      timestamptz not null
);
create index if not exists consents_profile on consents (profile_id);

-- ---- emails ----------------------------------------------------------------------------------
-- status: queued (written before the send), sent (Mailgun took it: provider_id), failed.
alter table email_events add column if not exists kind text;
alter table email_events add column if not exists text_body text;
alter table email_events add column if not exists provider_id text;
alter table email_events add column if not exists sent_at timestamptz;
alter table email_events add column if not exists otp_id uuid references otp_links (id) on delete set null;
create index if not exists email_events_tenant_to on email_events (tenant_id, to_email);

-- ---- erasures ----------------------------------------------------------------------------------
-- That an erasure happened, and how much it removed: no address in clear.
create table if not exists erasures (
  id         uuid primary key default gen_random_uuid(),
  tenant_id  uuid not null references tenants (id) on delete cascade,
  email_key  text not null,
  counts     jsonb not null,
  erased_at  timestamptz not null
);

do $$
declare
  t text;
begin
  foreach t in array array['rate_hits', 'consents', 'erasures'] loop
    execute format('alter table %I enable row level security', t);
    execute format('drop policy if exists tenant_isolation on %I', t);
    execute format('create policy tenant_isolation on %I using (tenant_id = salient_current_tenant_id())'
                   ' with check (tenant_id = salient_current_tenant_id())', t);
  end loop;
end
$$;
