-- Every email Salient sends is an email_events row, written before the send (queued) and
-- updated with the provider's answer (sent, with Mailgun's id, or failed). The body stored is
-- the one the core passes: with any one-time code masked.
--
--   salient_email_queue(p_tenant, p_session_id, p_to, p_subject, p_text, p_html, p_kind, p_otp_id,
--                       p_summary_id, p_handoff_id)
--     → {email_id}; PT404 for a summary no longer being sent, a handoff that no longer exists
--     (erased), or a team email (kind 'handoff') no longer claimed for sending
--   salient_email_result(p_tenant, p_email_id, p_status, p_provider_id, p_provider_response, p_now_ms)
--     → {status}
--     p_status "sent", "failed" (Mailgun refused it, or it never left) or "unknown" (it left and
--     no answer came back: Mailgun may have it). A code email's otp_links row becomes valid ("sent") only
--     here, when Mailgun took the message: a code that was never sent never verifies. A summary's
--     email passes its outcome to salient_summary_outcome (summaries.sql): sent, or retried. A
--     handoff's team email (kind 'handoff') passes it to salient_handoff_outcome (handoffs.sql);
--     its other emails (handoff_forward, handoff_notify, handoff_bounce) are only recorded.

-- The signatures before p_summary_id and p_handoff_id: dropped, or PostgREST would have two to
-- choose from.
drop function if exists salient_email_queue(text, uuid, text, text, text, text, text, uuid);
drop function if exists salient_email_queue(text, uuid, text, text, text, text, text, uuid, uuid);

create or replace function salient_email_queue(p_tenant text, p_session_id uuid, p_to text, p_subject text,
                                               p_text text, p_html text, p_kind text, p_otp_id uuid,
                                               p_summary_id uuid default null, p_handoff_id uuid default null)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_id uuid;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_to', p_to);
  perform salient_require_text('p_subject', p_subject);
  perform salient_require_text('p_text', p_text);
  perform salient_require_text('p_kind', p_kind);
  v_tenant := salient_tenant_id(p_tenant, true);
  -- A summary erased with the visitor's data, or whose lease ended, since it was stored: not sent.
  if p_summary_id is not null and not exists (select 1 from conversation_summaries
                                               where id = p_summary_id and tenant_id = v_tenant and status = 'sending') then
    raise exception 'summary % is no longer being sent', p_summary_id using errcode = 'PT404';
  end if;
  -- The same for a handoff: erased with the visitor's data, or its team email no longer claimed
  -- (the lease ended: it became `unknown`, or another run took it).
  if p_handoff_id is not null and not exists (select 1 from handoffs
                                               where id = p_handoff_id and tenant_id = v_tenant
                                                 and (p_kind <> 'handoff' or team_email = 'sending')) then
    raise exception 'handoff % is no longer being sent', p_handoff_id using errcode = 'PT404';
  end if;
  insert into email_events (tenant_id, session_id, to_email, subject, body, text_body, kind, otp_id, summary_id,
                            handoff_id, status)
    values (v_tenant,
            (select id from sessions where id = p_session_id and tenant_id = v_tenant),
            p_to, p_subject, coalesce(p_html, ''), p_text, p_kind,
            (select id from otp_links where id = p_otp_id and tenant_id = v_tenant),
            (select id from conversation_summaries where id = p_summary_id and tenant_id = v_tenant),
            p_handoff_id, 'queued')
    returning id into v_id;
  return jsonb_build_object('email_id', v_id);
end
$$;

create or replace function salient_email_result(p_tenant text, p_email_id uuid, p_status text, p_provider_id text,
                                                p_provider_response jsonb, p_now_ms bigint)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_otp uuid;
  v_summary uuid;
  v_handoff uuid;
  v_kind text;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_email_id', p_email_id);
  if p_status is null or p_status not in ('sent', 'failed', 'unknown') then
    raise exception 'invalid input for argument p_status: expected "sent", "failed" or "unknown"'
      using errcode = '22P02';
  end if;
  v_tenant := salient_tenant_id(p_tenant, false);
  update email_events
     set status = p_status, provider_id = p_provider_id, provider_response = p_provider_response,
         sent_at = case when p_status = 'sent' then to_timestamp(p_now_ms / 1000.0) end
   where id = p_email_id and tenant_id = v_tenant
   returning otp_id, summary_id, handoff_id, kind into v_otp, v_summary, v_handoff, v_kind;
  if not found then
    return jsonb_build_object('status', 'not_found');
  end if;
  if v_otp is not null then
    update otp_links
       set status = case when p_status = 'sent' then 'sent' else 'failed' end,
           sent_at = case when p_status = 'sent' then to_timestamp(p_now_ms / 1000.0) end
     where id = v_otp and status = 'pending';
  end if;
  if v_summary is not null then
    perform salient_summary_outcome(v_summary, p_status, to_timestamp(p_now_ms / 1000.0));
  end if;
  if v_handoff is not null and v_kind = 'handoff' then
    perform salient_handoff_outcome(v_handoff, p_status, p_provider_id, to_timestamp(p_now_ms / 1000.0));
  end if;
  return jsonb_build_object('status', p_status);
end
$$;
