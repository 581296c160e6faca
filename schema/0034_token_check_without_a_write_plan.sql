-- The API token check with less for PostgreSQL to set up at every call (issue 23).
--
-- Every API request checks its token (`auth.api_token_account`, 0010), and a submission checks it twice. Its one
-- statement carried the note of when the token was last used as a data-modifying CTE, and the account's roles and
-- programmes as aggregates: PostgreSQL built the update's executor nodes and two aggregates at every call, though the
-- update writes at most once a minute. A profile of the read of one referral (pgbench, perf) put most of the
-- database's time in setting up executor nodes rather than in reading rows.
--
-- Now the token and its account are read by one plain query, the roles and programmes as ARRAY(...) sub-selects (no
-- aggregate), and the note is a separate UPDATE run only when it is due, skipped when another request holds the row. What it answers, for which tokens (unknown,
-- expired or revoked, or a disabled user: no row) and what it notes are unchanged, and it still runs at every request:
-- revoking a token takes effect at once. Owner and grants stay as 0010 set them.
CREATE OR REPLACE FUNCTION auth.api_token_account(p_token_hash bytea, p_now timestamptz)
RETURNS TABLE (user_id uuid, organisation_id uuid, organisation_name text, email text, display_name text, roles text[],
               coordinated_programmes uuid[], must_change_password boolean, totp_secret text, totp_confirmed boolean,
               disabled boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
-- The result's column names are also the function's OUT parameters: in the query they mean the columns.
#variable_conflict use_column
DECLARE
    v_token uuid;
    v_last_used timestamptz;
BEGIN
    SELECT t.id, t.last_used_at, u.id, u.organisation_id, o.name, u.email, u.display_name,
           ARRAY(SELECT r.role FROM public.user_roles r WHERE r.user_id = u.id ORDER BY r.role),
           ARRAY(SELECT c.programme_id FROM public.coordinator_programmes c WHERE c.user_id = u.id),
           u.must_change_password, u.totp_confirmed_at IS NOT NULL
    INTO v_token, v_last_used, user_id, organisation_id, organisation_name, email, display_name, roles,
         coordinated_programmes, must_change_password, totp_confirmed
    FROM public.api_tokens t
    JOIN public.users u ON u.id = t.user_id AND u.organisation_id = t.organisation_id
    JOIN public.organisations o ON o.id = u.organisation_id
    WHERE t.token_hash = p_token_hash AND u.disabled_at IS NULL
      AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > p_now);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- To the minute, not at every request: a read stays a read, with no write to flush. The caller's transaction may
    -- be a step's, which holds its locks until it commits: a request with the same token that finds the row locked
    -- leaves the note to that one rather than wait for it.
    IF v_last_used IS NULL OR v_last_used < p_now - interval '1 minute' THEN
        UPDATE public.api_tokens SET last_used_at = p_now
        WHERE id = (SELECT t.id FROM public.api_tokens t
                    WHERE t.id = v_token AND (t.last_used_at IS NULL OR t.last_used_at < p_now - interval '1 minute')
                    FOR NO KEY UPDATE SKIP LOCKED);
    END IF;
    totp_secret := NULL;
    disabled := false;
    RETURN NEXT;
END
$$;
