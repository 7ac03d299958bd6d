#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh: the database and the files beside it, together
# (docs/operations.md, "Backup and restore"). Refuses to overwrite anything: the database must exist and be
# empty (deploy/postgres/database.sql), the PKI directory must be absent or empty, and no file of the var
# and media archives may already exist. All of it is checked before anything is written.
#
#   DATABASE_URL=postgres://… PARTYCARD_VAR=/srv/partycard/var scripts/restore.sh /backups/partycard-2026-12-06
#
# Then check it (the script prints the commands): partycard migrate --check; partycard audit verify;
# partycard pki show.
set -euo pipefail
umask 077

die() { echo "restore: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: scripts/restore.sh BACKUP_DIR"
backup="$(realpath "$1")"
url="${DATABASE_URL:-}"
case "$url" in
  postgres://* | postgresql://*) ;;
  *) die "DATABASE_URL must be the PostgreSQL database (postgres://…)" ;;
esac
var="$(realpath -m "${PARTYCARD_VAR:-var}")"
pki="$(realpath -m "${PARTYCARD_PKI_DIR:-$var/pki}")"

# The backup is whole and unaltered.
[ -f "$backup/SHA256SUMS" ] || die "$backup has no SHA256SUMS: not a partycard backup"
(cd "$backup" && sha256sum --quiet --check SHA256SUMS) || die "$backup does not match its SHA256SUMS"

# Nothing is overwritten.
tables="$(psql --no-password -d "$url" -Atc \
  "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'S')")" \
  || die "cannot connect to the database (create it first, empty, owned by the app's owner role)"
[ "$tables" = "0" ] || die "the database is not empty ($tables relations): restore only into a new database"
if [ -e "$pki" ] && [ -n "$(ls -A "$pki")" ]; then die "$pki is not empty: move the old authority away first"; fi
for part in 1-var.tar.gz:"$var" 3-media.tar.gz:"$var/media"; do
  while IFS= read -r member; do
    case "$member" in */ | .) continue ;; esac
    [ ! -e "${part#*:}/$member" ] || die "${part#*:}/$member exists: restore into an empty var directory"
  done < <(tar -tzf "$backup/${part%%:*}")
done

# The database, in one transaction: all of it or nothing.
pg_restore --no-password --exit-on-error --single-transaction --dbname="$url" "$backup/2-database.dump"
# The files: --keep-old-files refuses to replace a file that is there.
mkdir -p "$var" "$var/media" "$pki"
tar -C "$var" --keep-old-files -xzf "$backup/1-var.tar.gz"
tar -C "$var/media" --keep-old-files -xzf "$backup/3-media.tar.gz"
tar -C "$pki" --keep-old-files -xzf "$backup/4-pki.tar.gz"
chmod 700 "$pki"

echo "restore: database and files restored from $backup"
echo "restore: now check:  partycard migrate --check && partycard audit verify && partycard pki show"
