"""Signed checkpoints outside the database (issue 12): a truncated log, a reset head and a chain rewritten
and re-hashed with the project's own chain code each verified as intact; now each is named, with its own
exit code, against checkpoints that only the audit key can sign."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from partycard.audit.chain import GENESIS, canonical, row_hash
from partycard.audit.checkpoint import checkpoint_path, checkpoints_load
from partycard.audit.models import AuditEvent, ChainHead
from partycard.audit.services import audit_record
from partycard.core.signing import pki_keystore_open


@pytest.fixture
def audit_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path / "pki"))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "correct horse battery staple")
    monkeypatch.setenv("PARTYCARD_AUDIT_CHECKPOINTS", str(tmp_path / "audit" / "checkpoints.jsonl"))
    monkeypatch.delenv("PARTYCARD_AUDIT_PKCS11_MODULE", raising=False)
    return tmp_path / "audit" / "checkpoints.jsonl"


def append(action: str, n: int = 1) -> None:
    with transaction.atomic():
        for i in range(n):
            audit_record(actor=None, action=action, object_type="accounts.user", object_id=str(i))


@pytest.fixture
def log(db: Any, audit_env: Path) -> Path:
    """Ten rows, three of them failed logins and two exports (what an intruder wants gone), checkpointed."""
    append("login")
    append("login_failed", 2)
    append("export")
    append("change", 3)
    append("login_failed")
    append("export")
    append("login")
    call_command("audit", "checkpoint")
    return audit_env


@contextmanager
def as_database_admin() -> Iterator[Any]:
    """A cursor with full database rights: on PostgreSQL past every trigger (session_replication_role)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")


def verify_fails() -> CommandError:
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify")
    return caught.value


def test_checkpoint_then_verify(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = json.loads(log.read_text().splitlines()[-1])
    head = ChainHead.objects.get()
    assert (line["seq"], line["hash"], line["key"]) == (10, head.hash, "audit-1")
    capsys.readouterr()
    call_command("audit", "verify")
    assert "10 rows, checked against 1 signed checkpoints" in capsys.readouterr().out
    append("login", 2)
    call_command("audit", "checkpoint")
    assert [c.seq for c in checkpoints_load(checkpoint_path(), pki_keystore_open())] == [10, 12]
    call_command("audit", "verify")


def test_truncated_log_and_reset_head_are_named(log: Path) -> None:
    # The attack: every row gone and the head back at the start.
    with as_database_admin() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
        cursor.execute("UPDATE audit_chainhead SET seq = 0, hash = %s", [GENESIS])
    error = verify_fails()
    assert error.returncode == 5
    assert "truncated" in str(error) and "rows #1 to #10 are gone" in str(error)


def test_rows_cut_from_the_end_before_the_checkpoint_are_named(log: Path) -> None:
    with as_database_admin() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq > 7")
        cursor.execute(
            "UPDATE audit_chainhead SET seq = 7, hash = (SELECT hash FROM audit_auditevent WHERE seq = 7)"
        )
    error = verify_fails()
    assert error.returncode == 5 and "rows #8 to #10 are gone" in str(error)


def test_reset_head_is_named(log: Path) -> None:
    with as_database_admin() as cursor:
        cursor.execute("UPDATE audit_chainhead SET seq = 0, hash = %s", [GENESIS])
    error = verify_fails()
    assert error.returncode == 4 and "the head was set back" in str(error)


def rehash_without(actions: set[str]) -> None:
    """What the issue did: delete rows and re-hash the rest with the project's own chain code."""
    kept = [r for r in AuditEvent.objects.order_by("seq") if r.action not in actions]
    prev = GENESIS
    for seq, row in enumerate(kept, 1):
        row.seq, row.prev_hash = seq, prev
        row.hash = prev = row_hash(prev, canonical(
            seq=seq, at=row.at, actor_id=row.actor_id, actor=row.actor, action=row.action,
            object_type=row.object_type, object_id=row.object_id, changes=row.changes,
        ))  # fmt: skip
    with as_database_admin() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
        for row in kept:
            cursor.execute(
                "INSERT INTO audit_auditevent (seq, at, actor_id, actor, action, object_type, object_id,"
                " changes, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [row.seq, row.at, row.actor_id, row.actor, row.action, row.object_type, row.object_id,
                 json.dumps(row.changes), row.prev_hash, row.hash],
            )  # fmt: skip
        cursor.execute("UPDATE audit_chainhead SET seq = %s, hash = %s", [len(kept), prev])


def test_rehashed_chain_is_named(log: Path) -> None:
    append("change", 10)  # the office goes on working after the checkpoint
    rehash_without({"login_failed", "export"})
    error = verify_fails()
    assert error.returncode == 6
    assert "row #10 is not the row the checkpoint signed" in str(error) and "re-hashed" in str(error)


def test_rehashed_and_shortened_chain_is_caught(log: Path) -> None:
    rehash_without({"login_failed", "export"})  # 5 rows left, the checkpoint signed 10
    assert verify_fails().returncode == 5


def test_forged_checkpoint_is_refused(log: Path) -> None:
    rehash_without({"login_failed", "export"})
    line = json.loads(log.read_text().splitlines()[-1])
    line.update(seq=5, hash=ChainHead.objects.get().hash)  # point the checkpoint at the rewritten chain
    log.write_text(json.dumps(line) + "\n")
    error = verify_fails()
    assert error.returncode == 7 and "signature does not verify" in str(error)


def test_checkpoint_refuses_to_sign_over_a_broken_chain(log: Path) -> None:
    append("change", 3)
    with as_database_admin() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor = 'mallory' WHERE seq = 12")
    with pytest.raises(CommandError, match="not signed: audit chain altered") as caught:
        call_command("audit", "checkpoint")
    assert caught.value.returncode == 2
    assert len(log.read_text().splitlines()) == 1


def test_checkpoint_refuses_after_truncation(log: Path) -> None:
    with as_database_admin() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
        cursor.execute("UPDATE audit_chainhead SET seq = 0, hash = %s", [GENESIS])
    append("login")  # the application carries on from #1
    with pytest.raises(CommandError, match="truncated") as caught:
        call_command("audit", "checkpoint")
    assert caught.value.returncode == 5


def test_what_is_not_caught_rows_after_the_last_checkpoint(log: Path) -> None:
    """docs/audit.md: rows appended after the last checkpoint can be dropped unseen by someone with full
    database rights (the reason checkpoints run every few minutes)."""
    append("login_failed", 2)
    with as_database_admin() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq > 10")
        cursor.execute(
            "UPDATE audit_chainhead SET seq = 10, hash = (SELECT hash FROM audit_auditevent WHERE seq = 10)"
        )
    call_command("audit", "verify")


def test_verify_without_checkpoints_warns(
    db: Any, audit_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    append("login")
    call_command("audit", "verify")
    assert "no signed checkpoint" in capsys.readouterr().err
