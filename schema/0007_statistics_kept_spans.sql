-- Funder statistics fast enough with a million referrals: what is over is counted once and kept.
--
-- Steps are recorded at the time they happen (`now()`), so the figures of a span of time cannot change once it
-- is over, except when a history is loaded with past times (the generator, an import): the trigger that keeps the
-- facts then forgets the kept spans that end after the earliest such time. A span counts as over one hour after
-- its end, well past any transaction that began inside it. Months that are over are kept whole; of the month in
-- progress, the days that are over are kept and only today is counted live, with who is running now.
--
-- Waiting times are kept as a count per whole day elapsed from one step to the next, so the median and 90th
-- percentile of any run of months are exact (in whole days). The counting functions run without JIT: their
-- queries take milliseconds, and compiling them took longer than running them.

ALTER TABLE referral_facts ADD COLUMN last_step_at timestamptz;
UPDATE referral_facts SET last_step_at = greatest(received_at, first_waitlisted_at, accepted_at, started_at, closed_at);
ALTER TABLE referral_facts ALTER COLUMN last_step_at SET NOT NULL;
-- The referrals that took a step in a span are among those whose last step is not before it began.
CREATE INDEX referral_facts_stepped_idx ON referral_facts (programme_id, last_step_at);
DROP INDEX referral_facts_programme_idx;

-- Which spans (a month, or a day of the month in progress) of which report are kept (referrer null: every
-- referrer's referrals), and their figures: steps, running at the span's end, waits per whole day.
CREATE TABLE statistics_kept_spans (
    programme_id uuid NOT NULL REFERENCES programmes (id),
    referrer uuid REFERENCES organisations (id),
    breakdown text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    UNIQUE NULLS NOT DISTINCT (programme_id, referrer, breakdown, starts_at, ends_at)
);
CREATE TABLE statistics_kept_counts (
    programme_id uuid NOT NULL,
    referrer uuid,
    breakdown text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    breakdown_value text NOT NULL,
    measure text NOT NULL,
    reason text,
    referrals bigint NOT NULL
);
CREATE INDEX statistics_kept_counts_idx ON statistics_kept_counts (programme_id, breakdown, starts_at);
CREATE TABLE statistics_kept_waits (
    programme_id uuid NOT NULL,
    referrer uuid,
    breakdown text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    breakdown_value text NOT NULL,
    wait text NOT NULL,
    days integer NOT NULL,
    referrals bigint NOT NULL
);
CREATE INDEX statistics_kept_waits_idx ON statistics_kept_waits (programme_id, breakdown, starts_at);
-- Counts only, yet only the counting functions reach them, like the facts they come from.
REVOKE ALL ON statistics_kept_spans, statistics_kept_counts, statistics_kept_waits FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON statistics_kept_spans, statistics_kept_counts, statistics_kept_waits TO koppel_counts;
ALTER TABLE statistics_kept_spans ENABLE ROW LEVEL SECURITY;
ALTER TABLE statistics_kept_spans FORCE ROW LEVEL SECURITY;
ALTER TABLE statistics_kept_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE statistics_kept_counts FORCE ROW LEVEL SECURITY;
ALTER TABLE statistics_kept_waits ENABLE ROW LEVEL SECURITY;
ALTER TABLE statistics_kept_waits FORCE ROW LEVEL SECURITY;
CREATE POLICY statistics_kept_spans_counts ON statistics_kept_spans TO koppel_counts USING (true) WITH CHECK (true);
CREATE POLICY statistics_kept_counts_counts ON statistics_kept_counts TO koppel_counts USING (true) WITH CHECK (true);
CREATE POLICY statistics_kept_waits_counts ON statistics_kept_waits TO koppel_counts USING (true) WITH CHECK (true);

-- The facts, kept per statement from the events it inserted: one event from the service, a whole history from
-- the generator. Made at submission, then each milestone's first time, how and why it closed, and its last step.
DROP TRIGGER referral_events_fact ON referral_events;
DROP FUNCTION counts.record_referral_fact();
CREATE FUNCTION counts.record_referral_facts()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_programme uuid;
    v_from timestamptz;
BEGIN
    INSERT INTO public.referral_facts (referral_id, programme_id, referring_organisation_id, referrer_type, target_group,
                                       age_band, region, received_at, last_step_at)
    SELECT r.id, r.programme_id, r.referring_organisation_id, o.organisation_type, r.target_group, r.age_band, m.region,
           e.occurred_at, e.occurred_at
    FROM (SELECT referral_id, min(occurred_at) AS occurred_at FROM new_events WHERE to_state = 'submitted' GROUP BY referral_id) e
    JOIN public.referrals r ON r.id = e.referral_id
    JOIN public.organisations o ON o.id = r.referring_organisation_id
    JOIN public.municipalities m ON m.name = r.municipality
    ON CONFLICT (referral_id) DO NOTHING;

    -- A draft withdrawn was never received: it has no fact row and this changes nothing.
    UPDATE public.referral_facts f
    SET first_waitlisted_at = coalesce(f.first_waitlisted_at, s.waitlisted_at),
        accepted_at = coalesce(f.accepted_at, s.accepted_at),
        started_at = coalesce(f.started_at, s.started_at),
        closed_at = coalesce(s.closed_at, f.closed_at),
        closed_as = coalesce(s.closed_as, f.closed_as),
        close_reason = CASE WHEN s.closed_at IS NULL THEN f.close_reason ELSE s.close_reason END,
        last_step_at = greatest(f.last_step_at, s.last_at)
    FROM (
        SELECT referral_id,
               min(occurred_at) FILTER (WHERE to_state = 'waitlisted') AS waitlisted_at,
               min(occurred_at) FILTER (WHERE to_state = 'accepted') AS accepted_at,
               min(occurred_at) FILTER (WHERE to_state = 'active') AS started_at,
               (array_agg(occurred_at ORDER BY id DESC) FILTER (WHERE to_state IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended')))[1] AS closed_at,
               (array_agg(to_state ORDER BY id DESC) FILTER (WHERE to_state IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended')))[1] AS closed_as,
               (array_agg(reason ORDER BY id DESC) FILTER (WHERE to_state IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended')))[1] AS close_reason,
               max(occurred_at) AS last_at
        FROM new_events GROUP BY referral_id
    ) s
    WHERE f.referral_id = s.referral_id;

    -- Steps dated before the end of a kept span (loaded with past times): the kept spans of that programme that
    -- end after the earliest of them no longer hold (its steps, its waits, or who was running at their end).
    FOR v_programme, v_from IN
        SELECT r.programme_id, min(e.occurred_at)
        FROM new_events e JOIN public.referrals r ON r.id = e.referral_id
        WHERE e.occurred_at < clock_timestamp() - interval '1 hour'
        GROUP BY r.programme_id
    LOOP
        DELETE FROM public.statistics_kept_spans WHERE programme_id = v_programme AND ends_at > v_from;
        DELETE FROM public.statistics_kept_counts WHERE programme_id = v_programme AND ends_at > v_from;
        DELETE FROM public.statistics_kept_waits WHERE programme_id = v_programme AND ends_at > v_from;
    END LOOP;
    RETURN NULL;
END
$$;
ALTER FUNCTION counts.record_referral_facts() OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.record_referral_facts() FROM PUBLIC;
-- A trigger function cannot be called directly; granting it keeps every definer function the app role's alone.
GRANT EXECUTE ON FUNCTION counts.record_referral_facts() TO koppel_app;
CREATE TRIGGER referral_events_facts AFTER INSERT ON referral_events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION counts.record_referral_facts();

-- The row of a breakdown a fact falls in, from its columns (not the whole row, so the running referrals can be
-- counted from an index alone). No SET clause, so the planner inlines it.
CREATE FUNCTION counts.breakdown_value(p_breakdown text, p_programme uuid, p_referrer_type text, p_target_group text,
                                       p_age_band text, p_region text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE p_breakdown
               WHEN 'programme' THEN p_programme::text
               WHEN 'referrer_type' THEN p_referrer_type
               WHEN 'target_group' THEN p_target_group
               WHEN 'age_band' THEN p_age_band
               WHEN 'region' THEN p_region
               ELSE 'total' END
$$;
ALTER FUNCTION counts.breakdown_value(text, uuid, text, text, text, text) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.breakdown_value(text, uuid, text, text, text, text) FROM PUBLIC;
DROP FUNCTION counts.fact_breakdown(public.referral_facts, text);
-- Running referrals by every breakdown, from the index alone.
CREATE INDEX referral_facts_running_idx ON referral_facts (programme_id, open_until)
    INCLUDE (started_at, referring_organisation_id, referrer_type, target_group, age_band, region) WHERE started_at IS NOT NULL;

-- The steps referrals of one programme took in [p_from, p_to): one pass over those that took a step since
-- p_from, counted per milestone, then one row per measure. A measure with reasons comes once without a reason
-- (its total) and once per reason; a zero is left out.
CREATE FUNCTION counts.steps_counted(p_programme uuid, p_referrer uuid, p_from timestamptz, p_to timestamptz, p_breakdown text)
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
               count(*) FILTER (WHERE f.closed_at >= p_from AND f.closed_at < p_to) AS closed
        FROM public.referral_facts f
        WHERE p_from < p_to AND f.programme_id = p_programme AND f.last_step_at >= p_from AND f.received_at < p_to
          AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
        GROUP BY 1, 2, 3
    ), measured AS (
        SELECT s.value, 'received' AS measure, NULL::text AS reason, s.received AS referrals FROM stepped s
        UNION ALL SELECT s.value, 'waitlisted', NULL, s.waitlisted FROM stepped s
        UNION ALL SELECT s.value, 'accepted', NULL, s.accepted FROM stepped s
        UNION ALL SELECT s.value, CASE s.closed_as WHEN 'ended' THEN 'ended_early' ELSE s.closed_as END, NULL, s.closed
                  FROM stepped s WHERE s.closed_as IS NOT NULL
        UNION ALL SELECT s.value, CASE s.closed_as WHEN 'ended' THEN 'ended_early' ELSE s.closed_as END, s.close_reason, s.closed
                  FROM stepped s WHERE s.closed_as IN ('ended', 'declined')
    )
    SELECT m.value, m.measure, m.reason, sum(m.referrals)::bigint FROM measured m
    GROUP BY 1, 2, 3 HAVING sum(m.referrals) > 0
$$;

-- The referrals of one programme running at p_at: started before it, and open then.
CREATE FUNCTION counts.running_counted(p_programme uuid, p_referrer uuid, p_at timestamptz, p_breakdown text)
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
    GROUP BY 1
$$;

-- Waiting times ending in [p_from, p_to), as counts per whole day elapsed: submitted → accepted for those
-- accepted in it, accepted → active for those started in it.
CREATE FUNCTION counts.waits_counted(p_programme uuid, p_referrer uuid, p_from timestamptz, p_to timestamptz, p_breakdown text)
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
      AND ((f.accepted_at >= p_from AND f.accepted_at < p_to) OR (f.started_at >= p_from AND f.started_at < p_to))
      AND w.since IS NOT NULL AND w.until >= p_from AND w.until < p_to
    GROUP BY 1, 2, 3
$$;

-- Whether [p_from, p_to) of one report is over; when it is, it is kept, once: a concurrent first reader waits
-- for the other's row, then finds it.
CREATE FUNCTION counts.kept_span(p_programme uuid, p_referrer uuid, p_from timestamptz, p_to timestamptz, p_breakdown text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
BEGIN
    IF p_to > clock_timestamp() - interval '1 hour' THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT FROM public.statistics_kept_spans k WHERE k.programme_id = p_programme AND k.referrer IS NOT DISTINCT FROM p_referrer
               AND k.breakdown = p_breakdown AND k.starts_at = p_from AND k.ends_at = p_to) THEN
        RETURN true;
    END IF;
    INSERT INTO public.statistics_kept_spans (programme_id, referrer, breakdown, starts_at, ends_at)
    VALUES (p_programme, p_referrer, p_breakdown, p_from, p_to)
    ON CONFLICT (programme_id, referrer, breakdown, starts_at, ends_at) DO NOTHING;
    IF FOUND THEN
        INSERT INTO public.statistics_kept_counts
        SELECT p_programme, p_referrer, p_breakdown, p_from, p_to, c.*
        FROM (SELECT * FROM counts.steps_counted(p_programme, p_referrer, p_from, p_to, p_breakdown)
              UNION ALL SELECT * FROM counts.running_counted(p_programme, p_referrer, p_to, p_breakdown)) c;
        INSERT INTO public.statistics_kept_waits
        SELECT p_programme, p_referrer, p_breakdown, p_from, p_to, w.*
        FROM counts.waits_counted(p_programme, p_referrer, p_from, p_to, p_breakdown) w;
    END IF;
    RETURN true;
END
$$;

-- Of the month starting p_month, the part that is kept: the whole month once it is over, else the days of it
-- that are over (kept as they are asked for). Returns where the kept part ends.
CREATE FUNCTION counts.kept_until(p_programme uuid, p_referrer uuid, p_month date, p_breakdown text)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_starts timestamptz := p_month::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_ends timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_day date := p_month;
BEGIN
    IF counts.kept_span(p_programme, p_referrer, v_starts, v_ends, p_breakdown) THEN
        RETURN v_ends;
    END IF;
    WHILE v_day < p_month + interval '1 month' AND counts.kept_span(
        p_programme, p_referrer, v_day::timestamp AT TIME ZONE 'Europe/Amsterdam',
        (v_day + 1)::timestamp AT TIME ZONE 'Europe/Amsterdam', p_breakdown) LOOP
        v_day := v_day + 1;
    END LOOP;
    RETURN v_day::timestamp AT TIME ZONE 'Europe/Amsterdam';
END
$$;

-- One month's counts of one report: the kept part, then the rest counted now; who is running at the month's end
-- (now, for the month in progress; nobody, for a month to come).
CREATE FUNCTION counts.month_counts(p_programme uuid, p_referrer uuid, p_month date, p_breakdown text)
RETURNS TABLE (breakdown_value text, measure text, reason text, referrals bigint)
ROWS 20
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_starts timestamptz := p_month::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_ends timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_kept_until timestamptz := counts.kept_until(p_programme, p_referrer, p_month, p_breakdown);
BEGIN
    IF v_kept_until = v_ends THEN
        RETURN QUERY
        SELECT c.breakdown_value, c.measure, c.reason, c.referrals FROM public.statistics_kept_counts c
        WHERE c.programme_id = p_programme AND c.breakdown = p_breakdown AND c.starts_at = v_starts AND c.ends_at = v_ends
          AND c.referrer IS NOT DISTINCT FROM p_referrer;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT s.breakdown_value, s.measure, s.reason, sum(s.referrals)::bigint FROM (
        SELECT c.breakdown_value, c.measure, c.reason, c.referrals FROM public.statistics_kept_counts c
        WHERE c.programme_id = p_programme AND c.breakdown = p_breakdown AND c.starts_at >= v_starts AND c.ends_at <= v_kept_until
          AND c.ends_at - c.starts_at < interval '2 days' AND c.measure <> 'active_at_end'
          AND c.referrer IS NOT DISTINCT FROM p_referrer
        UNION ALL
        SELECT * FROM counts.steps_counted(p_programme, p_referrer, v_kept_until, v_ends, p_breakdown)
        UNION ALL
        SELECT * FROM counts.running_counted(p_programme, p_referrer, least(v_ends, now()), p_breakdown) WHERE v_starts <= now()
    ) s GROUP BY 1, 2, 3;
END
$$;

-- The same for waiting times.
CREATE FUNCTION counts.month_waits(p_programme uuid, p_referrer uuid, p_month date, p_breakdown text)
RETURNS TABLE (breakdown_value text, wait text, days integer, referrals bigint)
ROWS 50
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_starts timestamptz := p_month::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_ends timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_kept_until timestamptz := counts.kept_until(p_programme, p_referrer, p_month, p_breakdown);
BEGIN
    IF v_kept_until = v_ends THEN
        RETURN QUERY
        SELECT k.breakdown_value, k.wait, k.days, k.referrals FROM public.statistics_kept_waits k
        WHERE k.programme_id = p_programme AND k.breakdown = p_breakdown AND k.starts_at = v_starts AND k.ends_at = v_ends
          AND k.referrer IS NOT DISTINCT FROM p_referrer;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT w.breakdown_value, w.wait, w.days, sum(w.referrals)::bigint FROM (
        SELECT k.breakdown_value, k.wait, k.days, k.referrals FROM public.statistics_kept_waits k
        WHERE k.programme_id = p_programme AND k.breakdown = p_breakdown AND k.starts_at >= v_starts AND k.ends_at <= v_kept_until
          AND k.ends_at - k.starts_at < interval '2 days' AND k.referrer IS NOT DISTINCT FROM p_referrer
        UNION ALL
        SELECT * FROM counts.waits_counted(p_programme, p_referrer, v_kept_until, v_ends, p_breakdown)
    ) w GROUP BY 1, 2, 3;
END
$$;

ALTER FUNCTION counts.steps_counted(uuid, uuid, timestamptz, timestamptz, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.running_counted(uuid, uuid, timestamptz, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.waits_counted(uuid, uuid, timestamptz, timestamptz, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.kept_span(uuid, uuid, timestamptz, timestamptz, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.kept_until(uuid, uuid, date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.month_counts(uuid, uuid, date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.month_waits(uuid, uuid, date, text) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.steps_counted(uuid, uuid, timestamptz, timestamptz, text),
                       counts.running_counted(uuid, uuid, timestamptz, text),
                       counts.waits_counted(uuid, uuid, timestamptz, timestamptz, text),
                       counts.kept_span(uuid, uuid, timestamptz, timestamptz, text), counts.kept_until(uuid, uuid, date, text),
                       counts.month_counts(uuid, uuid, date, text), counts.month_waits(uuid, uuid, date, text) FROM PUBLIC;

-- The two functions the service calls, as before: monthly counts of a report, and its waits over the period
-- with how many each is based on (the domain withholds them below 10), by the breakdown and in total.
DROP FUNCTION counts.statistics_months(uuid[], uuid, date, date, text);
DROP FUNCTION counts.statistics_waits(uuid[], uuid, date, date, text);
CREATE FUNCTION counts.statistics_months(p_programmes uuid[], p_referrer uuid, p_from date, p_to date, p_breakdown text)
RETURNS TABLE (month date, breakdown_value text, measure text, reason text, referrals bigint)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
AS $$
    SELECT m.month::date, c.breakdown_value, c.measure, c.reason, sum(c.referrals)::bigint
    FROM (SELECT DISTINCT unnest(p_programmes) AS id) p
    CROSS JOIN generate_series(p_from::timestamp, (p_to - 1)::timestamp, interval '1 month') AS m (month)
    CROSS JOIN LATERAL counts.month_counts(p.id, p_referrer, m.month::date, p_breakdown) c
    GROUP BY 1, 2, 3, 4
$$;

CREATE FUNCTION counts.statistics_waits(p_programmes uuid[], p_referrer uuid, p_from date, p_to date, p_breakdown text)
RETURNS TABLE (breakdown_value text, wait text, referrals bigint, median double precision, p90 double precision)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET jit = off
AS $$
    WITH days AS (
        SELECT w.breakdown_value, w.wait, w.days, w.referrals
        FROM (SELECT DISTINCT unnest(p_programmes) AS id) p
        CROSS JOIN generate_series(p_from::timestamp, (p_to - 1)::timestamp, interval '1 month') AS m (month)
        CROSS JOIN LATERAL counts.month_waits(p.id, p_referrer, m.month::date, p_breakdown) w
    ), histogram AS (
        SELECT breakdown_value, wait, days, sum(referrals) AS referrals FROM days GROUP BY 1, 2, 3
        UNION ALL
        SELECT 'total', wait, days, sum(referrals) FROM days WHERE p_breakdown <> 'total' GROUP BY 2, 3
    ), cumulative AS (
        SELECT breakdown_value, wait, days,
               sum(referrals) OVER (PARTITION BY breakdown_value, wait ORDER BY days) AS up_to,
               sum(referrals) OVER (PARTITION BY breakdown_value, wait) AS referrals
        FROM histogram
    )
    -- As percentile_disc: the first value at which the share of referrals up to it reaches the fraction.
    SELECT breakdown_value, wait, max(referrals)::bigint,
           min(days) FILTER (WHERE up_to >= 0.5 * referrals)::double precision,
           min(days) FILTER (WHERE up_to >= 0.9 * referrals)::double precision
    FROM cumulative GROUP BY 1, 2
$$;

ALTER FUNCTION counts.statistics_months(uuid[], uuid, date, date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.statistics_waits(uuid[], uuid, date, date, text) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.statistics_months(uuid[], uuid, date, date, text),
                       counts.statistics_waits(uuid[], uuid, date, date, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.statistics_months(uuid[], uuid, date, date, text),
                          counts.statistics_waits(uuid[], uuid, date, date, text) TO koppel_app;
