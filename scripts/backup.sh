#!/usr/bin/env bash
# Back up partycard: the PostgreSQL database and the state kept beside it in files, taken together in the
# order that keeps them consistent (docs/operations.md, "Backup and restore").
#
#   DATABASE_URL=postgres://… PARTYCARD_VAR=/srv/partycard/var scripts/backup.sh /backups/partycard-2026-12-06
#
# Writes into OUT_DIR (new, or empty), readable by its owner only:
#   1-var.tar.gz      PARTYCARD_VAR's files but the PKI, the photos, the collected static files, the uploads
#                     waiting for confirmation and any SQLite file: above all the append-only audit
#                     checkpoint file. Taken BEFORE the dump: a checkpoint names a row of the audit chain,
#                     and one written after the dump would name a row the restored database lacks.
#   2-database.dump   pg_dump's custom format: one consistent snapshot of the whole database.
#   3-media.tar.gz    the member photos (PARTYCARD_VAR/media). AFTER the dump: every photo a row names is in it.
#   4-pki.tar.gz      the signing authority's directory (PARTYCARD_PKI_DIR, default PARTYCARD_VAR/pki): keys
#                     (encrypted under PARTYCARD_PKI_PASSPHRASE), certificates, revocations, CRL number.
#                     AFTER the dump: a revocation made while the backup runs is in the archive even if its
#                     audit row is not in the dump, so a restore never brings a revoked signer back.
#   MANIFEST, SHA256SUMS
# Not in the backup, by design: the secrets in the environment (DJANGO_SECRET_KEY, PARTYCARD_PKI_PASSPHRASE,
# the key of the TOTP secrets): keep them in the secret store. Run no `partycard pki` command meanwhile.
set -euo pipefail
umask 077

die() { echo "backup: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: scripts/backup.sh OUT_DIR"
out="$1"
url="${DATABASE_URL:-}"
case "$url" in
  postgres://* | postgresql://*) ;;
  *) die "DATABASE_URL must be the PostgreSQL database (postgres://…); SQLite is for development only" ;;
esac
var="$(realpath -m "${PARTYCARD_VAR:-var}")"
pki="$(realpath -m "${PARTYCARD_PKI_DIR:-$var/pki}")"
[ -f "$pki/state.json" ] || die "no signing authority in $pki (state.json missing): check PARTYCARD_PKI_DIR"
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then die "$out is not empty"; fi
mkdir -p "$out"
out="$(realpath "$out")"

archive() {  # archive NAME DIRECTORY [tar options…]: DIRECTORY's content (an empty archive if it is absent)
  local name="$1" directory="$2"
  shift 2
  if [ -d "$directory" ]; then
    tar -C "$directory" "$@" -czf "$out/$name" .
  else
    tar -czf "$out/$name" --files-from /dev/null
  fi
}

# 1. The files under var/ that name database rows, before the dump.
excludes=(--exclude=./media --exclude=./static --exclude=./uploads --exclude='./*.sqlite3*')
case "$pki/" in "$var"/*) excludes+=(--exclude="./${pki#"$var"/}") ;; esac
archive 1-var.tar.gz "$var" "${excludes[@]}"

# 2. The database: one snapshot (pg_dump runs in one repeatable-read transaction).
pg_dump --format=custom --no-password --dbname="$url" --file="$out/2-database.dump"

# 3. and 4. The files that database rows name, and the signing authority: after the dump.
archive 3-media.tar.gz "$var/media"
archive 4-pki.tar.gz "$pki"

{
  echo "partycard backup"
  echo "taken_at: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "database: $(psql --no-password -d "$url" -Atc 'select current_database()')"
  echo "pg_dump: $(pg_dump --version)"
  echo "audit_rows: $(psql --no-password -d "$url" -Atc 'select count(*) from audit_auditevent' 2>/dev/null || echo '?')"
  echo "order: 1-var.tar.gz, 2-database.dump, 3-media.tar.gz, 4-pki.tar.gz"
} >"$out/MANIFEST"
(cd "$out" && sha256sum 1-var.tar.gz 2-database.dump 3-media.tar.gz 4-pki.tar.gz MANIFEST >SHA256SUMS)
echo "backup: written to $out"
