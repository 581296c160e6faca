-- A submission through the API in two statements and no transaction block (issue 23, decision 0029). It took four
-- round trips: BEGIN, the facts (`submission_facts_for_token`, 0030), the write, COMMIT. The write is one statement,
-- atomic on its own: the referral, its first event and its notice. So the facts are read in a statement of their own,
-- and the write checks the token again and sets the tenant itself, as the facts' statement does.

-- A new referral, its first event and (when someone is to hear of it) its notice, acting for the tenant already set,
-- then the referral as `referral_rows` shows it. Its parameters are `FileReferral`'s, in its order.
CREATE FUNCTION public.file_referral(
    p_id uuid, p_client uuid, p_organisation uuid, p_user uuid, p_programme uuid, p_operator uuid, p_target_group text,
    p_age_band text, p_municipality text, p_needs text[], p_urgency text, p_requested_start text, p_state text,
    p_overridden_rules text[], p_override_reason text, p_consent uuid, p_consent_override_reason text, p_submit boolean,
    p_notify uuid[], p_due_kind text, p_due_on text, p_escalate_on text)
RETURNS SETOF public.referral_rows
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
AS $$
BEGIN
    WITH r AS (
        INSERT INTO public.referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id,
            target_group, age_band, municipality, needs, urgency, requested_start, state, overridden_rules, override_reason,
            consent_id, consent_override_reason, created_at, submitted_at, state_changed_at, due_kind, due_on, escalate_on)
        VALUES (p_id, p_client, p_organisation, p_user, p_programme, p_operator, p_target_group, p_age_band, p_municipality,
            p_needs, p_urgency, p_requested_start::date, p_state, p_overridden_rules, p_override_reason, p_consent,
            p_consent_override_reason, public.koppel_now(), CASE WHEN p_submit THEN public.koppel_now() END,
            public.koppel_now(), p_due_kind, p_due_on::date, p_escalate_on::date)
        RETURNING *
    ), event AS (
        -- As `ReferralHistory.append` writes any later step; the history trigger runs at the statement's end.
        INSERT INTO public.referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
            actor_organisation_id, action, to_state)
        SELECT r.id, r.referring_organisation_id, r.operator_id, r.created_at, r.referring_user_id, r.referring_organisation_id,
            CASE WHEN p_submit THEN 'submit' ELSE 'create' END, r.state
        FROM r
    )
    -- As `Outbox.referralChanged` writes it for any later step.
    INSERT INTO public.outbox (topic, subject_id, recipient_organisations, event_type, data)
    SELECT 'referral.changed', r.id, p_notify, 'referral.submitted',
        public.referral_event_data(r.id, r.programme_id, r.state, r.version, r.forwarded_from)
    FROM r WHERE cardinality(p_notify) > 0;
    RETURN QUERY SELECT * FROM public.referral_rows WHERE id = p_id;
END
$$;

-- The same for the holder of an API token, outside any transaction block: the token is checked again (it may have
-- been revoked since the facts were read, or its user disabled) and must still be that account's; then the tenant is
-- set for this statement alone and the referral written. No row, and nothing written, when the token no longer works.
CREATE FUNCTION public.file_referral_for_token(
    p_token_hash bytea, p_now text, p_traceparent text,
    p_id uuid, p_client uuid, p_organisation uuid, p_user uuid, p_programme uuid, p_operator uuid, p_target_group text,
    p_age_band text, p_municipality text, p_needs text[], p_urgency text, p_requested_start text, p_state text,
    p_overridden_rules text[], p_override_reason text, p_consent uuid, p_consent_override_reason text, p_submit boolean,
    p_notify uuid[], p_due_kind text, p_due_on text, p_escalate_on text)
RETURNS SETOF public.referral_rows
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
AS $$
BEGIN
    PERFORM 1 FROM auth.api_token_account(p_token_hash, to_timestamp(p_now::double precision)) a
    WHERE a.user_id = p_user AND a.organisation_id = p_organisation;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM public.act_as(p_organisation::text, p_user::text, p_now, p_traceparent);
    RETURN QUERY SELECT * FROM public.file_referral(
        p_id, p_client, p_organisation, p_user, p_programme, p_operator, p_target_group, p_age_band, p_municipality, p_needs,
        p_urgency, p_requested_start, p_state, p_overridden_rules, p_override_reason, p_consent, p_consent_override_reason,
        p_submit, p_notify, p_due_kind, p_due_on, p_escalate_on);
END
$$;

REVOKE ALL ON FUNCTION
    public.file_referral(uuid, uuid, uuid, uuid, uuid, uuid, text, text, text, text[], text, text, text, text[], text, uuid,
        text, boolean, uuid[], text, text, text),
    public.file_referral_for_token(bytea, text, text, uuid, uuid, uuid, uuid, uuid, uuid, text, text, text, text[], text,
        text, text, text[], text, uuid, text, boolean, uuid[], text, text, text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    public.file_referral(uuid, uuid, uuid, uuid, uuid, uuid, text, text, text, text[], text, text, text, text[], text, uuid,
        text, boolean, uuid[], text, text, text),
    public.file_referral_for_token(bytea, text, text, uuid, uuid, uuid, uuid, uuid, uuid, text, text, text, text[], text,
        text, text, text[], text, uuid, text, boolean, uuid[], text, text, text)
TO koppel_app;
