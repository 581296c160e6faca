-- A trace goes on through the outbox (W3C Trace Context): the request that wrote an event names its span, and each
-- webhook delivery of that event carries the same trace, so a subscriber's logs and the request that caused them join
-- up. The transaction's `koppel.traceparent` (set with the acting tenant, decision 0022) fills it in; nothing else
-- of the request goes with it.

-- The transaction's traceparent when it is one of version 00 as Koppel writes them; NULL otherwise, so a stray value
-- never fails the write that reports a change.
CREATE FUNCTION public.current_traceparent()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT t FROM (SELECT current_setting('koppel.traceparent', true) AS t) s
    WHERE t ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
$$;

ALTER TABLE outbox ADD COLUMN traceparent text DEFAULT public.current_traceparent();
ALTER TABLE webhook_deliveries ADD COLUMN traceparent text;

-- As in 0014, and each delivery keeps its event's traceparent.
CREATE OR REPLACE FUNCTION delivery.fan_out(p_limit integer, p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_count integer;
BEGIN
    WITH claimed AS (
        SELECT o.id, o.topic, o.event_type, o.subject_id, o.recipient_organisations, o.occurred_at, o.data, o.traceparent
        FROM public.outbox o
        WHERE o.delivered_at IS NULL
        ORDER BY o.id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), handed AS (
        UPDATE public.outbox o SET delivered_at = p_now FROM claimed c WHERE o.id = c.id RETURNING o.id
    ), added AS (
        INSERT INTO public.webhook_deliveries (message_id, subscription_id, organisation_id, outbox_id, event_type, subject_id, body,
                                              next_attempt_at, created_at, traceparent)
        SELECT 'msg_' || c.id || '_' || replace(s.id::text, '-', ''), s.id, s.organisation_id, c.id, c.event_type, c.subject_id,
               delivery.event_body(c.event_type, c.occurred_at, c.data || jsonb_build_object('sequence', c.id)),
               p_now, p_now, c.traceparent
        FROM claimed c
        JOIN public.webhook_subscriptions s
          ON (c.recipient_organisations IS NULL OR s.organisation_id = ANY (c.recipient_organisations))
         AND s.status <> 'disabled'
         AND (cardinality(s.event_types) = 0 OR c.event_type = ANY (s.event_types))
        WHERE c.event_type IS NOT NULL AND c.topic <> 'internal'
        RETURNING 1
    )
    SELECT count(*) INTO v_count FROM handed;
    RETURN v_count;
END
$$;

-- As in 0013, and with the delivery's traceparent: a new result column, so the function is made anew.
DROP FUNCTION delivery.claim(integer, integer, timestamptz);
CREATE FUNCTION delivery.claim(p_limit integer, p_lease_seconds integer, p_now timestamptz)
RETURNS TABLE (delivery_id bigint, message_id text, subscription_id uuid, url text, secret_sealed text, previous_secret_sealed text,
               previous_secret_until timestamptz, body text, attempts integer, traceparent text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET enable_sort = off
AS $$
BEGIN
    RETURN QUERY
    WITH due AS (
        SELECT d.id
        FROM public.webhook_deliveries d JOIN public.webhook_subscriptions s ON s.id = d.subscription_id AND s.status = 'active'
        WHERE d.state = 'pending' AND d.next_attempt_at <= p_now
          AND NOT EXISTS (SELECT 1 FROM public.webhook_deliveries e
                          WHERE e.subscription_id = d.subscription_id AND e.subject_id = d.subject_id AND e.state = 'pending' AND e.id < d.id)
        ORDER BY d.next_attempt_at, d.id
        LIMIT p_limit
        FOR UPDATE OF d SKIP LOCKED
    ), leased AS (
        UPDATE public.webhook_deliveries d
        SET attempts = d.attempts + 1, last_attempt_at = p_now,
            next_attempt_at = p_now + make_interval(secs => p_lease_seconds)
        FROM due WHERE d.id = due.id
        RETURNING d.id, d.message_id, d.subscription_id, d.body, d.attempts, d.traceparent
    )
    SELECT l.id, l.message_id, l.subscription_id, s.url, s.secret_sealed, s.previous_secret_sealed, s.previous_secret_until, l.body,
           l.attempts, l.traceparent
    FROM leased l JOIN public.webhook_subscriptions s ON s.id = l.subscription_id;
END
$$;
ALTER FUNCTION delivery.claim(integer, integer, timestamptz) OWNER TO koppel_delivery;
REVOKE ALL ON FUNCTION delivery.claim(integer, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION delivery.claim(integer, integer, timestamptz) TO koppel_app;
