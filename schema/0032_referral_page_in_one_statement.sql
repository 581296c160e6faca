-- A page of referrals in one statement (issue 23, decision 0030). A list took a transaction of its own: BEGIN, the
-- statement that set the acting organisation, the page, COMMIT; four round trips after the token's. This sets the
-- tenant and reads the page in one statement, with no transaction block: its settings end with it. It runs as the
-- caller, so row-level security stays the floor; who sees which side (`p_referrer`, `p_programmes`) is the access
-- policy's `ReferralVisibility`, decided in Swift and passed in.
--
-- Only the conditions that apply are written into the page's query, so the planner sees plain, indexable predicates,
-- as the list query built in Swift did: it is parsed and planned for each call (EXECUTE), with the values as
-- parameters (USING), never as text. The page is chosen first, on the indexes, and only its rows are then read as
-- `referral_rows` shows them (names, region, waiting-list position). `p_created_from` and `p_created_to` are days
-- (`YYYY-MM-DD`, inclusive); `p_after_created` and `p_after_id` the last referral of the page before.
CREATE FUNCTION public.referral_page_as(
    p_organisation text, p_user text, p_now text, p_traceparent text,
    p_referrer uuid, p_programmes uuid[], p_state text, p_states text[], p_programme uuid, p_referring_organisation uuid,
    p_operator uuid, p_client uuid, p_changed_since timestamptz, p_created_from text, p_created_to text,
    p_after_created timestamptz, p_after_id uuid, p_by_deadline boolean, p_limit integer)
RETURNS SETOF public.referral_rows
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
-- The referrer's page's plan is made once and kept: see below. EXECUTE makes a plan for each call whatever this says.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_sides text[] := '{}';
    v_conditions text[];
    v_order text;
BEGIN
    IF p_referrer IS NOT NULL THEN
        v_sides := array_append(v_sides, 'r.referring_organisation_id = $1');
    END IF;
    IF cardinality(p_programmes) > 0 THEN
        v_sides := array_append(v_sides, '(r.programme_id = ANY($2) AND r.submitted_at IS NOT NULL)');
    END IF;
    IF cardinality(v_sides) = 0 THEN
        RETURN;
    END IF;
    PERFORM public.act_as(p_organisation, p_user, p_now, p_traceparent);
    -- The page a referrer's caseworkers and partner systems ask for most: theirs, newest first, nothing else to filter
    -- by (the web pages name their own organisation). A query of its own, planned once per connection (the generic
    -- plan, see the SET clause); EXECUTE below plans the page's query at every call, which cost PostgreSQL three times
    -- what reading the page does. Its inner LIMIT is a constant, the API's largest page and one more: with the
    -- caller's limit there, the generic plan would expect a tenth of the organisation's referrals and join them all.
    -- Without a cursor, every referral is before the bound.
    IF p_referrer IS NOT NULL AND cardinality(p_programmes) = 0 AND p_limit <= 101 AND p_state IS NULL
        AND cardinality(p_states) = 0 AND p_programme IS NULL AND coalesce(p_referring_organisation = p_referrer, true)
        AND p_operator IS NULL AND p_client IS NULL AND p_changed_since IS NULL AND p_created_from IS NULL
        AND p_created_to IS NULL AND NOT p_by_deadline THEN
        RETURN QUERY
        SELECT v.* FROM (
            SELECT r.id, r.created_at FROM public.referrals r
            WHERE r.referring_organisation_id = p_referrer
              AND (r.created_at, r.id) < (coalesce(p_after_created, 'infinity'), coalesce(p_after_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
            ORDER BY r.created_at DESC, r.id DESC LIMIT 101
        ) page
        JOIN public.referral_rows v ON v.id = page.id
        ORDER BY page.created_at DESC, page.id DESC LIMIT p_limit;
        RETURN;
    END IF;
    v_conditions := ARRAY['(' || array_to_string(v_sides, ' OR ') || ')'];
    IF p_state IS NOT NULL THEN v_conditions := array_append(v_conditions, 'r.state = $3'); END IF;
    IF cardinality(p_states) > 0 THEN v_conditions := array_append(v_conditions, 'r.state = ANY($4)'); END IF;
    IF p_programme IS NOT NULL THEN v_conditions := array_append(v_conditions, 'r.programme_id = $5'); END IF;
    IF p_referring_organisation IS NOT NULL THEN v_conditions := array_append(v_conditions, 'r.referring_organisation_id = $6'); END IF;
    IF p_operator IS NOT NULL THEN v_conditions := array_append(v_conditions, 'r.operator_id = $7'); END IF;
    IF p_client IS NOT NULL THEN v_conditions := array_append(v_conditions, 'r.client_id = $8'); END IF;
    IF p_changed_since IS NOT NULL THEN v_conditions := array_append(v_conditions, 'r.state_changed_at >= $9'); END IF;
    IF p_created_from IS NOT NULL THEN v_conditions := array_append(v_conditions, 'r.created_at >= $10::date'); END IF;
    IF p_created_to IS NOT NULL THEN v_conditions := array_append(v_conditions, 'r.created_at < $11::date + 1'); END IF;
    IF p_after_created IS NOT NULL THEN v_conditions := array_append(v_conditions, '(r.created_at, r.id) < ($12, $13)'); END IF;
    -- Overdue ones have the earliest due days, so they come first.
    v_order := CASE WHEN p_by_deadline THEN '%1$s.due_on ASC NULLS LAST, %1$s.created_at, %1$s.id'
                    ELSE '%1$s.created_at DESC, %1$s.id DESC' END;
    RETURN QUERY EXECUTE format(
        'WITH page AS (SELECT r.id, r.created_at, r.due_on FROM public.referrals r WHERE %s ORDER BY %s LIMIT $14) '
        'SELECT v.* FROM page JOIN public.referral_rows v ON v.id = page.id ORDER BY %s',
        array_to_string(v_conditions, ' AND '), format(v_order, 'r'), format(v_order, 'page'))
    USING p_referrer, p_programmes, p_state, p_states, p_programme, p_referring_organisation, p_operator, p_client,
        p_changed_since, p_created_from, p_created_to, p_after_created, p_after_id, p_limit;
END
$$;

REVOKE ALL ON FUNCTION public.referral_page_as(text, text, text, text, uuid, uuid[], text, text[], uuid, uuid, uuid, uuid,
    timestamptz, text, text, timestamptz, uuid, boolean, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.referral_page_as(text, text, text, text, uuid, uuid[], text, text[], uuid, uuid, uuid, uuid,
    timestamptz, text, text, timestamptz, uuid, boolean, integer) TO koppel_app;
