-- Counting every settled month (and every settled day of the month in progress) of a report in one pass over the
-- facts, for every breakdown at once, instead of two scans per month and breakdown (`counts.kept_span`). At
-- 1,000,000 referrals a funder's first yearly report took 13-77 s, beyond the request timeout, so it was never
-- answered (docs/benchmarks.md); this keeps the same rows the month-by-month counting keeps, which stays for what
-- is left over (a span another request is counting at that moment).

-- The steps a fact took, one row each, as `counts.steps_counted` counts them: its measure, its reason, and when.
CREATE FUNCTION counts.fact_steps(f public.referral_facts)
RETURNS TABLE (measure text, reason text, at timestamptz)
LANGUAGE sql IMMUTABLE
AS $$
    SELECT s.measure, s.reason, s.at
    FROM (VALUES ('received', NULL::text, f.received_at),
                 ('waitlisted', NULL, f.first_waitlisted_at),
                 ('accepted', NULL, f.accepted_at),
                 (CASE f.closed_as WHEN 'ended' THEN 'ended_early' ELSE f.closed_as END, NULL, f.closed_at),
                 (CASE f.closed_as WHEN 'ended' THEN 'ended_early' ELSE f.closed_as END, f.close_reason,
                  CASE WHEN f.closed_as IN ('ended', 'declined') THEN f.closed_at END),
                 ('answered', NULL, CASE WHEN f.answered_in_time IS NOT NULL THEN f.answered_at END),
                 ('answered_in_time', NULL, CASE WHEN f.answered_in_time THEN f.answered_at END),
                 ('answered_late', NULL, CASE WHEN NOT f.answered_in_time THEN f.answered_at END)) AS s (measure, reason, at)
    WHERE s.at IS NOT NULL AND s.measure IS NOT NULL
$$;
ALTER FUNCTION counts.fact_steps(public.referral_facts) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.fact_steps(public.referral_facts) FROM PUBLIC;

-- The two spans a day is counted in: the day itself, and its month (each by its first day).
CREATE FUNCTION counts.spans_of_day(p_day date)
RETURNS TABLE (first_day date, whole_month boolean)
LANGUAGE sql IMMUTABLE
AS $$
    VALUES (p_day, false), (date_trunc('month', p_day::timestamp)::date, true)
$$;
ALTER FUNCTION counts.spans_of_day(date) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.spans_of_day(date) FROM PUBLIC;

-- Keeps, for each breakdown given, every span of [p_from, p_to) that is settled (ended an hour ago) and not kept
-- yet: whole months, and the days of a month not yet over. Spans are claimed first (another request counting the
-- same span at the same moment claims none of them twice), then counted from one pass over the facts. Running
-- referrals are kept at the end of months only: a day's are never read (`counts.month_counts` counts them live).
CREATE FUNCTION counts.keep_spans(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from date, p_to date, p_breakdowns text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_key text := counts.area_key(p_municipalities);
    v_settled timestamptz := clock_timestamp() - interval '1 hour';
    v_breakdowns text[];
    v_starts timestamptz[];
    v_ends timestamptz[];
    v_range_from timestamptz;
    v_range_to timestamptz;
BEGIN
    WITH months AS (
        SELECT m::date AS month, m AT TIME ZONE 'Europe/Amsterdam' AS starts_at,
               (m + interval '1 month') AT TIME ZONE 'Europe/Amsterdam' AS ends_at
        FROM generate_series(p_from::timestamp, (p_to - 1)::timestamp, interval '1 month') AS m
    ), spans AS (
        SELECT starts_at, ends_at FROM months WHERE ends_at <= v_settled
        UNION ALL
        SELECT d AT TIME ZONE 'Europe/Amsterdam', (d + interval '1 day') AT TIME ZONE 'Europe/Amsterdam'
        FROM months m CROSS JOIN generate_series(m.month::timestamp, (m.month + interval '1 month' - interval '1 day'), interval '1 day') AS d
        WHERE m.ends_at > v_settled AND (d + interval '1 day') AT TIME ZONE 'Europe/Amsterdam' <= v_settled
    ), claimed AS (
        INSERT INTO public.statistics_kept_spans (programme_id, referrer, area_key, breakdown, starts_at, ends_at)
        SELECT p_programme, p_referrer, v_key, b.breakdown, s.starts_at, s.ends_at
        FROM spans s CROSS JOIN unnest(p_breakdowns) AS b (breakdown)
        ON CONFLICT (programme_id, referrer, area_key, breakdown, starts_at, ends_at) DO NOTHING
        RETURNING breakdown, starts_at, ends_at
    )
    SELECT array_agg(breakdown), array_agg(starts_at), array_agg(ends_at), min(starts_at), max(ends_at)
    INTO v_breakdowns, v_starts, v_ends, v_range_from, v_range_to
    FROM claimed;
    IF v_breakdowns IS NULL THEN
        RETURN 0;
    END IF;

    INSERT INTO public.statistics_kept_counts (programme_id, referrer, breakdown, starts_at, ends_at, breakdown_value, measure,
                                               reason, referrals, area_key)
    WITH claimed AS (
        SELECT c.*, (c.starts_at AT TIME ZONE 'Europe/Amsterdam')::date AS first_day, c.ends_at - c.starts_at > interval '2 days' AS whole_month
        FROM unnest(v_breakdowns, v_starts, v_ends) AS c (breakdown, starts_at, ends_at)
    ), facts AS (
        SELECT f.* FROM public.referral_facts f
        WHERE f.programme_id = p_programme AND f.last_step_at >= v_range_from AND f.received_at < v_range_to
          AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
          AND (p_municipalities IS NULL OR f.municipality IN (SELECT unnest(p_municipalities)))
    ), by_day AS (
        -- Steps by the day they fell on, first: a year's spans then join a few thousand rows, not every step.
        SELECT (s.at AT TIME ZONE 'Europe/Amsterdam')::date AS day, s.measure, s.reason, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region,
               count(*) AS referrals
        FROM facts f CROSS JOIN LATERAL counts.fact_steps(f) AS s
        WHERE s.at >= v_range_from AND s.at < v_range_to
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    ), stepped AS (
        SELECT c.breakdown, c.starts_at, c.ends_at,
               counts.breakdown_value(c.breakdown, d.programme_id, d.referrer_type, d.target_group, d.age_band, d.region) AS value,
               d.measure, d.reason, d.referrals
        FROM by_day d CROSS JOIN LATERAL counts.spans_of_day(d.day) k
        JOIN claimed c ON c.first_day = k.first_day AND c.whole_month = k.whole_month
    ), running_at AS (
        SELECT e.ends_at, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region, count(*) AS referrals
        FROM (SELECT DISTINCT ends_at FROM claimed WHERE whole_month) e
        JOIN public.referral_facts f ON f.programme_id = p_programme AND f.started_at IS NOT NULL
             AND f.open_until >= e.ends_at AND f.started_at < e.ends_at
        WHERE (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
          AND (p_municipalities IS NULL OR f.municipality IN (SELECT unnest(p_municipalities)))
        GROUP BY 1, 2, 3, 4, 5, 6
    ), running AS (
        SELECT c.breakdown, c.starts_at, c.ends_at,
               counts.breakdown_value(c.breakdown, r.programme_id, r.referrer_type, r.target_group, r.age_band, r.region) AS value,
               'active_at_end' AS measure, NULL::text AS reason, r.referrals
        FROM running_at r JOIN claimed c ON c.whole_month AND c.ends_at = r.ends_at
    )
    SELECT p_programme, p_referrer, breakdown, starts_at, ends_at, value, measure, reason, sum(referrals)::bigint, v_key
    FROM (SELECT * FROM stepped UNION ALL SELECT * FROM running) s
    GROUP BY breakdown, starts_at, ends_at, value, measure, reason;

    INSERT INTO public.statistics_kept_waits (programme_id, referrer, breakdown, starts_at, ends_at, breakdown_value, wait, days,
                                              referrals, area_key)
    WITH claimed AS (
        SELECT c.*, (c.starts_at AT TIME ZONE 'Europe/Amsterdam')::date AS first_day, c.ends_at - c.starts_at > interval '2 days' AS whole_month
        FROM unnest(v_breakdowns, v_starts, v_ends) AS c (breakdown, starts_at, ends_at)
    ), waited AS (
        SELECT (w.until AT TIME ZONE 'Europe/Amsterdam')::date AS day, w.wait, floor(extract(epoch FROM w.until - w.since) / 86400)::integer AS days,
               f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region, count(*) AS referrals
        FROM public.referral_facts f
        CROSS JOIN LATERAL (VALUES ('submitted_to_accepted', f.received_at, f.accepted_at),
                                   ('accepted_to_active', f.accepted_at, f.started_at)) AS w (wait, since, until)
        WHERE f.programme_id = p_programme AND f.last_step_at >= v_range_from AND f.received_at < v_range_to
          AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
          AND (p_municipalities IS NULL OR f.municipality IN (SELECT unnest(p_municipalities)))
          AND w.since IS NOT NULL AND w.until >= v_range_from AND w.until < v_range_to
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    )
    SELECT p_programme, p_referrer, c.breakdown, c.starts_at, c.ends_at,
           counts.breakdown_value(c.breakdown, w.programme_id, w.referrer_type, w.target_group, w.age_band, w.region),
           w.wait, w.days, sum(w.referrals)::bigint, v_key
    FROM waited w CROSS JOIN LATERAL counts.spans_of_day(w.day) k
    JOIN claimed c ON c.first_day = k.first_day AND c.whole_month = k.whole_month
    GROUP BY 3, 4, 5, 6, 7, 8;
    RETURN array_length(v_breakdowns, 1);
END
$$;
ALTER FUNCTION counts.keep_spans(uuid, uuid, text[], date, date, text[]) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.keep_spans(uuid, uuid, text[], date, date, text[]) FROM PUBLIC;

-- What the service calls before it reads a part's months: every breakdown of the report kept in one pass.
CREATE FUNCTION counts.prepare_statistics(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from date, p_to date, p_breakdowns text[])
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
AS $$
    SELECT counts.keep_spans(p_programme, p_referrer, p_municipalities, p_from, p_to, p_breakdowns)
$$;
ALTER FUNCTION counts.prepare_statistics(uuid, uuid, text[], date, date, text[]) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.prepare_statistics(uuid, uuid, text[], date, date, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.prepare_statistics(uuid, uuid, text[], date, date, text[]) TO koppel_app;

-- How far a month is kept: its end when the month is, else the end of the days kept from its first on. A month not
-- kept whole is kept first, if it can be, the month's settled days together in one pass (not one statement per day, as before).
-- Days are kept from the first on and forgotten from a changed one on, so they are a run; should they not be, nothing
-- is read from them and the month is counted live.
CREATE OR REPLACE FUNCTION counts.kept_until(p_programme uuid, p_referrer uuid, p_municipalities text[], p_month date, p_breakdown text)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_starts timestamptz := p_month::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_ends timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_key text := counts.area_key(p_municipalities);
    v_days integer;
    v_until timestamptz;
    v_round integer;
BEGIN
    FOR v_round IN 1..2 LOOP
        IF EXISTS (SELECT FROM public.statistics_kept_spans k WHERE k.programme_id = p_programme AND k.referrer IS NOT DISTINCT FROM p_referrer
                   AND k.area_key = v_key AND k.breakdown = p_breakdown AND k.starts_at = v_starts AND k.ends_at = v_ends) THEN
            RETURN v_ends;
        END IF;
        EXIT WHEN v_round = 2;
        PERFORM counts.keep_spans(p_programme, p_referrer, p_municipalities, p_month, (p_month + interval '1 month')::date, ARRAY[p_breakdown]);
    END LOOP;
    SELECT count(*), max(k.ends_at) INTO v_days, v_until FROM public.statistics_kept_spans k
    WHERE k.programme_id = p_programme AND k.referrer IS NOT DISTINCT FROM p_referrer AND k.area_key = v_key
      AND k.breakdown = p_breakdown AND k.starts_at >= v_starts AND k.ends_at <= v_ends AND k.ends_at - k.starts_at < interval '2 days';
    IF v_days > 0 AND v_days = (v_until AT TIME ZONE 'Europe/Amsterdam')::date - p_month THEN
        RETURN v_until;
    END IF;
    RETURN v_starts;
END
$$;

-- The live counting (today, and who is running now) with the municipalities as a hashed set: `= ANY` compared every
-- fact with each code in turn, up to 897 of them for the part of a programme outside every agreement's area.
CREATE OR REPLACE FUNCTION counts.steps_counted(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from timestamptz, p_to timestamptz, p_breakdown text)
RETURNS TABLE (breakdown_value text, measure text, reason text, referrals bigint)
ROWS 20
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
SET jit = off
AS $$
    WITH stepped AS (
        SELECT counts.breakdown_value(p_breakdown, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region) AS value,
               f.closed_as, f.close_reason,
               count(*) FILTER (WHERE f.received_at >= p_from) AS received,
               count(*) FILTER (WHERE f.first_waitlisted_at >= p_from AND f.first_waitlisted_at < p_to) AS waitlisted,
               count(*) FILTER (WHERE f.accepted_at >= p_from AND f.accepted_at < p_to) AS accepted,
               count(*) FILTER (WHERE f.closed_at >= p_from AND f.closed_at < p_to) AS closed,
               count(*) FILTER (WHERE f.answered_at >= p_from AND f.answered_at < p_to AND f.answered_in_time) AS answered_in_time,
               count(*) FILTER (WHERE f.answered_at >= p_from AND f.answered_at < p_to AND NOT f.answered_in_time) AS answered_late
        FROM public.referral_facts f
        WHERE p_from < p_to AND f.programme_id = p_programme AND f.last_step_at >= p_from AND f.received_at < p_to
          AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
          AND (p_municipalities IS NULL OR f.municipality IN (SELECT unnest(p_municipalities)))
        GROUP BY 1, 2, 3
    ), measured AS (
        SELECT s.value, 'received' AS measure, NULL::text AS reason, s.received AS referrals FROM stepped s
        UNION ALL SELECT s.value, 'waitlisted', NULL, s.waitlisted FROM stepped s
        UNION ALL SELECT s.value, 'accepted', NULL, s.accepted FROM stepped s
        UNION ALL SELECT s.value, CASE s.closed_as WHEN 'ended' THEN 'ended_early' ELSE s.closed_as END, NULL, s.closed
                  FROM stepped s WHERE s.closed_as IS NOT NULL
        UNION ALL SELECT s.value, CASE s.closed_as WHEN 'ended' THEN 'ended_early' ELSE s.closed_as END, s.close_reason, s.closed
                  FROM stepped s WHERE s.closed_as IN ('ended', 'declined')
        UNION ALL SELECT s.value, 'answered', NULL, s.answered_in_time + s.answered_late FROM stepped s
        UNION ALL SELECT s.value, 'answered_in_time', NULL, s.answered_in_time FROM stepped s
        UNION ALL SELECT s.value, 'answered_late', NULL, s.answered_late FROM stepped s
    )
    SELECT m.value, m.measure, m.reason, sum(m.referrals)::bigint FROM measured m
    GROUP BY 1, 2, 3 HAVING sum(m.referrals) > 0
$$;

CREATE OR REPLACE FUNCTION counts.running_counted(p_programme uuid, p_referrer uuid, p_municipalities text[], p_at timestamptz, p_breakdown text)
RETURNS TABLE (breakdown_value text, measure text, reason text, referrals bigint)
ROWS 20
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
SET jit = off
AS $$
    SELECT counts.breakdown_value(p_breakdown, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region),
           'active_at_end', NULL::text, count(*)
    FROM public.referral_facts f
    WHERE f.programme_id = p_programme AND f.started_at IS NOT NULL AND f.open_until >= p_at AND f.started_at < p_at
      AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
      AND (p_municipalities IS NULL OR f.municipality IN (SELECT unnest(p_municipalities)))
    GROUP BY 1
$$;

CREATE OR REPLACE FUNCTION counts.waits_counted(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from timestamptz, p_to timestamptz, p_breakdown text)
RETURNS TABLE (breakdown_value text, wait text, days integer, referrals bigint)
ROWS 50
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
SET jit = off
AS $$
    SELECT counts.breakdown_value(p_breakdown, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region), w.wait,
           floor(extract(epoch FROM w.until - w.since) / 86400)::integer, count(*)
    FROM public.referral_facts f
    CROSS JOIN LATERAL (VALUES ('submitted_to_accepted', f.received_at, f.accepted_at),
                               ('accepted_to_active', f.accepted_at, f.started_at)) AS w (wait, since, until)
    WHERE p_from < p_to AND f.programme_id = p_programme AND f.last_step_at >= p_from AND f.received_at < p_to
      AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
      AND (p_municipalities IS NULL OR f.municipality IN (SELECT unnest(p_municipalities)))
      AND ((f.accepted_at >= p_from AND f.accepted_at < p_to) OR (f.started_at >= p_from AND f.started_at < p_to))
      AND w.since IS NOT NULL AND w.until >= p_from AND w.until < p_to
    GROUP BY 1, 2, 3
$$;

-- A report's months of every breakdown in one call: what is kept whole read in one statement, the month in progress
-- (and a month ended within the hour) counted as `counts.month_counts` counts it. Before, each month of each breakdown
-- was a call of its own, sixty for a year's report.
CREATE FUNCTION counts.report_months(p_programme uuid, p_referrer uuid, p_municipalities text[], p_from date, p_to date, p_breakdowns text[])
RETURNS TABLE (breakdown text, month date, breakdown_value text, measure text, reason text, referrals bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_key text := counts.area_key(p_municipalities);
BEGIN
    PERFORM counts.keep_spans(p_programme, p_referrer, p_municipalities, p_from, p_to, p_breakdowns);
    RETURN QUERY
    WITH months AS (
        SELECT m::date AS month, m AT TIME ZONE 'Europe/Amsterdam' AS starts_at, (m + interval '1 month') AT TIME ZONE 'Europe/Amsterdam' AS ends_at
        FROM generate_series(p_from::timestamp, (p_to - 1)::timestamp, interval '1 month') AS m
    ), kept AS (
        SELECT k.breakdown, m.month FROM public.statistics_kept_spans k JOIN months m ON k.starts_at = m.starts_at AND k.ends_at = m.ends_at
        WHERE k.programme_id = p_programme AND k.referrer IS NOT DISTINCT FROM p_referrer AND k.area_key = v_key
          AND k.breakdown = ANY (p_breakdowns)
    )
    SELECT c.breakdown, (c.starts_at AT TIME ZONE 'Europe/Amsterdam')::date, c.breakdown_value, c.measure, c.reason, c.referrals
    FROM public.statistics_kept_counts c
    WHERE c.programme_id = p_programme AND c.area_key = v_key AND c.breakdown = ANY (p_breakdowns)
      AND c.starts_at >= p_from::timestamp AT TIME ZONE 'Europe/Amsterdam' AND c.ends_at <= p_to::timestamp AT TIME ZONE 'Europe/Amsterdam'
      AND c.ends_at - c.starts_at > interval '2 days' AND c.referrer IS NOT DISTINCT FROM p_referrer
    UNION ALL
    SELECT b.breakdown, m.month, c.breakdown_value, c.measure, c.reason, c.referrals
    FROM months m CROSS JOIN unnest(p_breakdowns) AS b (breakdown)
    CROSS JOIN LATERAL counts.month_counts(p_programme, p_referrer, p_municipalities, m.month, b.breakdown) c
    WHERE m.starts_at <= now() AND NOT EXISTS (SELECT FROM kept k WHERE k.breakdown = b.breakdown AND k.month = m.month);
END
$$;
ALTER FUNCTION counts.report_months(uuid, uuid, text[], date, date, text[]) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.report_months(uuid, uuid, text[], date, date, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.report_months(uuid, uuid, text[], date, date, text[]) TO koppel_app;
