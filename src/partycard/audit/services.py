"""Appending to the audit log and checking the chain.

``audit_record`` must run inside the writer's transaction (it refuses otherwise): the change and its
audit row commit together or not at all. It locks the chain head, so appends are serialised; the lock is
held until the writer commits.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from partycard.audit.chain import GENESIS, canonical, row_hash
from partycard.audit.checkpoint import Checkpoint, checkpoint_append, checkpoint_sign, checkpoints_load
from partycard.audit.models import AuditEvent, ChainHead
from partycard.core import clock
from partycard.trust.keystore import KeyStore

__all__ = [
    "ChainBroken",
    "ChainReport",
    "Problem",
    "audit_checkpoint",
    "audit_record",
    "audit_record_many",
    "audit_verify",
    "diff",
    "snapshot",
]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    return json.loads(json.dumps(value, default=str))


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed, as JSON values."""
    return {
        name: [_jsonable(before.get(name)), _jsonable(after.get(name))]
        for name in sorted(set(before) | set(after))
        if _jsonable(before.get(name)) != _jsonable(after.get(name))
    }


SKIPPED_FIELDS = frozenset({"created_at", "updated_at", "name_search", "member_count", "password"})


def snapshot(obj: Model) -> dict[str, Any]:
    """The audited fields of ``obj`` (foreign keys as ids; no timestamps, derived or secret fields)."""
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.name not in SKIPPED_FIELDS and not f.primary_key
    }


def _content(event: AuditEvent) -> bytes:
    """The canonical bytes of a row, the same for appending and for verifying."""
    return canonical(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        changes=event.changes,
    )


def _actor(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "system" if actor is None else "anonymous"
    return actor.pk, actor.get_username()


_BATCH = 1000


def audit_record_many(
    *, actor: Any, action: str, items: Iterable[tuple[str, str, dict[str, Any]]]
) -> list[AuditEvent]:
    """Append one row per (object_type, object_id, changes) in ``items``, chained.

    The returned events carry no primary key (nothing needs it; the sequence number identifies a row).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the writer's transaction")
    head_seq, head_hash = _lock_head()
    actor_id, actor_name = _actor(actor)
    at = clock.now()
    rows = []
    seq, prev = head_seq, head_hash
    for object_type, object_id, changes in items:
        seq += 1
        event = AuditEvent(
            seq=seq,
            at=at,
            actor_id=actor_id,
            actor=actor_name,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            changes=changes,
            prev_hash=prev,
        )
        event.hash = digest = row_hash(prev, _content(event))
        rows.append(event)
        prev = digest
    if rows:
        _append(rows, seq=seq, head_hash=prev)
    return rows


def _lock_head() -> tuple[int, str]:
    """Lock the chain head row (created on first use) and return its sequence number and hash."""
    if connection.vendor == "postgresql":  # raw SQL: one round trip without the ORM's overhead
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT seq, hash FROM {ChainHead._meta.db_table} WHERE id = 1 FOR UPDATE")  # noqa: S608
            row = cursor.fetchone()
        if row is not None:
            return int(row[0]), str(row[1])
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
    return head.seq, head.hash


# The PostgreSQL type of each column, for the arrays the append sends (one array per column).
_PG_TYPES = {
    "seq": "bigint",
    "at": "timestamptz",
    "actor_id": "bigint",
    "actor": "text",
    "action": "text",
    "object_type": "text",
    "object_id": "text",
    "changes": "jsonb",
    "prev_hash": "text",
    "hash": "text",
}


def _append(rows: list[AuditEvent], *, seq: int, head_hash: str) -> None:
    """Insert the rows and move the head.

    On PostgreSQL this is raw SQL, and the last batch and the head update are one statement (a
    data-modifying CTE): the append is two round trips in all, lock and write. Through the ORM it was
    four, with Django's per-query overhead on each — 2.9 ms per audited write on a machine where the
    statements themselves took 1.0 ms (docs/performance.md). The rows go as one array per column
    (``unnest``), not as ten placeholders per row: a bulk transition appends 1,000 rows per chunk, and
    a 10,000-placeholder statement cost more to build and bind than to run.
    """
    if connection.vendor != "postgresql":
        AuditEvent.objects.bulk_create(rows, batch_size=_BATCH)
        ChainHead.objects.filter(pk=1).update(seq=seq, hash=head_hash)
        return
    columns = list(_PG_TYPES)
    table, head_table = AuditEvent._meta.db_table, ChainHead._meta.db_table
    # Table and column names come from the models; every value is a parameter.
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest("  # noqa: S608
        + ", ".join(f"%s::{_PG_TYPES[c]}[]" for c in columns)
        + ")"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _BATCH):
            batch = rows[start : start + _BATCH]
            params: list[Any] = [
                [json.dumps(r.changes) for r in batch] if c == "changes" else [getattr(r, c) for r in batch]
                for c in columns
            ]
            sql = insert
            if start + _BATCH >= len(rows):  # the last batch moves the head in the same statement
                sql = f"WITH appended AS ({insert}) UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1"  # noqa: S608
                params += [seq, head_hash]
            cursor.execute(sql, params)


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row for ``action`` on ``obj`` (or the given type and id) by ``actor``."""
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    (event,) = audit_record_many(actor=actor, action=action, items=[(object_type, object_id, changes or {})])
    return event


class Problem(StrEnum):
    """What is wrong with the chain, each named apart (``partycard audit verify`` exits with its own code)."""

    ALTERED = "altered"  # a row's content no longer matches its hash
    MISSING = "missing"  # a sequence number is missing
    REORDERED = "reordered"  # a row does not follow the one before it
    HEAD_MISMATCH = "head_mismatch"  # the head names rows past the end: rows cut off the end
    HEAD_RESET = "head_reset"  # the head is behind the rows: it was set back
    TRUNCATED = "truncated"  # the log ends before the last signed checkpoint
    REHASHED = "rehashed"  # a consistent chain, but not the one a checkpoint signed: rewritten and re-hashed


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    problem: Problem | None = None
    head_seq: int = 0
    head_hash: str = GENESIS
    checkpoints: int = 0  # how many signed checkpoints the chain was checked against


def _bad(checked: int, seq: int | None, problem: Problem, reason: str) -> ChainReport:
    return ChainReport(False, checked, seq, reason, problem)


def audit_verify(
    *, checkpoints: Sequence[Checkpoint] = (), start: Checkpoint | None = None, chunk: int = 5000
) -> ChainReport:
    """Walk the chain in sequence order; name the first row that was altered, removed or reordered, and
    check the chain against signed ``checkpoints`` (a row they signed must still carry the signed hash, and
    the log and its head must reach the last of them).

    With ``start`` (a checkpoint already checked), only the rows after it are walked: what
    ``audit_checkpoint`` does before it signs the next one. The walk and the head are read in one snapshot
    (REPEATABLE READ on PostgreSQL) when no transaction is open, so appends meanwhile are no false alarm.
    """
    inside_callers_transaction = connection.in_atomic_block  # then its isolation is the caller's
    with transaction.atomic():
        if connection.vendor == "postgresql" and not inside_callers_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _verify(checkpoints=checkpoints, start=start, chunk=chunk)


def _verify(*, checkpoints: Sequence[Checkpoint], start: Checkpoint | None, chunk: int) -> ChainReport:
    signed = {c.seq: c for c in checkpoints}
    expected_seq, prev, checked = 1, GENESIS, 0
    rows = AuditEvent.objects.order_by("seq")
    if start is not None and start.seq > 0:
        anchor = AuditEvent.objects.filter(seq=start.seq).values_list("hash", flat=True).first()
        if anchor is None:
            return _bad(0, start.seq, Problem.TRUNCATED, _truncated(start.seq - 1, start))
        if anchor != start.hash:
            return _bad(0, start.seq, Problem.REHASHED, _rehashed(start))
        expected_seq, prev = start.seq + 1, start.hash
        rows = rows.filter(seq__gt=start.seq)
    for row in rows.iterator(chunk_size=chunk):
        if row.seq != expected_seq:
            reason = f"row #{expected_seq} is missing (next row found is #{row.seq})"
            return _bad(checked, expected_seq, Problem.MISSING, reason)
        if row.prev_hash != prev:
            reason = f"row #{row.seq} does not follow row #{row.seq - 1} (removed or reordered)"
            return _bad(checked, row.seq, Problem.REORDERED, reason)
        if row_hash(prev, _content(row)) != row.hash:
            return _bad(
                checked, row.seq, Problem.ALTERED, f"row #{row.seq} was altered (its hash does not match)"
            )
        checkpoint = signed.get(row.seq)
        if checkpoint is not None and checkpoint.hash != row.hash:
            return _bad(checked, row.seq, Problem.REHASHED, _rehashed(checkpoint))
        prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
    last_seq = expected_seq - 1
    latest = max(checkpoints, key=lambda c: c.seq, default=None)
    if latest is not None and latest.seq > last_seq:
        return _bad(checked, last_seq + 1, Problem.TRUNCATED, _truncated(last_seq, latest))
    head = ChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq < last_seq:
        reason = f"the chain head says #{head_seq} but the rows run to #{last_seq}: the head was set back"
        return _bad(checked, head_seq + 1, Problem.HEAD_RESET, reason)
    if (head_seq, head_hash) != (last_seq, prev):
        reason = f"the chain ends at row #{last_seq} but its head says #{head_seq}: rows were removed"
        return _bad(checked, last_seq + 1, Problem.HEAD_MISMATCH, reason)
    return ChainReport(True, checked, head_seq=head_seq, head_hash=head_hash, checkpoints=len(checkpoints))


def _when(checkpoint: Checkpoint) -> str:
    return checkpoint.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _truncated(last_seq: int, checkpoint: Checkpoint) -> str:
    return (
        f"the log ends at row #{last_seq} but the checkpoint signed at {_when(checkpoint)} covers rows up to "
        f"#{checkpoint.seq}: the log was truncated (rows #{last_seq + 1} to #{checkpoint.seq} are gone)"
    )


def _rehashed(checkpoint: Checkpoint) -> str:
    return (
        f"row #{checkpoint.seq} is not the row the checkpoint signed at {_when(checkpoint)} names: the chain "
        "up to it was rewritten and re-hashed"
    )


class ChainBroken(Exception):
    """The chain does not verify from the last checkpoint to its head: nothing is signed over it."""

    def __init__(self, report: ChainReport) -> None:
        super().__init__(report.reason)
        self.report = report


def audit_checkpoint(*, at: dt.datetime, store: KeyStore, path: Path, label: str) -> Checkpoint:
    """Check the rows since the last checkpoint, then sign the head and append the checkpoint to ``path``.

    A file lock around the whole keeps two runs from appending out of order.

    Raises:
        CheckpointInvalid: the existing checkpoints do not verify.
        ChainBroken: the rows since the last checkpoint do not verify: nothing is signed over them.
        TrustError: the key store refuses to sign.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        existing = checkpoints_load(path, store)
        report = audit_verify(start=existing[-1] if existing else None)
        if not report.ok:
            raise ChainBroken(report)
        checkpoint = checkpoint_sign(
            store=store, label=label, seq=report.head_seq, hash=report.head_hash, at=at
        )
        checkpoint_append(path, checkpoint)
        return checkpoint
