"""Shapes of the review routes: a proposal (each field's base, current and returned value, the merge's
outcome), the conflicts' decisions, the result of applying."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

__all__ = ["ReviewApplyIn", "ReviewApplyOut", "ReviewChangeOut", "ReviewImportOut", "ReviewLeftOut"]

MAX_ID = 2**31 - 1


class ReviewChangeOut(Schema):
    member: int
    name: str
    sheet: str
    row: int
    field: str
    base: str | None
    ours: str | None = Field(..., description="the record in partycard when the workbook was imported")
    theirs: str | None = Field(..., description="the value brought back in the workbook")
    outcome: Literal["theirs", "conflict", "same"]
    key: str = Field(..., description="the conflict's key in ReviewApplyIn.decisions")


class ReviewLeftOut(Schema):
    member: int
    name: str
    sheet: str


class ReviewImportOut(Schema):
    id: int
    organisation: str
    export: int
    imported_by: str
    imported_at: dt.datetime
    status: Literal["proposed", "applied"]
    change_count: int
    conflict_count: int
    changes: list[ReviewChangeOut]
    deleted_upstream: list[ReviewLeftOut]
    missing: list[ReviewLeftOut]
    applied_by: str
    applied_at: dt.datetime | None
    applied_count: int


class ReviewApplyIn(Schema):
    decisions: dict[str, Literal["ours", "theirs"]] = Field(
        default_factory=dict, description='each conflict\'s key ("<member>:<field>") → "ours" or "theirs"'
    )


class ReviewApplyOut(Schema):
    applied: int
    status: Literal["proposed", "applied"]
