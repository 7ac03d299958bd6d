"""Reads of lists and reports on a real streaming replica, writes and the officer who just wrote on the
primary, lag and a stopped replica sending reads back to the primary (core/db_router.py).

The proof that a read came from the replica: its replay is paused (``pg_wal_replay_pause()``) and a row is
written on the primary; a read from the replica does not see it, a read from the primary does.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.core.db_router import SESSION_KEY, replica_reads
from partycard.registry.models import Member
from tests.conftest import member_data

from .cluster_db import REPLICA, clone_test_database, pointed_at, routed_settings
from .pgcluster import PgCluster, pgcluster

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases=["default", REPLICA])]

LIST = "/dang-vien/"


@pytest.fixture(scope="module")
def cluster(django_db_setup: Any, django_db_blocker: Any) -> Iterator[PgCluster]:
    with pgcluster(replica=True) as c:
        clone_test_database(c)  # the schema as migrated, without migrating again
        with pointed_at(c):
            yield c


@pytest.fixture(autouse=True)
def _replaying(cluster: PgCluster) -> Iterator[None]:
    """Every test starts and ends with the replica running and replaying."""
    yield
    assert cluster.replica is not None
    if cluster.replica.pid() is None:
        cluster.start(cluster.replica)
    cluster.replica.query("SELECT pg_wal_replay_resume()")


@pytest.fixture
def routed(settings: Any, cluster: PgCluster) -> PgCluster:
    routed_settings(settings)
    return cluster


def _officer(name: str, tree: Any, login: Any) -> Client:
    user = User.objects.create_user(
        name, password="x", role=Role.COMMITTEE_OFFICER, organisation=tree.ba_dinh
    )
    client = Client()
    login(client, user)
    return client


def _pause(cluster: PgCluster) -> None:
    """Stop the replica's replay where it is, once it has everything written so far."""
    assert cluster.replica is not None
    cluster.wait_replica_caught_up()
    cluster.replica.query("SELECT pg_wal_replay_pause()")
    deadline = time.monotonic() + 10
    while cluster.replica.query("SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline
        time.sleep(0.02)


def _rename_on_primary(cluster: PgCluster, member: Member, name: str) -> None:
    """A change on the primary that did not come through the app (no officer's session knows it)."""
    table = Member._meta.db_table
    with cluster.primary.connect() as c:
        c.execute(f"UPDATE {table} SET full_name = %s WHERE id = %s", [name, member.pk])  # noqa: S608


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def test_lists_read_the_replica_and_the_officer_who_wrote_reads_the_primary(
    routed: PgCluster, tree: Any, make_member: Any, login: Any
) -> None:
    member = make_member(tree.cell_a, full_name="Nguyễn Văn An")
    writer, reader = _officer("bd_viet", tree, login), _officer("bd_doc", tree, login)
    _pause(routed)
    _rename_on_primary(routed, member, "Phạm Văn Mới")

    # Both read the replica: paused before the rename.
    for client in (writer, reader):
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            page = client.get(LIST)
        assert page.status_code == 200
        assert "Nguyễn Văn An" in page.text and "Phạm Văn Mới" not in page.text
        assert any("registry_member" in q["sql"] for q in on_replica.captured_queries)

    # The writer adds a member through the page; replay is still paused.
    data = member_data(tree.cell_a, citizen_id="001080055555", full_name="Trần Thị Bình")
    form = {k: _day(v) if isinstance(v, dt.date) else v for k, v in data.items() if k != "organisation"}
    form |= {"organisation_code": tree.cell_a.code, "ethnicity": "1", "religion": "none"}
    created = writer.post("/dang-vien/them/", form)
    assert created.status_code == 302, created.context["form"].errors
    assert isinstance(writer.session.get(SESSION_KEY), int)  # the primary's WAL position after the write

    # The writer sees their write at once (the primary: the replica has not replayed it) ...
    mine = writer.get(LIST)
    assert "Trần Thị Bình" in mine.text and "Phạm Văn Mới" in mine.text
    # ... the other officer still reads the paused replica.
    theirs = reader.get(LIST)
    assert "Trần Thị Bình" not in theirs.text and "Nguyễn Văn An" in theirs.text

    # Replay resumed and caught up: the writer's reads go back to the replica.
    assert routed.replica is not None
    routed.replica.query("SELECT pg_wal_replay_resume()")
    routed.wait_replica_caught_up()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        again = writer.get(LIST)
    assert "Trần Thị Bình" in again.text
    assert any("registry_member" in q["sql"] for q in on_replica.captured_queries)


def test_a_replica_further_behind_than_the_bound_is_not_read(
    settings: Any, routed: PgCluster, tree: Any, make_member: Any, login: Any
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "REPLICA_MAX_LAG_SECONDS": 1.0}
    member = make_member(tree.cell_a, full_name="Nguyễn Văn An")
    reader = _officer("bd_doc", tree, login)
    _pause(routed)
    _rename_on_primary(routed, member, "Phạm Văn Mới")
    time.sleep(1.5)  # the replica's last replayed transaction is now older than the bound
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        page = reader.get(LIST)
    assert page.status_code == 200
    assert "Phạm Văn Mới" in page.text  # the primary's
    assert not any("registry_member" in q["sql"] for q in on_replica.captured_queries)

    settings.PARTYCARD = {**settings.PARTYCARD, "REPLICA_MAX_LAG_SECONDS": 3600.0}  # within a looser bound
    assert "Nguyễn Văn An" in reader.get(LIST).text  # the replica's again


def test_a_stopped_replica_sends_reads_to_the_primary_and_a_restarted_one_gets_them_back(
    routed: PgCluster, tree: Any, make_member: Any, login: Any, caplog: pytest.LogCaptureFixture
) -> None:
    make_member(tree.cell_a, full_name="Nguyễn Văn An")
    reader = _officer("bd_doc", tree, login)
    assert routed.replica is not None
    assert reader.get(LIST).status_code == 200
    routed.stop(routed.replica)
    with caplog.at_level(logging.WARNING, logger="partycard.core.db_router"):
        page = reader.get(LIST)
        report = reader.get(f"/bao-cao/{tree.ba_dinh.code}/")
    assert page.status_code == 200 and "Nguyễn Văn An" in page.text  # from the primary, no error
    assert report.status_code == 200
    warnings = [r.getMessage() for r in caplog.records if r.name == "partycard.core.db_router"]
    assert warnings and all("replica unreachable" in w for w in warnings)
    assert not any("Nguyễn" in w or "001080012345" in w for w in warnings)  # no personal data

    routed.start(routed.replica)
    routed.wait_replica_caught_up()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        page = reader.get(LIST)
    assert page.status_code == 200 and "Nguyễn Văn An" in page.text
    assert any("registry_member" in q["sql"] for q in on_replica.captured_queries)


def test_reports_and_verification_look_ups_read_the_replica(
    routed: PgCluster, tree: Any, make_member: Any, login: Any
) -> None:
    make_member(tree.cell_a)
    reader = _officer("bd_doc", tree, login)
    routed.wait_replica_caught_up()
    for path in (f"/bao-cao/{tree.ba_dinh.code}/", "/bao-cao/"):
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            assert reader.get(path).status_code == 200
        assert any("reports_tally" in q["sql"] for q in on_replica.captured_queries), path
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        answer = Client().get("/api/v1/status-lists/1")
    assert answer.status_code in (404, 503)  # no list, or no trust material: but looked up on the replica
    assert on_replica.captured_queries


def test_a_transaction_on_the_primary_reads_its_own_writes(routed: PgCluster, tree: Any) -> None:
    with replica_reads():
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            assert Member.objects.filter(full_name="Không Có").count() == 0
        assert on_replica.captured_queries  # outside a transaction: the replica
        with transaction.atomic():
            Member.objects.filter(pk=0).update(full_name="x")
            with CaptureQueriesContext(connections[REPLICA]) as on_replica:
                Member.objects.count()
            assert not on_replica.captured_queries
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        Member.objects.count()  # no replica_reads(): the primary
    assert not on_replica.captured_queries
