-- A step over the API checks its token in the statement that reads the referral (issue 23, decision 0032). A step
-- began with a statement for its token (`auth.api_token_account`), then its transaction read the referral it steps
-- on (`referral_for_step_as`, 0033). This does both in the transaction's first statement, as the read of one
-- referral (0027) and a submission (0030) do: the token first (unknown, expired or revoked, or its user disabled:
-- no row, and nothing is read or locked), then the tenant is the token's account, the referral is locked and read
-- under row-level security with its programme's terms. One row whenever the token works; the referral's columns and
-- the terms are null when the account's organisation cannot see it. The account's columns come last, in the shape
-- of `api_token_account`. It runs as the caller; the token is still checked at every request.
CREATE FUNCTION public.referral_for_step_for_token(p_token_hash bytea, p_now text, p_traceparent text, p_referral uuid)
RETURNS TABLE (
    referral public.referral_rows, response_working_days integer, start_working_days integer, review_working_days integer,
    country text, user_id uuid, organisation_id uuid, organisation_name text, email text, display_name text, roles text[],
    coordinated_programmes uuid[], must_change_password boolean, totp_secret text, totp_confirmed boolean, disabled boolean)
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
    PERFORM public.act_as(v_account.organisation_id::text, v_account.user_id::text, p_now, p_traceparent);
    PERFORM 1 FROM public.referrals WHERE id = p_referral FOR UPDATE;
    RETURN QUERY
    SELECT s.r, s.response_working_days, s.start_working_days, s.review_working_days, s.country, v_account.user_id,
           v_account.organisation_id, v_account.organisation_name, v_account.email, v_account.display_name, v_account.roles,
           v_account.coordinated_programmes, v_account.must_change_password, v_account.totp_secret, v_account.totp_confirmed,
           v_account.disabled
    FROM (VALUES (1)) AS one
    LEFT JOIN (
        SELECT r, p.response_working_days, p.start_working_days, p.review_working_days, o.country
        FROM public.referral_rows r JOIN public.programmes p ON p.id = r.programme_id JOIN public.organisations o ON o.id = p.operator_id
        WHERE r.id = p_referral
    ) s ON true;
END
$$;
REVOKE ALL ON FUNCTION public.referral_for_step_for_token(bytea, text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.referral_for_step_for_token(bytea, text, text, uuid) TO koppel_app;
