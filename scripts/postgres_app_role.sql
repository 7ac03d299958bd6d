-- The application's PostgreSQL role: only what partycard needs (docs/audit.md).
--
-- Run as the tables' owner after every `partycard migrate` (migrations run as the owner, the web server and
-- the worker as the application role), e.g.
--   psql "$OWNER_DATABASE_URL" -v app=partycard_app -f scripts/postgres_app_role.sql
-- The application role must be neither a superuser nor the owner of the tables: an owner can drop the audit
-- triggers. It reads and writes every table's rows, and only appends to the audit log: no UPDATE, DELETE or
-- TRUNCATE of audit rows, no DELETE or TRUNCATE of the chain head (whose UPDATE the triggers of audit
-- migration 0003 hold to moving forward onto the last row).
GRANT USAGE ON SCHEMA public TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM :"app";
REVOKE DELETE, TRUNCATE ON audit_chainhead FROM :"app";
