-- Creates Koppel's three roles and its database on a PostgreSQL server. Idempotent.
-- Run as a role that may create roles and databases:
--   psql "$ADMIN_URL" -v dbname=koppel -v owner_password=… -v app_password=… -v vault_password=… -f bootstrap.sql
-- or, to keep the passwords off a command line that `ps` shows, as `\set owner_password '…'` lines (and the others)
-- before this file on psql's stdin, as `scripts/lib/common.sh` does.
--
--   koppel_owner  owns the schema; `koppel migrate` runs as it.
--   koppel_app    what the server connects as: not owner, not superuser, no BYPASSRLS.
--   koppel_vault  the only role that will reach identifying data (the vault schema).
--   koppel_auth   NOLOGIN; owns the few sign-in look-up functions, which read users, sessions and tokens
--                 before the organisation is known.
--   koppel_counts NOLOGIN; owns the functions that count places and waiting lists across organisations.
--   koppel_delivery NOLOGIN; owns the functions that hand the outbox's events to webhook deliveries and claim them.
--   koppel_directory NOLOGIN; owns the functions that write HSDS imports into the directory (schema 0017).
\set ON_ERROR_STOP on

SELECT 'CREATE ROLE koppel_owner' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'koppel_owner') \gexec
SELECT 'CREATE ROLE koppel_app' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'koppel_app') \gexec
SELECT 'CREATE ROLE koppel_vault' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'koppel_vault') \gexec
SELECT 'CREATE ROLE koppel_auth' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'koppel_auth') \gexec
SELECT 'CREATE ROLE koppel_counts' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'koppel_counts') \gexec
SELECT 'CREATE ROLE koppel_delivery' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'koppel_delivery') \gexec
SELECT 'CREATE ROLE koppel_directory' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'koppel_directory') \gexec

ALTER ROLE koppel_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD :'owner_password';
ALTER ROLE koppel_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT PASSWORD :'app_password';
ALTER ROLE koppel_vault LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT PASSWORD :'vault_password';
ALTER ROLE koppel_auth NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
ALTER ROLE koppel_counts NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
ALTER ROLE koppel_delivery NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
ALTER ROLE koppel_directory NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
-- The owner hands the sign-in, counting, delivery and directory-import functions to these roles in migrations.
-- Run again, the grant says "already a member" for each role; that is expected, and not worth a line of output.
SET client_min_messages = warning;
GRANT koppel_auth, koppel_counts, koppel_delivery, koppel_directory TO koppel_owner;

-- The administrator may act as the owner (to run migrations with its own login).
SELECT 'GRANT koppel_owner TO ' || quote_ident(current_user)
WHERE NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) \gexec

SELECT format('CREATE DATABASE %I OWNER koppel_owner', :'dbname')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \gexec

SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'dbname') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO koppel_app, koppel_vault', :'dbname') \gexec

\connect :dbname
ALTER SCHEMA public OWNER TO koppel_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO koppel_app, koppel_vault, koppel_auth, koppel_counts, koppel_delivery, koppel_directory;
