"""The audit log: one row per write in the writer's transaction, a hash chain that shows tampering."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from partycard.accounts.models import User
from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_record, audit_verify
from partycard.registry import services


@pytest.fixture
def history(tree, make_member) -> Iterator[list[AuditEvent]]:
    member = make_member()
    services.member_update(actor=None, member=member, changes={"phone": "0912345678"})
    services.member_update(actor=None, member=member, changes={"home_town": "Huế"})
    yield list(AuditEvent.objects.order_by("seq"))


def tamper(sql: str, params: list[Any]) -> None:
    """Change audit rows as a database administrator could (on PostgreSQL, past the trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def test_every_write_is_one_row_with_before_and_after(history: list[AuditEvent], tree) -> None:
    actions = [(e.action, e.object_type) for e in history]
    assert actions[:9] == [("create", "registry.organisation")] * 9  # the fixture tree
    assert actions[9:] == [
        ("create", "registry.member"),
        ("change", "registry.member"),
        ("change", "registry.member"),
    ]
    assert history[-2].changes == {"phone": ["", "0912345678"]}
    assert history[-1].changes == {"home_town": ["Hà Nội", "Huế"]}
    assert history[9].changes["citizen_id"] == [None, "001080012345"]
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert audit_verify().ok and audit_verify().checked == len(history)


def test_move_and_failed_writes(tree) -> None:
    before = AuditEvent.objects.count()
    services.organisation_move(actor=None, organisation=tree.school, new_parent=tree.thuan_hoa)
    move = AuditEvent.objects.latest("seq")
    assert move.action == "move" and move.changes["subtree_size"] == [3, 3]
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the point is that nothing is audited
        services.organisation_move(actor=None, organisation=tree.school, new_parent=tree.school)
    assert AuditEvent.objects.count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside the writer's transaction"):
        audit_record(actor=None, action="x")
    assert not AuditEvent.objects.exists()


def test_altered_row_is_named(history: list[AuditEvent]) -> None:
    victim = history[10]
    tamper(
        "UPDATE audit_auditevent SET changes = %s WHERE seq = %s",
        ['{"phone": ["", "0999999999"]}', victim.seq],
    )
    report = audit_verify()
    assert not report.ok and report.first_bad_seq == victim.seq and "altered" in report.reason


def test_removed_row_is_named(history: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [5])
    report = audit_verify()
    assert not report.ok and report.first_bad_seq == 5 and "missing" in report.reason


def test_removed_last_row_is_caught_by_the_head(history: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [history[-1].seq])
    report = audit_verify()
    assert not report.ok and "removed" in report.reason and report.first_bad_seq == history[-1].seq


def test_reordered_rows_are_named(history: list[AuditEvent]) -> None:
    a, b = history[3], history[4]
    tamper("UPDATE audit_auditevent SET seq = 999999999 WHERE seq = %s", [a.seq])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [a.seq, b.seq])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = 999999999", [b.seq])
    report = audit_verify()
    assert not report.ok and report.first_bad_seq == a.seq


def test_verify_command(history: list[AuditEvent]) -> None:
    call_command("audit", "verify")
    tamper("UPDATE audit_auditevent SET actor = %s WHERE seq = %s", ["mallory", 2])
    with pytest.raises(CommandError, match="row #2 was altered"):
        call_command("audit", "verify")


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete(history: list[AuditEvent]) -> None:
    for sql in (
        "UPDATE audit_auditevent SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_auditevent WHERE seq = 1",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as c,
        ):
            c.execute(sql)
    assert audit_verify().ok


def test_logins_are_audited_without_the_password(client: Client, tree) -> None:
    User.objects.create_user("tinh", password="mat-khau-dai-1", organisation=tree.hanoi)
    client.post("/dang-nhap/", {"username": "tinh", "password": "sai-mat-khau"})
    client.post("/dang-nhap/", {"username": "tinh", "password": "mat-khau-dai-1"})
    failed, ok = AuditEvent.objects.order_by("-seq")[:2][::-1]
    assert (failed.action, failed.changes) == ("login_failed", {"username": [None, "tinh"]})
    assert ok.action == "login" and ok.actor == "tinh"
    assert "sai-mat-khau" not in str(AuditEvent.objects.values_list("changes", flat=True))


def test_role_changes_in_the_admin_are_audited(client: Client, tree, login) -> None:
    admin = User.objects.create_superuser("admin", password="mat-khau-dai-1", organisation=tree.centre)
    officer = User.objects.create_user("tinh", organisation=tree.hanoi, role="cell_secretary")
    login(client, admin)
    page = client.get(f"/admin/accounts/user/{officer.pk}/change/")
    form = page.context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and k not in ("groups", "user_permissions")
    }
    data.update({"role": "committee_officer", "organisation": tree.hanoi.pk, "date_joined_0": "25/11/2026",
                 "date_joined_1": "08:00:00", "member": ""})  # fmt: skip
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(f"/admin/accounts/user/{officer.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor, event.object_id) == ("role_change", "admin", str(officer.pk))
    assert event.changes == {"role": ["cell_secretary", "committee_officer"]}
