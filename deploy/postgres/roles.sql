-- partycard's two database roles and its database (docs/operations.md, "The database and its roles").
-- Run once, as a superuser:
--   psql -v owner=partycard_owner -v app=partycard_app -v db=partycard -f deploy/postgres/roles.sql
-- then give each role a password (\password partycard_app) or a certificate, as pg_hba.conf requires.
--
-- :owner owns the schema: `partycard migrate`, `seed`, `demo` and the restore run as it.
-- :app is what the web server and the worker connect as: it reads and writes rows, never changes the
-- schema, never truncates, and may only add to the audit log (deploy/postgres/grants.sql, after each
-- migrate).
\set ON_ERROR_STOP on
CREATE ROLE :"owner" LOGIN;
CREATE ROLE :"app" LOGIN;
\ir database.sql
