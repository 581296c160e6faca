-- The acting organisation and user, inlined into the statements that use them (issue 23). Every row-level security
-- policy compares with `acting_organisation()`; pinned with `SET search_path`, PostgreSQL could not inline it, so each
-- statement on a tenant's table called it as a function of its own, parsed and planned again for that statement: a
-- seventh of PostgreSQL's CPU for a read of one referral. Without the SET clause it is inlined into the policy's
-- expression. Its own names are qualified instead, so no search path can change what it calls.
CREATE OR REPLACE FUNCTION acting_organisation() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(pg_catalog.current_setting('koppel.organisation_id', true), '')::pg_catalog.uuid $$;
ALTER FUNCTION acting_organisation() RESET ALL;

CREATE OR REPLACE FUNCTION acting_user() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(pg_catalog.current_setting('koppel.user_id', true), '')::pg_catalog.uuid $$;
ALTER FUNCTION acting_user() RESET ALL;
