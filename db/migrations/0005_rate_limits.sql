-- Abuse limits on chat (issue 19): an answer's tokens counted per client address as well as per
-- session and tenant. The client's address is a keyed hash (never in clear), stored with the
-- visitor's message (messages.metadata.ip_key) by salient_begin_turn and copied onto the answer's
-- llm_requests row by salient_finish_turn, so that "tokens per day for this address" is one
-- index range. The functions are in db/functions/{rate_limits,turns,answers}.sql.

alter table llm_requests add column if not exists ip_key text;
create index if not exists llm_requests_tenant_ip on llm_requests (tenant_id, ip_key, created_at)
  where ip_key is not null;
