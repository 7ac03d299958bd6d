"""PostgreSQL restarted mid-write (issue 19, "Faults"), on a private primary (``pgcluster.py``) the test
restarts at will: a job's runner loses the database between and inside chunks and finishes every chunk
exactly once by itself; a page's write cut by the restart answers 503 (not a 500 with a traceback), keeps
nothing half-done, and the next request reconnects without anyone's help.

"The replica stopped" is in test_read_replica.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.exchange.jobs import start_transition
from partycard.exchange.models import Campaign, Case, CaseEvent
from partycard.exchange.services import cases_propose
from partycard.exchange.workflow import State, Transition
from partycard.jobs.models import Job, JobChunk
from partycard.registry import services as registry_services
from partycard.registry.models import Member
from tests.conftest import member_data
from tests.exchange.conftest import campaign, card_holder, officers

from .cluster_db import clone_test_database, pointed_at
from .pgcluster import PgCluster, pgcluster

__all__ = ["campaign", "officers"]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CASES = 48


@pytest.fixture(scope="module")
def cluster(django_db_setup: Any, django_db_blocker: Any) -> Iterator[PgCluster]:
    with pgcluster(replica=False) as c:
        clone_test_database(c)
        with pointed_at(c, replica=False):
            yield c


def _runner(cluster: PgCluster, job: Job) -> subprocess.Popen[str]:
    """``partycard job run`` on the private primary, a pause between chunks so that restarts land both
    between and inside them."""
    env = {
        **os.environ,
        "DATABASE_URL": cluster.primary.url(),
        "DJANGO_SETTINGS_MODULE": "partycard.settings.test",
        "PARTYCARD_JOB_CHUNK_PAUSE": "0.3",
        "PARTYCARD_JOB_RECONNECT_SECONDS": "60",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "partycard.cli", "job", "run", str(job.pk), "--no-progress"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _chunks_done(cluster: PgCluster, job: Job) -> int:
    try:
        done = cluster.primary.query(f"SELECT count(*) FROM jobs_jobchunk WHERE job_id = {int(job.pk)}")  # noqa: S608
        return int(str(done))
    except Exception:
        return -1


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_job_survives_postgresql_restarts_and_does_each_chunk_once(
    cluster: PgCluster, officers: Any, campaign: Campaign, make_member: Any, mode: str
) -> None:
    members = [
        card_holder(make_member, citizen_id=f"0010801{i:05d}", old_card_number=f"5{i:07d}")
        for i in range(CASES)
    ]
    outcome = cases_propose(actor=officers.cell, campaign=campaign, member_ids=[m.pk for m in members])
    assert len(outcome.succeeded) == CASES
    case_ids = list(Case.objects.filter(campaign=campaign).values_list("pk", flat=True))
    job = start_transition(
        actor=officers.grassroots, transition=Transition.CONFIRM, targets=case_ids, chunk=4, enqueue=False
    )
    assert job.chunk_count == 12
    runner = _runner(cluster, job)
    try:
        for after in (2, 6):  # two restarts while the runner writes
            deadline = time.monotonic() + 120
            while _chunks_done(cluster, job) < after:
                assert runner.poll() is None, runner.communicate()
                assert time.monotonic() < deadline, "the runner made no progress"
                time.sleep(0.02)
            cluster.restart(cluster.primary, mode)
        out, err = runner.communicate(timeout=180)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.communicate()
    assert runner.returncode == 0, out + err
    assert "connection lost" in err  # it did lose the database, and retried
    connections.close_all()  # this test's own connection died with the restarts (a request would reconnect)

    job.refresh_from_db()
    assert (job.status, job.chunks_done, job.succeeded, job.failed) == (Job.Status.DONE, 12, CASES, 0)
    assert sorted(JobChunk.objects.filter(job=job).values_list("index", flat=True)) == list(range(12))
    assert Case.objects.filter(pk__in=case_ids, state=State.CONFIRMED).count() == CASES
    events = sorted(CaseEvent.objects.filter(transition=Transition.CONFIRM).values_list("case_id", flat=True))
    assert events == sorted(case_ids)  # one event per case: nothing lost, nothing twice
    audited = AuditEvent.objects.filter(action="exchange.confirm", object_type="exchange.case")
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(str(pk) for pk in case_ids)
    assert audit_verify().ok


def test_a_page_s_write_cut_by_a_restart_answers_503_and_the_next_request_reconnects(
    cluster: PgCluster,
    tree: Any,
    login: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    officer = User.objects.create_user(
        "bd", password="x", role=Role.COMMITTEE_OFFICER, organisation=tree.ba_dinh
    )
    client = Client()
    login(client, officer)
    data = member_data(tree.cell_a, citizen_id="001080055555", full_name="Trần Thị Bình")
    form = {
        k: v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v
        for k, v in data.items()
        if k != "organisation"
    }
    form |= {"organisation_code": tree.cell_a.code, "ethnicity": "1", "religion": "none"}

    original = registry_services.audit_record

    def restart_then_audit(**kwargs: Any) -> Any:
        """The member row is written; PostgreSQL restarts before the audit row (same transaction)."""
        cluster.restart(cluster.primary, "immediate")
        return original(**kwargs)

    monkeypatch.setattr(registry_services, "audit_record", restart_then_audit)
    with caplog.at_level(logging.WARNING, logger="partycard.error_views"):
        cut = client.post("/dang-vien/them/", form)
    assert cut.status_code == 503
    assert cut["Retry-After"] == "5"
    assert "chưa được lưu" in cut.text or "Service temporarily unavailable" in cut.text
    assert "Traceback" not in cut.text
    logged = [r.getMessage() for r in caplog.records if r.name == "partycard.error_views"]
    assert logged and not any("Bình" in m or "001080055555" in m for m in logged)  # no personal data
    assert not Member.objects.filter(citizen_id="001080055555").exists()  # nothing half-written

    monkeypatch.setattr(registry_services, "audit_record", original)
    again = client.post("/dang-vien/them/", form)  # the officer tries again; the app reconnected by itself
    assert again.status_code == 302
    assert Member.objects.filter(citizen_id="001080055555").count() == 1
    assert client.get("/dang-vien/").status_code == 200
    assert audit_verify().ok


def test_postgresql_down_before_any_view_answers_503_not_500(
    cluster: PgCluster, tree: Any, login: Any
) -> None:
    """PostgreSQL stopped: a signed-in officer's page fails already in the middleware (the session and the
    user are loaded before any view), where DatabaseUnavailableMiddleware does not see it. The answer is
    still the 503 page with ``Retry-After`` (and problem+json under /api/), never the 500; when PostgreSQL
    is back, the same session works without anyone's help."""
    officer = User.objects.create_user(
        "bd-down", password="x", role=Role.COMMITTEE_OFFICER, organisation=tree.ba_dinh
    )
    client = Client(raise_request_exception=False)  # what a server answers, not the test client's re-raise
    login(client, officer)
    assert client.get("/dang-vien/").status_code == 200
    cluster.stop(cluster.primary, "fast")
    try:
        page = client.get("/dang-vien/")
        api = client.get("/api/v1/members", HTTP_AUTHORIZATION="Bearer not-a-token")
    finally:
        cluster.start(cluster.primary)
    assert page.status_code == 503, page.status_code
    assert page["Retry-After"] == "5" and "Traceback" not in page.text
    assert "<html" in page.text and 'lang="vi"' in page.text
    assert api.status_code == 503 and api["Content-Type"].startswith("application/problem+json")
    connections.close_all()
    assert client.get("/dang-vien/").status_code == 200
