-- The audit chain is keyed (issue 17). Its hashes were plain SHA-256, so whoever could write the table (the owner,
-- a superuser, a restored dump) could change an entry and recompute every hash after it, and `koppel audit verify`
-- passed. Entries are now HMAC-SHA-256 under a key derived from the key file, which never enters PostgreSQL.
-- Entries written before this migration stay as they are, marked unkeyed; `koppel audit verify --unkeyed-until N`
-- accepts them up to the last one, N, which the operator notes at the upgrade (`koppel audit head` before it).
ALTER TABLE audit.entries ADD COLUMN keyed boolean NOT NULL DEFAULT false;

-- A duplicate check that finds someone is recorded against each client it matched.
ALTER TABLE audit.entries DROP CONSTRAINT entries_action_check;
ALTER TABLE audit.entries ADD CONSTRAINT entries_action_check
    CHECK (action IN ('create', 'update', 'reveal', 'export', 'erase', 'post_message', 'read_messages', 'duplicate_check'));
