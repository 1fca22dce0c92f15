-- A visitor says who they are (the widget's Salient.identify({email, name})).
--
--   salient_identify(p_tenant, p_agent, p_session_key, p_email, p_name) → {status}
--     sets the session's profile (profiles.email, profiles.customer_name; a null leaves that
--     field as it was), so that salient_claim_turn hands it to the next answer's prompt and
--     the sales team's summary can name the lead. status "identified"; "no_session" when the
--     session key has no conversation yet (nothing is created: the widget sends it again after
--     the visitor's first message). The address is as the site's page gave it: nobody has
--     verified it (a one-time code will, when that feature lands).

create or replace function salient_identify(p_tenant text, p_agent text, p_session_key text,
                                            p_email text, p_name text)
returns jsonb
language plpgsql as $$
declare
  v_tenant uuid;
  v_session uuid;
begin
  perform salient_require_text('p_tenant', p_tenant);
  perform salient_require_text('p_agent', p_agent);
  perform salient_require_text('p_session_key', p_session_key);
  if p_email is null and p_name is null then
    raise exception 'invalid input: p_email or p_name is required' using errcode = '22P02';
  end if;
  v_tenant := salient_tenant_id(p_tenant, false);
  if v_tenant is null then
    return jsonb_build_object('status', 'no_session');
  end if;
  perform salient_require_agent_enabled(p_tenant, p_agent);
  v_session := salient_session_of(v_tenant, p_agent, p_session_key);
  if v_session is null then
    return jsonb_build_object('status', 'no_session');
  end if;
  insert into profiles (tenant_id, session_id, email, customer_name)
    values (v_tenant, v_session, p_email, p_name)
    on conflict (session_id) do update
      set email = coalesce(excluded.email, profiles.email),
          customer_name = coalesce(excluded.customer_name, profiles.customer_name),
          updated_at = now();
  return jsonb_build_object('status', 'identified');
end
$$;
