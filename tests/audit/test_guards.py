"""PostgreSQL guards on the audit log (migration 0003): the chain head only moves forward onto the last
row, and neither table can be truncated (issue 12: a reset head and a TRUNCATE verified as "intact")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from partycard.audit.chain import GENESIS
from partycard.audit.models import AuditEvent, ChainHead
from partycard.audit.services import audit_record, audit_verify

pytestmark = pytest.mark.postgres


@pytest.fixture
def rows(db: Any) -> list[AuditEvent]:
    with transaction.atomic():
        for n in range(3):
            audit_record(actor=None, action="test", object_type="t", object_id=str(n))
    return list(AuditEvent.objects.order_by("seq"))


def refused(sql: str, params: list[Any] | None = None) -> str:
    """Run ``sql`` in a savepoint as the application's database user; return the refusal's message."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


def test_head_reset_to_genesis_is_refused(rows: list[AuditEvent]) -> None:
    message = refused("UPDATE audit_chainhead SET seq = 0, hash = %s", [GENESIS])
    assert "only moves forward" in message
    assert (ChainHead.objects.get().seq, audit_verify().ok) == (3, True)


def test_head_moved_past_or_beside_the_last_row_is_refused(rows: list[AuditEvent]) -> None:
    assert "last row" in refused("UPDATE audit_chainhead SET seq = 4, hash = %s", ["ab" * 32])
    # A row #4 appended by hand, and the head moved onto #4 but with another hash: still refused.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (seq, at, actor, action, object_type, object_id, changes,"
            " prev_hash, hash) VALUES (4, now(), '', 'x', '', '', '{}', %s, %s)",
            [rows[-1].hash, "ef" * 32],
        )
    assert "last row" in refused("UPDATE audit_chainhead SET seq = 4, hash = %s", ["cd" * 32])


def test_head_cannot_be_deleted_or_recreated(rows: list[AuditEvent]) -> None:
    assert "cannot be deleted" in refused("DELETE FROM audit_chainhead")
    assert "created empty" in refused(
        "INSERT INTO audit_chainhead (id, seq, hash) VALUES (2, 3, %s)", ["ab" * 32]
    )


@pytest.mark.parametrize(
    "table", ["audit_auditevent", "audit_chainhead", "audit_auditevent, audit_chainhead"]
)
def test_truncate_is_refused(rows: list[AuditEvent], table: str) -> None:
    assert "TRUNCATE refused" in refused(f"TRUNCATE {table}")
    assert AuditEvent.objects.count() == 3 and audit_verify().ok


def test_appends_still_move_the_head(rows: list[AuditEvent]) -> None:
    with transaction.atomic():
        audit_record(actor=None, action="test", object_type="t", object_id="4")
        audit_record(actor=None, action="test", object_type="t", object_id="5")
    head = ChainHead.objects.get()
    assert (head.seq, head.hash) == (5, AuditEvent.objects.get(seq=5).hash)
    assert audit_verify().ok


def test_the_application_role_only_appends(rows: list[AuditEvent]) -> None:
    """deploy/postgres/grants.sql, the deployment's grants: the application role writes and audits as
    usual, and may neither truncate, delete nor rewrite audit rows nor reset the head."""
    role = "pc_audit_test_app"
    script = (Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "grants.sql").read_text()
    statements = [  # its SQL statements, inside the test's own transaction (no psql commands, no COMMIT)
        line.replace(':"app"', f'"{role}"')
        for line in script.splitlines()
        if line and not line.startswith(("--", "\\", "BEGIN", "COMMIT"))
    ]
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')  # rolled back with the test's transaction
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(f'SET LOCAL ROLE "{role}"')
    with transaction.atomic():
        audit_record(actor=None, action="test", object_type="t", object_id="4")
    for sql in (
        "TRUNCATE audit_auditevent",
        "TRUNCATE audit_chainhead",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditevent SET actor = 'x'",
        "DELETE FROM audit_chainhead",
    ):
        assert "permission denied" in refused(sql)
    assert "only moves forward" in refused("UPDATE audit_chainhead SET seq = 0, hash = %s", [GENESIS])
    assert audit_verify().ok and audit_verify().checked == 4
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
