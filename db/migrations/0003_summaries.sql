-- Conversation summaries with the lead's details, emailed to the sales team once (issue 17).
--
-- A summary is claimed, stored and sent in steps (db/functions/summaries.sql):
--   sessions.summary_claim / summary_claim_until   the run (button or sweep) working on the
--       conversation now; another run skips it until the lease ends
--   conversation_summaries.status                  sending (stored, the email about to go, with
--       its own lease) → sent | failed; a lease that ends while still `sending` becomes
--       `unknown`: the email may or may not have left, so it is never sent again by itself
--   sessions.summarized_through                    the newest message a sent (or given-up)
--       summary covered: the sweep and the button wait for a newer one
--   sessions.summary_attempts / summary_retry_at   Mailgun failures, retried with backoff

alter table conversation_summaries
  add column if not exists agent_id           uuid references agents (id) on delete set null,
  add column if not exists trigger            text not null default 'sweep' check (trigger in ('button', 'sweep')),
  add column if not exists method             text not null default 'rules' check (method in ('model', 'rules')),
  add column if not exists outcome            text check (outcome in ('LEAD', 'CALLBACK', 'INFO_ONLY', 'SUPPORT', 'SPAM')),
  add column if not exists lead               jsonb not null default '{}'::jsonb,
  add column if not exists through_message_at timestamptz,
  add column if not exists message_count      integer not null default 0,
  add column if not exists status             text not null default 'sending'
                                              check (status in ('sending', 'sent', 'failed', 'unknown')),
  add column if not exists lease_until        timestamptz,
  add column if not exists sent_at            timestamptz,
  add column if not exists link_expires_at    timestamptz;
create index if not exists conversation_summaries_sending on conversation_summaries (tenant_id, lease_until)
  where status = 'sending';

alter table sessions
  add column if not exists summary_claim       uuid,
  add column if not exists summary_claim_until timestamptz,
  add column if not exists summarized_through  timestamptz,
  add column if not exists summary_attempts    integer not null default 0,
  add column if not exists summary_retry_at    timestamptz;
create index if not exists sessions_idle on sessions (tenant_id, last_activity_at);

-- The email a summary went out in (like otp_id for a code's email).
alter table email_events
  add column if not exists summary_id uuid references conversation_summaries (id) on delete set null;
alter table email_events drop constraint if exists email_events_status_check;
alter table email_events add constraint email_events_status_check
  check (status in ('pending', 'queued', 'sent', 'failed', 'unknown'));

-- Per-field verified flags: a field named here was proven (the email, by a one-time code) and a
-- summary's extraction never overwrites it. Lead fields the summary reads beyond the baseline's.
alter table profiles
  add column if not exists verified_fields text[] not null default '{}',
  add column if not exists company         text,
  add column if not exists address         text,
  add column if not exists preferred_time  text,
  add column if not exists language        text;
update profiles set verified_fields = array['email'] where email_verified_at is not null and verified_fields = '{}';
