-- Funder statistics fast enough with a million referrals: a month that is over is counted once and kept; the
-- month in progress is counted live, from the referrals that took a step in it. The counting functions run
-- without JIT: their queries take milliseconds, and compiling them took longer than running them.
--
-- Steps are recorded at the time they happen (`now()`), so a month's figures cannot change once it is over,
-- except when a history is loaded with past times (the generator, an import). The trigger that keeps the facts
-- then forgets the kept months from the earliest such time on. A month counts as over one hour after its end,
-- well past any transaction that began inside it.
--
-- Waiting times are kept per month as a count per whole day elapsed from one step to the next, so the median
-- and 90th percentile of any run of months are exact (in whole days).

ALTER TABLE referral_facts ADD COLUMN last_step_at timestamptz;
UPDATE referral_facts SET last_step_at = greatest(received_at, first_waitlisted_at, accepted_at, started_at, closed_at);
ALTER TABLE referral_facts ALTER COLUMN last_step_at SET NOT NULL;
-- The referrals that took a step in a month are among those whose last step is not before it began.
CREATE INDEX referral_facts_stepped_idx ON referral_facts (programme_id, last_step_at);
-- Those running at a time: started, and open until then.
CREATE INDEX referral_facts_running_idx ON referral_facts (programme_id, open_until) WHERE started_at IS NOT NULL;
DROP INDEX referral_facts_programme_idx;

-- The first moment not yet settled: months that began before it are over and may be kept.
CREATE FUNCTION counts.unsettled_from()
RETURNS timestamptz
LANGUAGE sql VOLATILE
AS $$
    SELECT date_trunc('month', (clock_timestamp() - interval '1 hour') AT TIME ZONE 'Europe/Amsterdam') AT TIME ZONE 'Europe/Amsterdam'
$$;
ALTER FUNCTION counts.unsettled_from() OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.unsettled_from() FROM PUBLIC;

-- Which months of which report are kept (referrer null: every referrer's referrals).
CREATE TABLE statistics_settled_months (
    programme_id uuid NOT NULL REFERENCES programmes (id),
    referrer uuid REFERENCES organisations (id),
    breakdown text NOT NULL,
    month date NOT NULL,
    UNIQUE NULLS NOT DISTINCT (programme_id, referrer, breakdown, month)
);
CREATE TABLE statistics_month_counts (
    programme_id uuid NOT NULL,
    referrer uuid,
    breakdown text NOT NULL,
    month date NOT NULL,
    breakdown_value text NOT NULL,
    measure text NOT NULL,
    reason text,
    referrals bigint NOT NULL
);
CREATE INDEX statistics_month_counts_idx ON statistics_month_counts (programme_id, breakdown, month);
CREATE TABLE statistics_month_waits (
    programme_id uuid NOT NULL,
    referrer uuid,
    breakdown text NOT NULL,
    month date NOT NULL,
    breakdown_value text NOT NULL,
    wait text NOT NULL,
    days integer NOT NULL,
    referrals bigint NOT NULL
);
CREATE INDEX statistics_month_waits_idx ON statistics_month_waits (programme_id, breakdown, month);
-- Counts only, yet only the counting functions reach them, like the facts they come from.
REVOKE ALL ON statistics_settled_months, statistics_month_counts, statistics_month_waits FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON statistics_settled_months, statistics_month_counts, statistics_month_waits TO koppel_counts;
ALTER TABLE statistics_settled_months ENABLE ROW LEVEL SECURITY;
ALTER TABLE statistics_settled_months FORCE ROW LEVEL SECURITY;
ALTER TABLE statistics_month_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE statistics_month_counts FORCE ROW LEVEL SECURITY;
ALTER TABLE statistics_month_waits ENABLE ROW LEVEL SECURITY;
ALTER TABLE statistics_month_waits FORCE ROW LEVEL SECURITY;
CREATE POLICY statistics_settled_months_counts ON statistics_settled_months TO koppel_counts USING (true) WITH CHECK (true);
CREATE POLICY statistics_month_counts_counts ON statistics_month_counts TO koppel_counts USING (true) WITH CHECK (true);
CREATE POLICY statistics_month_waits_counts ON statistics_month_waits TO koppel_counts USING (true) WITH CHECK (true);

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
    v_month date;
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

    -- Steps dated in a settled month: the kept months of that programme from then on no longer hold.
    FOR v_programme, v_month IN
        SELECT r.programme_id, min(date_trunc('month', e.occurred_at AT TIME ZONE 'Europe/Amsterdam'))::date
        FROM new_events e JOIN public.referrals r ON r.id = e.referral_id
        WHERE e.occurred_at < counts.unsettled_from()
        GROUP BY r.programme_id
    LOOP
        DELETE FROM public.statistics_settled_months WHERE programme_id = v_programme AND month >= v_month;
        DELETE FROM public.statistics_month_counts WHERE programme_id = v_programme AND month >= v_month;
        DELETE FROM public.statistics_month_waits WHERE programme_id = v_programme AND month >= v_month;
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
-- Running referrals by every breakdown, from the index.
DROP INDEX referral_facts_running_idx;
CREATE INDEX referral_facts_running_idx ON referral_facts (programme_id, open_until)
    INCLUDE (started_at, referring_organisation_id, referrer_type, target_group, age_band, region) WHERE started_at IS NOT NULL;

-- One month of one programme counted from the facts: the steps taken in it (one pass over the referrals that
-- took a step since it began, counted per milestone, then one row per measure), and the referrals running at its
-- end (or now, for the month in progress; none for a month to come). A measure with reasons comes once without
-- a reason (its total) and once per reason; a zero is left out.
CREATE FUNCTION counts.month_counted(p_programme uuid, p_referrer uuid, p_month date, p_breakdown text)
RETURNS TABLE (breakdown_value text, measure text, reason text, referrals bigint)
ROWS 20
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_starts timestamptz := p_month::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_ends timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_stock_at timestamptz := least(v_ends, now());
BEGIN
    RETURN QUERY
    WITH stepped AS (
        SELECT counts.breakdown_value(p_breakdown, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region) AS value,
               f.closed_as, f.close_reason,
               count(*) FILTER (WHERE f.received_at >= v_starts) AS received,
               count(*) FILTER (WHERE f.first_waitlisted_at >= v_starts AND f.first_waitlisted_at < v_ends) AS waitlisted,
               count(*) FILTER (WHERE f.accepted_at >= v_starts AND f.accepted_at < v_ends) AS accepted,
               count(*) FILTER (WHERE f.closed_at >= v_starts AND f.closed_at < v_ends) AS closed
        FROM public.referral_facts f
        WHERE f.programme_id = p_programme AND f.last_step_at >= v_starts AND f.received_at < v_ends
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
    GROUP BY 1, 2, 3 HAVING sum(m.referrals) > 0;

    IF v_starts <= now() THEN
        RETURN QUERY
        SELECT counts.breakdown_value(p_breakdown, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region),
               'active_at_end', NULL::text, count(*)
        FROM public.referral_facts f
        WHERE f.programme_id = p_programme AND f.started_at IS NOT NULL AND f.open_until >= v_stock_at
          AND f.started_at < v_stock_at AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
        GROUP BY 1;
    END IF;
END
$$;

-- One month's waiting times of one programme as counts per whole day elapsed: submitted → accepted for those
-- accepted in the month, accepted → active for those started in it.
CREATE FUNCTION counts.month_waits_counted(p_programme uuid, p_referrer uuid, p_month date, p_breakdown text)
RETURNS TABLE (breakdown_value text, wait text, days integer, referrals bigint)
ROWS 50
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public
SET jit = off
AS $$
DECLARE
    v_starts timestamptz := p_month::timestamp AT TIME ZONE 'Europe/Amsterdam';
    v_ends timestamptz := (p_month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Amsterdam';
BEGIN
    RETURN QUERY
    SELECT counts.breakdown_value(p_breakdown, f.programme_id, f.referrer_type, f.target_group, f.age_band, f.region), w.wait,
           floor(extract(epoch FROM w.until - w.since) / 86400)::integer, count(*)
    FROM public.referral_facts f
    CROSS JOIN LATERAL (VALUES ('submitted_to_accepted', f.received_at, f.accepted_at),
                               ('accepted_to_active', f.accepted_at, f.started_at)) AS w (wait, since, until)
    WHERE f.programme_id = p_programme AND f.last_step_at >= v_starts AND f.received_at < v_ends
      AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
      AND ((f.accepted_at >= v_starts AND f.accepted_at < v_ends) OR (f.started_at >= v_starts AND f.started_at < v_ends))
      AND w.since IS NOT NULL AND w.until >= v_starts AND w.until < v_ends
    GROUP BY 1, 2, 3;
END
$$;

-- Whether a month of one report is settled; when it is, it is kept, once: a concurrent first reader waits for
-- the other's row, then finds it.
CREATE FUNCTION counts.kept_month(p_programme uuid, p_referrer uuid, p_month date, p_breakdown text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
BEGIN
    IF (p_month::timestamp AT TIME ZONE 'Europe/Amsterdam') >= counts.unsettled_from() THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT FROM public.statistics_settled_months s WHERE s.programme_id = p_programme
               AND s.referrer IS NOT DISTINCT FROM p_referrer AND s.breakdown = p_breakdown AND s.month = p_month) THEN
        RETURN true;
    END IF;
    INSERT INTO public.statistics_settled_months (programme_id, referrer, breakdown, month)
    VALUES (p_programme, p_referrer, p_breakdown, p_month)
    ON CONFLICT (programme_id, referrer, breakdown, month) DO NOTHING;
    IF FOUND THEN
        INSERT INTO public.statistics_month_counts
        SELECT p_programme, p_referrer, p_breakdown, p_month, c.*
        FROM counts.month_counted(p_programme, p_referrer, p_month, p_breakdown) c;
        INSERT INTO public.statistics_month_waits
        SELECT p_programme, p_referrer, p_breakdown, p_month, w.*
        FROM counts.month_waits_counted(p_programme, p_referrer, p_month, p_breakdown) w;
    END IF;
    RETURN true;
END
$$;

-- One month's counts of one report: kept when the month is settled, else counted now.
CREATE FUNCTION counts.month_counts(p_programme uuid, p_referrer uuid, p_month date, p_breakdown text)
RETURNS TABLE (breakdown_value text, measure text, reason text, referrals bigint)
ROWS 20
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
SET jit = off
AS $$
BEGIN
    IF NOT counts.kept_month(p_programme, p_referrer, p_month, p_breakdown) THEN
        RETURN QUERY SELECT * FROM counts.month_counted(p_programme, p_referrer, p_month, p_breakdown);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT c.breakdown_value, c.measure, c.reason, c.referrals FROM public.statistics_month_counts c
    WHERE c.programme_id = p_programme AND c.breakdown = p_breakdown AND c.month = p_month
      AND c.referrer IS NOT DISTINCT FROM p_referrer;
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
BEGIN
    IF NOT counts.kept_month(p_programme, p_referrer, p_month, p_breakdown) THEN
        RETURN QUERY SELECT * FROM counts.month_waits_counted(p_programme, p_referrer, p_month, p_breakdown);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT w.breakdown_value, w.wait, w.days, w.referrals FROM public.statistics_month_waits w
    WHERE w.programme_id = p_programme AND w.breakdown = p_breakdown AND w.month = p_month
      AND w.referrer IS NOT DISTINCT FROM p_referrer;
END
$$;

ALTER FUNCTION counts.month_counted(uuid, uuid, date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.month_waits_counted(uuid, uuid, date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.kept_month(uuid, uuid, date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.month_counts(uuid, uuid, date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.month_waits(uuid, uuid, date, text) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.month_counted(uuid, uuid, date, text), counts.month_waits_counted(uuid, uuid, date, text),
                       counts.kept_month(uuid, uuid, date, text), counts.month_counts(uuid, uuid, date, text),
                       counts.month_waits(uuid, uuid, date, text) FROM PUBLIC;

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
