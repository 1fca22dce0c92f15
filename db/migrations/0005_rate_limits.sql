-- Issue 19. Abuse limits on chat: an answer's tokens counted per client address as well as per
-- session and tenant. The client's address is a keyed hash (never in clear), stored with the
-- visitor's message (messages.metadata.ip_key) by salient_begin_turn and copied onto the answer's
-- llm_requests row by salient_finish_turn, so that "tokens per day for this address" is one
-- index range. The functions are in db/functions/{rate_limits,turns,answers}.sql.

alter table llm_requests add column if not exists ip_key text;

-- The stream request that claimed a turn (salient_claim_turn's p_claim): the same request may
-- claim it again when the store's answer to its first claim was lost (a dropped connection),
-- where any other request is told already_claimed.
alter table messages add column if not exists stream_claim text;
create index if not exists llm_requests_tenant_ip on llm_requests (tenant_id, ip_key, created_at)
  where ip_key is not null;
