"""Shapes of the partysync routes: a run with its counts, a staged row, the decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

__all__ = ["DecisionsIn", "RowOut", "RunOut"]

MAX_ID = 2**31 - 1


class RunOut(Schema):
    id: int
    kind: Literal["import", "export"]
    status: Literal["reading", "preview", "applying", "applied", "refused", "exported"]
    organisation: str = Field(..., alias="root.code")
    file_name: str
    file_format: str
    sha256: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    rows: int
    added: int
    changed: int
    unchanged: int
    conflicts: int
    key_conflicts: int
    bad: int
    missing: int
    written: int
    error: str
    preview_job: int | None = Field(None, alias="preview_job_id")
    apply_job: int | None = Field(None, alias="apply_job_id")


class RowOut(Schema):
    number: int
    kind: Literal["added", "changed", "unchanged", "conflict", "key_conflict", "bad"]
    member: int | None = Field(None, alias="member_id")
    file_number: str
    citizen_id: str
    full_name: str
    changes: dict[str, Any]
    problems: list[list[str]]
    decisions: dict[str, str]


class DecisionsIn(Schema):
    """``{member key: {field: "ours" | "theirs"}}``: the key a file number, a citizen ID or "row:<n>"."""

    decisions: dict[str, dict[str, Literal["ours", "theirs"]]]
