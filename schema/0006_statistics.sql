-- Funder statistics: one fact row per submitted referral, kept by a trigger on the referral history, and a
-- function that answers with monthly counts only.
--
-- The figures come from the history (`referral_events`). Each event updates its referral's fact row in the
-- same transaction, so a report is right the moment a referral changes state. The facts hold no client id,
-- nothing identifying: the dimensions funders may break figures down by and the time of each milestone. Only
-- koppel_counts reads them; the app role gets aggregates from `counts.statistics_months`, never a row.

-- What kind of organisation refers: a breakdown funders ask for.
ALTER TABLE organisations ADD COLUMN organisation_type text NOT NULL DEFAULT 'civil_society'
    CHECK (organisation_type IN ('civil_society', 'public_authority', 'care', 'police_justice'));
GRANT SELECT ON organisations, municipalities TO koppel_counts;

CREATE TABLE referral_facts (
    referral_id uuid PRIMARY KEY REFERENCES referrals (id),
    programme_id uuid NOT NULL REFERENCES programmes (id),
    referring_organisation_id uuid NOT NULL REFERENCES organisations (id),
    referrer_type text NOT NULL,
    target_group text NOT NULL,
    age_band text NOT NULL,
    region text NOT NULL,
    received_at timestamptz NOT NULL,
    first_waitlisted_at timestamptz,
    accepted_at timestamptz,
    started_at timestamptz,
    closed_at timestamptz,
    closed_as text CHECK (closed_as IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended')),
    close_reason text,
    -- Until when the referral can still count in a period: its close, or for ever while it is open.
    open_until timestamptz GENERATED ALWAYS AS (coalesce(closed_at, 'infinity'::timestamptz)) STORED,
    CHECK ((closed_at IS NULL) = (closed_as IS NULL))
);
-- A period's report reads the referrals received before its end that were still open at its start.
CREATE INDEX referral_facts_programme_idx ON referral_facts (programme_id, open_until, received_at);
REVOKE ALL ON referral_facts FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON referral_facts TO koppel_counts;
ALTER TABLE referral_facts ENABLE ROW LEVEL SECURITY;
ALTER TABLE referral_facts FORCE ROW LEVEL SECURITY;
-- Only the counting functions reach the facts; the app role has no grant and no policy.
CREATE POLICY referral_facts_counts ON referral_facts TO koppel_counts USING (true) WITH CHECK (true);

-- Keeps the fact row of the event's referral: made at submission (or when a forward files it submitted),
-- then each milestone's first time, and how and why it closed.
CREATE FUNCTION counts.record_referral_fact()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NEW.to_state = 'submitted' THEN
        INSERT INTO public.referral_facts (referral_id, programme_id, referring_organisation_id, referrer_type,
                                           target_group, age_band, region, received_at)
        SELECT r.id, r.programme_id, r.referring_organisation_id, o.organisation_type, r.target_group, r.age_band,
               m.region, NEW.occurred_at
        FROM public.referrals r
        JOIN public.organisations o ON o.id = r.referring_organisation_id
        JOIN public.municipalities m ON m.name = r.municipality
        WHERE r.id = NEW.referral_id
        ON CONFLICT (referral_id) DO NOTHING;
    ELSIF NEW.to_state = 'waitlisted' THEN
        UPDATE public.referral_facts SET first_waitlisted_at = coalesce(first_waitlisted_at, NEW.occurred_at)
        WHERE referral_id = NEW.referral_id;
    ELSIF NEW.to_state = 'accepted' THEN
        UPDATE public.referral_facts SET accepted_at = coalesce(accepted_at, NEW.occurred_at)
        WHERE referral_id = NEW.referral_id;
    ELSIF NEW.to_state = 'active' THEN
        UPDATE public.referral_facts SET started_at = coalesce(started_at, NEW.occurred_at)
        WHERE referral_id = NEW.referral_id;
    ELSIF NEW.to_state IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended') THEN
        -- A draft withdrawn was never received: it has no fact row and this changes nothing.
        UPDATE public.referral_facts SET closed_at = NEW.occurred_at, closed_as = NEW.to_state, close_reason = NEW.reason
        WHERE referral_id = NEW.referral_id;
    END IF;
    RETURN NULL;
END
$$;
ALTER FUNCTION counts.record_referral_fact() OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.record_referral_fact() FROM PUBLIC;
-- A trigger function cannot be called directly; granting it keeps every definer function the app role's alone.
GRANT EXECUTE ON FUNCTION counts.record_referral_fact() TO koppel_app;
CREATE TRIGGER referral_events_fact AFTER INSERT ON referral_events
    FOR EACH ROW EXECUTE FUNCTION counts.record_referral_fact();

-- The history so far, replayed.
INSERT INTO referral_facts (referral_id, programme_id, referring_organisation_id, referrer_type, target_group, age_band,
                            region, received_at, first_waitlisted_at, accepted_at, started_at, closed_at, closed_as,
                            close_reason)
SELECT r.id, r.programme_id, r.referring_organisation_id, o.organisation_type, r.target_group, r.age_band, m.region,
       e.received_at, e.waitlisted_at, e.accepted_at, e.started_at, c.occurred_at, c.to_state, c.reason
FROM referrals r
JOIN organisations o ON o.id = r.referring_organisation_id
JOIN municipalities m ON m.name = r.municipality
JOIN LATERAL (
    SELECT min(occurred_at) FILTER (WHERE to_state = 'submitted') AS received_at,
           min(occurred_at) FILTER (WHERE to_state = 'waitlisted') AS waitlisted_at,
           min(occurred_at) FILTER (WHERE to_state = 'accepted') AS accepted_at,
           min(occurred_at) FILTER (WHERE to_state = 'active') AS started_at
    FROM referral_events WHERE referral_id = r.id
) e ON e.received_at IS NOT NULL
LEFT JOIN LATERAL (
    SELECT occurred_at, to_state, reason FROM referral_events
    WHERE referral_id = r.id AND to_state IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended')
    ORDER BY id DESC LIMIT 1
) c ON true;

-- The row of a breakdown a fact falls in: the one place that maps a breakdown to a column. (No SET clause, so
-- the planner can inline it.)
CREATE FUNCTION counts.fact_breakdown(f public.referral_facts, p_breakdown text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE p_breakdown
               WHEN 'programme' THEN f.programme_id::text
               WHEN 'referrer_type' THEN f.referrer_type
               WHEN 'target_group' THEN f.target_group
               WHEN 'age_band' THEN f.age_band
               WHEN 'region' THEN f.region
               ELSE 'total' END
$$;
ALTER FUNCTION counts.fact_breakdown(public.referral_facts, text) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.fact_breakdown(public.referral_facts, text) FROM PUBLIC;

-- Monthly counts (months in Amsterdam time) of the referrals to `p_programmes` (only those `p_referrer` filed,
-- unless null) for the months from `p_from` up to, not including, `p_to`, by one breakdown. A measure with
-- reasons comes once without a reason (its total) and once per reason. `active_at_end` counts those active at
-- the end of the month. Counts only: no referral, no client, ever leaves this function.
CREATE FUNCTION counts.statistics_months(p_programmes uuid[], p_referrer uuid, p_from date, p_to date, p_breakdown text)
RETURNS TABLE (month date, breakdown_value text, measure text, reason text, referrals bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    WITH bounds AS (
        SELECT (p_from::timestamp AT TIME ZONE 'Europe/Amsterdam') AS starts,
               (p_to::timestamp AT TIME ZONE 'Europe/Amsterdam') AS ends
    ), facts AS (
        SELECT f.*, counts.fact_breakdown(f, p_breakdown) AS value
        FROM public.referral_facts f, bounds b
        WHERE f.programme_id = ANY (p_programmes)
          AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
          AND f.open_until >= b.starts AND f.received_at < b.ends
    ), steps AS (
        SELECT value, s.measure, s.reason, s.at
        FROM facts f
        CROSS JOIN LATERAL (VALUES
            ('received', NULL, f.received_at),
            ('waitlisted', NULL, f.first_waitlisted_at),
            ('accepted', NULL, f.accepted_at),
            (CASE f.closed_as WHEN 'ended' THEN 'ended_early' ELSE f.closed_as END, NULL, f.closed_at),
            (CASE f.closed_as WHEN 'ended' THEN 'ended_early' WHEN 'declined' THEN 'declined' END, f.close_reason,
             CASE WHEN f.closed_as IN ('ended', 'declined') THEN f.closed_at END)
        ) AS s (measure, reason, at)
        WHERE s.at IS NOT NULL
        UNION ALL
        -- Active at the end of each month it was active across.
        SELECT value, 'active_at_end', NULL, month_end - interval '1 microsecond'
        FROM facts f, bounds b,
             LATERAL generate_series(
                 date_trunc('month', greatest(f.started_at, b.starts) AT TIME ZONE 'Europe/Amsterdam') + interval '1 month',
                 date_trunc('month', least(f.open_until, b.ends) AT TIME ZONE 'Europe/Amsterdam'),
                 interval '1 month') AS ends (local_end),
             LATERAL (SELECT (ends.local_end AT TIME ZONE 'Europe/Amsterdam') AS month_end) e
        WHERE f.started_at IS NOT NULL AND f.started_at < b.ends
          AND e.month_end <= b.ends AND e.month_end > f.started_at AND e.month_end <= f.open_until
    )
    SELECT date_trunc('month', s.at AT TIME ZONE 'Europe/Amsterdam')::date, s.value, s.measure, s.reason, count(*)
    FROM steps s, bounds b
    WHERE s.at >= b.starts AND s.at < b.ends
    GROUP BY 1, 2, 3, 4
$$;

-- Waiting times over the whole period, in days: submitted → accepted for those accepted in it, accepted →
-- active for those started in it, with how many each is based on (the domain withholds them below 10).
CREATE FUNCTION counts.statistics_waits(p_programmes uuid[], p_referrer uuid, p_from date, p_to date, p_breakdown text)
RETURNS TABLE (breakdown_value text, wait text, referrals bigint, median double precision, p90 double precision)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    WITH bounds AS (
        SELECT (p_from::timestamp AT TIME ZONE 'Europe/Amsterdam') AS starts,
               (p_to::timestamp AT TIME ZONE 'Europe/Amsterdam') AS ends
    ), waits AS (
        SELECT counts.fact_breakdown(f, p_breakdown) AS value,
               w.wait, extract(epoch FROM w.until - w.since) / 86400 AS days
        FROM public.referral_facts f, bounds b,
             LATERAL (VALUES ('submitted_to_accepted', f.received_at, f.accepted_at),
                             ('accepted_to_active', f.accepted_at, f.started_at)) AS w (wait, since, until)
        WHERE f.programme_id = ANY (p_programmes)
          AND (p_referrer IS NULL OR f.referring_organisation_id = p_referrer)
          AND f.open_until >= b.starts AND f.received_at < b.ends
          AND w.until >= b.starts AND w.until < b.ends AND w.since IS NOT NULL
    )
    SELECT value, wait, count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY days),
           percentile_disc(0.9) WITHIN GROUP (ORDER BY days)
    FROM waits GROUP BY 1, 2
$$;

ALTER FUNCTION counts.statistics_months(uuid[], uuid, date, date, text) OWNER TO koppel_counts;
ALTER FUNCTION counts.statistics_waits(uuid[], uuid, date, date, text) OWNER TO koppel_counts;
REVOKE ALL ON FUNCTION counts.statistics_months(uuid[], uuid, date, date, text),
                       counts.statistics_waits(uuid[], uuid, date, date, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION counts.statistics_months(uuid[], uuid, date, date, text),
                          counts.statistics_waits(uuid[], uuid, date, date, text) TO koppel_app;
