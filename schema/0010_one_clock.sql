-- One clock (decision 0014). The application's clock is the time: every transaction sets `koppel.now` from it, and
-- the database stamps and compares with `koppel_now()`, which reads it (and falls back to the transaction's own
-- time where nothing set it, as in a psql session). A test that moves the application's clock moves the database's.
-- Days are Amsterdam's: `koppel_today()`.

CREATE FUNCTION public.koppel_now() RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(to_timestamp(nullif(current_setting('koppel.now', true), '')::double precision), now()) $$;

CREATE FUNCTION public.koppel_today() RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (public.koppel_now() AT TIME ZONE 'Europe/Amsterdam')::date $$;

ALTER TABLE organisations ALTER COLUMN created_at SET DEFAULT public.koppel_now();
ALTER TABLE programmes ALTER COLUMN created_at SET DEFAULT public.koppel_now(), ALTER COLUMN updated_at SET DEFAULT public.koppel_now();
ALTER TABLE users ALTER COLUMN created_at SET DEFAULT public.koppel_now();
ALTER TABLE sessions ALTER COLUMN created_at SET DEFAULT public.koppel_now(), ALTER COLUMN last_seen_at SET DEFAULT public.koppel_now();
ALTER TABLE api_tokens ALTER COLUMN created_at SET DEFAULT public.koppel_now();
ALTER TABLE sign_in_throttle ALTER COLUMN last_failure_at SET DEFAULT public.koppel_now();
ALTER TABLE idempotency_keys ALTER COLUMN created_at SET DEFAULT public.koppel_now();
ALTER TABLE outbox ALTER COLUMN occurred_at SET DEFAULT public.koppel_now();
ALTER TABLE clients ALTER COLUMN registered_at SET DEFAULT public.koppel_now();
ALTER TABLE consents ALTER COLUMN recorded_at SET DEFAULT public.koppel_now();
ALTER TABLE vault.data_keys ALTER COLUMN created_at SET DEFAULT public.koppel_now();
ALTER TABLE vault.identity_fields ALTER COLUMN updated_at SET DEFAULT public.koppel_now();
ALTER TABLE vault.messages ALTER COLUMN posted_at SET DEFAULT public.koppel_now();

-- The token check runs outside a transaction, before anyone is known: the caller passes the time.
CREATE FUNCTION auth.api_token_account(p_token_hash bytea, p_now timestamptz)
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
          AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > p_now)
    ), noted AS (
        -- To the minute, not at every request: a read stays a read, with no write to flush.
        UPDATE public.api_tokens SET last_used_at = p_now
        WHERE id IN (SELECT id FROM valid WHERE last_used_at IS NULL OR last_used_at < p_now - interval '1 minute')
    )
    SELECT u.id, u.organisation_id, o.name, u.email, u.display_name,
           coalesce((SELECT array_agg(r.role ORDER BY r.role) FROM public.user_roles r WHERE r.user_id = u.id), '{}'),
           coalesce((SELECT array_agg(c.programme_id) FROM public.coordinator_programmes c WHERE c.user_id = u.id), '{}'),
           u.must_change_password, NULL::text, u.totp_confirmed_at IS NOT NULL, false
    FROM valid v JOIN public.users u ON u.id = v.user_id JOIN public.organisations o ON o.id = u.organisation_id;
END
$$;

ALTER FUNCTION auth.api_token_account(bytea, timestamptz) OWNER TO koppel_auth;
REVOKE ALL ON FUNCTION auth.api_token_account(bytea, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.api_token_account(bytea, timestamptz) TO koppel_app;
DROP FUNCTION auth.api_token_account(bytea);

CREATE OR REPLACE FUNCTION counts.consents_past_expiry()
RETURNS TABLE (consent_id uuid, organisation_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT c.id, c.organisation_id FROM public.consents c WHERE c.status = 'active' AND c.valid_until < public.koppel_today()
$$;

CREATE OR REPLACE FUNCTION counts.clients_past_retention()
RETURNS TABLE (client_id uuid, organisation_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT c.id, c.organisation_id
    FROM public.clients c JOIN public.referrals r ON r.client_id = c.id JOIN public.programmes p ON p.id = r.programme_id
    WHERE c.erased_at IS NULL
    GROUP BY c.id, c.organisation_id
    HAVING bool_and(r.state IN ('completed', 'declined', 'withdrawn', 'forwarded', 'ended'))
       AND max(r.state_changed_at + make_interval(days => p.retention_days)) < public.koppel_now()
$$;

CREATE OR REPLACE FUNCTION counts.month_counts(p_programme uuid, p_referrer uuid, p_month date, p_breakdown text)
RETURNS TABLE (breakdown_value text, measure text, reason text, referrals bigint)
ROWS 20
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_starts timestamptz := p_month::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_ends timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_kept_until timestamptz := counts.kept_until(p_programme, p_referrer, p_month, p_breakdown);
BEGIN
    IF v_kept_until = v_ends THEN
        RETURN QUERY
        SELECT c.breakdown_value, c.measure, c.reason, c.referrals FROM public.statistics_kept_counts c
        WHERE c.programme_id = p_programme AND c.breakdown = p_breakdown AND c.starts_at = v_starts AND c.ends_at = v_ends
          AND c.referrer IS NOT DISTINCT FROM p_referrer;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT s.breakdown_value, s.measure, s.reason, sum(s.referrals)::bigint FROM (
        SELECT c.breakdown_value, c.measure, c.reason, c.referrals FROM public.statistics_kept_counts c
        WHERE c.programme_id = p_programme AND c.breakdown = p_breakdown AND c.starts_at >= v_starts AND c.ends_at <= v_kept_until
          AND c.ends_at - c.starts_at < interval '2 days' AND c.measure <> 'active_at_end'
          AND c.referrer IS NOT DISTINCT FROM p_referrer
        UNION ALL
        SELECT * FROM counts.steps_counted(p_programme, p_referrer, v_kept_until, v_ends, p_breakdown)
        UNION ALL
        SELECT * FROM counts.running_counted(p_programme, p_referrer, least(v_ends, public.koppel_now()), p_breakdown) WHERE v_starts <= public.koppel_now()
    ) s GROUP BY 1, 2, 3;
END
$$;
