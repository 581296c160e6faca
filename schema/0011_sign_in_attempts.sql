-- Sign-in throttling counts attempts, not failures, and counts each before it is checked (issue 17). Twenty wrong
-- passwords sent at once were all checked, as each read the count before any wrote it; now each attempt takes its
-- number under the key's row lock, and one past the limit is refused unchecked. A success removes its own key's
-- row only: the password and the second-factor code are throttled apart (their keys name the step), so a correct
-- password no longer resets the count of wrong codes.

ALTER TABLE sign_in_throttle RENAME COLUMN failures TO attempts;
ALTER TABLE sign_in_throttle RENAME COLUMN last_failure_at TO last_attempt_at;
COMMENT ON TABLE sign_in_throttle IS
    'Sign-in attempts per step and account, and per client address, keyed by a hash; a success deletes its key''s row.';

-- One attempt on `p_key` at `p_now`: its number within the window and whether it may be checked. The attempt that
-- reaches `p_lock_after` locks the key for `p_lock_seconds` (a success then removes the lock with the row); while
-- locked, attempts are refused and not counted.
CREATE FUNCTION public.sign_in_attempt(p_key bytea, p_now timestamptz, p_window_seconds integer, p_lock_after integer,
                                       p_lock_seconds integer)
RETURNS TABLE (allowed boolean, attempt integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_row public.sign_in_throttle%ROWTYPE;
BEGIN
    -- A success may delete the row between the insert and the lock: then insert again.
    LOOP
        INSERT INTO public.sign_in_throttle (key, attempts, last_attempt_at) VALUES (p_key, 0, p_now) ON CONFLICT (key) DO NOTHING;
        SELECT * INTO v_row FROM public.sign_in_throttle WHERE key = p_key FOR UPDATE;
        EXIT WHEN FOUND;
    END LOOP;
    IF v_row.locked_until > p_now THEN
        RETURN QUERY SELECT false, v_row.attempts;
        RETURN;
    END IF;
    IF v_row.last_attempt_at < p_now - make_interval(secs => p_window_seconds) THEN
        v_row.attempts := 0;
    END IF;
    v_row.attempts := v_row.attempts + 1;
    UPDATE public.sign_in_throttle
    SET attempts = v_row.attempts, last_attempt_at = p_now,
        locked_until = CASE WHEN v_row.attempts >= p_lock_after THEN p_now + make_interval(secs => p_lock_seconds) END
    WHERE key = p_key;
    RETURN QUERY SELECT true, v_row.attempts;
END
$$;

-- A success takes back its attempt on a key that is not the account's (the client address): colleagues signing in
-- behind one router do not lock each other out; only failures add up there.
CREATE FUNCTION public.sign_in_success(p_key bytea, p_lock_after integer)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, public
AS $$
    UPDATE public.sign_in_throttle
    SET attempts = greatest(attempts - 1, 0), locked_until = CASE WHEN attempts - 1 < p_lock_after THEN NULL ELSE locked_until END
    WHERE key = p_key
$$;

REVOKE ALL ON FUNCTION public.sign_in_success(bytea, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.sign_in_success(bytea, integer) TO koppel_app;
REVOKE ALL ON FUNCTION public.sign_in_attempt(bytea, timestamptz, integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.sign_in_attempt(bytea, timestamptz, integer, integer, integer) TO koppel_app;
