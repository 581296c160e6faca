-- The API token check, planned once per connection.
--
-- Every API request starts with `auth.api_token_account` (0008). As a security-definer function it is never
-- inlined, and a LANGUAGE sql function that is not inlined has its body parsed and planned again at every call:
-- with its joins, sub-selects and row-level security, that cost PostgreSQL more than the look-up itself (pgbench
-- calling the function alone, 32 clients on a two-core machine: about 3,200 calls a second). The same body in
-- PL/pgSQL keeps its plan for the session, like a prepared statement (about 7,500 calls a second). What it
-- answers, for which tokens, and what it notes are unchanged; owner and grants stay as 0008 set them.

CREATE OR REPLACE FUNCTION auth.api_token_account(p_token_hash bytea)
RETURNS TABLE (user_id uuid, organisation_id uuid, organisation_name text, email text, display_name text, roles text[],
               coordinated_programmes uuid[], must_change_password boolean, totp_secret text, totp_confirmed boolean,
               disabled boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
-- The result's column names are also the function's OUT parameters: in the query they mean the columns.
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH valid AS (
        SELECT t.id, t.user_id, t.last_used_at
        FROM public.api_tokens t JOIN public.users u ON u.id = t.user_id AND u.organisation_id = t.organisation_id
        WHERE t.token_hash = p_token_hash AND u.disabled_at IS NULL
          AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
    ), noted AS (
        -- To the minute, not at every request: a read stays a read, with no write to flush.
        UPDATE public.api_tokens SET last_used_at = now()
        WHERE id IN (SELECT id FROM valid WHERE last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
    )
    SELECT u.id, u.organisation_id, o.name, u.email, u.display_name,
           coalesce((SELECT array_agg(r.role ORDER BY r.role) FROM public.user_roles r WHERE r.user_id = u.id), '{}'),
           coalesce((SELECT array_agg(c.programme_id) FROM public.coordinator_programmes c WHERE c.user_id = u.id), '{}'),
           u.must_change_password, NULL::text, u.totp_confirmed_at IS NOT NULL, false
    FROM valid v JOIN public.users u ON u.id = v.user_id JOIN public.organisations o ON o.id = u.organisation_id;
END
$$;
