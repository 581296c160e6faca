-- A settled month's figures, protected, kept beside the counts they come from (decision 0025). Disclosure control
-- protects a unit's month by every breakdown together, so a report needed every breakdown's counts of every month
-- it covers (2,901 rows for a yearly report of one area) although it shows one breakdown. A settled month's counts no
-- longer change, so neither does its protection: the figures of its tables are kept once, with the rule's version,
-- the threshold, the rows and the columns they were protected with (`shape`), and read instead of its counts.
--
-- They live exactly as long as the kept spans they were made from: every kept span gets an id, a protected month
-- names its spans, and forgetting any span forgets it. A writer checks its spans are still there under a shared
-- advisory lock that a deletion of spans takes exclusively, so a month is never kept from counts forgotten meanwhile.
ALTER TABLE statistics_kept_spans ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY UNIQUE;

CREATE TABLE statistics_protected_months (
    programme_id uuid NOT NULL,
    referrer uuid,
    area_key text NOT NULL,
    month date NOT NULL,
    -- md5 of what the figures were protected with besides the counts (`ProtectedMonth.shape`).
    shape text NOT NULL,
    span_ids bigint[] NOT NULL CHECK (cardinality(span_ids) > 0),
    figures integer[] NOT NULL,
    UNIQUE NULLS NOT DISTINCT (programme_id, referrer, area_key, month, shape)
);
REVOKE ALL ON statistics_protected_months FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON statistics_protected_months TO koppel_counts;
ALTER TABLE statistics_protected_months ENABLE ROW LEVEL SECURITY;
ALTER TABLE statistics_protected_months FORCE ROW LEVEL SECURITY;
CREATE POLICY statistics_protected_months_counts ON statistics_protected_months TO koppel_counts USING (true) WITH CHECK (true);

-- Spans are forgotten when facts change in the past (`counts.record_referral_facts`) or move to a merged
-- municipality's successor (`counts.roll_places`): the months protected from them go with them.
CREATE FUNCTION counts.forget_protected_months()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
    IF EXISTS (SELECT FROM gone) THEN
        -- Waits for any transaction keeping a month (`counts.keep_protected_month`), so that what it kept is seen here.
        PERFORM pg_advisory_xact_lock(hashtext('koppel.statistics_protected_months'));
        DELETE FROM public.statistics_protected_months p WHERE p.span_ids && ARRAY(SELECT id FROM gone);
    END IF;
    RETURN NULL;
END
$$;
ALTER FUNCTION counts.forget_protected_months() OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.forget_protected_months() FROM PUBLIC;
-- As `counts.record_referral_facts`: the app role's statements fire it (through the counting functions).
GRANT EXECUTE ON FUNCTION counts.forget_protected_months() TO koppel_app;
CREATE TRIGGER statistics_kept_spans_forgotten AFTER DELETE ON statistics_kept_spans
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION counts.forget_protected_months();

-- The months of a unit kept protected in a shape, within [p_from, p_to).
CREATE FUNCTION counts.protected_months(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from date, p_to date, p_shape text)
RETURNS TABLE (month date, figures integer[])
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT p.month, p.figures FROM public.statistics_protected_months p
    WHERE p.programme_id = p_programme AND p.referrer IS NOT DISTINCT FROM p_referrer AND p.area_key = counts.area_key(p_municipalities)
      AND p.month >= p_from AND p.month < p_to AND p.shape = md5(p_shape)
$$;

-- Keeps a settled month's protected figures, made from the kept spans `p_span_ids` (its whole-month spans, one per
-- breakdown). False, and nothing kept, when any of them has been forgotten since it was read.
CREATE FUNCTION counts.keep_protected_month(p_programme uuid, p_referrer uuid, p_municipalities text[], p_month date, p_shape text,
                                            p_span_ids bigint[], p_figures integer[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_key text := counts.area_key(p_municipalities);
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('koppel.statistics_protected_months'));
    IF cardinality(p_span_ids) = 0 OR (
        SELECT count(*) FROM public.statistics_kept_spans k
        WHERE k.id = ANY (p_span_ids) AND k.programme_id = p_programme AND k.referrer IS NOT DISTINCT FROM p_referrer
          AND k.area_key = v_key AND k.starts_at = p_month::timestamp AT TIME ZONE 'Europe/Amsterdam'
          AND k.ends_at = (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam'
    ) <> cardinality(p_span_ids) THEN
        RETURN false;
    END IF;
    INSERT INTO public.statistics_protected_months (programme_id, referrer, area_key, month, shape, span_ids, figures)
    VALUES (p_programme, p_referrer, v_key, p_month, md5(p_shape), p_span_ids, p_figures)
    ON CONFLICT (programme_id, referrer, area_key, month, shape) DO NOTHING;
    RETURN true;
END
$$;
ALTER FUNCTION counts.protected_months(uuid, uuid, text[], date, date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.keep_protected_month(uuid, uuid, text[], date, text, bigint[], integer[]) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.protected_months(uuid, uuid, text[], date, date, text),
                       counts.keep_protected_month(uuid, uuid, text[], date, text, bigint[], integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.protected_months(uuid, uuid, text[], date, date, text),
                          counts.keep_protected_month(uuid, uuid, text[], date, text, bigint[], integer[]) TO koppel_app;

-- As 0022, with a row per span kept whole (`span_id`, no value): what a protected month is made from.
DROP FUNCTION counts.report_months(uuid, uuid, text[], date, date, text[]);
CREATE FUNCTION counts.report_months(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from date, p_to date, p_breakdowns text[])
RETURNS TABLE (breakdown text, month date, breakdown_value text, measure text, reason text, referrals bigint, span_id bigint)
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
        SELECT k.id, k.breakdown, k.starts_at, k.ends_at FROM public.statistics_kept_spans k
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
    SELECT s.breakdown, (s.starts_at AT TIME ZONE 'Europe/Amsterdam')::date, NULL, NULL, NULL, 0::bigint, s.id
    FROM spans s WHERE s.ends_at - s.starts_at > interval '2 days'
    UNION ALL
    SELECT c.breakdown, (c.starts_at AT TIME ZONE 'Europe/Amsterdam')::date, c.breakdown_value, c.measure, c.reason, c.referrals, NULL
    FROM public.statistics_kept_counts c
    JOIN spans s ON s.breakdown = c.breakdown AND s.starts_at = c.starts_at AND s.ends_at = c.ends_at
    WHERE c.programme_id = p_programme AND c.area_key = v_key AND c.breakdown = ANY (p_breakdowns)
      AND c.ends_at - c.starts_at > interval '2 days' AND c.referrer IS NOT DISTINCT FROM p_referrer
    UNION ALL
    SELECT o.breakdown, o.month, o.breakdown_value, o.measure, o.reason, sum(o.referrals)::bigint, NULL
    FROM open_counts o GROUP BY 1, 2, 3, 4, 5;
END
$$;
ALTER FUNCTION counts.report_months(uuid, uuid, text[], date, date, text[]) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.report_months(uuid, uuid, text[], date, date, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.report_months(uuid, uuid, text[], date, date, text[]) TO koppel_app;
