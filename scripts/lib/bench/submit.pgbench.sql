-- The database work of one referral submission through the API, straight into PostgreSQL as the app role:
-- the same statements in one transaction. Variables: org, user, programme, operator, client (pgbench -D); run with
-- -M prepared, as Koppel prepares these statements, and -M extended to see what that saves.
BEGIN;
SELECT set_config('koppel.organisation_id', :org, true), set_config('koppel.user_id', :user, true);
SELECT p.id, p.slug, p.name, p.status, p.description_nl, p.description_en,
       p.eligibility_nl, p.eligibility_en, p.application_process_nl, p.application_process_en,
       p.minimum_age, p.maximum_age, p.target_groups, p.languages, p.typical_duration_months, p.website,
       o.id, o.name, o.website,
       coalesce((SELECT json_agg(json_build_object('name', a.name, 'extent', a.extent) ORDER BY a.position)
                 FROM programme_service_areas a WHERE a.programme_id = p.id), '[]')::text,
       p.places_total
  FROM programmes p JOIN organisations o ON o.id = p.operator_id WHERE p.status <> 'closed' AND p.id = :programme;
SELECT name, region, country FROM municipalities WHERE name = 'Den Haag';
SELECT erased_at IS NOT NULL FROM clients WHERE id = :client;
SELECT c.id, c.client_id, c.status, c.grantor, c.recorded_by, c.organisation_id, c.obtained_on::text, c.evidence, c.legal_basis,
       c.valid_from::text, c.valid_until::text, c.provisions::text, c.ended_at
  FROM consents c WHERE c.client_id = :client ORDER BY c.recorded_at, c.id;
-- Koppel makes the referral's id itself; here the day's query hands one out too, rather than a statement of its own.
SELECT current_date::text, gen_random_uuid() AS rid \gset
INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id, target_group,
    age_band, municipality, needs, urgency, state, overridden_rules, consent_id, created_at, submitted_at, state_changed_at)
VALUES (:rid, :client, :org, :user, :programme, :operator, 'human_trafficking', '26-35', 'Den Haag',
    ARRAY['social_contact'], 'soon', 'submitted', '{}', (SELECT id FROM consents WHERE client_id = :client LIMIT 1), now(), now(), now());
INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id, actor_organisation_id, action, to_state)
VALUES (:rid, :org, :operator, now(), :user, :org, 'submit', 'submitted');
INSERT INTO outbox (topic, subject_id, recipient_organisations) VALUES ('referral.changed', :rid, ARRAY[:org, :operator]::uuid[]);
SELECT r.id, r.client_id, r.referring_organisation_id, ro.name, r.referring_user_id, r.programme_id, p.name, r.operator_id,
       r.target_group, r.age_band, r.municipality, m.region, m.country, r.needs, r.urgency, r.requested_start::text, r.state,
       r.overridden_rules, r.override_reason, r.forwarded_from, r.created_at, r.submitted_at, r.state_changed_at, r.version,
       CASE WHEN r.state = 'waitlisted' THEN counts.waitlist_position(r.id) END, r.consent_id, r.consent_override_reason
  FROM referrals r JOIN organisations ro ON ro.id = r.referring_organisation_id
  JOIN programmes p ON p.id = r.programme_id JOIN municipalities m ON m.name = r.municipality
 WHERE r.id = :rid;
COMMIT;
