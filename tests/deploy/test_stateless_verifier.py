"""The stateless verifier (docs/ecard.md, "The stateless verifier"): two granian processes behind nginx
(TLS, keep-alive upstream) verify e-cards from files alone — the root, the signed trust list and the signed
status lists the primary published — and go on giving the right verdicts, a revocation published since
included, once their database is gone.

The primary (the system of record: a scratch SQLite database, the signing authority) issues three phones'
e-cards and revokes one, then publishes the status lists. The verifiers get a PKI directory holding copies
of ``root.pem``, ``trustlist.json`` and ``status/`` only (no key store, no authority state) and a PostgreSQL
database of their own, with ``PARTYCARD_VERIFY_STATUS_SOURCE=files``. After both processes have answered,
that database has no connection from them (with ``CONN_MAX_AGE`` 60 a process that had queried would still
hold one) and is dropped; the verdicts stay right, and a route that does need the database now fails — the
control that the database really is gone for these processes.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from psycopg import sql

from partycard.ecard.device import device_qr
from tests.deploy.servers import (
    REPO,
    Client,
    app_server,
    nginx_binary,
    nginx_in_front_of_pool,
    partycard,
    production_env,
)

pytestmark = pytest.mark.postgres

PASSPHRASE = "a long test passphrase for the primary"


def _admin_url(dbname: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


def _rotating_qr(phone: dict[str, Any]) -> str:
    """What the member's phone shows now: the credential with a fresh device proof."""
    key = serialization.load_pem_private_key(phone["device_key_pem"].encode(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return device_qr(
        bytes.fromhex(phone["credential_hex"]),
        sign=lambda data: key.sign(data, ec.ECDSA(hashes.SHA256())),
        at=datetime.now(UTC),
    )


def _copy_published(primary_pki: Path, verifier_pki: Path) -> None:
    """What a deployment's sync does (rsync, a shared volume): each file replaced whole, never half-read."""
    (verifier_pki / "status").mkdir(parents=True, exist_ok=True)
    for name in (
        "root.pem",
        "trustlist.json",
        *(f"status/{p.name}" for p in (primary_pki / "status").iterdir()),
    ):
        partial = verifier_pki / (name + ".partial")
        shutil.copyfile(primary_pki / name, partial)
        os.replace(partial, verifier_pki / name)


class Verifiers:
    """POST /api/v1/verify through nginx; remembers which server answered what."""

    def __init__(self, port: int, certificate: Path) -> None:
        self.client = Client(port, certificate=certificate)

    def verdict(self, phone: dict[str, Any]) -> tuple[str, list[str], str]:
        reply = self.client.request(
            "POST",
            "/api/v1/verify",
            body=json.dumps({"qr": _rotating_qr(phone)}),
            headers={"Content-Type": "application/json"},
        )
        assert reply.status == 200, (reply.status, reply.body[:2000])
        body = json.loads(reply.body)
        return body["outcome"], [r["code"] for r in body["reasons"]], reply.headers["X-Served-By"]

    def every_server_says(self, phone: dict[str, Any], expected: tuple[str, list[str]], servers: int) -> None:
        """Ask until each of the ``servers`` has answered ``expected``, twice in a row (round robin)."""
        seen: set[str] = set()
        for _ in range(8 * servers):
            outcome, codes, served_by = self.verdict(phone)
            assert (outcome, codes) == expected, (served_by, outcome, codes)
            seen.add(served_by)
            if len(seen) == servers:
                return
        raise AssertionError(f"only {sorted(seen)} answered")


def test_verifiers_behind_nginx_need_only_the_published_files(tmp_path: Path) -> None:
    nginx_binary()  # skip (or fail in CI) before any work without nginx
    (tmp_path / "primary").mkdir()
    (tmp_path / "verifier").mkdir()
    primary_env = production_env(tmp_path / "primary", PARTYCARD_PKI_PASSPHRASE=PASSPHRASE)
    primary_env["PYTHONPATH"] = os.pathsep.join([str(REPO), primary_env.get("PYTHONPATH", "")])
    primary_pki = tmp_path / "primary" / "pki"
    partycard(primary_env, "migrate", "--noinput", "-v0")
    partycard(primary_env, "pki", "init")
    phones_file = tmp_path / "phones.json"

    def seed(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "tests.deploy.verifier_seed", *args],
            env=primary_env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr

    seed("seed", str(phones_file))
    valid, revoked, later = json.loads(phones_file.read_text())
    seed("revoke", str(revoked["credential_id"]))
    partycard(primary_env, "status-lists", "publish")

    # The verifiers' files: no key store, no authority state, no passphrase.
    verifier_pki = tmp_path / "verifier" / "pki"
    _copy_published(primary_pki, verifier_pki)
    assert sorted(str(p.relative_to(verifier_pki)) for p in verifier_pki.rglob("*") if p.is_file()) == [
        "root.pem",
        "status/1.jwt",
        "trustlist.json",
    ]
    database = f"partycard_verifier_{secrets.token_hex(4)}"
    with psycopg.connect(_admin_url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        verifier_env = production_env(
            tmp_path / "verifier",
            PARTYCARD_PKI_DIR=str(verifier_pki),
            PARTYCARD_VERIFY_STATUS_SOURCE="files",
            PARTYCARD_VERIFY_STATUS_FILES_CHECK="0.5",
            PARTYCARD_TRUSTED_PROXIES="1",
        )
        verifier_env["DATABASE_URL"] = _admin_url(database)
        verifier_env.pop("PARTYCARD_PKI_PASSPHRASE", None)
        with ExitStack() as stack:
            ports = [
                stack.enter_context(app_server(env=verifier_env, log=tmp_path / f"granian-{i}.log"))
                for i in range(2)
            ]
            port, certificate = stack.enter_context(
                nginx_in_front_of_pool(app_ports=ports, directory=tmp_path / "nginx", served_by=True)
            )
            verifiers = Verifiers(port, certificate)
            verifiers.every_server_says(valid, ("valid", []), servers=2)
            verifiers.every_server_says(revoked, ("invalid", ["revoked"]), servers=2)
            verifiers.every_server_says(later, ("valid", []), servers=2)

            # No verifier process holds (or ever held: CONN_MAX_AGE is 60 s) a connection to its database;
            # a plain DROP DATABASE would refuse while one did.
            with psycopg.connect(_admin_url("postgres"), autocommit=True) as admin:
                backends = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
                ).fetchone()
                assert backends == (0,)
                admin.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(database)))

            # Without a database: the same verdicts, and a revocation the primary publishes now arrives.
            seed("revoke", str(later["credential_id"]))
            partycard(primary_env, "status-lists", "publish")
            _copy_published(primary_pki, verifier_pki)
            deadline = time.monotonic() + 15
            while verifiers.verdict(later)[0] == "valid" and time.monotonic() < deadline:
                time.sleep(0.2)
            verifiers.every_server_says(later, ("invalid", ["revoked"]), servers=2)
            verifiers.every_server_says(valid, ("valid", []), servers=2)
            verifiers.every_server_says(revoked, ("invalid", ["revoked"]), servers=2)
            trust = verifiers.client.request("GET", "/api/v1/trust-list")
            assert (
                trust.status == 200 and trust.body.encode() == (verifier_pki / "trustlist.json").read_bytes()
            )

            # The control: these processes really have no database now (the status list route reads it).
            assert verifiers.client.request("GET", "/api/v1/status-lists/1").status >= 500
    finally:
        with psycopg.connect(_admin_url("postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
