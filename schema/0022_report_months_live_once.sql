-- The month in progress of a report, counted once for every breakdown: its kept days read together, today's steps
-- and who is running now each counted in one pass and then told apart by breakdown. Before (0020), the month in
-- progress was a `counts.month_counts` call per breakdown, each counting today and the running referrals again.
-- Running referrals are found by municipality too, for a part of a programme (an agreement's area).
CREATE INDEX referral_facts_running_place_idx ON referral_facts (programme_id, municipality, open_until)
    INCLUDE (started_at, referring_organisation_id, referrer_type, target_group, age_band, region) WHERE started_at IS NOT NULL;

CREATE OR REPLACE FUNCTION counts.report_months(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from date, p_to date, p_breakdowns text[])
RETURNS TABLE (breakdown text, month date, breakdown_value text, measure text, reason text, referrals bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
-- Planned for each call's values: after five calls on a connection PL/pgSQL would keep a generic plan, which took
-- 320-520 ms here against 22-35 ms (measured at 1,000,000 referrals), as it cannot see how few facts today has.
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_key text := counts.area_key(p_municipalities);
BEGIN
    PERFORM counts.keep_spans(p_programme, p_referrer, p_municipalities, p_from, p_to, p_breakdowns);
    RETURN QUERY
    WITH months AS (
        SELECT m::date AS month, m AT TIME ZONE 'Europe/Amsterdam' AS starts_at, (m + interval '1 month') AT TIME ZONE 'Europe/Amsterdam' AS ends_at
        FROM generate_series(p_from::timestamp, (p_to - 1)::timestamp, interval '1 month') AS m
    ), spans AS (
        SELECT k.breakdown, k.starts_at, k.ends_at FROM public.statistics_kept_spans k
        WHERE k.programme_id = p_programme AND k.referrer IS NOT DISTINCT FROM p_referrer AND k.area_key = v_key
          AND k.breakdown = ANY (p_breakdowns)
          AND k.starts_at >= p_from::timestamp AT TIME ZONE 'Europe/Amsterdam' AND k.ends_at <= p_to::timestamp AT TIME ZONE 'Europe/Amsterdam'
    ), open_months AS (
        -- Begun, and not kept whole for some breakdown: the month in progress, and one ended within the hour.
        SELECT b.breakdown, m.month, m.starts_at, m.ends_at
        FROM months m CROSS JOIN unnest(p_breakdowns) AS b (breakdown)
        WHERE m.starts_at <= now()
          AND NOT EXISTS (SELECT FROM spans s WHERE s.breakdown = b.breakdown AND s.starts_at = m.starts_at AND s.ends_at = m.ends_at)
    ), kept_days AS (
        -- How far each open month's days are kept, as `counts.kept_until` reads it: a run from the first day, else none.
        SELECT o.breakdown, o.month, o.starts_at, o.ends_at,
               CASE WHEN count(s.ends_at) > 0 AND count(s.ends_at) = (max(s.ends_at) AT TIME ZONE 'Europe/Amsterdam')::date - o.month
                    THEN max(s.ends_at) ELSE o.starts_at END AS kept_until
        FROM open_months o
        LEFT JOIN spans s ON s.breakdown = o.breakdown AND s.starts_at >= o.starts_at AND s.ends_at <= o.ends_at
             AND s.ends_at - s.starts_at < interval '2 days'
        GROUP BY 1, 2, 3, 4
    ), windows AS (
        SELECT DISTINCT kept_until, ends_at FROM kept_days
    ), live_steps AS (
        -- Steps since what is kept, by the facts' own values; each breakdown takes its value from them below.
        SELECT w.kept_until, w.ends_at, s.measure, s.reason, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region,
               count(*) AS referrals
        FROM windows w
        JOIN public.referral_facts f ON f.programme_id = p_programme AND f.last_step_at >= w.kept_until AND f.received_at < w.ends_at
        CROSS JOIN LATERAL counts.fact_steps(f) AS s
        WHERE s.at >= w.kept_until AND s.at < w.ends_at
          AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
          AND (p_municipalities IS NULL OR f.municipality IN (SELECT unnest(p_municipalities)))
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ), running AS (
        SELECT e.ends_at, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region, count(*) AS referrals
        FROM (SELECT DISTINCT ends_at FROM kept_days) e
        JOIN public.referral_facts f ON f.programme_id = p_programme AND f.started_at IS NOT NULL
             AND f.open_until >= least(e.ends_at, now()) AND f.started_at < least(e.ends_at, now())
        WHERE (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
          AND (p_municipalities IS NULL OR f.municipality IN (SELECT unnest(p_municipalities)))
        GROUP BY 1, 2, 3, 4, 5, 6
    ), open_counts AS (
        SELECT d.breakdown, d.month, c.breakdown_value, c.measure, c.reason, c.referrals
        FROM kept_days d
        JOIN public.statistics_kept_counts c ON c.programme_id = p_programme AND c.area_key = v_key AND c.breakdown = d.breakdown
             AND c.starts_at >= d.starts_at AND c.ends_at <= d.kept_until AND c.ends_at - c.starts_at < interval '2 days'
             AND c.measure <> 'active_at_end' AND c.referrer IS NOT DISTINCT FROM p_referrer
        UNION ALL
        SELECT d.breakdown, d.month,
               counts.breakdown_value(d.breakdown, l.programme_id, l.referrer_type, l.target_group, l.age_band, l.region), l.measure, l.reason,
               l.referrals
        FROM kept_days d JOIN live_steps l ON l.kept_until = d.kept_until AND l.ends_at = d.ends_at
        UNION ALL
        SELECT d.breakdown, d.month,
               counts.breakdown_value(d.breakdown, r.programme_id, r.referrer_type, r.target_group, r.age_band, r.region), 'active_at_end',
               NULL, r.referrals
        FROM kept_days d JOIN running r ON r.ends_at = d.ends_at
    )
    SELECT c.breakdown, (c.starts_at AT TIME ZONE 'Europe/Amsterdam')::date, c.breakdown_value, c.measure, c.reason, c.referrals
    FROM public.statistics_kept_counts c
    JOIN spans s ON s.breakdown = c.breakdown AND s.starts_at = c.starts_at AND s.ends_at = c.ends_at
    WHERE c.programme_id = p_programme AND c.area_key = v_key AND c.breakdown = ANY (p_breakdowns)
      AND c.ends_at - c.starts_at > interval '2 days' AND c.referrer IS NOT DISTINCT FROM p_referrer
    UNION ALL
    SELECT o.breakdown, o.month, o.breakdown_value, o.measure, o.reason, sum(o.referrals)::bigint
    FROM open_counts o GROUP BY 1, 2, 3, 4, 5;
END
$$;
