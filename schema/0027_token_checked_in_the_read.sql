-- The token checked in the statement that reads (issue 23, decision 0026). An API request that reads one referral
-- began with a statement for its token (`auth.api_token_account`) and then read (`referral_as`, 0025): two round
-- trips. This does both in one statement: the token first (unknown, expired or revoked, or its user disabled: no row,
-- and nothing is read), then the tenant is the token's account and the referral is read under row-level security, as
-- `referral_as` reads it. It runs as the caller; the token check is the definer function it always was, and it still
-- runs on every request: revoking a token takes effect at once.
CREATE FUNCTION public.referral_for_token(p_token_hash bytea, p_now text, p_traceparent text, p_referral uuid)
RETURNS TABLE (
    referral public.referral_rows, user_id uuid, organisation_id uuid, organisation_name text, email text, display_name text,
    roles text[], coordinated_programmes uuid[], must_change_password boolean, totp_secret text, totp_confirmed boolean,
    disabled boolean)
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
    RETURN QUERY
    SELECT (SELECT r FROM public.referral_rows r WHERE r.id = p_referral), v_account.user_id, v_account.organisation_id,
           v_account.organisation_name, v_account.email, v_account.display_name, v_account.roles, v_account.coordinated_programmes,
           v_account.must_change_password, v_account.totp_secret, v_account.totp_confirmed, v_account.disabled;
END
$$;
REVOKE ALL ON FUNCTION public.referral_for_token(bytea, text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.referral_for_token(bytea, text, text, uuid) TO koppel_app;
