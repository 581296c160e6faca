-- Webhooks (issue 18, decision 0016): partner systems hear of every change, from the outbox.
--
-- The outbox row says what happened (its event type and thin data), written in the transaction of the change. The
-- delivery functions, owned by koppel_delivery, hand each row to the subscriptions of the organisations it names
-- (fan-out) and claim due deliveries with FOR UPDATE SKIP LOCKED, so every replica may deliver and each delivery goes
-- to one of them at a time. Each is one statement that commits by itself, given the application's time (p_now, the
-- one clock of decision 0014) rather than a transaction that sets koppel.now: one round trip instead of four. A claim leases the delivery for a while: a replica that dies mid-delivery leaves it to be
-- claimed again (at least once, never lost).

ALTER TABLE outbox ADD COLUMN event_type text;
ALTER TABLE outbox ADD COLUMN data jsonb NOT NULL DEFAULT '{}';
ALTER TABLE outbox DROP CONSTRAINT outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic IN ('referral.changed', 'programme.changed', 'consent.withdrawn'));
-- No recipients: a change anyone may read (the public directory's programmes).
ALTER TABLE outbox ALTER COLUMN recipient_organisations DROP NOT NULL;
CREATE INDEX outbox_waiting_idx ON outbox (id) WHERE delivered_at IS NULL;
COMMENT ON COLUMN outbox.delivered_at IS 'When the row was handed to the webhook deliveries of its recipients.';

CREATE TABLE webhook_subscriptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    -- Empty: every type.
    event_types text[] NOT NULL DEFAULT '{}',
    -- `whsec_…`, sealed under a key from the key file (SecretSeal); the previous one signs too until it expires.
    secret_sealed text NOT NULL,
    previous_secret_sealed text,
    previous_secret_until timestamptz,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
    disabled_reason text CHECK (disabled_reason IN ('gone', 'failing')),
    failing_since timestamptz,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT public.koppel_now(),
    updated_at timestamptz NOT NULL DEFAULT public.koppel_now()
);
CREATE INDEX webhook_subscriptions_organisation_idx ON webhook_subscriptions (organisation_id);

CREATE TABLE webhook_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The `webhook-id` header: the same on every try. Unique by construction (`msg_<outbox id>_<subscription>`, or a
    -- ping's random one); no index, which every claim and record would keep up.
    message_id text NOT NULL,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    outbox_id bigint REFERENCES outbox (id) ON DELETE SET NULL,
    event_type text NOT NULL,
    -- The referral (or programme, or consent) it is about: one subject's events go out in order.
    subject_id uuid,
    -- The exact body sent, so every try is the same message.
    body text NOT NULL CHECK (length(body) <= 8192),
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT public.koppel_now(),
    last_attempt_at timestamptz,
    delivered_at timestamptz
);
-- In the claim's order, so a claim reads the few it takes, however long the queue (a sort of every due row made a
-- backlog slower to work off the longer it grew).
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (subscription_id, subject_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, id DESC);

-- The delivery log: one row a try. No personal data: a status, a time, an error class, at most 1 KB of the answer.
CREATE TABLE webhook_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    attempted_at timestamptz NOT NULL,
    http_status integer,
    latency_ms integer NOT NULL,
    error_class text,
    response_excerpt text CHECK (length(response_excerpt) <= 1024)
);
CREATE INDEX webhook_attempts_subscription_idx ON webhook_attempts (subscription_id, attempted_at DESC);
CREATE INDEX webhook_attempts_age_idx ON webhook_attempts (attempted_at);

-- An organisation sees and manages its own subscriptions, deliveries and log.
ALTER TABLE webhook_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_subscriptions_tenant ON webhook_subscriptions
    USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_tenant ON webhook_deliveries
    USING (organisation_id = acting_organisation()) WITH CHECK (organisation_id = acting_organisation());
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_attempts_tenant ON webhook_attempts USING (organisation_id = acting_organisation());

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_subscriptions TO koppel_app;
-- A ping and a replay are deliveries the app adds; only the delivery functions claim and record them.
GRANT SELECT, INSERT ON webhook_deliveries TO koppel_app;
GRANT UPDATE (state, attempts, next_attempt_at) ON webhook_deliveries TO koppel_app;
GRANT SELECT ON webhook_attempts TO koppel_app;

-- The delivery role reads and writes across organisations, through its functions only.
CREATE SCHEMA delivery AUTHORIZATION koppel_delivery;
REVOKE ALL ON SCHEMA delivery FROM PUBLIC;
GRANT USAGE ON SCHEMA delivery TO koppel_app;
GRANT SELECT, UPDATE (delivered_at) ON outbox TO koppel_delivery;
GRANT SELECT, UPDATE (status, disabled_reason, failing_since, updated_at) ON webhook_subscriptions TO koppel_delivery;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_deliveries TO koppel_delivery;
GRANT REFERENCES ON outbox TO koppel_delivery;
GRANT SELECT, INSERT, DELETE ON webhook_attempts TO koppel_delivery;
GRANT DELETE ON outbox TO koppel_delivery;
CREATE POLICY webhook_subscriptions_delivery ON webhook_subscriptions TO koppel_delivery USING (true) WITH CHECK (true);
CREATE POLICY webhook_deliveries_delivery ON webhook_deliveries TO koppel_delivery USING (true) WITH CHECK (true);
CREATE POLICY webhook_attempts_delivery ON webhook_attempts TO koppel_delivery USING (true) WITH CHECK (true);

-- The JSON every delivery sends: its type, when it happened (UTC, to the microsecond) and its thin data. Fan-out and
-- an org-admin's ping both make bodies with it.
CREATE FUNCTION delivery.event_body(p_type text, p_at timestamptz, p_data jsonb)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$
    SELECT jsonb_build_object('type', p_type, 'timestamp', to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'data', p_data)::text
$$;

-- Hands up to p_limit outbox rows to the deliveries of the subscriptions that want them: those of the organisations
-- the row names (any organisation's, when it names none), active or paused (a paused one keeps its deliveries for
-- when it resumes). Returns how many rows it handed on.
CREATE FUNCTION delivery.fan_out(p_limit integer, p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_count integer;
BEGIN
    WITH claimed AS (
        SELECT o.id, o.event_type, o.subject_id, o.recipient_organisations, o.occurred_at, o.data
        FROM public.outbox o
        WHERE o.delivered_at IS NULL
        ORDER BY o.id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), handed AS (
        UPDATE public.outbox o SET delivered_at = p_now FROM claimed c WHERE o.id = c.id RETURNING o.id
    ), added AS (
        INSERT INTO public.webhook_deliveries (message_id, subscription_id, organisation_id, outbox_id, event_type, subject_id, body,
                                              next_attempt_at, created_at)
        SELECT 'msg_' || c.id || '_' || replace(s.id::text, '-', ''), s.id, s.organisation_id, c.id, c.event_type, c.subject_id,
               delivery.event_body(c.event_type, c.occurred_at, c.data || jsonb_build_object('sequence', c.id)),
               p_now, p_now
        FROM claimed c
        JOIN public.webhook_subscriptions s
          ON (c.recipient_organisations IS NULL OR s.organisation_id = ANY (c.recipient_organisations))
         AND s.status <> 'disabled'
         AND (cardinality(s.event_types) = 0 OR c.event_type = ANY (s.event_types))
        WHERE c.event_type IS NOT NULL
        RETURNING 1
    )
    SELECT count(*) INTO v_count FROM handed;
    RETURN v_count;
END
$$;

-- Claims up to p_limit deliveries that are due: of active subscriptions, the earliest pending one of each subject
-- (a subject's events go out in order), leased for p_lease_seconds (a replica that dies leaves it to another).
-- Without a sort, the planner reads the due index in its order and stops at p_limit: with a backlog of 100,000 due
-- deliveries it otherwise chose to sort them all, 100 to 300 ms a claim.
CREATE FUNCTION delivery.claim(p_limit integer, p_lease_seconds integer, p_now timestamptz)
RETURNS TABLE (delivery_id bigint, message_id text, subscription_id uuid, url text, secret_sealed text, previous_secret_sealed text,
               previous_secret_until timestamptz, body text, attempts integer)
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
        RETURNING d.id, d.message_id, d.subscription_id, d.body, d.attempts
    )
    SELECT l.id, l.message_id, l.subscription_id, s.url, s.secret_sealed, s.previous_secret_sealed, s.previous_secret_until, l.body,
           l.attempts
    FROM leased l JOIN public.webhook_subscriptions s ON s.id = l.subscription_id;
END
$$;

-- Records the tries of several deliveries at once (a replica's sends finished since its last turn), set-based, in one
-- statement: each try's log row; each delivery delivered (2xx), dead (a next attempt at the epoch) or due again at its
-- next attempt; each subscription disabled as gone on a 410, or failing when it has had no success for
-- p_disable_after_seconds (DeliverySchedule.disableAfter, five days),
-- and failing no longer on a success. A status of 0 means no answer came. A delivery deleted meanwhile (with its
-- subscription) is passed over.
CREATE FUNCTION delivery.record_all(p_deliveries bigint[], p_statuses integer[], p_latencies integer[], p_errors text[], p_excerpts text[],
                                    p_next_attempts timestamptz[], p_disable_after_seconds integer, p_now timestamptz)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    WITH tries AS (
        SELECT t.delivery_id, nullif(t.status, 0) AS status, t.latency_ms, nullif(t.error_class, '') AS error_class,
               left(nullif(t.excerpt, ''), 1024) AS excerpt, nullif(t.next_attempt, 'epoch'::timestamptz) AS next_attempt,
               coalesce(t.status BETWEEN 200 AND 299, false) AS success
        FROM unnest(p_deliveries, p_statuses, p_latencies, p_errors, p_excerpts, p_next_attempts)
            AS t(delivery_id, status, latency_ms, error_class, excerpt, next_attempt)
    ), updated AS (
        UPDATE public.webhook_deliveries d
        SET state = CASE WHEN t.success THEN 'delivered' WHEN t.next_attempt IS NULL THEN 'dead' ELSE 'pending' END,
            delivered_at = CASE WHEN t.success THEN p_now END,
            next_attempt_at = coalesce(t.next_attempt, d.next_attempt_at)
        FROM tries t WHERE d.id = t.delivery_id
        RETURNING d.id, d.subscription_id, d.organisation_id, t.status, t.latency_ms, t.error_class, t.excerpt, t.success
    ), logged AS (
        INSERT INTO public.webhook_attempts (delivery_id, subscription_id, organisation_id, attempted_at, http_status, latency_ms, error_class,
                                             response_excerpt)
        SELECT id, subscription_id, organisation_id, p_now, status, latency_ms, error_class, excerpt FROM updated
    ), verdicts AS (
        SELECT u.subscription_id, bool_or(u.success) AS success, bool_or(u.status = 410) AS gone,
               NOT bool_or(u.success) AND min(s.failing_since) < p_now - make_interval(secs => p_disable_after_seconds) AS failed_too_long
        FROM updated u JOIN public.webhook_subscriptions s ON s.id = u.subscription_id
        GROUP BY u.subscription_id
    )
    UPDATE public.webhook_subscriptions s
    SET status = CASE WHEN v.gone OR v.failed_too_long THEN 'disabled' ELSE s.status END,
        disabled_reason = CASE WHEN v.gone THEN 'gone' WHEN v.failed_too_long THEN 'failing' ELSE s.disabled_reason END,
        failing_since = CASE WHEN v.success THEN NULL ELSE coalesce(s.failing_since, p_now) END,
        updated_at = CASE WHEN v.gone OR v.failed_too_long THEN p_now ELSE s.updated_at END
    FROM verdicts v
    WHERE s.id = v.subscription_id AND (v.gone OR NOT v.success OR s.failing_since IS NOT NULL);
$$;

-- Forgets what is over: outbox rows handed on more than a day ago; delivered deliveries, dead letters nobody sent
-- again and the log after 30 days.
CREATE FUNCTION delivery.prune(p_now timestamptz)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    DELETE FROM public.webhook_attempts WHERE attempted_at < p_now - interval '30 days';
    DELETE FROM public.webhook_deliveries WHERE state = 'delivered' AND delivered_at < p_now - interval '30 days';
    DELETE FROM public.webhook_deliveries WHERE state = 'dead' AND last_attempt_at < p_now - interval '30 days';
    DELETE FROM public.outbox WHERE delivered_at < p_now - interval '1 day';
$$;

ALTER FUNCTION delivery.event_body(text, timestamptz, jsonb) OWNER TO koppel_delivery;
ALTER FUNCTION delivery.fan_out(integer, timestamptz) OWNER TO koppel_delivery;
ALTER FUNCTION delivery.claim(integer, integer, timestamptz) OWNER TO koppel_delivery;
ALTER FUNCTION delivery.record_all(bigint[], integer[], integer[], text[], text[], timestamptz[], integer, timestamptz) OWNER TO koppel_delivery;
ALTER FUNCTION delivery.prune(timestamptz) OWNER TO koppel_delivery;
REVOKE ALL ON FUNCTION delivery.fan_out(integer, timestamptz), delivery.claim(integer, integer, timestamptz),
    delivery.record_all(bigint[], integer[], integer[], text[], text[], timestamptz[], integer, timestamptz), delivery.prune(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION delivery.fan_out(integer, timestamptz), delivery.claim(integer, integer, timestamptz),
    delivery.record_all(bigint[], integer[], integer[], text[], text[], timestamptz[], integer, timestamptz), delivery.prune(timestamptz) TO koppel_app;

-- What a referral's event says of it, the same from every statement that writes one: ids, its state, its version and
-- where to read more. Never who the client is: the API behind the links asks the access policy.
CREATE FUNCTION public.referral_event_data(p_referral uuid, p_programme uuid, p_state text, p_version integer, p_forwarded_from uuid)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'referral_id', p_referral, 'programme_id', p_programme, 'state', p_state, 'version', p_version,
        'forwarded_from', p_forwarded_from,
        'links', jsonb_build_object('referral', '/api/v1/referrals/' || p_referral, 'history', '/api/v1/referrals/' || p_referral || '/history')))
$$;
