-- The database work of one referral submission through the API, straight into PostgreSQL as the app role: the same
-- statements in one transaction, in the same order (`ReferralStore.create(_:presenting:…)`). Variables: token_hash
-- (hex), org, user, programme, operator, client (pgbench -D); run with -M prepared, as Koppel prepares these statements,
-- and -M extended to see what that saves.
BEGIN;
-- The API token checked, the acting tenant set, and the programme, the client, the municipality, today and the
-- client's consents read, in one statement (`SubmissionFactsForToken`, schema 0030): every column, as Koppel reads
-- them, kept in variables (the consent's id is the one the write needs), and a request's trace as Koppel passes one.
SELECT (t.programme).*, t.client_erased, t.code, t.name, t.region, t.country, t.names, t.places, t.ended_on, t.successor,
       t.matching, t.existing, t.today, t.consent_id, t.consent_client, t.status, t.grantor, t.recorded_by, t.organisation_id,
       t.obtained_on, t.evidence, t.legal_basis, t.valid_from, t.valid_until, t.provisions, t.ended_at,
       t.account_user_id, t.account_organisation_id, t.account_organisation_name,
       t.account_email, t.account_display_name, t.account_roles, t.account_coordinated_programmes,
       t.account_must_change_password, t.account_totp_secret, t.account_totp_confirmed, t.account_disabled
FROM submission_facts_for_token(decode(:token_hash, 'hex'), extract(epoch FROM clock_timestamp())::text,
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', :client, 'Den Haag', 'den haag', :programme) t \gset
-- The referral, its first event and its notice in one statement (`FileReferral`); Koppel makes the referral's id
-- itself, here the database hands one out in its place, and the response deadline is a constant.
WITH r AS (
INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id,
    target_group, age_band, municipality, needs, urgency, requested_start, state, overridden_rules, override_reason,
    consent_id, consent_override_reason, created_at, submitted_at, state_changed_at, due_kind, due_on, escalate_on)
VALUES (gen_random_uuid(), :client, :org, :user, :programme, :operator, 'human_trafficking', '26-35', 'GM0518',
    ARRAY['social_contact'], 'soon', NULL::date, 'submitted', '{}', NULL, :consent_id, NULL, koppel_now(),
    CASE WHEN true THEN koppel_now() END, koppel_now(), 'respond', (koppel_today() + 7)::date, (koppel_today() + 9)::date)
RETURNING *
), event AS (
INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
    actor_organisation_id, action, to_state)
SELECT r.id, r.referring_organisation_id, r.operator_id, r.created_at, r.referring_user_id, r.referring_organisation_id,
    CASE WHEN true THEN 'submit' ELSE 'create' END, r.state FROM r
), notice AS (
INSERT INTO outbox (topic, subject_id, recipient_organisations, event_type, data)
SELECT 'referral.changed', r.id, ARRAY[:org, :operator]::uuid[], 'referral.submitted',
    referral_event_data(r.id, r.programme_id, r.state, r.version, r.forwarded_from)
FROM r WHERE cardinality(ARRAY[:org, :operator]::uuid[]) > 0
)
SELECT r.id, r.client_id, r.referring_organisation_id, ro.name, r.referring_user_id, r.programme_id, p.name, r.operator_id,
       r.target_group, r.age_band, r.municipality, m.name, m.region, m.country, m.names, m.places, r.needs, r.urgency,
       r.requested_start::text, r.state, r.overridden_rules, r.override_reason, r.forwarded_from, r.created_at, r.submitted_at,
       r.state_changed_at, r.version, CASE WHEN r.state = 'waitlisted' THEN counts.waitlist_position(r.id) END, r.consent_id,
       r.consent_override_reason, r.due_kind, r.due_on::text, r.escalate_on::text
  FROM r JOIN organisations ro ON ro.id = r.referring_organisation_id
  JOIN programmes p ON p.id = r.programme_id JOIN municipalities m ON m.code = r.municipality;
COMMIT;
