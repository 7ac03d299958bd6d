"""/healthz and /readyz: each readiness check failing on its own gives 503 naming it (ops/readiness.py)."""
# ruff: noqa: F811  (the ``authority`` fixture, imported, is each test's argument)

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from partycard.core import clock, signing
from partycard.jobs.sweeper import LeaseSweeper
from partycard.ops import readiness as readiness_module
from partycard.ops.models import WorkerHeartbeat
from partycard.ops.services import heartbeat_beat
from tests.credentials.conftest import authority  # noqa: F401 - a fixture
from tests.logcheck import REPO

ALL = {"database", "worker", "trust_list", "key_store"}


def _beat(at: dt.datetime | None = None) -> None:
    heartbeat_beat(
        worker="host:1:abcd", host="host", pid=1, backend="database", at=at or clock.now(),
        keep=dt.timedelta(days=1),
    )  # fmt: skip


def _ready(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    return response.status_code, json.loads(response.content)


def _failing(body: dict[str, Any]) -> dict[str, str]:
    return {name: c["reason"] for name, c in body["checks"].items() if not c["ok"]}


def test_healthz_answers_without_the_database_or_a_login(client: Client) -> None:
    """No ``db`` fixture: any query would fail the test (pytest-django blocks the database)."""
    response = client.get("/healthz")
    assert response.status_code == 200 and json.loads(response.content) == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_ready_when_every_check_passes(client: Client, authority: Path) -> None:
    _beat()
    status, body = _ready(client)
    assert status == 200, body
    assert body["status"] == "ok" and set(body["checks"]) == ALL
    assert all(c["ok"] for c in body["checks"].values())


@pytest.mark.django_db(transaction=True)
def test_no_live_worker_is_503_naming_the_worker_check(
    client: Client, authority: Path, settings: Any
) -> None:
    status, body = _ready(client)
    assert (status, _failing(body)) == (503, {"worker": "no_heartbeat"})
    period = settings.PARTYCARD["JOB_SWEEP_SECONDS"] * settings.PARTYCARD["HEARTBEAT_STALE_PERIODS"]
    _beat(clock.now() - dt.timedelta(seconds=period + 5))
    status, body = _ready(client)
    assert (status, _failing(body)) == (503, {"worker": "heartbeat_stale"})


@pytest.mark.django_db(transaction=True)
def test_a_sweeper_s_beat_makes_the_worker_ready_and_its_end_removes_it(
    client: Client, authority: Path
) -> None:
    """The sweeper's own beat (what its thread does on start and after each sweep), on SQLite too."""
    sweeper = LeaseSweeper(15)
    sweeper.beat()
    beat = WorkerHeartbeat.objects.get(worker=sweeper.worker)
    assert (beat.pid, beat.backend) == (os.getpid(), "database")
    assert _ready(client)[0] == 200
    sweeper.beat()
    assert WorkerHeartbeat.objects.get(worker=sweeper.worker).beat_at > beat.beat_at


@pytest.mark.postgres  # SQLite's shared in-memory test database locks a table between two threads
@pytest.mark.django_db(transaction=True)
def test_a_worker_s_sweeper_beats_on_start_and_its_stop_makes_readiness_fail(
    client: Client,
    authority: Path,
    settings: Any,
) -> None:
    """The real thread: LeaseSweeper beats at once, then each period; stopping it removes the beat."""
    settings.PARTYCARD = {**settings.PARTYCARD, "JOB_SWEEP_SECONDS": 0.2}
    sweeper = LeaseSweeper(0.2)
    sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while not WorkerHeartbeat.objects.filter(worker=sweeper.worker).exists():
            assert time.monotonic() < deadline, "no heartbeat within 10 s"
            time.sleep(0.05)
        first = WorkerHeartbeat.objects.get(worker=sweeper.worker).beat_at
        while WorkerHeartbeat.objects.get(worker=sweeper.worker).beat_at == first:
            assert time.monotonic() < deadline, "the heartbeat did not move within 10 s"
            time.sleep(0.05)
        beat = WorkerHeartbeat.objects.get(worker=sweeper.worker)
        assert (beat.pid, beat.backend) == (os.getpid(), "database")
        assert _ready(client)[0] == 200
    finally:
        sweeper.stop()
    assert not WorkerHeartbeat.objects.filter(worker=sweeper.worker).exists()
    status, body = _ready(client)
    assert (status, _failing(body)) == (503, {"worker": "no_heartbeat"})


@pytest.mark.django_db(transaction=True)
def test_a_stale_trust_list_is_503_naming_the_trust_list(
    client: Client,
    authority: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    later = signing.trust_material(at=clock.now()).trust.next_update + dt.timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    _beat(later)  # the worker is alive at that time too: only the list is stale
    status, body = _ready(client)
    assert (status, _failing(body)) == (503, {"trust_list": "trust_list_stale"})


@pytest.mark.django_db(transaction=True)
def test_a_trust_list_older_than_the_setting_is_503(client: Client, authority: Path, settings: Any) -> None:
    _beat()
    settings.PARTYCARD = {**settings.PARTYCARD, "TRUST_LIST_MAX_AGE_SECONDS": 0.001}
    time.sleep(0.01)
    status, body = _ready(client)
    assert (status, _failing(body)) == (503, {"trust_list": "trust_list_too_old"})


@pytest.mark.django_db(transaction=True)
def test_a_key_store_that_does_not_open_is_503_naming_the_key_store(
    client: Client,
    authority: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _beat()
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "not the passphrase of this store")
    status, body = _ready(client)
    assert (status, _failing(body)) == (503, {"key_store": "key_store_unavailable"})


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_audit_hsm_is_503_naming_the_key_store(
    client: Client,
    authority: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _beat()
    monkeypatch.setenv("PARTYCARD_AUDIT_PKCS11_MODULE", str(tmp_path / "no-such-pkcs11-module.so"))
    monkeypatch.setenv("PARTYCARD_AUDIT_PKCS11_TOKEN", "audit")
    status, body = _ready(client)
    assert (status, _failing(body)) == (503, {"key_store": "signing_unavailable"})


@pytest.mark.django_db(transaction=True)
def test_a_check_that_hangs_is_cut_off_as_a_timeout(
    client: Client,
    authority: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _beat()
    settings.PARTYCARD = {**settings.PARTYCARD, "READY_TIMEOUT": 0.3}
    monkeypatch.setitem(readiness_module.CHECKS, "key_store", (lambda at: time.sleep(2), False))
    started = time.monotonic()
    status, body = _ready(client)
    assert time.monotonic() - started < 1.5
    assert (status, _failing(body)) == (503, {"key_store": "timeout"})


@pytest.mark.django_db(transaction=True)
def test_a_check_left_out_of_ready_required_is_reported_but_does_not_fail(
    client: Client,
    authority: Path,
    settings: Any,
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "READY_REQUIRED": ["database", "trust_list", "key_store"]}
    status, body = _ready(client)
    assert status == 200
    worker = body["checks"]["worker"]
    assert (worker["ok"], worker["reason"], worker["required"]) == (False, "no_heartbeat", False)


def test_an_unreachable_database_is_503_naming_it_never_a_500(tmp_path: Path) -> None:
    """A process whose DATABASE_URL points at a closed port: /readyz answers 503 within its timeout."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partycard.settings.test",
        "DATABASE_URL": f"postgres://nobody@127.0.0.1:{port}/partycard_none",
        "PARTYCARD_PKI_DIR": str(tmp_path),
    }
    script = (
        "import django, json, time; django.setup()\n"
        "from django.test import Client\n"
        "started = time.monotonic(); r = Client().get('/readyz')\n"
        "print(json.dumps({'status': r.status_code, 'body': json.loads(r.content),"
        " 'seconds': time.monotonic() - started}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503 and answer["seconds"] < 5
    failing = _failing(answer["body"])
    assert failing["database"] == "database_unreachable" and failing["worker"] == "database_unreachable"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_are_neither_redirected_to_https_nor_refused_for_their_host(
    client: Client, settings: Any, path: str
) -> None:
    """Under the production SSL redirect and a public host name, a load balancer's plain-HTTP probe to the
    app server's own address still gets its answer (no 301, no 400 for the Host header)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["partycard.example.vn"]
    response = client.get(path, HTTP_HOST="127.0.0.1:8000")
    assert response.status_code in (200, 503), response.status_code
    assert (
        client.get("/dang-nhap/", HTTP_HOST="partycard.example.vn").status_code == 301
    )  # the rest redirects
