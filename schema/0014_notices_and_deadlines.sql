-- Notices and deadlines (issue 19, decision 0017): people hear of what needs them, and every referral the programme
-- owes a step has a date by which it is due.
--
-- Deadlines are counted in working days by the domain module (holidays of the operator's country) when a referral
-- reaches a state, and stored as dates; the database only compares them with the one clock's day. Notices are made
-- from the outbox by the delivery role (a second reader beside the webhook fan-out, with a cursor of its own), per
-- person and per their choices; e-mails are sent from the notices by any replica, claimed with a lease.

-- What a programme promises, in working days.
ALTER TABLE programmes
    ADD COLUMN response_working_days integer NOT NULL DEFAULT 5 CHECK (response_working_days BETWEEN 1 AND 60),
    ADD COLUMN start_working_days integer NOT NULL DEFAULT 20 CHECK (start_working_days BETWEEN 1 AND 60),
    ADD COLUMN review_working_days integer NOT NULL DEFAULT 20 CHECK (review_working_days BETWEEN 1 AND 60);
-- Set by the programme's coordinators and hub-admins, as its other operational details.
GRANT UPDATE (response_working_days, start_working_days, review_working_days) ON programmes TO koppel_app;

-- The step the programme owes: its kind, the last day on time, the day past which it is escalated; when the scan
-- marked it overdue and escalated; and whether the first answer came in time (for funders).
ALTER TABLE referrals
    ADD COLUMN due_kind text CHECK (due_kind IN ('respond', 'review', 'start')),
    ADD COLUMN due_on date,
    ADD COLUMN escalate_on date,
    ADD COLUMN overdue_at timestamptz,
    ADD COLUMN escalated_at timestamptz,
    ADD COLUMN answered_in_time boolean,
    ADD CONSTRAINT referrals_deadline_check CHECK ((due_kind IS NULL) = (due_on IS NULL) AND (due_on IS NULL) = (escalate_on IS NULL));
-- The scans read only referrals still to be marked, in date order: a few index entries, however many referrals.
CREATE INDEX referrals_overdue_scan_idx ON referrals (due_on) WHERE overdue_at IS NULL AND due_on IS NOT NULL;
CREATE INDEX referrals_escalation_scan_idx ON referrals (escalate_on) WHERE escalated_at IS NULL AND escalate_on IS NOT NULL;
-- The coordinator's queue, soonest due first.
CREATE INDEX referrals_operator_due_idx ON referrals (operator_id, due_on, id) WHERE due_on IS NOT NULL;
-- A step sets the next deadline and clears the marks of the last.
GRANT UPDATE (due_kind, due_on, escalate_on, overdue_at, escalated_at, answered_in_time) ON referrals TO koppel_app;

ALTER TABLE referral_facts ADD COLUMN answered_in_time boolean;

-- Who acted (none for the scans' events): a notice never goes to the person whose own act it reports.
ALTER TABLE outbox ADD COLUMN actor_user_id uuid DEFAULT nullif(current_setting('koppel.user_id', true), '')::uuid;
ALTER TABLE outbox ADD COLUMN actor_organisation_id uuid DEFAULT public.acting_organisation();
-- When the notice fan-out read the row; rows already there were announced before notices existed.
ALTER TABLE outbox ADD COLUMN noticed_at timestamptz;
UPDATE outbox SET noticed_at = public.koppel_now();
CREATE INDEX outbox_unnoticed_idx ON outbox (id) WHERE noticed_at IS NULL;
-- 'internal': for notices only, never a webhook (an escalation, a subscription disabled).
ALTER TABLE outbox DROP CONSTRAINT outbox_topic_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_topic_check CHECK (topic IN ('referral.changed', 'programme.changed', 'consent.withdrawn', 'internal'));

-- Each person's language for what Koppel sends them, and the time of their daily digest (Amsterdam time).
ALTER TABLE users
    ADD COLUMN language text NOT NULL DEFAULT 'nl' CHECK (language IN ('nl', 'en')),
    ADD COLUMN digest_time time NOT NULL DEFAULT '08:00' CHECK (digest_time = date_trunc('minute', digest_time));

CREATE TABLE notice_preferences (
    user_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('new_referral', 'overdue', 'referral_update', 'message', 'consent_withdrawn', 'escalation',
                                       'webhook_disabled')),
    delivery text NOT NULL CHECK (delivery IN ('immediate', 'digest', 'off')),
    PRIMARY KEY (user_id, kind),
    FOREIGN KEY (user_id, organisation_id) REFERENCES users (id, organisation_id) ON DELETE CASCADE,
    -- Escalations cannot be turned off (NoticeKind.mayBeTurnedOff).
    CHECK (NOT (kind = 'escalation' AND delivery = 'off'))
);

-- One notice to one person. What it says is made from these columns and the catalogue when it is shown or sent:
-- the kind, the programme, the referral's reference, the thin event data. Never a name or a message's text.
CREATE TABLE notices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    kind text NOT NULL,
    event_type text NOT NULL,
    outbox_id bigint NOT NULL,
    referral_id uuid,
    programme_id uuid,
    -- The event's thin data (state, due date, subscription): what the outbox row said.
    details jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    read_at timestamptz,
    -- pending: to send at once; digest: in the next daily digest; expired: not sent within a week (no mail server, or
    -- one down that long), so shown in Koppel only. Without a mail server no replica sends, and notices expire.
    email_state text NOT NULL CHECK (email_state IN ('pending', 'digest', 'sent', 'failed', 'expired')),
    email_due_at timestamptz,
    email_attempts integer NOT NULL DEFAULT 0,
    emailed_at timestamptz,
    email_error text CHECK (length(email_error) <= 500),
    -- One notice per event, person and kind, however often the fan-out runs.
    UNIQUE (outbox_id, user_id, kind),
    FOREIGN KEY (user_id, organisation_id) REFERENCES users (id, organisation_id) ON DELETE CASCADE
);
CREATE INDEX notices_user_idx ON notices (user_id, id DESC);
CREATE INDEX notices_unread_idx ON notices (user_id) WHERE read_at IS NULL;
CREATE INDEX notices_mail_due_idx ON notices (email_due_at, id) WHERE email_state IN ('pending', 'digest');

-- A person's own notices and choices only: the acting user, within the acting organisation.
CREATE FUNCTION acting_user() RETURNS uuid
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$ SELECT nullif(current_setting('koppel.user_id', true), '')::uuid $$;

ALTER TABLE notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE notices FORCE ROW LEVEL SECURITY;
CREATE POLICY notices_own ON notices USING (organisation_id = acting_organisation() AND user_id = acting_user());
ALTER TABLE notice_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE notice_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY notice_preferences_own ON notice_preferences
    USING (organisation_id = acting_organisation() AND user_id = acting_user())
    WITH CHECK (organisation_id = acting_organisation() AND user_id = acting_user());
-- Read marks, and a digest moved to a new time.
GRANT SELECT, UPDATE (read_at, email_due_at) ON notices TO koppel_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON notice_preferences TO koppel_app;
GRANT UPDATE (language, digest_time) ON users TO koppel_app;

-- The delivery role makes notices for people of every organisation, marks deadlines and sends the mail.
GRANT SELECT, INSERT, UPDATE, DELETE ON notices TO koppel_delivery;
GRANT SELECT ON notice_preferences, users, user_roles, coordinator_programmes, programmes, organisations TO koppel_delivery;
GRANT SELECT, UPDATE (overdue_at, escalated_at) ON referrals TO koppel_delivery;
GRANT UPDATE (noticed_at) ON outbox TO koppel_delivery;
GRANT INSERT ON outbox TO koppel_delivery;
CREATE POLICY notices_delivery ON notices TO koppel_delivery USING (true) WITH CHECK (true);
CREATE POLICY notice_preferences_delivery ON notice_preferences FOR SELECT TO koppel_delivery USING (true);
CREATE POLICY users_delivery ON users FOR SELECT TO koppel_delivery USING (true);
CREATE POLICY user_roles_delivery ON user_roles FOR SELECT TO koppel_delivery USING (true);
CREATE POLICY coordinator_programmes_delivery ON coordinator_programmes FOR SELECT TO koppel_delivery USING (true);
CREATE POLICY referrals_delivery ON referrals TO koppel_delivery USING (true) WITH CHECK (true);

-- When a digest notice made at p_now goes out: today at the person's digest time, or tomorrow when that has passed.
CREATE FUNCTION delivery.next_digest(p_time time, p_now timestamptz)
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT CASE WHEN (((p_now AT TIME ZONE 'Europe/Amsterdam')::date + p_time) AT TIME ZONE 'Europe/Amsterdam') > p_now
                THEN ((p_now AT TIME ZONE 'Europe/Amsterdam')::date + p_time) AT TIME ZONE 'Europe/Amsterdam'
                ELSE ((p_now AT TIME ZONE 'Europe/Amsterdam')::date + 1 + p_time) AT TIME ZONE 'Europe/Amsterdam' END
$$;

-- Turns up to p_limit outbox rows into notices: each row's event, by the routes (NoticeRouting, passed as three
-- arrays: event type, notice kind, audience), to the people of its audience who still have an account, are not the
-- one who acted, and have not turned the kind off. Whether mail goes out is not its concern (replicas with a mail server
-- send it), so every replica makes the same notices. Returns how many outbox rows it read.
CREATE FUNCTION delivery.notice_fan_out(p_limit integer, p_now timestamptz, p_events text[], p_kinds text[], p_audiences text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_count integer;
BEGIN
    WITH claimed AS (
        SELECT o.id, o.event_type, o.subject_id, o.recipient_organisations, o.occurred_at, o.data, o.actor_user_id, o.actor_organisation_id
        FROM public.outbox o
        WHERE o.noticed_at IS NULL
        ORDER BY o.id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), marked AS (
        UPDATE public.outbox o SET noticed_at = p_now FROM claimed c WHERE o.id = c.id RETURNING o.id
    ), about AS (
        SELECT c.*, route.kind, route.audience, r.referring_user_id, r.referring_organisation_id, r.programme_id, r.operator_id
        FROM claimed c
        JOIN unnest(p_events, p_kinds, p_audiences) AS route(event_type, kind, audience) ON route.event_type = c.event_type
        LEFT JOIN public.referrals r ON r.id = c.subject_id
    ), audience AS (
        SELECT a.id AS outbox_id, a.kind, cp.user_id, a.actor_user_id FROM about a
        JOIN public.coordinator_programmes cp ON cp.programme_id = a.programme_id
        JOIN public.user_roles ur ON ur.user_id = cp.user_id AND ur.role = 'coordinator'
        WHERE a.audience = 'coordinators'
           OR (a.audience = 'coordinators_when_referrer_acted' AND a.actor_organisation_id = a.referring_organisation_id)
        UNION
        SELECT a.id, a.kind, a.referring_user_id, a.actor_user_id FROM about a
        WHERE a.referring_user_id IS NOT NULL
          AND (a.audience = 'referrer'
               OR (a.audience = 'referrer_when_programme_acted' AND a.actor_organisation_id IS DISTINCT FROM a.referring_organisation_id))
        UNION
        SELECT a.id, a.kind, ur.user_id, a.actor_user_id FROM about a
        JOIN public.user_roles ur ON ur.role = 'org-admin'
         AND ((a.audience = 'operator_admins' AND ur.organisation_id = a.operator_id)
              OR (a.audience = 'organisation_admins' AND ur.organisation_id = ANY (a.recipient_organisations)))
    ), chosen AS (
        SELECT au.outbox_id, au.kind, u.id AS user_id, u.organisation_id, u.digest_time, coalesce(p.delivery, 'immediate') AS delivery
        FROM audience au
        JOIN public.users u ON u.id = au.user_id AND u.disabled_at IS NULL
        LEFT JOIN public.notice_preferences p ON p.user_id = u.id AND p.kind = au.kind
        WHERE au.user_id IS DISTINCT FROM au.actor_user_id
    ), added AS (
        INSERT INTO public.notices (user_id, organisation_id, kind, event_type, outbox_id, referral_id, programme_id, details, created_at,
                                    email_state, email_due_at)
        SELECT ch.user_id, ch.organisation_id, ch.kind, c.event_type, c.id, r.id, r.programme_id, c.data - 'links', c.occurred_at,
               CASE WHEN ch.delivery = 'digest' THEN 'digest' ELSE 'pending' END,
               CASE WHEN ch.delivery = 'digest' THEN delivery.next_digest(ch.digest_time, p_now) ELSE p_now END
        FROM chosen ch
        JOIN claimed c ON c.id = ch.outbox_id
        -- A referral's event names it; another's subject (a subscription) is in its details.
        LEFT JOIN public.referrals r ON r.id = c.subject_id
        WHERE ch.delivery <> 'off'
        ON CONFLICT (outbox_id, user_id, kind) DO NOTHING
    )
    SELECT count(*) INTO v_count FROM marked;
    RETURN v_count;
END
$$;

-- Marks up to p_limit referrals overdue (past their due day, in Amsterdam, on the one clock) and as many escalated
-- (past twice the time), each with its event in the outbox in the same statement: `referral.overdue` to both sides
-- (a webhook and a notice to the coordinators), `referral.escalated` to the operator only (a notice to its
-- org-admins, never a webhook). Reads the two partial indexes in date order. Returns how many it marked.
CREATE FUNCTION delivery.scan_deadlines(p_limit integer, p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
-- In the index's order, never a sort of every late referral (as delivery.claim).
SET enable_sort = off
AS $$
DECLARE
    v_today date := (p_now AT TIME ZONE 'Europe/Amsterdam')::date;
    v_overdue integer;
    v_escalated integer;
BEGIN
    WITH late AS (
        SELECT r.id FROM public.referrals r
        WHERE r.due_on < v_today AND r.overdue_at IS NULL AND r.due_on IS NOT NULL
        ORDER BY r.due_on
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), marked AS (
        UPDATE public.referrals r SET overdue_at = p_now FROM late WHERE r.id = late.id
        RETURNING r.id, r.programme_id, r.state, r.version, r.forwarded_from, r.referring_organisation_id, r.operator_id, r.due_kind, r.due_on
    ), noted AS (
        INSERT INTO public.outbox (occurred_at, topic, subject_id, recipient_organisations, event_type, data, actor_user_id, actor_organisation_id)
        SELECT p_now, 'referral.changed', m.id, ARRAY[m.referring_organisation_id, m.operator_id], 'referral.overdue',
               public.referral_event_data(m.id, m.programme_id, m.state, m.version, m.forwarded_from)
                   || jsonb_build_object('due_kind', m.due_kind, 'due_on', m.due_on),
               NULL, NULL
        FROM marked m
        RETURNING 1
    )
    SELECT count(*) INTO v_overdue FROM noted;

    WITH late AS (
        SELECT r.id FROM public.referrals r
        WHERE r.escalate_on < v_today AND r.escalated_at IS NULL AND r.escalate_on IS NOT NULL
        ORDER BY r.escalate_on
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), marked AS (
        UPDATE public.referrals r SET escalated_at = p_now FROM late WHERE r.id = late.id
        RETURNING r.id, r.programme_id, r.state, r.version, r.forwarded_from, r.operator_id, r.due_kind, r.due_on
    ), noted AS (
        INSERT INTO public.outbox (occurred_at, topic, subject_id, recipient_organisations, event_type, data, actor_user_id, actor_organisation_id)
        SELECT p_now, 'internal', m.id, ARRAY[m.operator_id], 'referral.escalated',
               public.referral_event_data(m.id, m.programme_id, m.state, m.version, m.forwarded_from)
                   || jsonb_build_object('due_kind', m.due_kind, 'due_on', m.due_on),
               NULL, NULL
        FROM marked m
        RETURNING 1
    )
    SELECT count(*) INTO v_escalated FROM noted;
    RETURN v_overdue + v_escalated;
END
$$;

-- Claims up to p_limit notices whose e-mail is due (at once, or a digest whose time came), leased for p_lease_seconds:
-- a replica that dies mid-send leaves them to another. With what the mail says: the person's address and language,
-- the programme's name.
CREATE FUNCTION delivery.claim_mail(p_limit integer, p_lease_seconds integer, p_now timestamptz)
RETURNS TABLE (notice_id bigint, user_id uuid, email text, language text, kind text, event_type text, referral_id uuid,
               programme_name text, details jsonb, digest boolean, created_at timestamptz, attempts integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
SET enable_sort = off
AS $$
BEGIN
    RETURN QUERY
    WITH due AS (
        -- Nobody whose account was disabled since: their notices' mail expires unsent.
        SELECT n.id FROM public.notices n JOIN public.users u ON u.id = n.user_id AND u.disabled_at IS NULL
        WHERE n.email_state IN ('pending', 'digest') AND n.email_due_at <= p_now
        ORDER BY n.email_due_at, n.id
        LIMIT p_limit
        FOR UPDATE OF n SKIP LOCKED
    ), leased AS (
        UPDATE public.notices n
        SET email_due_at = p_now + make_interval(secs => p_lease_seconds), email_attempts = n.email_attempts + 1
        FROM due WHERE n.id = due.id
        RETURNING n.id, n.user_id, n.kind, n.event_type, n.referral_id, n.programme_id, n.details, n.email_state, n.created_at,
                  n.email_attempts
    )
    SELECT l.id, l.user_id, u.email, u.language, l.kind, l.event_type, l.referral_id, p.name, l.details, l.email_state = 'digest',
           l.created_at, l.email_attempts
    FROM leased l JOIN public.users u ON u.id = l.user_id LEFT JOIN public.programmes p ON p.id = l.programme_id;
END
$$;

-- Records how mails went: each notice 'sent', 'failed' for good, or 'retry' at its p_next.
CREATE FUNCTION delivery.record_mail(p_notices bigint[], p_outcomes text[], p_next timestamptz[], p_errors text[], p_now timestamptz)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    UPDATE public.notices n
    SET email_state = CASE t.outcome WHEN 'sent' THEN 'sent' WHEN 'failed' THEN 'failed' ELSE n.email_state END,
        emailed_at = CASE WHEN t.outcome = 'sent' THEN p_now ELSE n.emailed_at END,
        email_due_at = CASE WHEN t.outcome = 'retry' THEN t.next END,
        email_error = left(nullif(t.error, ''), 500)
    FROM unnest(p_notices, p_outcomes, p_next, p_errors) AS t(id, outcome, next, error)
    WHERE n.id = t.id;
$$;

-- Mail not sent within a week is not sent at all: a mail server configured (or back) after that sends no stale
-- notices. Notices are forgotten after 90 days.
CREATE FUNCTION delivery.expire_notices(p_now timestamptz)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    UPDATE public.notices SET email_state = 'expired', email_due_at = NULL
    WHERE email_state IN ('pending', 'digest') AND email_due_at < p_now - interval '7 days';
    DELETE FROM public.notices WHERE created_at < p_now - interval '90 days';
$$;

-- Webhook deliveries as before (0013), but never of an internal row (an escalation is for people, not systems).
CREATE OR REPLACE FUNCTION delivery.fan_out(p_limit integer, p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_count integer;
BEGIN
    WITH claimed AS (
        SELECT o.id, o.topic, o.event_type, o.subject_id, o.recipient_organisations, o.occurred_at, o.data
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
        WHERE c.event_type IS NOT NULL AND c.topic <> 'internal'
        RETURNING 1
    )
    SELECT count(*) INTO v_count FROM handed;
    RETURN v_count;
END
$$;

-- As in 0013, and a subscription newly disabled writes a `webhook.disabled` row for its organisation's admins.
CREATE OR REPLACE FUNCTION delivery.record_all(p_deliveries bigint[], p_statuses integer[], p_latencies integer[], p_errors text[],
                                               p_excerpts text[], p_next_attempts timestamptz[], p_disable_after_seconds integer,
                                               p_now timestamptz)
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
               NOT bool_or(u.success) AND min(s.failing_since) < p_now - make_interval(secs => p_disable_after_seconds) AS failed_too_long,
               bool_or(s.status <> 'disabled') AS was_enabled
        FROM updated u JOIN public.webhook_subscriptions s ON s.id = u.subscription_id
        GROUP BY u.subscription_id
    ), changed AS (
        UPDATE public.webhook_subscriptions s
        SET status = CASE WHEN v.gone OR v.failed_too_long THEN 'disabled' ELSE s.status END,
            disabled_reason = CASE WHEN v.gone THEN 'gone' WHEN v.failed_too_long THEN 'failing' ELSE s.disabled_reason END,
            failing_since = CASE WHEN v.success THEN NULL ELSE coalesce(s.failing_since, p_now) END,
            updated_at = CASE WHEN v.gone OR v.failed_too_long THEN p_now ELSE s.updated_at END
        FROM verdicts v
        WHERE s.id = v.subscription_id AND (v.gone OR NOT v.success OR s.failing_since IS NOT NULL)
        RETURNING s.id, s.organisation_id, s.disabled_reason, v.was_enabled AND (v.gone OR v.failed_too_long) AS newly_disabled
    )
    INSERT INTO public.outbox (occurred_at, topic, subject_id, recipient_organisations, event_type, data, actor_user_id, actor_organisation_id)
    SELECT p_now, 'internal', c.id, ARRAY[c.organisation_id], 'webhook.disabled',
           jsonb_build_object('subscription_id', c.id, 'reason', c.disabled_reason), NULL, NULL
    FROM changed c WHERE c.newly_disabled;
$$;

-- As in 0013, but outbox rows only once both readers (webhooks and notices) had them.
CREATE OR REPLACE FUNCTION delivery.prune(p_now timestamptz)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    DELETE FROM public.webhook_attempts WHERE attempted_at < p_now - interval '30 days';
    DELETE FROM public.webhook_deliveries WHERE state = 'delivered' AND delivered_at < p_now - interval '30 days';
    DELETE FROM public.webhook_deliveries WHERE state = 'dead' AND last_attempt_at < p_now - interval '30 days';
    DELETE FROM public.outbox WHERE delivered_at < p_now - interval '1 day' AND noticed_at < p_now - interval '1 day';
$$;

ALTER FUNCTION delivery.next_digest(time, timestamptz) OWNER TO koppel_delivery;
ALTER FUNCTION delivery.notice_fan_out(integer, timestamptz, text[], text[], text[]) OWNER TO koppel_delivery;
ALTER FUNCTION delivery.expire_notices(timestamptz) OWNER TO koppel_delivery;
ALTER FUNCTION delivery.scan_deadlines(integer, timestamptz) OWNER TO koppel_delivery;
ALTER FUNCTION delivery.claim_mail(integer, integer, timestamptz) OWNER TO koppel_delivery;
ALTER FUNCTION delivery.record_mail(bigint[], text[], timestamptz[], text[], timestamptz) OWNER TO koppel_delivery;
REVOKE ALL ON FUNCTION delivery.notice_fan_out(integer, timestamptz, text[], text[], text[]), delivery.expire_notices(timestamptz),
    delivery.scan_deadlines(integer, timestamptz), delivery.claim_mail(integer, integer, timestamptz),
    delivery.record_mail(bigint[], text[], timestamptz[], text[], timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION delivery.notice_fan_out(integer, timestamptz, text[], text[], text[]), delivery.expire_notices(timestamptz),
    delivery.scan_deadlines(integer, timestamptz), delivery.claim_mail(integer, integer, timestamptz),
    delivery.record_mail(bigint[], text[], timestamptz[], text[], timestamptz) TO koppel_app;
