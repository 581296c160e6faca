-- Erasure after a restore (decision 0010): the erasure ledger, a file kept with the vault's key file, lists erased
-- clients by id. After a database is restored from a backup taken before some of those erasures, the app role marks
-- those clients erased again in their own organisation, and a ledger that misses erasures recorded only in the
-- database (made before the ledger existed) is completed from it. Both need to know clients across organisations;
-- these functions, owned by the counting role, answer with ids only, never a row.

-- Of these clients, those not marked erased, with their organisation (to act for it).
CREATE FUNCTION counts.clients_not_erased(p_clients uuid[])
RETURNS TABLE (client_id uuid, organisation_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT c.id, c.organisation_id FROM public.clients c WHERE c.id = ANY (p_clients) AND c.erased_at IS NULL
$$;

-- Every client marked erased.
CREATE FUNCTION counts.erased_clients()
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT c.id FROM public.clients c WHERE c.erased_at IS NOT NULL
$$;

ALTER FUNCTION counts.clients_not_erased(uuid[]) OWNER TO koppel_counts;
ALTER FUNCTION counts.erased_clients() OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.clients_not_erased(uuid[]), counts.erased_clients() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.clients_not_erased(uuid[]), counts.erased_clients() TO koppel_app;
