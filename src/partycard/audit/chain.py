"""Canonical content and hashing of audit rows (pure functions, one definition for append and verify)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

__all__ = ["GENESIS", "canonical", "row_hash"]

GENESIS = "0" * 64


def canonical(
    *,
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    changes: dict[str, Any],
) -> bytes:
    """The bytes a row's hash covers: sorted-key compact JSON, time in UTC with microseconds."""
    content = {
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "changes": changes,
    }
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def row_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()
