-- A person takes over by email (issue 18): the handoff of a conversation to the team, the team's
-- replies stored as messages, the Mailgun inbound tokens already accepted.
--
-- A handoff's states (db/functions/handoffs.sql):
--   status          open (replies accepted until expires_at) | closed (expired)
--   team_email      the first email to the team: pending (nothing sent yet: an intent request, or
--       a claim that must be retried) → sending (claimed, with lease_until) → sent | failed
--       (retried at retry_at with backoff, given up after 5 attempts) | unknown (the lease ended
--       while sending: Mailgun may have it, so it is never sent again by itself)
--   forwarded_through / forward_lease_until   the visitor's later messages, batched to the team
--       in the same thread (thread_message_id)
--   visitor_seen_at / seen_through            what the visitor's open widget has shown
--   notified_through / notify_lease_until     unseen team replies emailed to an absent visitor
--       whose address is verified
-- The reply address is reply+<reply_id>@<MAILGUN_DOMAIN>: reply_id is 128 random bits in
-- lowercase base32 (RFC 4648, no padding), 26 characters that survive a mail system's lower-casing.

create table if not exists handoffs (
  id                   uuid primary key default gen_random_uuid(),
  tenant_id            uuid not null references tenants (id) on delete cascade,
  -- Erasing the visitor's conversation revokes its reply address with it.
  session_id           uuid not null references sessions (id) on delete cascade,
  agent_id             uuid references agents (id) on delete set null,
  reply_id             text not null unique check (reply_id ~ '^[a-z2-7]{26}$'),
  trigger              text not null check (trigger in ('button', 'intent')),
  status               text not null default 'open' check (status in ('open', 'closed')),
  team_email           text not null default 'pending'
                       check (team_email in ('pending', 'sending', 'sent', 'failed', 'unknown')),
  lease_until          timestamptz,
  attempts             integer not null default 0,
  retry_at             timestamptz,
  thread_message_id    text,          -- Mailgun's id of the first team email: In-Reply-To of the rest
  created_at           timestamptz not null,
  expires_at           timestamptz not null,
  quiet_until          timestamptz,   -- the assistant holds back while a person is engaged
  last_team_reply_at   timestamptz,
  forwarded_through    timestamptz,
  forward_lease_until  timestamptz,
  visitor_seen_at      timestamptz,
  seen_through         timestamptz,
  notified_through     timestamptz,
  notify_lease_until   timestamptz
);
-- One open handoff per conversation at a time.
create unique index if not exists handoffs_one_open on handoffs (session_id) where status = 'open';
create index if not exists handoffs_session on handoffs (session_id, created_at);
-- The sweep's scans: open handoffs of a tenant.
create index if not exists handoffs_open on handoffs (tenant_id, created_at) where status = 'open';

-- Mailgun's inbound tokens, each accepted once (a captured post replayed within its 5-minute
-- timestamp window is refused). Older than a day they can no longer pass the timestamp check, so
-- the functions prune them.
create table if not exists inbound_tokens (
  tenant_id  uuid not null references tenants (id) on delete cascade,
  token      text not null,
  seen_at    timestamptz not null,
  primary key (tenant_id, token)
);
create index if not exists inbound_tokens_seen on inbound_tokens (tenant_id, seen_at);

-- The handoff an email belongs to (kinds handoff, handoff_forward, handoff_notify, handoff_bounce).
alter table email_events
  add column if not exists handoff_id uuid references handoffs (id) on delete set null;

-- A team member's reply, stored in the conversation. Its metadata: {name, handoff_id,
-- mail_message_id}; the sender's address is not in it (it reaches the visitor's browser).
alter table messages drop constraint if exists messages_role_check;
alter table messages add constraint messages_role_check check (role in ('user', 'assistant', 'system', 'team'));

do $$
declare
  t text;
begin
  foreach t in array array['handoffs', 'inbound_tokens'] loop
    execute format('alter table %I enable row level security', t);
    execute format('drop policy if exists tenant_isolation on %I', t);
    execute format('create policy tenant_isolation on %I using (tenant_id = salient_current_tenant_id())'
                   ' with check (tenant_id = salient_current_tenant_id())', t);
  end loop;
end
$$;
