-- Fills the database with :count referrals and their histories, spread over the last three years, the
-- referring organisations and programmes present, and every way a referral goes: still open when recent,
-- declined, withdrawn, completed or ended (with coded reasons) when older. Each referral's municipality (by code) is
-- one its programme's service areas take in, as eligibility matches them, spread over all of them and a little
-- more often a big city. Every step is a history event, inserted as the service inserts them, so the statistics
-- facts (with the municipality) are kept by the same trigger.
-- Run as an administrator (row-level security would otherwise allow one organisation per transaction).
\set ON_ERROR_STOP on
BEGIN;
-- One generator caseworker per referring organisation, who cannot sign in (no password matches 'x').
INSERT INTO users (organisation_id, email, display_name, password_hash, must_change_password)
SELECT o.id, 'generator@' || o.slug || '.example', 'Generator', 'x', false
FROM organisations o WHERE 'referrer' = ANY (o.kinds)
ON CONFLICT (email) DO NOTHING;

CREATE TEMP TABLE actions (action text PRIMARY KEY, state_after text, reasons text[]) ON COMMIT DROP;
INSERT INTO actions VALUES
    ('submit', 'submitted', NULL), ('waitlist', 'waitlisted', NULL), ('accept', 'accepted', NULL),
    ('start', 'active', NULL), ('complete', 'completed', NULL),
    ('decline', 'declined', '{not_eligible,needs_not_matched,client_unreachable,client_declined,better_elsewhere}'),
    ('withdraw', 'withdrawn', '{client_choice,other_support_found,consent_withdrawn,entered_in_error}'),
    ('end', 'ended', '{client_stopped,client_moved,lost_contact,safety_concern,programme_stopped}');

-- The ways a referral goes; an open one older than a year takes its closed alternative instead.
CREATE TEMP TABLE paths (n integer PRIMARY KEY, steps text[], closed_alternative integer) ON COMMIT DROP;
INSERT INTO paths VALUES
    (0, '{submit}', 2), (1, '{submit,waitlist}', 10), (2, '{submit,decline}', NULL), (3, '{submit,withdraw}', NULL),
    (4, '{submit,accept}', 7), (5, '{submit,accept,start}', 8), (6, '{submit,accept,start}', 9),
    (7, '{submit,accept,start,complete}', NULL), (8, '{submit,accept,start,complete}', NULL),
    (9, '{submit,accept,start,end}', NULL), (10, '{submit,waitlist,accept,start,complete}', NULL);

CREATE TEMP TABLE referrers ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY o.slug) - 1 AS n, o.id AS organisation_id, u.id AS user_id
FROM organisations o JOIN users u ON u.organisation_id = o.id AND u.email = 'generator@' || o.slug || '.example';
CREATE TEMP TABLE targets ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY slug) - 1 AS n, id AS programme_id, operator_id FROM programmes WHERE status <> 'closed';

-- The municipalities existing today that each programme's service areas take in, matched as `ServiceArea.covers`
-- does: a municipality by any of its names or its code, a region or named area by the places it lies in, a country
-- by name (all folded). A programme whose areas match nothing takes any municipality.
CREATE TEMP TABLE covered ON COMMIT DROP AS
WITH current AS (
    SELECT m.code, m.names || fold_place_name(m.name) AS names,
           m.places || fold_place_name(m.region) || fold_place_name(m.country) AS places, fold_place_name(m.country) AS country
    FROM municipalities m
    WHERE (m.valid_from IS NULL OR m.valid_from <= koppel_today()) AND (m.ended_on IS NULL OR m.ended_on > koppel_today())
), matched AS (
    SELECT t.n AS target, c.code
    FROM targets t JOIN programme_service_areas a ON a.programme_id = t.programme_id
    JOIN current c ON CASE a.extent
        WHEN 'municipality' THEN fold_place_name(a.name) = ANY (c.names) OR upper(trim(a.name)) = c.code
        WHEN 'region' THEN fold_place_name(a.name) = ANY (c.places)
        ELSE fold_place_name(a.name) = c.country END
)
SELECT DISTINCT target, code FROM matched
UNION ALL
SELECT t.n, c.code FROM targets t CROSS JOIN current c WHERE t.n NOT IN (SELECT target FROM matched);

-- Slots to draw a municipality from, per programme: one for each municipality, more for the big cities.
CREATE TEMP TABLE slots ON COMMIT DROP AS
SELECT c.target, row_number() OVER (PARTITION BY c.target ORDER BY c.code, k) - 1 AS slot, c.code
FROM covered c
LEFT JOIN (VALUES ('GM0363', 8), ('GM0599', 7), ('GM0518', 6), ('GM0344', 5), ('GM0772', 3), ('GM0014', 3), ('GM0855', 3),
                  ('GM0034', 3), ('GM0758', 3), ('GM0268', 3), ('GM0153', 3), ('GM0392', 2), ('GM0202', 2), ('GM0080', 2),
                  ('GM0164', 2), ('GM0141', 2), ('11002', 6), ('21004', 5), ('44021', 4), ('52011', 3), ('62063', 3)) AS big (code, weight)
    ON big.code = c.code
CROSS JOIN generate_series(1, coalesce(big.weight, 1)) AS k;
ALTER TABLE targets ADD COLUMN slots bigint;
UPDATE targets t SET slots = (SELECT count(*) FROM slots s WHERE s.target = t.n);
ANALYZE slots;

CREATE TEMP TABLE generated ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, gen_random_uuid() AS client_id, i, created_at,
       CASE WHEN created_at < now() - interval '1 year' THEN coalesce(p.closed_alternative, p.n) ELSE p.n END AS path,
       -- Days between steps differ per referral, so waiting times have a spread.
       3 + (i * 7) % 40 AS gap_days
FROM (SELECT i, now() - random() * interval '1095 days' AS created_at FROM generate_series(1, :count) AS i) c
JOIN paths p ON p.n = (i / 11) % 10;

-- Each referral's client, registered by its referrer (who the client is would be in the vault; the generator
-- writes no identities).
INSERT INTO clients (id, organisation_id, registered_by, registered_at)
SELECT g.client_id, r.organisation_id, r.user_id, g.created_at
FROM generated g JOIN referrers r ON r.n = g.i % (SELECT count(*) FROM referrers);

-- Each step of each referral, at most `gap_days` apart and never later than now.
CREATE TEMP TABLE steps ON COMMIT DROP AS
SELECT g.id AS referral_id, s.k, s.step, a.state_after, a.reasons[1 + g.i % cardinality(a.reasons)] AS reason,
       g.created_at + (s.k - 1) * least(g.gap_days * interval '1 day', (now() - g.created_at) / cardinality(p.steps)) AS at,
       k = cardinality(p.steps) AS last
FROM generated g
JOIN paths p ON p.n = g.path
CROSS JOIN LATERAL unnest(p.steps) WITH ORDINALITY AS s(step, k)
JOIN actions a ON a.action = s.step;

INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id, target_group,
    age_band, municipality, needs, urgency, state, created_at, submitted_at, state_changed_at, version)
SELECT g.id, g.client_id, r.organisation_id, r.user_id, t.programme_id, t.operator_id,
       (ARRAY['human_trafficking', 'domestic_violence', 'leaving_prostitution', 'asylum_seekers', 'status_holders', 'social_isolation'])[1 + g.i % 6],
       (ARRAY['0-15', '16-17', '18-25', '26-35', '36-50', '51-65', '66+'])[1 + (g.i / 7) % 7],
       m.code, ARRAY['social_contact'], (ARRAY['routine', 'soon', 'urgent'])[1 + g.i % 3],
       s.state_after, g.created_at, g.created_at, s.at, s.k
FROM generated g
JOIN steps s ON s.referral_id = g.id AND s.last
JOIN referrers r ON r.n = g.i % (SELECT count(*) FROM referrers)
JOIN targets t ON t.n = (g.i / 3) % (SELECT count(*) FROM targets)
-- A slot by a hash of the referral's number, so the municipality goes with none of the other choices made from it.
JOIN slots m ON m.target = t.n AND m.slot = (hashint4(g.i) + 2147483648::bigint) % t.slots;

-- Counted before the history goes in: the foreign-key checks of the facts the trigger writes are planned with what
-- the statistics say of referrals, and a table once emptied says "no rows" (a scan of the wrong index per check).
ANALYZE referrals;

INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
    actor_organisation_id, action, from_state, to_state, reason)
SELECT r.id, r.referring_organisation_id, r.operator_id, s.at, r.referring_user_id,
       CASE WHEN s.step IN ('submit', 'withdraw') THEN r.referring_organisation_id ELSE r.operator_id END,
       s.step, previous.state_after, s.state_after, s.reason
FROM steps s
JOIN referrals r ON r.id = s.referral_id
LEFT JOIN steps previous ON previous.referral_id = s.referral_id AND previous.k = s.k - 1
ORDER BY s.at;
COMMIT;
-- Vacuumed, so the running referrals are counted from the index alone, as autovacuum keeps it later; the referrals and
-- their histories too, or autovacuum's first pass over millions of new rows runs during whatever is measured next.
VACUUM ANALYZE referral_facts;
VACUUM ANALYZE referrals;
VACUUM ANALYZE referral_events;
