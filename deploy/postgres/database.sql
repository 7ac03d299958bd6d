-- partycard's database, empty, owned by the owner role, which the app role may connect to. Run as a
-- superuser, by roles.sql, or alone before a restore into a cluster where the roles exist already:
--   psql -v owner=partycard_owner -v app=partycard_app -v db=partycard -f deploy/postgres/database.sql
\set ON_ERROR_STOP on
CREATE DATABASE :"db" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;
\connect :"db"
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO :"owner";
GRANT USAGE ON SCHEMA public TO :"app";
-- pg_trgm (the search indexes) is a trusted extension: the owner's migration creates it, and owns it, so
-- that a restore run as the owner can recreate it too.
