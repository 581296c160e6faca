-- A partner system's own identifier of a referral it filed (FHIR ServiceRequest.identifier). Filing again with the
-- same identifier finds the first referral instead of making a second (FHIR conditional create), for good, unlike
-- an Idempotency-Key, which is kept for 48 hours. Partner identifiers are the partner's case numbers, never a
-- client's name or number.
CREATE TABLE referral_identifiers (
    referring_organisation_id uuid NOT NULL REFERENCES organisations (id),
    system text NOT NULL CHECK (length(system) BETWEEN 1 AND 200),
    value text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
    referral_id uuid NOT NULL REFERENCES referrals (id),
    PRIMARY KEY (referring_organisation_id, system, value)
);
CREATE INDEX referral_identifiers_referral_idx ON referral_identifiers (referral_id);

ALTER TABLE referral_identifiers ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_identifiers FORCE ROW LEVEL SECURITY;
-- Seen with the referral (by its referrer and, once submitted, its programme's operator); written by the referrer only.
CREATE POLICY referral_identifiers_read ON referral_identifiers FOR SELECT
    USING (EXISTS (SELECT 1 FROM referrals r WHERE r.id = referral_identifiers.referral_id));
CREATE POLICY referral_identifiers_create ON referral_identifiers FOR INSERT
    WITH CHECK (referring_organisation_id = acting_organisation()
                AND EXISTS (SELECT 1 FROM referrals r WHERE r.id = referral_identifiers.referral_id
                            AND r.referring_organisation_id = acting_organisation()));
GRANT SELECT, INSERT ON referral_identifiers TO koppel_app;
