"""The application through PgBouncer in transaction mode (docs/operations.md, "Read replicas and
PgBouncer"): migrations, a background job run by ``partycard job run``, and pages served to more clients
at once than PgBouncer has server connections.

PgBouncer (Debian's) sits in front of a private primary (``pgcluster.py``) with a pool of 2. The processes
the tests start run the production settings with ``PARTYCARD_PGBOUNCER=1`` (settings/base.py); the tests'
own Django gets the same database options.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.audit.services import audit_verify
from partycard.exchange.jobs import start_transition
from partycard.exchange.models import Campaign, Case, CaseEvent
from partycard.exchange.services import cases_propose
from partycard.exchange.workflow import State, Transition
from partycard.jobs.models import Job, JobChunk
from tests.exchange.conftest import campaign, card_holder, officers

from .cluster_db import pointed_at
from .pgcluster import PgBouncer, pgbouncer, pgcluster
from .servers import production_env

__all__ = ["campaign", "officers"]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

POOL = 2
CLIENTS = 6


@pytest.fixture(scope="module")
def bouncer(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[PgBouncer]:
    var = tmp_path_factory.mktemp("pgbouncer-var")
    with pgcluster(replica=False) as cluster, pgbouncer(cluster.primary, pool=POOL) as b:
        b.env = {**production_env(var), "DATABASE_URL": b.url(), "PARTYCARD_PGBOUNCER": "1"}
        _partycard(b, "migrate", "--no-input", "-v", "0")  # through PgBouncer, as an upgrade would
        with pointed_at(cluster, port=b.port, replica=False, pgbouncer=True):
            yield b


def _partycard(b: PgBouncer, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "partycard.cli", *args],
        env=b.env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _pools(b: PgBouncer) -> dict[str, int]:
    """PgBouncer's ``SHOW POOLS`` for the application's database (its admin console speaks psql)."""
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(b.port), "-U", "postgres", "-d", "pgbouncer", "-AF", "\t",
         "-c", "SHOW POOLS"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    header, *rows = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
    for row in rows:
        record = dict(zip(header, row, strict=False))
        if record["database"] == "partycard":
            return {k: int(v) for k, v in record.items() if v.isdigit()}
    return {}


def test_migrations_went_through_pgbouncer_and_nothing_is_left_to_migrate(bouncer: PgBouncer) -> None:
    done = _partycard(bouncer, "migrate", "--check", "--no-input")
    assert done.returncode == 0


def test_a_job_and_pages_for_more_clients_than_server_connections(
    bouncer: PgBouncer, officers: Any, campaign: Campaign, make_member: Any, login: Any, tree: Any
) -> None:
    members = [
        card_holder(make_member, citizen_id=f"0010801{i:05d}", old_card_number=f"5{i:07d}") for i in range(40)
    ]
    proposed = cases_propose(actor=officers.cell, campaign=campaign, member_ids=[m.pk for m in members])
    assert len(proposed.succeeded) == 40
    case_ids = list(Case.objects.filter(campaign=campaign).values_list("pk", flat=True))
    job = start_transition(
        actor=officers.grassroots, transition=Transition.CONFIRM, targets=case_ids, chunk=7, enqueue=False
    )

    officer = User.objects.create_user(
        "bd_xem", password="x", role=Role.COMMITTEE_OFFICER, organisation=tree.ba_dinh
    )
    pages = ["/dang-vien/", f"/bao-cao/{tree.ba_dinh.code}/", f"/dang-vien/{members[0].pk}/", "/bao-cao/"]
    failures: list[str] = []
    most = {"clients": 0, "servers": 0}
    stop = threading.Event()

    def signed_in() -> Client:
        client = Client()
        login(client, officer)
        return client

    def browse(client: Client) -> None:
        try:
            while not stop.is_set():
                for page in pages:
                    status = client.get(page).status_code
                    if status != 200:
                        failures.append(f"{page}: {status}")
        except Exception as e:
            failures.append(repr(e))

    def watch() -> None:
        while not stop.wait(0.05):
            pools = _pools(bouncer)
            clients = pools.get("cl_active", 0) + pools.get("cl_waiting", 0)
            servers = sum(
                pools.get(k, 0) for k in ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login")
            )
            most["clients"], most["servers"] = max(most["clients"], clients), max(most["servers"], servers)

    clients = [signed_in() for _ in range(CLIENTS)]
    threads = [threading.Thread(target=browse, args=(c,)) for c in clients] + [threading.Thread(target=watch)]
    for t in threads:
        t.start()
    try:
        runner = _partycard(bouncer, "job", "run", str(job.pk), "--no-progress")  # while the pages are served
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert runner.returncode == 0
    assert not failures, failures[:10]
    assert most["clients"] > POOL >= most["servers"] > 0, most

    job.refresh_from_db()
    assert (job.status, job.chunks_done, job.succeeded) == (Job.Status.DONE, job.chunk_count, 40)
    assert JobChunk.objects.filter(job=job).count() == job.chunk_count
    assert Case.objects.filter(pk__in=case_ids, state=State.CONFIRMED).count() == 40
    assert CaseEvent.objects.filter(transition=Transition.CONFIRM).count() == 40
    assert audit_verify().ok


def test_a_query_repeated_past_psycopg_s_prepare_threshold_still_works(bouncer: PgBouncer, tree: Any) -> None:
    """psycopg prepares a statement on its 5th run unless told not to; through PgBouncer in transaction
    mode the next run may land on a server connection that never saw it."""
    from django.db import connection

    from partycard.registry.models import Organisation

    for _ in range(20):
        assert Organisation.objects.filter(code=tree.cell_a.code).count() == 1
    assert connection.connection.prepare_threshold is None
    assert Path(bouncer.directory / "pgbouncer.ini").read_text().count("pool_mode = transaction") == 1
