-- A funder's yearly report for one programme computed naively from the history itself (referral_events), with no
-- facts and nothing kept: what `scripts/bench` compares the real report with. Variables: programme, from, to
-- (dates, first of a month). The same figures as counts.statistics_months and counts.statistics_waits.
WITH bounds AS (
    SELECT (:'from'::date::timestamp AT TIME ZONE 'Europe/Amsterdam') AS starts,
           (:'to'::date::timestamp AT TIME ZONE 'Europe/Amsterdam') AS ends
), history AS (
    SELECT e.referral_id,
           min(e.occurred_at) FILTER (WHERE e.to_state = 'submitted') AS received_at,
           min(e.occurred_at) FILTER (WHERE e.to_state = 'waitlisted') AS waitlisted_at,
           min(e.occurred_at) FILTER (WHERE e.to_state = 'accepted') AS accepted_at,
           min(e.occurred_at) FILTER (WHERE e.to_state = 'active') AS started_at,
           max(e.occurred_at) FILTER (WHERE e.to_state IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended')) AS closed_at,
           (array_agg(e.to_state ORDER BY e.id DESC) FILTER (WHERE e.to_state IN ('declined', 'withdrawn', 'forwarded', 'completed', 'ended')))[1] AS closed_as,
           (array_agg(e.reason ORDER BY e.id DESC) FILTER (WHERE e.to_state IN ('declined', 'ended')))[1] AS close_reason
    FROM referral_events e JOIN referrals r ON r.id = e.referral_id
    WHERE r.programme_id = :'programme'
    GROUP BY e.referral_id
), steps AS (
    SELECT s.measure, s.reason, s.at
    FROM history h
    CROSS JOIN LATERAL (VALUES ('received', NULL, h.received_at), ('waitlisted', NULL, h.waitlisted_at),
        ('accepted', NULL, h.accepted_at), (h.closed_as, NULL, h.closed_at),
        (CASE WHEN h.closed_as IN ('declined', 'ended') THEN h.closed_as END, h.close_reason, h.closed_at)) AS s (measure, reason, at)
    WHERE s.at IS NOT NULL AND s.measure IS NOT NULL
    UNION ALL
    SELECT 'active_at_end', NULL, m.month_end - interval '1 microsecond'
    FROM history h, bounds b,
         LATERAL (SELECT (generate_series(b.starts AT TIME ZONE 'Europe/Amsterdam' + interval '1 month',
                                          b.ends AT TIME ZONE 'Europe/Amsterdam', interval '1 month') AT TIME ZONE 'Europe/Amsterdam') AS month_end) m
    WHERE h.started_at < m.month_end AND coalesce(h.closed_at, 'infinity') >= m.month_end
)
SELECT 'count' AS kind, date_trunc('month', s.at AT TIME ZONE 'Europe/Amsterdam')::date::text AS month, s.measure, s.reason,
       count(*)::float8 AS value
FROM steps s, bounds b WHERE s.at >= b.starts AND s.at < b.ends GROUP BY 2, 3, 4
UNION ALL
SELECT 'wait', NULL, w.wait, NULL, percentile_disc(0.5) WITHIN GROUP (ORDER BY floor(extract(epoch FROM w.until - w.since) / 86400))
FROM history h, bounds b,
     LATERAL (VALUES ('submitted_to_accepted', h.received_at, h.accepted_at), ('accepted_to_active', h.accepted_at, h.started_at)) AS w (wait, since, until)
WHERE w.since IS NOT NULL AND w.until >= b.starts AND w.until < b.ends GROUP BY w.wait;
