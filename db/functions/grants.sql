-- Who may execute the salient_* functions.
--
-- PostgreSQL lets PUBLIC execute every new function, and Supabase also grants execute on new
-- functions in `public` to `anon` explicitly (default privileges). `anon` is the key a browser
-- may hold: it must not be able to start, claim or finish turns, read a tenant's history or
-- rewrite its personas by calling these functions through /rest/v1/rpc directly (they are
-- SECURITY INVOKER and filter by p_tenant, but p_tenant is whatever the caller says). So
-- execute is revoked from PUBLIC and `anon` on every salient_* function, and granted to the
-- roles that are meant to call them: `service_role` (the functions' server key) and
-- `authenticated` (a per-tenant key, confined by row-level security). Table owners and
-- superusers (the migrator, PGlite's single user) are not affected. That includes the RLS
-- helpers salient_current_tenant[_id] of the baseline migration: a role without execute on them
-- gets "permission denied" from any tenant table instead of an empty result, which for `anon`
-- is what we want. The roles are Supabase's; elsewhere (plain PostgreSQL, PGlite) the ones that
-- do not exist are skipped.
--
-- db/migrate.mjs calls salient_grant_execute() at the end of every migration or function file it
-- applies, in that file's transaction: a replaced function keeps its grants, but a new one
-- starts with PUBLIC's (and, on Supabase, anon's). Run it by hand after pasting files into
-- Supabase's SQL editor: `select salient_grant_execute();`.

create or replace function salient_grant_execute() returns void
language plpgsql as $$
declare
  f regprocedure;
  has_anon boolean := exists (select 1 from pg_roles where rolname = 'anon');
  has_authenticated boolean := exists (select 1 from pg_roles where rolname = 'authenticated');
  has_service boolean := exists (select 1 from pg_roles where rolname = 'service_role');
begin
  for f in select p.oid::regprocedure
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = current_schema() and p.proname like 'salient\_%' loop
    execute format('revoke execute on function %s from public', f);
    if has_anon then
      execute format('revoke execute on function %s from anon', f);
    end if;
    if has_authenticated then
      execute format('grant execute on function %s to authenticated', f);
    end if;
    if has_service then
      execute format('grant execute on function %s to service_role', f);
    end if;
  end loop;
end
$$;
