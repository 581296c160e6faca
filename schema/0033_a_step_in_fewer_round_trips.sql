-- A step on a referral in fewer round trips (issue 23, decision 0031). Inside its transaction a step took: the
-- referral, locked; for an accept, the programme's lock and then its count of places in use; the programme's terms, for
-- the deadline the new state brings; the new state; its event; its notice; and the referral read back as it now is.
-- Now it is three statements at most: the referral locked with its programme's terms, the places claimed (accepting
-- only), and the write with the read back. The decisions (may this actor take this step, which state follows, which
-- deadline, who hears of it, whether a place is free) are made in Swift between them, as before. The event and the
-- notice are still written in the same transaction as the change they report.

-- One referral acting for the caller, locked for the rest of the transaction, with its programme's terms (working days
-- to answer, to start, to review; the operator's country for its holidays). No row when the caller cannot see it.
CREATE FUNCTION public.referral_for_step_as(
    p_organisation text, p_user text, p_now text, p_traceparent text, p_referral uuid)
RETURNS TABLE (
    referral public.referral_rows, response_working_days integer, start_working_days integer, review_working_days integer,
    country text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
BEGIN
    PERFORM public.act_as(p_organisation, p_user, p_now, p_traceparent);
    PERFORM 1 FROM public.referrals WHERE id = p_referral FOR UPDATE;
    RETURN QUERY
    SELECT r, p.response_working_days, p.start_working_days, p.review_working_days, o.country
    FROM public.referral_rows r JOIN public.programmes p ON p.id = r.programme_id JOIN public.organisations o ON o.id = p.operator_id
    WHERE r.id = p_referral;
END
$$;

-- A programme's places, counted under its lock: the lock makes concurrent accepts queue, and the count, a statement of
-- its own after the lock is had, sees every accept committed before. The lock is held to the transaction's end.
CREATE FUNCTION public.places_claimed(p_programme uuid)
RETURNS TABLE (places_total integer, in_use integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
BEGIN
    -- The key as the step's own statement made it before (upper-case text), so replicas of either version queue together.
    PERFORM pg_advisory_xact_lock(hashtextextended(upper(p_programme::text), 11));
    RETURN QUERY
    SELECT p.places_total,
           (SELECT count(*) FROM public.referrals r WHERE r.programme_id = p.id AND r.state IN ('accepted', 'active'))::integer
    FROM public.programmes p WHERE p.id = p_programme;
END
$$;

-- The step written: the new state and deadline, its event, its notice, then the referral as it now is.
-- Its parameters are `RecordStep`'s, in its order. `p_event_type` null or `p_notify` empty: no notice.
-- `p_extra` is a JSON object added to the notice's data (the referral a forward sent on to). Only a referral still in
-- `p_from` is changed: if another step came first (a caller that did not lock the row), nothing is written and there
-- is no row.
CREATE FUNCTION public.record_step(
    p_referral uuid, p_from text, p_to text, p_action text, p_reason text, p_related uuid, p_user uuid, p_organisation uuid,
    p_due_kind text, p_due_on text, p_escalate_on text, p_answered_in_time boolean, p_event_type text, p_notify uuid[],
    p_extra text)
RETURNS SETOF public.referral_rows
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_changed integer;
BEGIN
    WITH r AS (
        UPDATE public.referrals SET state = p_to, state_changed_at = public.koppel_now(), version = version + 1,
            submitted_at = coalesce(submitted_at, CASE WHEN p_to = 'submitted' THEN public.koppel_now() END),
            due_kind = p_due_kind, due_on = p_due_on::date, escalate_on = p_escalate_on::date, overdue_at = NULL,
            escalated_at = NULL, answered_in_time = coalesce(answered_in_time, p_answered_in_time)
        WHERE id = p_referral AND state = p_from
        RETURNING *
    ), event AS (
        -- As `AppendReferralEvent` writes it; the history trigger runs at the statement's end.
        INSERT INTO public.referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
            actor_organisation_id, action, from_state, to_state, reason, related_referral_id)
        SELECT r.id, r.referring_organisation_id, r.operator_id, public.koppel_now(), p_user, p_organisation, p_action,
            p_from, r.state, p_reason, p_related
        FROM r
    ), notice AS (
        -- As `NoteReferralChanged` writes it.
        INSERT INTO public.outbox (topic, subject_id, recipient_organisations, event_type, data)
        SELECT 'referral.changed', r.id, p_notify, p_event_type,
            public.referral_event_data(r.id, r.programme_id, r.state, r.version, r.forwarded_from) || p_extra::jsonb
        FROM r WHERE p_event_type IS NOT NULL AND cardinality(p_notify) > 0
    )
    SELECT count(*) INTO v_changed FROM r;
    IF v_changed = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM public.referral_rows WHERE id = p_referral;
END
$$;

REVOKE ALL ON FUNCTION
    public.referral_for_step_as(text, text, text, text, uuid), public.places_claimed(uuid),
    public.record_step(uuid, text, text, text, text, uuid, uuid, uuid, text, text, text, boolean, text, uuid[], text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    public.referral_for_step_as(text, text, text, text, uuid), public.places_claimed(uuid),
    public.record_step(uuid, text, text, text, text, uuid, uuid, uuid, text, text, text, boolean, text, uuid[], text)
TO koppel_app;
