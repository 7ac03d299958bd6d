#!/usr/bin/env bash
# The restore drill (issue 19, docs/operations.md "Backup and restore"): on a PostgreSQL database and a var
# directory of its own, build a working installation with revocations in force, take a backup, lose
# everything, restore it, and check that the audit chain is intact, the revoked document signer is still
# revoked (CRL, trust list), the revoked e-card still verifies REVOKED (server verdict and the published,
# signed status list), and that the restored system takes a fresh write. Exits non-zero on any failure;
# drops its database and removes its directory whatever happens; starts no background process.
#
#   .ci/restore-drill.sh                      (PYTHON=.venv/bin/python, PGURL_BASE=postgres://postgres@127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
PGURL_BASE="${PGURL_BASE:-postgres://postgres@127.0.0.1:5432}"
DB="partycard_drill_$$"
work="$(mktemp -d "${TMPDIR:-/tmp}/partycard-drill.XXXXXX")"
started=$SECONDS

finish() {
  local rc=$?
  psql "$PGURL_BASE/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
  if [ "$rc" -eq 0 ]; then echo "== restore drill: passed in $((SECONDS - started)) s"
  else echo "== restore drill: FAILED (exit $rc)" >&2; fi
  exit "$rc"
}
trap finish EXIT

# The drill's own installation: nothing of the caller's environment decides where it writes.
unset PARTYCARD_PKI_DIR PARTYCARD_AUDIT_CHECKPOINTS PARTYCARD_AUDIT_PKCS11_MODULE PARTYCARD_PKI_PKCS11_MODULE
export DJANGO_SETTINGS_MODULE=partycard.settings.dev
export DATABASE_URL="$PGURL_BASE/$DB" PARTYCARD_VAR="$work/var"
export PARTYCARD_PKI_PASSPHRASE="restore drill passphrase (kept in the secret store, not the backup)"
pc() { "$PY" -m partycard.cli "$@"; }
step() { echo "== restore drill: $*"; }
rows() { pc audit verify | sed -n 's/.*intact: \([0-9]*\) rows.*/\1/p'; }

psql "$PGURL_BASE/postgres" -qc "CREATE DATABASE $DB"
mkdir -p "$PARTYCARD_VAR"

step "install: migrate, the authority (ds-1, then ds-2 signing), demo data"
pc migrate --no-input -v 0
pc pki init >/dev/null
pc pki rollover >/dev/null
pc demo --members 60 >/dev/null

step "revoke document signer ds-1 and the demo member's e-card; publish; audit checkpoint"
ds1="$("$PY" -c 'import sys; from cryptography import x509
print(format(x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read()).serial_number, "x"))' \
  "$PARTYCARD_VAR/pki/ds-1.pem")"
pc pki revoke "$ds1" >/dev/null
"$PY" .ci/restore_drill.py revoke "$work/qr.kept"  # outside var/: the drill's own memory
pc status-lists publish >/dev/null
pc audit checkpoint
shown_before="$(pc pki show)"
rows_before="$(rows)"
[ -n "$rows_before" ] && [ "$rows_before" -gt 10 ] || { echo "audit verify before the backup: '$rows_before' rows" >&2; exit 1; }

step "backup (partycard backup)"
pc backup "$work/backup"

step "disaster: the database and the whole var directory are gone"
psql "$PGURL_BASE/postgres" -qc "DROP DATABASE $DB WITH (FORCE)" -qc "CREATE DATABASE $DB"
rm -rf "$PARTYCARD_VAR"

step "restore (partycard restore)"
pc restore "$work/backup"

step "check: migrations, audit chain, authority, revocations"
pc migrate --check
rows_after="$(rows)"
[ "$rows_after" = "$rows_before" ] || { echo "audit rows: $rows_before before, $rows_after after" >&2; exit 1; }
echo "audit verify: intact, $rows_after rows, as before the backup"
shown_after="$(pc pki show)"
[ "$shown_after" = "$shown_before" ] || { echo "pki show differs after the restore" >&2; diff <(echo "$shown_before") <(echo "$shown_after") >&2; exit 1; }
echo "$shown_after" | grep -Eq "ds-1 +$ds1 .*REVOKED" || { echo "ds-1 is not REVOKED in pki show" >&2; exit 1; }
"$PY" .ci/restore_drill.py check "$work/qr.kept"

step "a fresh write on the restored system"
"$PY" .ci/restore_drill.py write "$work/qr.kept"
pc pki publish >/dev/null
pc status-lists publish >/dev/null
pc audit checkpoint
"$PY" .ci/restore_drill.py check "$work/qr.kept"  # still revoked in the list signed after the restore
rows_final="$(rows)"
[ "$rows_final" -gt "$rows_after" ] || { echo "no audit row for the fresh writes" >&2; exit 1; }
echo "audit verify: intact, $rows_final rows after the fresh writes"
