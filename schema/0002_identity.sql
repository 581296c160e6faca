-- Identity: users of organisations, their roles, sessions, API tokens and sign-in throttling.
--
-- Row-level security is enabled and forced on every table holding an organisation's data. The server sets
-- the acting organisation per transaction (set_config('koppel.organisation_id', …, true)); a query that
-- forgets sees nothing. Sign-in must find a user before it knows their organisation, so three
-- SECURITY DEFINER functions, owned by the NOLOGIN role koppel_auth (created by bootstrap.sql), answer
-- exactly those look-ups, by e-mail or by the hash of a secret. koppel_auth may only read the rows those
-- functions need, through policies of its own; it has no BYPASSRLS.

CREATE FUNCTION acting_organisation() RETURNS uuid
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$ SELECT nullif(current_setting('koppel.organisation_id', true), '')::uuid $$;

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    email text NOT NULL UNIQUE CHECK (email = lower(email) AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND length(email) <= 254),
    display_name text NOT NULL CHECK (length(trim(display_name)) BETWEEN 1 AND 200),
    password_hash text NOT NULL,
    must_change_password boolean NOT NULL DEFAULT true,
    totp_secret text,
    totp_confirmed_at timestamptz,
    -- The last TOTP time step accepted: a code is accepted once only.
    totp_last_step bigint NOT NULL DEFAULT 0,
    disabled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, organisation_id)
);

CREATE TABLE user_roles (
    user_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    role text NOT NULL CHECK (role IN ('caseworker', 'coordinator', 'funder', 'org-admin', 'hub-admin')),
    PRIMARY KEY (user_id, role),
    FOREIGN KEY (user_id, organisation_id) REFERENCES users (id, organisation_id) ON DELETE CASCADE
);

CREATE TABLE coordinator_programmes (
    user_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    programme_id uuid NOT NULL REFERENCES programmes (id),
    PRIMARY KEY (user_id, programme_id),
    FOREIGN KEY (user_id, organisation_id) REFERENCES users (id, organisation_id) ON DELETE CASCADE
);

CREATE TABLE recovery_codes (
    user_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    code_hash bytea NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (user_id, code_hash),
    FOREIGN KEY (user_id, organisation_id) REFERENCES users (id, organisation_id) ON DELETE CASCADE
);

-- Sessions are found by the SHA-256 of their cookie value: a copy of this table opens no session.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    -- 'password': the password was right, a second factor (or its enrolment) is still due.
    stage text NOT NULL CHECK (stage IN ('password', 'complete')),
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    FOREIGN KEY (user_id, organisation_id) REFERENCES users (id, organisation_id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    name text NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    FOREIGN KEY (user_id, organisation_id) REFERENCES users (id, organisation_id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Failed sign-ins per account and per client address, keyed by a hash of either. Holds no organisation's
-- data (the key is the same whether or not the account exists), so it has no row-level security.
CREATE TABLE sign_in_throttle (
    key bytea PRIMARY KEY,
    failures integer NOT NULL DEFAULT 0,
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz
);

-- Every tenant table: visible and writable only for the acting organisation.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_tenant ON users USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());
ALTER TABLE user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY user_roles_tenant ON user_roles USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());
ALTER TABLE coordinator_programmes ENABLE ROW LEVEL SECURITY;
ALTER TABLE coordinator_programmes FORCE ROW LEVEL SECURITY;
CREATE POLICY coordinator_programmes_tenant ON coordinator_programmes USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());
ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY recovery_codes_tenant ON recovery_codes USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_tenant ON sessions USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());
ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY api_tokens_tenant ON api_tokens USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());

-- Hub-admins add organisations (the access policy decides who is one).
GRANT INSERT ON organisations TO koppel_app;
GRANT SELECT, INSERT, UPDATE ON users TO koppel_app;
GRANT SELECT, INSERT, DELETE ON user_roles, coordinator_programmes TO koppel_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes, sessions TO koppel_app;
GRANT SELECT, INSERT, UPDATE ON api_tokens TO koppel_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_throttle TO koppel_app;
GRANT EXECUTE ON FUNCTION acting_organisation() TO koppel_app;

-- The look-ups sign-in needs before it knows the organisation, in a schema of koppel_auth's own,
-- executable by the app role only.
CREATE SCHEMA auth AUTHORIZATION koppel_auth;
REVOKE ALL ON SCHEMA auth FROM PUBLIC;
GRANT USAGE ON SCHEMA auth TO koppel_app;
GRANT SELECT ON users, sessions, api_tokens TO koppel_auth;
CREATE POLICY users_sign_in ON users FOR SELECT TO koppel_auth USING (true);
CREATE POLICY sessions_sign_in ON sessions FOR SELECT TO koppel_auth USING (true);
CREATE POLICY api_tokens_sign_in ON api_tokens FOR SELECT TO koppel_auth USING (true);

CREATE FUNCTION auth.user_by_email(p_email text)
RETURNS TABLE (user_id uuid, organisation_id uuid, password_hash text, disabled boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$ SELECT id, organisation_id, password_hash, disabled_at IS NOT NULL FROM public.users WHERE email = lower(p_email) $$;

CREATE FUNCTION auth.session(p_token_hash bytea)
RETURNS TABLE (user_id uuid, organisation_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$ SELECT s.user_id, s.organisation_id FROM public.sessions s WHERE s.token_hash = p_token_hash $$;

CREATE FUNCTION auth.api_token(p_token_hash bytea)
RETURNS TABLE (user_id uuid, organisation_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$ SELECT t.user_id, t.organisation_id FROM public.api_tokens t WHERE t.token_hash = p_token_hash $$;

ALTER FUNCTION auth.user_by_email(text) OWNER TO koppel_auth;
ALTER FUNCTION auth.session(bytea) OWNER TO koppel_auth;
ALTER FUNCTION auth.api_token(bytea) OWNER TO koppel_auth;
REVOKE ALL ON FUNCTION auth.user_by_email(text), auth.session(bytea), auth.api_token(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.user_by_email(text), auth.session(bytea), auth.api_token(bytea) TO koppel_app;
