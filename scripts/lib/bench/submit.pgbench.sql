-- The database work of one referral submission through the API, straight into PostgreSQL as the app role:
-- the same statements in one transaction. Variables: org, user, programme, client (pgbench -D); run with -M prepared.
BEGIN;
SELECT set_config('koppel.organisation_id', :org, true), set_config('koppel.user_id', :user, true);
SELECT p.id, p.status, p.minimum_age, p.maximum_age, p.target_groups, o.id,
       (SELECT json_agg(json_build_object('name', a.name, 'extent', a.extent)) FROM programme_service_areas a WHERE a.programme_id = p.id)
  FROM programmes p JOIN organisations o ON o.id = p.operator_id WHERE p.id = :programme;
SELECT name, region, country FROM municipalities WHERE name = 'Den Haag';
SELECT erased_at IS NOT NULL FROM clients WHERE id = :client;
SELECT c.id, c.status, c.provisions::text, c.valid_from::text, c.valid_until::text FROM consents c WHERE c.client_id = :client ORDER BY c.recorded_at, c.id;
SELECT current_date::text;
SELECT gen_random_uuid() AS rid, operator_id AS operator FROM programmes WHERE id = :programme \gset
INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id, target_group,
    age_band, municipality, needs, urgency, state, overridden_rules, consent_id, created_at, submitted_at, state_changed_at)
VALUES (:rid, :client, :org, :user, :programme, :operator, 'human_trafficking', '26-35', 'Den Haag',
    ARRAY['social_contact'], 'soon', 'submitted', '{}', (SELECT id FROM consents WHERE client_id = :client LIMIT 1), now(), now(), now());
INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id, actor_organisation_id, action, to_state)
VALUES (:rid, :org, :operator, now(), :user, :org, 'submit', 'submitted');
INSERT INTO outbox (topic, subject_id, recipient_organisations) VALUES ('referral.changed', :rid, ARRAY[:org, :operator]::uuid[]);
SELECT r.id, r.state, r.version, counts.waitlist_position(r.id) FROM referrals r WHERE r.id = :rid;
COMMIT;
