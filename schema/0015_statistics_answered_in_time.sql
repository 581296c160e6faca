-- Funder statistics (decision 0011): how many referrals the programme first answered in a month, and whether within
-- its response time (decision 0017), so funders see the share answered in time through the same disclosure control.
--
-- The step writes on the referral whether its first answer came in time (`referrals.answered_in_time`, 0014), in the
-- same transaction and before it inserts the event; the facts trigger copies that with the time of the answer. Besides
-- `answered` and `answered_in_time` the counts give `answered_late`: disclosure control then sees answered = in time +
-- late as a line (like a measure and its reasons), so it never shows two figures whose difference is a small count.
-- Referrals without a respond deadline (submitted before 0014, or loaded by the generator) count in none of the three.

ALTER TABLE referral_facts ADD COLUMN answered_at timestamptz;

-- The answers so far. Not from referral_events, which row-level security hides from the migration's role, but from
-- the milestones the facts hold: the first answer is the earliest of the first waiting list, the first acceptance and
-- a close by decline or forward (every later step follows one of these).
UPDATE referral_facts f
SET answered_at = least(f.first_waitlisted_at, f.accepted_at, CASE WHEN f.closed_as IN ('declined', 'forwarded') THEN f.closed_at END),
    answered_in_time = r.answered_in_time
FROM referrals r
WHERE r.id = f.referral_id AND r.answered_in_time IS NOT NULL;

ALTER TABLE referral_facts ADD CONSTRAINT referral_facts_answered_check CHECK ((answered_at IS NULL) = (answered_in_time IS NULL));

-- As in 0007, and the programme's first answer: its time, and in time or not as the step recorded it on the referral.
CREATE OR REPLACE FUNCTION counts.record_referral_facts()
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

    -- Only an answer with a respond deadline has answered_in_time on the referral; the first one sets both columns.
    UPDATE public.referral_facts f
    SET answered_at = a.answered_at, answered_in_time = r.answered_in_time
    FROM (
        SELECT referral_id, min(occurred_at) AS answered_at FROM new_events
        WHERE from_state = 'submitted' AND to_state IN ('accepted', 'declined', 'waitlisted', 'forwarded')
        GROUP BY referral_id
    ) a
    JOIN public.referrals r ON r.id = a.referral_id
    WHERE f.referral_id = a.referral_id AND f.answered_at IS NULL AND r.answered_in_time IS NOT NULL;

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

-- As in 0007, and the first answers in [p_from, p_to): all of them, in time, and late.
CREATE OR REPLACE FUNCTION counts.steps_counted(p_programme uuid, p_referrer uuid, p_from timestamptz, p_to timestamptz, p_breakdown text)
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

-- Spans kept before this migration lack the answers: forgotten, they are counted again when next asked for. The
-- three go together, since keeping a span again adds its counts and its waits.
DELETE FROM statistics_kept_spans;
DELETE FROM statistics_kept_counts;
DELETE FROM statistics_kept_waits;
