-- A submission reads everything it is checked against in its first statement (issue 23, decision 0027). It read the
-- API token in a round trip of its own before its transaction, then its facts (`submission_facts_as`, 0025), then
-- its programme: three statements before the write. Now the programme comes with the facts, and an API request's
-- token is checked by the same statement: one.

-- A programme as the directory and a referral's rules read it: `PostgresProgrammeDirectory.programme(from:at:)` reads
-- these columns in this order.
CREATE VIEW public.programme_rows WITH (security_invoker = true) AS
SELECT p.id, p.slug, p.name, p.status, p.description_nl, p.description_en,
       p.eligibility_nl, p.eligibility_en, p.application_process_nl, p.application_process_en,
       p.minimum_age, p.maximum_age, p.target_groups, p.languages, p.typical_duration_months, p.website,
       o.id AS operator_id, o.name AS operator_name, o.website AS operator_website,
       coalesce((SELECT json_agg(json_build_object('name', a.name, 'extent', a.extent) ORDER BY a.position)
                 FROM public.programme_service_areas a WHERE a.programme_id = p.id), '[]')::text AS service_areas,
       p.places_total, p.response_working_days, p.start_working_days, p.review_working_days,
       o.country AS operator_country, p.updated_at
FROM public.programmes p JOIN public.organisations o ON o.id = p.operator_id;
GRANT SELECT ON public.programme_rows TO koppel_app;

-- What a new referral is checked against, acting for the caller: as before (the client, the municipality, today, the
-- client's consents, one row per consent or one with none), and first the programme it is for, if it is listed (not
-- closed): null otherwise.
CREATE FUNCTION public.submission_facts_as(
    p_organisation text, p_user text, p_now text, p_traceparent text, p_client uuid, p_code text, p_folded text, p_programme uuid)
RETURNS TABLE (
    programme public.programme_rows,
    client_erased boolean, code text, name text, region text, country text, names text[], places text[], ended_on text,
    successor text, matching bigint, existing bigint, today text,
    consent_id uuid, consent_client uuid, status text, grantor text, recorded_by uuid, organisation_id uuid,
    obtained_on text, evidence text, legal_basis text, valid_from text, valid_until text, provisions text,
    ended_at timestamptz)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT (SELECT p FROM public.programme_rows p WHERE p.id = p_programme AND p.status <> 'closed'), f.*
    FROM public.submission_facts_as(p_organisation, p_user, p_now, p_traceparent, p_client, p_code, p_folded) f;
END
$$;

-- The same for the holder of an API token, checked first as every API request's token is
-- (`auth.api_token_account`: unknown, expired or revoked, or its user disabled: no row, and nothing is read); then
-- the tenant is the token's account. The account's columns come last, in the shape of `api_token_account`. There is
-- no token cache: a revoked token is refused by the next request.
CREATE FUNCTION public.submission_facts_for_token(
    p_token_hash bytea, p_now text, p_traceparent text, p_client uuid, p_code text, p_folded text, p_programme uuid)
RETURNS TABLE (
    programme public.programme_rows,
    client_erased boolean, code text, name text, region text, country text, names text[], places text[], ended_on text,
    successor text, matching bigint, existing bigint, today text,
    consent_id uuid, consent_client uuid, status text, grantor text, recorded_by uuid, organisation_id uuid,
    obtained_on text, evidence text, legal_basis text, valid_from text, valid_until text, provisions text,
    ended_at timestamptz,
    account_user_id uuid, account_organisation_id uuid, account_organisation_name text, account_email text,
    account_display_name text, account_roles text[], account_coordinated_programmes uuid[],
    account_must_change_password boolean, account_totp_secret text, account_totp_confirmed boolean, account_disabled boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
DECLARE
    v_account record;
BEGIN
    SELECT * INTO v_account FROM auth.api_token_account(p_token_hash, to_timestamp(p_now::double precision));
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT f.*, v_account.user_id, v_account.organisation_id, v_account.organisation_name, v_account.email,
           v_account.display_name, v_account.roles, v_account.coordinated_programmes, v_account.must_change_password,
           v_account.totp_secret, v_account.totp_confirmed, v_account.disabled
    FROM public.submission_facts_as(
        v_account.organisation_id::text, v_account.user_id::text, p_now, p_traceparent, p_client, p_code, p_folded, p_programme) f;
END
$$;

REVOKE ALL ON FUNCTION public.submission_facts_as(text, text, text, text, uuid, text, text, uuid),
    public.submission_facts_for_token(bytea, text, text, uuid, text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.submission_facts_as(text, text, text, text, uuid, text, text, uuid),
    public.submission_facts_for_token(bytea, text, text, uuid, text, text, uuid) TO koppel_app;
