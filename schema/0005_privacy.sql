-- Clients, their consents, and the vault of who they are.
--
-- Outside the vault a client is a pseudonymous id and the organisation that registered them. Who they are —
-- name, date of birth, contact details, safety notes, free text, referral messages — lives only in the `vault`
-- schema, sealed field by field under a data key of the client's own, and only the koppel_vault role can
-- reach it. Every create, change, reveal and erase of it is written to a hash-chained audit log.

CREATE TABLE clients (
    id uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    registered_by uuid NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    -- Set when the client's identifying data was erased (on request or at the end of retention).
    erased_at timestamptz,
    UNIQUE (id, organisation_id),
    FOREIGN KEY (registered_by, organisation_id) REFERENCES users (id, organisation_id)
);

-- A consent as FHIR Consent has it. Provisions (permit/deny × actor × purposes × data classes × period) are a
-- JSON array the domain checks before it is written; they are read as a whole, never queried into.
CREATE TABLE consents (
    id uuid PRIMARY KEY,
    client_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    recorded_by uuid NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL CHECK (status IN ('active', 'withdrawn', 'expired')),
    grantor text NOT NULL CHECK (grantor IN ('client', 'legal_representative')),
    obtained_on date NOT NULL,
    evidence text NOT NULL CHECK (evidence IN ('verbal', 'written', 'signed_document')),
    legal_basis text NOT NULL CHECK (legal_basis IN ('explicit_consent', 'vital_interests', 'public_interest')),
    valid_from date NOT NULL,
    valid_until date CHECK (valid_until >= valid_from),
    provisions jsonb NOT NULL CHECK (jsonb_typeof(provisions) = 'array' AND jsonb_array_length(provisions) > 0),
    -- When and by whom it stopped being active; no user when Koppel itself marked it expired.
    ended_at timestamptz,
    ended_by uuid,
    CHECK ((status = 'active') = (ended_at IS NULL)),
    FOREIGN KEY (client_id, organisation_id) REFERENCES clients (id, organisation_id),
    FOREIGN KEY (recorded_by, organisation_id) REFERENCES users (id, organisation_id)
);
CREATE INDEX consents_client_idx ON consents (client_id);
CREATE INDEX consents_expiry_idx ON consents (valid_until) WHERE status = 'active';

-- A referral names the consent it was submitted under, or why it was submitted without one.
ALTER TABLE referrals ADD COLUMN consent_id uuid REFERENCES consents (id);
ALTER TABLE referrals ADD COLUMN consent_override_reason text CHECK (consent_override_reason IN ('acute_danger', 'legal_duty'));
ALTER TABLE referrals ADD CONSTRAINT referrals_consent_or_override CHECK (consent_id IS NULL OR consent_override_reason IS NULL);
-- Referrals filed from now on are of registered clients (rows from before may name an unregistered id).
ALTER TABLE referrals ADD CONSTRAINT referrals_client_fk FOREIGN KEY (client_id) REFERENCES clients (id) NOT VALID;
CREATE INDEX referrals_consent_idx ON referrals (consent_id) WHERE consent_id IS NOT NULL;
GRANT UPDATE (consent_id, consent_override_reason) ON referrals TO koppel_app;

-- Steps Koppel takes itself (withdrawing referrals whose consent expired) have no acting user.
ALTER TABLE referral_events ALTER COLUMN actor_user_id DROP NOT NULL;

-- How long a client's identifying data is kept after their last referral to the programme closed.
ALTER TABLE programmes ADD COLUMN retention_days integer NOT NULL DEFAULT 730 CHECK (retention_days BETWEEN 1 AND 3650);
GRANT UPDATE (retention_days) ON programmes TO koppel_app;

ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE clients FORCE ROW LEVEL SECURITY;
CREATE POLICY clients_tenant ON clients
    USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());

ALTER TABLE consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE consents FORCE ROW LEVEL SECURITY;
-- The receiving programme's organisation reads the consents of a client it has a submitted referral for: what
-- they permit is what it may do.
CREATE POLICY consents_read ON consents FOR SELECT
    USING (organisation_id = acting_organisation()
           OR EXISTS (SELECT 1 FROM referrals r WHERE r.client_id = consents.client_id
                      AND r.operator_id = acting_organisation() AND r.submitted_at IS NOT NULL));
CREATE POLICY consents_record ON consents FOR INSERT WITH CHECK (organisation_id = acting_organisation());
CREATE POLICY consents_end ON consents FOR UPDATE
    USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());

GRANT SELECT, INSERT ON clients TO koppel_app;
GRANT UPDATE (erased_at) ON clients TO koppel_app;
GRANT SELECT, INSERT ON consents TO koppel_app;
GRANT UPDATE (status, ended_at, ended_by) ON consents TO koppel_app;

-- Across organisations, answers only: whether a possible duplicate has an open referral to a programme, which
-- consents are past their last day, which clients are past retention. Ids and booleans, never a row.
GRANT SELECT ON clients, consents TO koppel_counts;
CREATE POLICY clients_counts ON clients FOR SELECT TO koppel_counts USING (true);
CREATE POLICY consents_counts ON consents FOR SELECT TO koppel_counts USING (true);

CREATE FUNCTION counts.open_referral_exists(p_clients uuid[], p_programme uuid)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT EXISTS (SELECT 1 FROM public.referrals r
                   WHERE r.client_id = ANY (p_clients) AND r.programme_id = p_programme
                     AND r.state IN ('submitted', 'waitlisted', 'accepted', 'active'))
$$;

CREATE FUNCTION counts.consents_past_expiry()
RETURNS TABLE (consent_id uuid, organisation_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT c.id, c.organisation_id FROM public.consents c WHERE c.status = 'active' AND c.valid_until < current_date
$$;

-- A client is past retention when they have referrals, none of them open, and every programme's retention
-- period has run out since its referral closed.
CREATE FUNCTION counts.clients_past_retention()
RETURNS TABLE (client_id uuid, organisation_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT c.id, c.organisation_id
    FROM public.clients c JOIN public.referrals r ON r.client_id = c.id JOIN public.programmes p ON p.id = r.programme_id
    WHERE c.erased_at IS NULL
    GROUP BY c.id, c.organisation_id
    HAVING bool_and(r.state IN ('completed', 'declined', 'withdrawn', 'forwarded', 'ended'))
       AND max(r.state_changed_at + make_interval(days => p.retention_days)) < now()
$$;

ALTER FUNCTION counts.open_referral_exists(uuid[], uuid) OWNER TO koppel_counts;
ALTER FUNCTION counts.consents_past_expiry() OWNER TO koppel_counts;
ALTER FUNCTION counts.clients_past_retention() OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.open_referral_exists(uuid[], uuid), counts.consents_past_expiry(), counts.clients_past_retention()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.open_referral_exists(uuid[], uuid), counts.consents_past_expiry(), counts.clients_past_retention()
    TO koppel_app;

-- The vault: reachable by koppel_vault only. Data keys are wrapped by a master key that is never stored in
-- PostgreSQL; the version of the master key is kept with each, so a rotation can find what to rewrap.
CREATE SCHEMA vault;
REVOKE ALL ON SCHEMA vault FROM PUBLIC;
GRANT USAGE ON SCHEMA vault TO koppel_vault;

CREATE TABLE vault.data_keys (
    client_id uuid PRIMARY KEY,
    wrapped_key bytea NOT NULL,
    master_key_version integer NOT NULL CHECK (master_key_version > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    rewrapped_at timestamptz
);
CREATE INDEX data_keys_version_idx ON vault.data_keys (master_key_version);

-- Each field sealed on its own (AES-256-GCM under the client's data key, client id and field name bound in).
CREATE TABLE vault.identity_fields (
    client_id uuid NOT NULL REFERENCES vault.data_keys (client_id) ON DELETE CASCADE,
    field text NOT NULL CHECK (field IN ('name', 'birth_date', 'gender', 'nationality', 'languages', 'phone', 'email',
                                         'address', 'safety_notes', 'notes')),
    sealed bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, field)
);

-- HMAC of the normalised name and date of birth under a key of its own: equal for the same person, and
-- nothing without the key.
CREATE TABLE vault.blind_index (
    client_id uuid PRIMARY KEY REFERENCES vault.data_keys (client_id) ON DELETE CASCADE,
    digest bytea NOT NULL
);
CREATE INDEX blind_index_digest_idx ON vault.blind_index (digest);

-- The thread of a referral, sealed under the data key of the referral's client.
CREATE TABLE vault.messages (
    id uuid PRIMARY KEY,
    referral_id uuid NOT NULL,
    client_id uuid NOT NULL REFERENCES vault.data_keys (client_id) ON DELETE CASCADE,
    author_user_id uuid NOT NULL,
    author_organisation_id uuid NOT NULL,
    posted_at timestamptz NOT NULL DEFAULT now(),
    sealed bytea NOT NULL
);
CREATE INDEX messages_referral_idx ON vault.messages (referral_id, posted_at, id);

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA vault TO koppel_vault;

-- Who did what to whose identifying data, when and why: never the values. Append-only for every role Koppel
-- runs as (no UPDATE, no DELETE granted), and hash-chained so that a change made by anyone else shows:
-- each entry's hash covers the previous entry's hash and a canonical encoding of its own content.
CREATE SCHEMA audit;
REVOKE ALL ON SCHEMA audit FROM PUBLIC;
GRANT USAGE ON SCHEMA audit TO koppel_vault;

CREATE TABLE audit.entries (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    occurred_at timestamptz NOT NULL,
    actor_user_id uuid,
    actor_organisation_id uuid,
    client_id uuid NOT NULL,
    action text NOT NULL CHECK (action IN ('create', 'update', 'reveal', 'export', 'erase', 'post_message', 'read_messages')),
    purpose text,
    referral_id uuid,
    fields text[] NOT NULL DEFAULT '{}',
    previous_hash bytea NOT NULL,
    hash bytea NOT NULL UNIQUE
);
CREATE INDEX entries_client_idx ON audit.entries (client_id, seq);
GRANT SELECT, INSERT ON audit.entries TO koppel_vault;
