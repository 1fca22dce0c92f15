-- 0008: a dropped answer stream can be resumed (issue 6: the widget's Last-Event-ID resume).
--
-- A stream is single-use: its claim (salient_claim_turn) hands the turn to one GET. When the
-- visitor's connection drops, that stream's function is cancelled and stores what it had
-- (finish_turn runs even when the client has left). The widget then asks again with the same
-- stream URL and a Last-Event-ID; the stream function reads the stored answer here and sends
-- what the visitor had not received yet.
--
--   salient_turn_answer(p_tenant, p_turn_id) → {status, message_id, content, metadata}
--     status "answered": the turn's assistant message (content and metadata as stored);
--     "pending": the turn exists but has no answer yet (a stream is still writing it, or none
--     was opened); "not_found": no such turn for this tenant. Reads only.

create or replace function salient_turn_answer(p_tenant text, p_turn_id uuid)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_answer record;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_uuid('p_turn_id', p_turn_id);
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null
     or not exists (select 1 from messages where id = p_turn_id and tenant_id = v_tenant and role = 'user') then
    return jsonb_build_object('status', 'not_found');
  end if;
  select m.id, m.content, m.metadata into v_answer
    from messages m
   where m.turn_id = p_turn_id and m.tenant_id = v_tenant and m.role = 'assistant'
   order by m.created_at desc, m.id desc
   limit 1;
  if not found then
    return jsonb_build_object('status', 'pending');
  end if;
  return jsonb_build_object('status', 'answered', 'message_id', v_answer.id, 'content', v_answer.content,
                            'metadata', coalesce(v_answer.metadata, '{}'::jsonb));
end
$$;

-- Execute grants (0004's salient_grant_execute): a new function starts with PUBLIC's execute.
select salient_grant_execute();
