-- Who an API token acts for, in one call.
--
-- Every API request starts by asking who its bearer token acts for. That was a look-up of the token's
-- organisation and then a transaction of its own (acting for that organisation: check the token, note its use,
-- load the user): six round trips before the request's own work began. `auth.api_token_account` answers in one,
-- and only for a token that still works: not revoked, not expired, its user not disabled. It notes the token's
-- use to the minute, as before. It hands back the account without the second factor's secret, which a token
-- never needs.
--
-- koppel_auth may read the roles and coordinated programmes of users and note a token's last use, nothing more.

GRANT SELECT ON user_roles, coordinator_programmes, organisations TO koppel_auth;
CREATE POLICY user_roles_token_account ON user_roles FOR SELECT TO koppel_auth USING (true);
CREATE POLICY coordinator_programmes_token_account ON coordinator_programmes FOR SELECT TO koppel_auth USING (true);
GRANT UPDATE (last_used_at) ON api_tokens TO koppel_auth;
CREATE POLICY api_tokens_note_use ON api_tokens FOR UPDATE TO koppel_auth USING (true) WITH CHECK (true);

CREATE FUNCTION auth.api_token_account(p_token_hash bytea)
RETURNS TABLE (user_id uuid, organisation_id uuid, organisation_name text, email text, display_name text, roles text[],
               coordinated_programmes uuid[], must_change_password boolean, totp_secret text, totp_confirmed boolean,
               disabled boolean)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
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
    FROM valid v JOIN public.users u ON u.id = v.user_id JOIN public.organisations o ON o.id = u.organisation_id
$$;

ALTER FUNCTION auth.api_token_account(bytea) OWNER TO koppel_auth;
REVOKE ALL ON FUNCTION auth.api_token_account(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.api_token_account(bytea) TO koppel_app;
