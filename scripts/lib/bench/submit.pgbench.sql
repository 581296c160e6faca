-- The database work of one referral submission through the API, straight into PostgreSQL as the app role: the same
-- statements in the same order (`ReferralStore.create(_:presenting:…)`), and like Koppel's with no transaction block
-- around them: each is atomic on its own (decision 0029). Variables: token_hash (hex), org, user, programme, operator,
-- client (pgbench -D); run with -M prepared, as Koppel prepares these statements, and -M extended to see what that
-- saves.
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
-- The token checked again, the tenant set, and the referral, its first event and its notice written in one statement
-- that answers with the referral (`FileReferralForToken`, schema 0031). Koppel makes the referral's id itself, here
-- the database hands one out in its place, and the response deadline is a constant. Each statement reads the clock
-- itself, where Koppel passes both the same instant: the same work for PostgreSQL.
SELECT * FROM file_referral_for_token(decode(:token_hash, 'hex'), extract(epoch FROM clock_timestamp())::text,
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', gen_random_uuid(), :client, :org, :user, :programme,
    :operator, 'human_trafficking', '26-35', 'GM0518', ARRAY['social_contact'], 'soon', NULL, 'submitted', '{}', NULL,
    :consent_id, NULL, true, ARRAY[:org, :operator]::uuid[], 'respond', (current_date + 7)::text, (current_date + 9)::text);
