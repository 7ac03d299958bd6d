"""Backup and restore of the database **and** the signing authority's files, together (docs/operations.md).

Real PostgreSQL, real pg_dump/pg_restore, the real ``partycard`` command in subprocesses: build an authority,
write audited rows, revoke a document signer, back up with ``scripts/backup.sh``, destroy the database and
the var directory, restore with ``scripts/restore.sh``; the audit chain still verifies, row for row, and the
revoked signer is still revoked (state, CRL and trust list) and never signs again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from django.conf import settings
from psycopg import sql

from partycard.trust.trustlist import trustlist_verify

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "a long test passphrase for the backup"


def _server_url(dbname: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


def _admin(*statements: sql.Composable) -> None:
    with psycopg.connect(_server_url("postgres"), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


@pytest.fixture
def database() -> Iterator[str]:
    """A scratch database beside the test database (dropped afterwards), as its URL."""
    name = f"{settings.DATABASES['default']['NAME']}_backup"
    _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
           sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))  # fmt: skip
    try:
        yield name
    finally:
        _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _run(env: dict[str, str], *command: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False, cwd=REPO
    )
    if ok:
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done


def _partycard(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return _run(env, sys.executable, "-m", "partycard.cli", *args, ok=ok)


def _audit_rows(env: dict[str, str]) -> int:
    out = _partycard(env, "audit", "verify").stdout
    match = re.search(r"intact: (\d+) rows", out)
    assert match, out
    return int(match[1])


def test_backup_then_restore_keeps_the_audit_chain_and_the_revocation(database: str, tmp_path: Path) -> None:
    var, backup = tmp_path / "var", tmp_path / "backup"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PARTYCARD_PKI_DIR")}
    env.update(
        DATABASE_URL=_server_url(database), PARTYCARD_VAR=str(var), PARTYCARD_PKI_PASSPHRASE=PASSPHRASE
    )
    var.mkdir()

    # A working installation: an authority, audited writes, a second signer, the first one revoked.
    _partycard(env, "migrate", "--no-input", "-v", "0")
    _partycard(env, "pki", "init")
    _partycard(env, "demo", "--members", "60")
    _partycard(env, "pki", "rollover")
    ds1 = x509.load_pem_x509_certificate((var / "pki" / "ds-1.pem").read_bytes())
    _partycard(env, "pki", "revoke", f"{ds1.serial_number:x}")
    shown_before = _partycard(env, "pki", "show").stdout
    assert re.search(rf"ds-1 +{ds1.serial_number:x} .* REVOKED", shown_before), shown_before
    rows = _audit_rows(env)
    assert rows >= 10
    (var / "media" / "photos").mkdir(parents=True)
    (var / "media" / "photos" / "a.jpg").write_bytes(b"\xff\xd8 a member's photo")

    _run(env, "bash", "scripts/backup.sh", str(backup))
    assert sorted(p.name for p in backup.iterdir()) == [
        "1-var.tar.gz", "2-database.dump", "3-media.tar.gz", "4-pki.tar.gz", "MANIFEST", "SHA256SUMS"
    ]  # fmt: skip
    assert f"audit_rows: {rows}" in (backup / "MANIFEST").read_text()

    # Restore refuses to write over a live database or a live authority.
    refused = _run(env, "bash", "scripts/restore.sh", str(backup), ok=False)
    assert refused.returncode != 0 and "not empty" in refused.stderr, refused.stderr

    # Disaster: the database and the whole var directory are gone.
    _admin(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database)),
           sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))  # fmt: skip
    shutil.rmtree(var)

    # A damaged backup is refused before anything is written.
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    (damaged / "4-pki.tar.gz").write_bytes((damaged / "4-pki.tar.gz").read_bytes()[:-10] + b"0123456789")
    refused = _run(env, "bash", "scripts/restore.sh", str(damaged), ok=False)
    assert refused.returncode != 0 and "SHA256SUMS" in refused.stderr, refused.stderr
    assert not var.exists()
    # A file in the way is found before the database is touched.
    (var / "media" / "photos").mkdir(parents=True)
    (var / "media" / "photos" / "a.jpg").write_bytes(b"another photo")
    refused = _run(env, "bash", "scripts/restore.sh", str(backup), ok=False)
    assert refused.returncode != 0 and "a.jpg exists" in refused.stderr, refused.stderr
    with psycopg.connect(_server_url(database)) as connection:
        assert connection.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone() == (0,)
    shutil.rmtree(var)

    _run(env, "bash", "scripts/restore.sh", str(backup))

    # The audit chain verifies, with every row; the migrations are all there.
    assert _audit_rows(env) == rows
    _partycard(env, "migrate", "--check")
    # The revoked signer is still revoked: in the state, the CRL and the signed trust list; ds-2 signs.
    shown_after = _partycard(env, "pki", "show").stdout
    assert shown_after == shown_before
    assert "signing now: ds-2" in shown_after
    root = x509.load_pem_x509_certificate((var / "pki" / "root.pem").read_bytes())
    crl = x509.load_der_x509_crl((var / "pki" / "root.crl").read_bytes())
    assert crl.is_signature_valid(root.public_key())
    assert crl.get_revoked_certificate_by_serial_number(ds1.serial_number) is not None
    listed = trustlist_verify((var / "pki" / "trustlist.json").read_bytes(), root, ds1.not_valid_before_utc)
    assert listed.is_revoked(ds1)
    # The keys open with the passphrase from the secret store (not in the backup), and the photo is back.
    _partycard(env, "pki", "publish")
    assert (var / "media" / "photos" / "a.jpg").read_bytes() == b"\xff\xd8 a member's photo"
    assert _audit_rows(env) == rows + 1  # publish is audited on the restored chain
