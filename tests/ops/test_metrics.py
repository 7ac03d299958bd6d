"""/metrics: who may read it, and what it holds (ops/metrics.py, jobs/metrics.py)."""
# ruff: noqa: F811  (the ``authority`` fixture, imported, is a test's argument)

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from partycard.audit.checkpoint import Checkpoint
from partycard.core import clock
from partycard.jobs.models import Job
from partycard.ops.metrics import metrics_text
from tests.credentials.conftest import authority  # noqa: F401 - a fixture
from tests.logcheck import REPO


def _scrape(client: Client, **extra: Any) -> str:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def _value(text: str, name: str, **labels: str) -> float | None:
    """The sample ``name{labels}`` in an exposition (labels in any order), or None."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', metric))
        if metric.split("{")[0] == name and found == labels:
            return float(value)
    return None


@pytest.mark.django_db
def test_metrics_are_served_to_the_loopback_and_refused_elsewhere(client: Client, settings: Any) -> None:
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.PARTYCARD = {**settings.PARTYCARD, "METRICS_ALLOW": ["10.20.0.0/16"]}
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


@pytest.mark.django_db
def test_a_bearer_token_opens_the_metrics_from_anywhere_a_wrong_one_does_not(
    client: Client, settings: Any
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "METRICS_TOKEN": "s3cret-scrape-token"}
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token", **outside).status_code == 200
    )
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **outside).status_code == 403
    assert client.get("/metrics", **outside).status_code == 403


@pytest.mark.django_db
def test_through_a_trusted_proxy_the_client_s_address_counts_not_the_proxy_s(
    client: Client, settings: Any
) -> None:
    """nginx on the loopback relays an outside client: refused, though REMOTE_ADDR is 127.0.0.1."""
    settings.PARTYCARD = {**settings.PARTYCARD, "TRUSTED_PROXIES": 1}
    relayed = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.get("/metrics", **relayed).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200  # a scraper on the host


@pytest.mark.django_db
def test_a_request_is_observed_under_its_url_pattern_never_its_path(client: Client) -> None:
    client.get("/dang-vien/987654/")  # signed out: a redirect to the login page, after resolving
    client.get("/no-such-page-4711/")
    text = _scrape(client)
    assert _value(text, "partycard_http_request_duration_seconds_count",
                  route="dang-vien/<int:pk>/", method="GET", status="3xx") == 1  # fmt: skip
    assert (_value(text, "partycard_http_request_duration_seconds_count",
                   route="<unmatched>", method="GET", status="4xx") or 0) >= 1  # fmt: skip
    # The ids must not be in any series' name or labels (the values are numbers, timestamps included).
    series = "\n".join(line.rsplit(" ", 1)[0] for line in text.splitlines() if not line.startswith("#"))
    assert "987654" not in series and "4711" not in series


@pytest.mark.django_db
def test_a_verify_request_counts_its_verdict_by_outcome(client: Client, authority: Path) -> None:
    def count() -> float:
        return (
            REGISTRY.get_sample_value(
                "partycard_verifications_total", {"outcome": "invalid", "channel": "qr"}
            )
            or 0
        )

    before = count()
    response = client.post("/api/v1/verify", {"qr": "HC1:NOT-A-CARD"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["outcome"] == "invalid"
    assert count() == before + 1
    text = _scrape(client)
    assert _value(text, "partycard_verifications_total", outcome="invalid", channel="qr") == before + 1
    assert (_value(text, "partycard_http_request_duration_seconds_count",
                   route="api/v1/verify", method="POST", status="2xx") or 0) >= 1  # fmt: skip


@pytest.mark.django_db
def test_jobs_by_kind_and_status_and_the_running_jobs_progress(client: Client) -> None:
    Job.objects.create(kind="case_transition", status=Job.Status.RUNNING, total=100, succeeded=40, failed=2)
    Job.objects.create(kind="case_transition", status=Job.Status.RUNNING, total=50, succeeded=10, failed=0)
    Job.objects.create(kind="case_transition", status=Job.Status.DONE, total=10, succeeded=7, failed=3)
    Job.objects.create(kind="roster_export", status=Job.Status.FAILED, total=0)
    text = _scrape(client)
    assert _value(text, "partycard_jobs", kind="case_transition", status="running") == 2
    assert _value(text, "partycard_jobs", kind="case_transition", status="done") == 1
    assert _value(text, "partycard_jobs", kind="roster_export", status="failed") == 1
    assert _value(text, "partycard_jobs_running_items", kind="case_transition", state="total") == 150
    assert _value(text, "partycard_jobs_running_items", kind="case_transition", state="succeeded") == 50
    assert _value(text, "partycard_job_item_failures", kind="case_transition") == 5
    assert _value(text, "partycard_scrape_ok", collector="jobs") == 1


@pytest.mark.django_db
def test_the_audit_checkpoint_age_and_the_heartbeat_age(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "checkpoints.jsonl"
    monkeypatch.setenv("PARTYCARD_AUDIT_CHECKPOINTS", str(path))
    assert _value(_scrape(client), "partycard_audit_checkpoint_age_seconds") == float("inf")
    old = Checkpoint(1, "a" * 64, clock.now() - dt.timedelta(hours=2), "audit-1", b"sig")
    recent = Checkpoint(2, "b" * 64, clock.now() - dt.timedelta(seconds=100), "audit-1", b"sig")
    path.write_text(old.to_line() + "\n" + recent.to_line() + "\n")
    age = _value(_scrape(client), "partycard_audit_checkpoint_age_seconds")
    assert age is not None and 100 <= age < 160
    assert _value(_scrape(client), "partycard_worker_heartbeat_age_seconds") == float("inf")


@pytest.mark.django_db
def test_the_trust_list_s_time_to_its_next_update(client: Client, authority: Path) -> None:
    left = _value(_scrape(client), "partycard_trust_list_next_update_seconds")
    assert left is not None and 6 * 86400 < left <= 7 * 86400  # pki init publishes for 7 days


def test_multiprocess_mode_adds_up_what_two_processes_counted(tmp_path: Path) -> None:
    """Two processes (as two granian workers) count into PROMETHEUS_MULTIPROC_DIR; one scrape sums them."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    script = (
        "import django, sys; django.setup()\n"
        "from partycard.ops.metrics import REQUEST_LATENCY, verdict_count\n"
        "from partycard.verify.verdict import verdict_of\n"
        "for _ in range(int(sys.argv[1])):\n"
        "    verdict_count(verdict_of([]), channel='qr')\n"
        "    REQUEST_LATENCY.labels('api/v1/verify', 'POST', '2xx').observe(0.004)\n"
    )
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "DJANGO_SETTINGS_MODULE": "partycard.settings.test",
    }
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(n)], env=env, cwd=REPO, stderr=subprocess.PIPE)
        for n in (3, 4)
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    assert len(list(directory.glob("counter_*.db"))) == 2  # one file per process
    text = metrics_text(multiproc_dir=str(directory)).decode()
    assert _value(text, "partycard_verifications_total", outcome="valid", channel="qr") == 7
    assert _value(text, "partycard_http_request_duration_seconds_count",
                  route="api/v1/verify", method="POST", status="2xx") == 7  # fmt: skip
    assert _value(text, "partycard_http_request_duration_seconds_bucket",
                  route="api/v1/verify", method="POST", status="2xx", le="0.005") == 7  # fmt: skip
