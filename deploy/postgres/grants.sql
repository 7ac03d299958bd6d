-- What the application role may do (docs/operations.md). Run as the owner role after every
-- `partycard migrate` (a new table has no grant until then):
--   psql "$OWNER_DATABASE_URL" -v app=partycard_app -f deploy/postgres/grants.sql
\set ON_ERROR_STOP on
BEGIN;
-- Rows, not the schema: no TRUNCATE, no REFERENCES, no TRIGGER; DDL needs ownership, which :app lacks.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
-- The audit log only grows: a row is inserted and read, never changed or removed (the trigger of
-- audit/migrations/0002 refuses it too, and TRUNCATE fires no row trigger: hence no TRUNCATE at all).
REVOKE UPDATE, DELETE ON audit_auditevent FROM :"app";
-- The chain head is created once and moved forward (SELECT … FOR UPDATE needs UPDATE), never removed.
REVOKE DELETE ON audit_chainhead FROM :"app";
-- The migration history is the owner's.
REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM :"app";
COMMIT;
