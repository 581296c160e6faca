-- Referrals, their immutable history, idempotency keys and the outbox of notifications.
--
-- A referral holds a pseudonymous client id and non-identifying fields only (age band, municipality, target
-- group, coded needs). It is visible to two organisations: the referrer and the programme's operator, whose
-- id is copied onto the row so that row-level security needs no join. Finer rules (which coordinator, which
-- caseworker) are the access policy's; these policies are the floor a handler bug cannot go through.

-- Municipalities and the region and country they lie in: what programmes' service areas are matched against.
CREATE TABLE municipalities (
    name text PRIMARY KEY CHECK (length(trim(name)) > 0),
    region text NOT NULL,
    country text NOT NULL
);
INSERT INTO municipalities (name, region, country) VALUES
    ('Amsterdam', 'Noord-Holland', 'Nederland'), ('Den Haag', 'Haaglanden', 'Nederland'),
    ('Delft', 'Haaglanden', 'Nederland'), ('Zoetermeer', 'Haaglanden', 'Nederland'),
    ('Rotterdam', 'Rijnmond', 'Nederland'), ('Utrecht', 'Utrecht', 'Nederland'),
    ('Nijmegen', 'Gelderland-Zuid', 'Nederland'), ('Arnhem', 'Gelderland-Midden', 'Nederland'),
    ('Enschede', 'Twente', 'Nederland'), ('Hengelo', 'Twente', 'Nederland'), ('Almelo', 'Twente', 'Nederland'),
    ('Groningen', 'Noord-Nederland', 'Nederland'), ('Leeuwarden', 'Noord-Nederland', 'Nederland'),
    ('Assen', 'Noord-Nederland', 'Nederland'), ('Eindhoven', 'Brabant-Zuidoost', 'Nederland'),
    ('Mechelen', 'Antwerpen', 'België'), ('Antwerpen', 'Antwerpen', 'België'), ('Brussel', 'Brussel', 'België');

CREATE TABLE referrals (
    id uuid PRIMARY KEY,
    -- Pseudonymous: who the client is lives only in the vault.
    client_id uuid NOT NULL,
    referring_organisation_id uuid NOT NULL REFERENCES organisations (id),
    referring_user_id uuid NOT NULL,
    programme_id uuid NOT NULL REFERENCES programmes (id),
    operator_id uuid NOT NULL REFERENCES organisations (id),
    target_group text NOT NULL CHECK (target_group IN ('human_trafficking', 'domestic_violence', 'leaving_prostitution',
                                                       'asylum_seekers', 'status_holders', 'social_isolation')),
    age_band text NOT NULL CHECK (age_band IN ('0-15', '16-17', '18-25', '26-35', '36-50', '51-65', '66+')),
    municipality text NOT NULL REFERENCES municipalities (name),
    needs text[] NOT NULL CHECK (needs <@ ARRAY['social_contact', 'housing', 'safety', 'work', 'education', 'health',
                                                'legal', 'finances', 'language']),
    urgency text NOT NULL CHECK (urgency IN ('routine', 'soon', 'urgent')),
    requested_start date,
    state text NOT NULL CHECK (state IN ('draft', 'submitted', 'waitlisted', 'accepted', 'active', 'completed',
                                         'declined', 'withdrawn', 'forwarded', 'ended')),
    -- Eligibility rules the caseworker overrode at submission, and their coded reason; shown to the coordinator.
    overridden_rules text[] NOT NULL DEFAULT '{}'
        CHECK (overridden_rules <@ ARRAY['age', 'region', 'target_group', 'programme_open']),
    override_reason text CHECK (override_reason IN ('professional_judgement', 'close_to_age_limit', 'moving_to_area',
                                                    'agreed_with_programme')),
    -- A referral forwarded here: the one it came from, and the organisation that forwarded it.
    forwarded_from uuid REFERENCES referrals (id),
    forwarded_by_organisation_id uuid REFERENCES organisations (id),
    created_at timestamptz NOT NULL,
    submitted_at timestamptz,
    state_changed_at timestamptz NOT NULL,
    -- Bumped at every step: the ETag of the referral.
    version integer NOT NULL DEFAULT 1,
    UNIQUE (id, referring_organisation_id, operator_id),
    FOREIGN KEY (referring_user_id, referring_organisation_id) REFERENCES users (id, organisation_id),
    CHECK ((cardinality(overridden_rules) = 0) = (override_reason IS NULL)),
    CHECK ((forwarded_from IS NULL) = (forwarded_by_organisation_id IS NULL)),
    -- Only a draft, or a draft withdrawn, was never submitted.
    CHECK (state IN ('draft', 'withdrawn') OR submitted_at IS NOT NULL)
);
CREATE INDEX referrals_referrer_idx ON referrals (referring_organisation_id, created_at DESC, id DESC);
CREATE INDEX referrals_referrer_state_idx ON referrals (referring_organisation_id, state, created_at DESC, id DESC);
CREATE INDEX referrals_operator_idx ON referrals (operator_id, created_at DESC, id DESC);
CREATE INDEX referrals_programme_idx ON referrals (programme_id, created_at DESC, id DESC);
-- Waiting-list positions count along this one, ids included so the count needs no table rows.
CREATE INDEX referrals_programme_state_idx ON referrals (programme_id, state, state_changed_at, id);
CREATE INDEX referrals_client_idx ON referrals (client_id);
-- A referral is forwarded once.
CREATE UNIQUE INDEX referrals_forwarded_from_idx ON referrals (forwarded_from);

-- Every step of every referral, never changed or removed (the app role may only insert and read): the source
-- of truth for waiting times and statistics.
CREATE TABLE referral_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    referral_id uuid NOT NULL,
    referring_organisation_id uuid NOT NULL,
    operator_id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor_user_id uuid NOT NULL,
    actor_organisation_id uuid NOT NULL REFERENCES organisations (id),
    action text NOT NULL CHECK (action IN ('create', 'submit', 'withdraw', 'accept', 'decline', 'waitlist', 'forward',
                                           'start', 'complete', 'end')),
    from_state text,
    to_state text NOT NULL,
    reason text,
    -- For a forward: the new referral (on the original) or the original (on the new one).
    related_referral_id uuid REFERENCES referrals (id),
    FOREIGN KEY (referral_id, referring_organisation_id, operator_id)
        REFERENCES referrals (id, referring_organisation_id, operator_id)
);
CREATE INDEX referral_events_referral_idx ON referral_events (referral_id, id);
CREATE INDEX referral_events_time_idx ON referral_events (occurred_at);

-- The first response to a POST with an Idempotency-Key, replayed when the same key comes again.
CREATE TABLE idempotency_keys (
    user_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    operation text NOT NULL,
    request_hash bytea NOT NULL,
    response_status integer NOT NULL,
    response_body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key),
    FOREIGN KEY (user_id, organisation_id) REFERENCES users (id, organisation_id) ON DELETE CASCADE
);
CREATE INDEX idempotency_keys_age_idx ON idempotency_keys (created_at);

-- Notifications to deliver, written in the same transaction as the change they report. Thin on purpose:
-- "referral R changed" and who should hear of it, never its content. The app role may only add to it; a
-- delivery worker will read it with a role of its own.
CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    topic text NOT NULL CHECK (topic IN ('referral.changed', 'programme.changed')),
    subject_id uuid NOT NULL,
    recipient_organisations uuid[] NOT NULL,
    delivered_at timestamptz
);

ALTER TABLE referrals ENABLE ROW LEVEL SECURITY;
ALTER TABLE referrals FORCE ROW LEVEL SECURITY;
-- A referral reaches the programme side when it is submitted; a draft never submitted (even once withdrawn)
-- stays with the referrer.
CREATE POLICY referrals_read ON referrals FOR SELECT
    USING (referring_organisation_id = acting_organisation()
           OR (operator_id = acting_organisation() AND submitted_at IS NOT NULL));
-- The referrer files drafts and submissions in its own name only. A coordinator who forwards files the new
-- referral on behalf of the original referrer, and only from a submitted or waitlisted referral its own
-- organisation operates, for the same client.
CREATE POLICY referrals_create ON referrals FOR INSERT
    WITH CHECK (
        (referring_organisation_id = acting_organisation() AND forwarded_by_organisation_id IS NULL
         AND state IN ('draft', 'submitted'))
        OR (forwarded_by_organisation_id = acting_organisation() AND state = 'submitted'
            AND EXISTS (SELECT 1 FROM referrals f
                        WHERE f.id = referrals.forwarded_from AND f.operator_id = acting_organisation()
                          AND f.state IN ('submitted', 'waitlisted')
                          AND f.referring_organisation_id = referrals.referring_organisation_id
                          AND f.client_id = referrals.client_id)));
CREATE POLICY referrals_change ON referrals FOR UPDATE
    USING (referring_organisation_id = acting_organisation()
           OR (operator_id = acting_organisation() AND submitted_at IS NOT NULL))
    WITH CHECK (referring_organisation_id = acting_organisation() OR operator_id = acting_organisation());

ALTER TABLE referral_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_events FORCE ROW LEVEL SECURITY;
CREATE POLICY referral_events_read ON referral_events FOR SELECT
    USING (referring_organisation_id = acting_organisation() OR operator_id = acting_organisation());
CREATE POLICY referral_events_append ON referral_events FOR INSERT
    WITH CHECK (actor_organisation_id = acting_organisation());

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_tenant ON idempotency_keys
    USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());

GRANT SELECT ON municipalities TO koppel_app;
-- Steps change a referral's state and what goes with it, never whose it is or where it goes.
GRANT SELECT, INSERT ON referrals TO koppel_app;
GRANT UPDATE (state, state_changed_at, version, submitted_at, overridden_rules, override_reason) ON referrals TO koppel_app;
GRANT SELECT, INSERT ON referral_events TO koppel_app;
GRANT SELECT, INSERT, DELETE ON idempotency_keys TO koppel_app;
GRANT INSERT ON outbox TO koppel_app;

-- Places and waiting lists are counted across every referrer, but a caseworker sees only their own
-- organisation's referrals. These functions, owned by the NOLOGIN role koppel_counts, answer with counts and
-- positions only, never a row.
CREATE SCHEMA counts AUTHORIZATION koppel_counts;
REVOKE ALL ON SCHEMA counts FROM PUBLIC;
GRANT USAGE ON SCHEMA counts TO koppel_app;
GRANT SELECT ON referrals, programmes TO koppel_counts;
CREATE POLICY referrals_counts ON referrals FOR SELECT TO koppel_counts USING (true);

CREATE FUNCTION counts.programme_places()
RETURNS TABLE (programme_id uuid, places_total integer, places_in_use integer, waitlisted integer)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT p.id, p.places_total,
           (SELECT count(*) FROM public.referrals r WHERE r.programme_id = p.id AND r.state IN ('accepted', 'active'))::integer,
           (SELECT count(*) FROM public.referrals r WHERE r.programme_id = p.id AND r.state = 'waitlisted')::integer
    FROM public.programmes p
$$;

-- The place on its programme's waiting list of a referral the acting organisation may see; null otherwise.
CREATE FUNCTION counts.waitlist_position(p_referral uuid)
RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT (SELECT count(*) FROM public.referrals o
            WHERE o.programme_id = r.programme_id AND o.state = 'waitlisted'
              AND (o.state_changed_at, o.id) <= (r.state_changed_at, r.id))::integer
    FROM public.referrals r
    WHERE r.id = p_referral AND r.state = 'waitlisted'
      AND public.acting_organisation() IN (r.referring_organisation_id, r.operator_id)
$$;

ALTER FUNCTION counts.programme_places() OWNER TO koppel_counts;
ALTER FUNCTION counts.waitlist_position(uuid) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.programme_places(), counts.waitlist_position(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.programme_places(), counts.waitlist_position(uuid) TO koppel_app;
