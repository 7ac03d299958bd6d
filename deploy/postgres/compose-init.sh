#!/bin/sh
# The postgres image's first start (deploy/compose.yaml mounts this in /docker-entrypoint-initdb.d): the
# owner and app roles and the empty database (roles.sql), with the passwords Compose passes in.
set -eu
psql -X -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner=partycard_owner -v app=partycard_app -v db=partycard -f /partycard/postgres/roles.sql
# psql variables are interpolated in a script, not in -c: read the statements from standard input.
psql -X -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$PARTYCARD_DB_OWNER_PASSWORD" -v app_password="$PARTYCARD_DB_APP_PASSWORD" <<'SQL'
ALTER ROLE partycard_owner PASSWORD :'owner_password';
ALTER ROLE partycard_app PASSWORD :'app_password';
SQL
