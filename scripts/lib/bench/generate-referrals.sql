-- Fills the database with :count referrals and their histories, spread over three years, the demo's
-- referring organisations and programmes, and every state a referral can end up in. Run as an administrator
-- (row-level security would otherwise allow one organisation per transaction).
\set ON_ERROR_STOP on
BEGIN;
-- One generator caseworker per referring organisation, who cannot sign in (no password matches 'x').
INSERT INTO users (organisation_id, email, display_name, password_hash, must_change_password)
SELECT o.id, 'generator@' || o.slug || '.example', 'Generator', 'x', false
FROM organisations o WHERE 'referrer' = ANY (o.kinds)
ON CONFLICT (email) DO NOTHING;

CREATE TEMP TABLE paths (n integer PRIMARY KEY, state text, steps text[]) ON COMMIT DROP;
INSERT INTO paths VALUES
    (0, 'submitted', '{submit}'), (1, 'waitlisted', '{submit,waitlist}'), (2, 'declined', '{submit,decline}'),
    (3, 'withdrawn', '{submit,withdraw}'), (4, 'accepted', '{submit,accept}'), (5, 'active', '{submit,accept,start}'),
    (6, 'active', '{submit,accept,start}'), (7, 'completed', '{submit,accept,start,complete}'),
    (8, 'completed', '{submit,accept,start,complete}'), (9, 'ended', '{submit,accept,start,end}');

CREATE TEMP TABLE referrers ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY o.slug) - 1 AS n, o.id AS organisation_id, u.id AS user_id
FROM organisations o JOIN users u ON u.organisation_id = o.id AND u.email = 'generator@' || o.slug || '.example';
CREATE TEMP TABLE targets ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY slug) - 1 AS n, id AS programme_id, operator_id FROM programmes WHERE status <> 'closed';
CREATE TEMP TABLE places ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY name) - 1 AS n, name FROM municipalities;

CREATE TEMP TABLE generated ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, gen_random_uuid() AS client_id, i,
       now() - (random() * interval '1095 days') AS created_at,
       (SELECT count(*) FROM referrers) AS referrer_count
FROM generate_series(1, :count) AS i;

-- Each referral's client, registered by its referrer (who the client is would be in the vault; the generator
-- writes no identities).
INSERT INTO clients (id, organisation_id, registered_by, registered_at)
SELECT g.client_id, r.organisation_id, r.user_id, g.created_at
FROM generated g JOIN referrers r ON r.n = g.i % g.referrer_count;

INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id, target_group,
    age_band, municipality, needs, urgency, state, created_at, submitted_at, state_changed_at, version)
SELECT g.id, g.client_id, r.organisation_id, r.user_id, t.programme_id, t.operator_id,
       (ARRAY['human_trafficking', 'domestic_violence', 'leaving_prostitution', 'asylum_seekers', 'status_holders', 'social_isolation'])[1 + g.i % 6],
       (ARRAY['0-15', '16-17', '18-25', '26-35', '36-50', '51-65', '66+'])[1 + (g.i / 7) % 7],
       m.name, ARRAY['social_contact'], (ARRAY['routine', 'soon', 'urgent'])[1 + g.i % 3],
       p.state, g.created_at, g.created_at,
       g.created_at + (cardinality(p.steps) - 1) * interval '20 days', cardinality(p.steps)
FROM generated g
JOIN referrers r ON r.n = g.i % g.referrer_count
JOIN targets t ON t.n = (g.i / 3) % (SELECT count(*) FROM targets)
JOIN places m ON m.n = g.i % (SELECT count(*) FROM places)
JOIN paths p ON p.n = (g.i / 11) % 10;

INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
    actor_organisation_id, action, from_state, to_state)
SELECT r.id, r.referring_organisation_id, r.operator_id, r.created_at + (s.k - 1) * interval '20 days',
       r.referring_user_id, CASE WHEN s.step IN ('submit', 'withdraw') THEN r.referring_organisation_id ELSE r.operator_id END,
       s.step,
       CASE WHEN s.k = 1 THEN NULL ELSE (SELECT state_after FROM (VALUES ('submit', 'submitted'), ('accept', 'accepted'),
            ('start', 'active')) v(action, state_after) WHERE v.action = p.steps[s.k - 1]) END,
       (SELECT state_after FROM (VALUES ('submit', 'submitted'), ('waitlist', 'waitlisted'), ('decline', 'declined'),
            ('withdraw', 'withdrawn'), ('accept', 'accepted'), ('start', 'active'), ('complete', 'completed'),
            ('end', 'ended')) v(action, state_after) WHERE v.action = s.step)
FROM referrals r
JOIN generated g ON g.id = r.id
JOIN paths p ON p.n = (g.i / 11) % 10
CROSS JOIN LATERAL unnest(p.steps) WITH ORDINALITY AS s(step, k);
COMMIT;
ANALYZE referrals;
ANALYZE referral_events;
