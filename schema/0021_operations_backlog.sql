-- What an operator's monitoring asks of the outbox, in numbers only: how much waits to be handed on (to webhook
-- deliveries, to notices) and since when, and the deliveries' states. The app role reads none of these tables across
-- organisations; this function, owned by the delivery role, answers for all of them without a row of anyone's.
CREATE FUNCTION delivery.backlog(p_now timestamptz)
RETURNS TABLE (measure text, value double precision)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT 'outbox_waiting_webhooks', count(*)::double precision FROM public.outbox WHERE delivered_at IS NULL
    UNION ALL
    SELECT 'outbox_oldest_webhooks_seconds', coalesce(extract(epoch FROM p_now - min(occurred_at)), 0)::double precision
    FROM public.outbox WHERE delivered_at IS NULL
    UNION ALL
    SELECT 'outbox_waiting_notices', count(*)::double precision FROM public.outbox WHERE noticed_at IS NULL
    UNION ALL
    SELECT 'outbox_oldest_notices_seconds', coalesce(extract(epoch FROM p_now - min(occurred_at)), 0)::double precision
    FROM public.outbox WHERE noticed_at IS NULL
    UNION ALL
    SELECT 'deliveries_pending', count(*)::double precision FROM public.webhook_deliveries WHERE state = 'pending'
    UNION ALL
    SELECT 'deliveries_overdue_seconds', coalesce(extract(epoch FROM p_now - min(next_attempt_at)), 0)::double precision
    FROM public.webhook_deliveries WHERE state = 'pending' AND next_attempt_at < p_now
    UNION ALL
    SELECT 'notices_mail_due', count(*)::double precision FROM public.notices
    WHERE email_state = 'pending' AND email_due_at <= p_now
$$;
ALTER FUNCTION delivery.backlog(timestamptz) OWNER TO koppel_delivery;
REVOKE ALL ON FUNCTION delivery.backlog(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION delivery.backlog(timestamptz) TO koppel_app;
