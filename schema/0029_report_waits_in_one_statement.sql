-- A report's waiting times in one statement, as its months are since 0022 (issue 21). `counts.statistics_waits`
-- called `counts.month_waits` once per programme and month, and each call asked `counts.kept_until` whether the month,
-- or else each of its days in turn, was kept: a dozen PL/pgSQL calls and some forty statements for a yearly report,
-- 3.5 ms of its PostgreSQL time at 1,000,000 referrals. Now the kept whole months, the kept days of the months not
-- kept whole and the steps since them are read together. The answer is the same: what was kept is what would be
-- counted (0007), and `counts.prepare_statistics` keeps every span that may be kept just before this is read.
-- The months of [p_from, p_to) that a programme has not kept whole for a breakdown, with how far their days are kept,
-- as `counts.kept_until` reads it: a run of days from the first, else none. What a report counts live for each month;
-- the months not begun are among them (a caller that counts only months begun leaves those out).
CREATE FUNCTION counts.months_not_kept_whole(p_programmes uuid[], p_referrer uuid, p_key text, p_from date, p_to date, p_breakdowns text[])
RETURNS TABLE (programme_id uuid, breakdown text, month date, starts_at timestamptz, ends_at timestamptz, kept_until timestamptz)
LANGUAGE sql STABLE
AS $$
    WITH spans AS (
        SELECT k.programme_id, k.breakdown, k.starts_at, k.ends_at FROM public.statistics_kept_spans k
        WHERE k.programme_id = ANY (p_programmes) AND k.referrer IS NOT DISTINCT FROM p_referrer AND k.area_key = p_key
          AND k.breakdown = ANY (p_breakdowns)
          AND k.starts_at >= p_from::timestamp AT TIME ZONE 'Europe/Amsterdam' AND k.ends_at <= p_to::timestamp AT TIME ZONE 'Europe/Amsterdam'
    ), months AS (
        SELECT p.id AS programme_id, b.breakdown, m::date AS month, m AT TIME ZONE 'Europe/Amsterdam' AS starts_at,
               (m + interval '1 month') AT TIME ZONE 'Europe/Amsterdam' AS ends_at
        FROM (SELECT DISTINCT unnest(p_programmes) AS id) p
        CROSS JOIN (SELECT DISTINCT unnest(p_breakdowns) AS breakdown) b
        CROSS JOIN generate_series(p_from::timestamp, (p_to - 1)::timestamp, interval '1 month') AS m
    )
    SELECT m.programme_id, m.breakdown, m.month, m.starts_at, m.ends_at,
           CASE WHEN count(s.ends_at) > 0 AND count(s.ends_at) = (max(s.ends_at) AT TIME ZONE 'Europe/Amsterdam')::date - m.month
                THEN max(s.ends_at) ELSE m.starts_at END
    FROM months m
    LEFT JOIN spans s ON s.programme_id = m.programme_id AND s.breakdown = m.breakdown AND s.starts_at >= m.starts_at
         AND s.ends_at <= m.ends_at AND s.ends_at - s.starts_at < interval '2 days'
    WHERE NOT EXISTS (SELECT FROM spans w WHERE w.programme_id = m.programme_id AND w.breakdown = m.breakdown
                                            AND w.starts_at = m.starts_at AND w.ends_at = m.ends_at)
    GROUP BY 1, 2, 3, 4, 5
$$;
ALTER FUNCTION counts.months_not_kept_whole(uuid[], uuid, text, date, date, text[]) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.months_not_kept_whole(uuid[], uuid, text, date, date, text[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION counts.statistics_waits(p_programmes uuid[], p_referrer uuid, p_municipalities text[], p_from date, p_to date, p_breakdown text)
RETURNS TABLE (breakdown_value text, wait text, referrals bigint, median double precision, p90 double precision)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
-- Planned for each call's values, as `counts.report_months` is: only they show how few facts today has.
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_key text := counts.area_key(p_municipalities);
    v_open record;
    -- The waits of the months not kept whole, as histogram rows: their kept days', and counted since them.
    v_values text[] := '{}';
    v_waits text[] := '{}';
    v_days integer[] := '{}';
    v_referrals bigint[] := '{}';
BEGIN
    -- Each month not kept whole (`counts.months_not_kept_whole`), months not begun too, as `counts.month_waits` counted
    -- them (a step stamped by the application's clock a moment ahead of the database's still counts), each counted by a
    -- statement planned for its own values: today's steps from the index, not every fact.
    FOR v_open IN
        SELECT o.programme_id, o.starts_at, o.ends_at, o.kept_until
        FROM counts.months_not_kept_whole(p_programmes, p_referrer, v_key, p_from, p_to, ARRAY[p_breakdown]) o
    LOOP
        SELECT v_values || array_agg(x.value), v_waits || array_agg(x.wait), v_days || array_agg(x.days), v_referrals || array_agg(x.referrals)
        INTO v_values, v_waits, v_days, v_referrals
        FROM (
            SELECT k.breakdown_value AS value, k.wait, k.days, k.referrals FROM public.statistics_kept_waits k
            WHERE k.programme_id = v_open.programme_id AND k.area_key = v_key AND k.breakdown = p_breakdown
              AND k.starts_at >= v_open.starts_at AND k.ends_at <= v_open.kept_until AND k.ends_at - k.starts_at < interval '2 days'
              AND k.referrer IS NOT DISTINCT FROM p_referrer
            UNION ALL
            SELECT * FROM counts.waits_counted(v_open.programme_id, p_referrer, p_municipalities, v_open.kept_until, v_open.ends_at, p_breakdown)
        ) x;
    END LOOP;

    RETURN QUERY
    WITH whole AS (
        SELECT k.programme_id, k.starts_at, k.ends_at FROM public.statistics_kept_spans k
        WHERE k.programme_id = ANY (p_programmes) AND k.referrer IS NOT DISTINCT FROM p_referrer AND k.area_key = v_key
          AND k.breakdown = p_breakdown AND k.ends_at - k.starts_at > interval '2 days'
          AND k.starts_at >= p_from::timestamp AT TIME ZONE 'Europe/Amsterdam' AND k.ends_at <= p_to::timestamp AT TIME ZONE 'Europe/Amsterdam'
    ), days AS (
        SELECT k.breakdown_value, k.wait, k.days, k.referrals
        FROM whole s
        JOIN public.statistics_kept_waits k ON k.programme_id = s.programme_id AND k.area_key = v_key AND k.breakdown = p_breakdown
             AND k.starts_at = s.starts_at AND k.ends_at = s.ends_at AND k.referrer IS NOT DISTINCT FROM p_referrer
        UNION ALL
        SELECT * FROM unnest(v_values, v_waits, v_days, v_referrals)
    ), histogram AS (
        SELECT d.breakdown_value, d.wait, d.days, sum(d.referrals) AS referrals FROM days d GROUP BY 1, 2, 3
        UNION ALL
        SELECT 'total', d.wait, d.days, sum(d.referrals) FROM days d WHERE p_breakdown <> 'total' GROUP BY 2, 3
    ), cumulative AS (
        SELECT h.breakdown_value, h.wait, h.days,
               sum(h.referrals) OVER (PARTITION BY h.breakdown_value, h.wait ORDER BY h.days) AS up_to,
               sum(h.referrals) OVER (PARTITION BY h.breakdown_value, h.wait) AS referrals
        FROM histogram h
    )
    SELECT c.breakdown_value, c.wait, max(c.referrals)::bigint,
           min(c.days) FILTER (WHERE c.up_to >= 0.5 * c.referrals)::double precision,
           min(c.days) FILTER (WHERE c.up_to >= 0.9 * c.referrals)::double precision
    FROM cumulative c GROUP BY 1, 2;
END
$$;

-- The month in progress counted with the planner knowing when it is. `counts.report_months` (0026) joined the facts
-- to the open months as rows of a CTE, so the planner could not see that only today's steps and the running
-- referrals are read: it planned for a million rows and sorted 4,270 running referrals to group them (7 ms of a
-- report's 12 ms there). Now the open months are found first, and each window (how far its days are kept, its end)
-- is counted by a statement planned for its own values: grouped in a hash table. What it returns is unchanged.
CREATE OR REPLACE FUNCTION counts.report_months(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from date, p_to date, p_breakdowns text[])
RETURNS TABLE (breakdown text, month date, breakdown_value text, measure text, reason text, referrals bigint, span_id bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_key text := counts.area_key(p_municipalities);
    v_open record;
BEGIN
    PERFORM counts.keep_spans(p_programme, p_referrer, p_municipalities, p_from, p_to, p_breakdowns);
    -- The months kept whole: a row per span (what a protected month is made from), and their counts.
    RETURN QUERY
    WITH whole AS (
        SELECT k.id, k.breakdown, k.starts_at, k.ends_at FROM public.statistics_kept_spans k
        WHERE k.programme_id = p_programme AND k.referrer IS NOT DISTINCT FROM p_referrer AND k.area_key = v_key
          AND k.breakdown = ANY (p_breakdowns) AND k.ends_at - k.starts_at > interval '2 days'
          AND k.starts_at >= p_from::timestamp AT TIME ZONE 'Europe/Amsterdam' AND k.ends_at <= p_to::timestamp AT TIME ZONE 'Europe/Amsterdam'
    )
    SELECT s.breakdown, (s.starts_at AT TIME ZONE 'Europe/Amsterdam')::date, NULL::text, NULL::text, NULL::text, 0::bigint, s.id FROM whole s
    UNION ALL
    SELECT c.breakdown, (c.starts_at AT TIME ZONE 'Europe/Amsterdam')::date, c.breakdown_value, c.measure, c.reason, c.referrals, NULL::bigint
    FROM whole s
    JOIN public.statistics_kept_counts c ON c.programme_id = p_programme AND c.area_key = v_key AND c.breakdown = s.breakdown
         AND c.starts_at = s.starts_at AND c.ends_at = s.ends_at AND c.referrer IS NOT DISTINCT FROM p_referrer;

    -- The months begun and not kept whole for some breakdown (the month in progress, one ended within the hour), by
    -- how far their days are kept.
    FOR v_open IN
        SELECT o.month, o.starts_at, o.ends_at, o.kept_until, array_agg(o.breakdown) AS breakdowns
        FROM counts.months_not_kept_whole(ARRAY[p_programme], p_referrer, v_key, p_from, p_to, p_breakdowns) o
        WHERE o.starts_at <= now()
        GROUP BY 1, 2, 3, 4
    LOOP
        RETURN QUERY
        WITH live_steps AS (
            -- Steps since what is kept, by the facts' own values; each breakdown takes its value from them below.
            SELECT s.measure, s.reason, f.referrer_type, f.target_group, f.age_band, f.region, count(*) AS referrals
            FROM public.referral_facts f CROSS JOIN LATERAL counts.fact_steps(f) AS s
            WHERE f.programme_id = p_programme AND f.last_step_at >= v_open.kept_until AND f.received_at < v_open.ends_at
              AND s.at >= v_open.kept_until AND s.at < v_open.ends_at
              AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
              AND (p_municipalities IS NULL OR f.municipality = ANY (p_municipalities))
            GROUP BY 1, 2, 3, 4, 5, 6
        ), running AS (
            SELECT f.referrer_type, f.target_group, f.age_band, f.region, count(*) AS referrals
            FROM public.referral_facts f
            WHERE f.programme_id = p_programme AND f.started_at IS NOT NULL
              AND f.open_until >= least(v_open.ends_at, now()) AND f.started_at < least(v_open.ends_at, now())
              AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
              AND (p_municipalities IS NULL OR f.municipality = ANY (p_municipalities))
            GROUP BY 1, 2, 3, 4
        ), open_counts AS (
            SELECT c.breakdown, c.breakdown_value, c.measure, c.reason, c.referrals
            FROM public.statistics_kept_counts c
            WHERE c.programme_id = p_programme AND c.area_key = v_key AND c.breakdown = ANY (v_open.breakdowns)
              AND c.starts_at >= v_open.starts_at AND c.ends_at <= v_open.kept_until AND c.ends_at - c.starts_at < interval '2 days'
              AND c.measure <> 'active_at_end' AND c.referrer IS NOT DISTINCT FROM p_referrer
            UNION ALL
            SELECT b.breakdown, counts.breakdown_value(b.breakdown, p_programme, l.referrer_type, l.target_group, l.age_band, l.region),
                   l.measure, l.reason, l.referrals
            FROM unnest(v_open.breakdowns) AS b (breakdown) CROSS JOIN live_steps l
            UNION ALL
            SELECT b.breakdown, counts.breakdown_value(b.breakdown, p_programme, r.referrer_type, r.target_group, r.age_band, r.region),
                   'active_at_end', NULL, r.referrals
            FROM unnest(v_open.breakdowns) AS b (breakdown) CROSS JOIN running r
        )
        SELECT o.breakdown, v_open.month, o.breakdown_value, o.measure, o.reason, sum(o.referrals)::bigint, NULL::bigint
        FROM open_counts o GROUP BY 1, 3, 4, 5;
    END LOOP;
END
$$;

-- A programme's parts with their areas' municipalities only sorted and grouped: those outside every agreement's area
-- (most of the 954) form the one part of no area, taken as they are. Before, every municipality was joined, sorted and
-- grouped by its areas on every report (2 ms). The parts are as before (0018).
CREATE OR REPLACE FUNCTION counts.programme_parts(p_programme uuid)
RETURNS TABLE (areas uuid[], municipalities text[])
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    WITH inside AS (
        SELECT DISTINCT f.area_id, c.code
        FROM public.funding_agreements f CROSS JOIN LATERAL public.area_municipalities(f.area_id) c
        WHERE f.programme_id = p_programme
    ), signatures AS (
        SELECT i.code, array_agg(i.area_id ORDER BY i.area_id) AS areas FROM inside i GROUP BY i.code
    )
    SELECT s.areas, array_agg(s.code ORDER BY s.code) FROM signatures s GROUP BY s.areas
    UNION ALL
    SELECT '{}'::uuid[], array_agg(m.code ORDER BY m.code) FROM public.municipalities m
    WHERE NOT EXISTS (SELECT FROM signatures s WHERE s.code = m.code)
    HAVING count(*) > 0
    ORDER BY 1
$$;
