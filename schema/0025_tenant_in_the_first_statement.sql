-- Fewer round trips (issue 23, decision 0023). A tenant transaction began with a statement of its own that set the
-- acting organisation, user, clock and trace. These functions set them and then do the use case's first read, in one
-- statement: a read of one referral needs no transaction block at all (the settings, local to the statement's own
-- transaction, end with it), and a transition or a submission saves a round trip. They run as the caller
-- (SECURITY INVOKER), so row-level security stays the floor: the settings are made before the read is executed, by
-- PL/pgSQL, one statement after the other.

-- What `ActingTenant` sets, for the rest of the transaction (an implicit one: the statement).
CREATE FUNCTION public.act_as(p_organisation text, p_user text, p_now text, p_traceparent text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
AS $$
BEGIN
    PERFORM set_config('koppel.organisation_id', p_organisation, true), set_config('koppel.user_id', p_user, true),
        set_config('koppel.now', p_now, true), set_config('koppel.traceparent', p_traceparent, true);
END
$$;

-- A referral as Koppel shows it (`ReferralRow` reads the same columns in the same order), under the caller's
-- row-level security.
CREATE VIEW public.referral_rows WITH (security_invoker = true) AS
SELECT r.id, r.client_id, r.referring_organisation_id, ro.name AS referring_organisation_name, r.referring_user_id,
       r.programme_id, p.name AS programme_name, r.operator_id, r.target_group, r.age_band, r.municipality,
       m.name AS municipality_name, m.region AS municipality_region, m.country AS municipality_country,
       m.names AS municipality_names, m.places AS municipality_places, r.needs, r.urgency,
       r.requested_start::text AS requested_start, r.state, r.overridden_rules, r.override_reason, r.forwarded_from,
       r.created_at, r.submitted_at, r.state_changed_at, r.version,
       CASE WHEN r.state = 'waitlisted' THEN counts.waitlist_position(r.id) END AS waitlist_position,
       r.consent_id, r.consent_override_reason, r.due_kind, r.due_on::text AS due_on, r.escalate_on::text AS escalate_on
FROM public.referrals r
JOIN public.organisations ro ON ro.id = r.referring_organisation_id
JOIN public.programmes p ON p.id = r.programme_id
JOIN public.municipalities m ON m.code = r.municipality;
GRANT SELECT ON public.referral_rows TO koppel_app;

-- One referral acting for the caller; locked for the rest of the transaction when asked (only the referral's row:
-- the programme and the organisations it is shown with are not locked).
CREATE FUNCTION public.referral_as(
    p_organisation text, p_user text, p_now text, p_traceparent text, p_referral uuid, p_lock boolean)
RETURNS SETOF public.referral_rows
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
AS $$
BEGIN
    PERFORM public.act_as(p_organisation, p_user, p_now, p_traceparent);
    IF p_lock THEN
        PERFORM 1 FROM public.referrals WHERE id = p_referral FOR UPDATE;
    END IF;
    RETURN QUERY SELECT * FROM public.referral_rows WHERE id = p_referral;
END
$$;

-- What a new referral is checked against besides its programme, acting for the caller: whether the client is
-- erased, the municipality it names (with how many match and exist today), today, and the client's consents that
-- row-level security shows, oldest first; one row per consent, or one with no consent.
CREATE FUNCTION public.submission_facts_as(
    p_organisation text, p_user text, p_now text, p_traceparent text, p_client uuid, p_code text, p_folded text)
RETURNS TABLE (
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
    PERFORM public.act_as(p_organisation, p_user, p_now, p_traceparent);
    RETURN QUERY
    SELECT f.*, c.id, c.client_id, c.status, c.grantor, c.recorded_by, c.organisation_id, c.obtained_on::text,
           c.evidence, c.legal_basis, c.valid_from::text, c.valid_until::text, c.provisions::text, c.ended_at
    FROM (
        SELECT (SELECT x.erased_at IS NOT NULL FROM public.clients x WHERE x.id = p_client), m.code, m.name, m.region,
               m.country, m.names, m.places, m.ended_on::text,
               (SELECT s.name FROM public.municipalities s WHERE s.code = m.successor), m.matching, m.existing,
               public.koppel_today()::text
        FROM (VALUES (1)) AS one
        LEFT JOIN LATERAL (
            SELECT y.*, count(*) OVER () AS matching, count(*) FILTER (WHERE y.exists_today) OVER () AS existing
            FROM (SELECT z.*, (z.valid_from IS NULL OR z.valid_from <= public.koppel_today())
                              AND (z.ended_on IS NULL OR z.ended_on > public.koppel_today()) AS exists_today
                  FROM public.municipalities z
                  WHERE z.code = p_code
                     OR z.code IN (SELECT n.municipality FROM public.municipality_names n WHERE n.folded = p_folded)) y
            ORDER BY y.exists_today DESC, y.code LIMIT 1
        ) m ON true
    ) f
    LEFT JOIN public.consents c ON c.client_id = p_client
    ORDER BY c.recorded_at, c.id;
END
$$;

GRANT EXECUTE ON FUNCTION public.act_as(text, text, text, text),
    public.referral_as(text, text, text, text, uuid, boolean),
    public.submission_facts_as(text, text, text, text, uuid, text, text) TO koppel_app;
