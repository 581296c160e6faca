-- The database work of one referral submission through the API, straight into PostgreSQL as the app role:
-- the same statements in one transaction, in the same order. Variables: org, user, programme, operator, client (pgbench -D); run with
-- -M prepared, as Koppel prepares these statements, and -M extended to see what that saves.
BEGIN;
-- The acting tenant, the client, the municipality, today and the client's consents, in one statement (schema 0025).
SELECT consent_id FROM submission_facts_as(:org, :user, extract(epoch FROM clock_timestamp())::text, '', :client, 'Den Haag', 'den haag') \gset
SELECT p.id, p.slug, p.name, p.status, p.description_nl, p.description_en,
       p.eligibility_nl, p.eligibility_en, p.application_process_nl, p.application_process_en,
       p.minimum_age, p.maximum_age, p.target_groups, p.languages, p.typical_duration_months, p.website,
       o.id, o.name, o.website,
       coalesce((SELECT json_agg(json_build_object('name', a.name, 'extent', a.extent) ORDER BY a.position)
                 FROM programme_service_areas a WHERE a.programme_id = p.id), '[]')::text,
       p.places_total
  FROM programmes p JOIN organisations o ON o.id = p.operator_id WHERE p.status <> 'closed' AND p.id = :programme;
-- Koppel makes the referral's id itself; here the database hands one out in its place. The consent is the one above.
WITH r AS (
INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id, target_group,
    age_band, municipality, needs, urgency, requested_start, state, overridden_rules, override_reason, consent_id,
    consent_override_reason, created_at, submitted_at, state_changed_at)
VALUES (gen_random_uuid(), :client, :org, :user, :programme, :operator, 'human_trafficking', '26-35', 'GM0518',
    ARRAY['social_contact'], 'soon', NULL::date, 'submitted', '{}', NULL, :consent_id,
    NULL, now(), CASE WHEN true THEN now() END, now())
RETURNING *
), event AS (
INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
    actor_organisation_id, action, to_state)
SELECT r.id, r.referring_organisation_id, r.operator_id, r.created_at, r.referring_user_id, r.referring_organisation_id,
    CASE WHEN true THEN 'submit' ELSE 'create' END, r.state FROM r
), notice AS (
INSERT INTO outbox (topic, subject_id, recipient_organisations)
SELECT 'referral.changed', r.id, ARRAY[:org, :operator]::uuid[] FROM r WHERE cardinality(ARRAY[:org, :operator]::uuid[]) > 0
)
SELECT r.id, r.client_id, r.referring_organisation_id, ro.name, r.referring_user_id, r.programme_id, p.name, r.operator_id,
       r.target_group, r.age_band, r.municipality, m.region, m.country, r.needs, r.urgency, r.requested_start::text, r.state,
       r.overridden_rules, r.override_reason, r.forwarded_from, r.created_at, r.submitted_at, r.state_changed_at, r.version,
       CASE WHEN r.state = 'waitlisted' THEN counts.waitlist_position(r.id) END, r.consent_id, r.consent_override_reason
  FROM r JOIN organisations ro ON ro.id = r.referring_organisation_id
  JOIN programmes p ON p.id = r.programme_id JOIN municipalities m ON m.code = r.municipality;
COMMIT;
