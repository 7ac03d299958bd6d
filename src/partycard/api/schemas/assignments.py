"""Shapes of the volunteers' assignment routes (issue 17)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

__all__ = ["MAX_ID", "AssignmentIn", "AssignmentOut", "RevokeIn"]

MAX_ID = 2**31 - 1


class AssignmentOut(Schema):
    id: int
    volunteer: int = Field(..., alias="volunteer_id")
    volunteer_username: str = Field(..., alias="volunteer.username")
    organisation: str = Field(..., alias="organisation.code")
    organisation_name: str = Field(..., alias="organisation.name")
    starts_on: dt.date
    ends_on: dt.date
    note: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class AssignmentIn(Schema):
    """Assign a volunteer (their account's id) to cells (codes) from ``starts_on`` to ``ends_on``."""

    volunteer: int = Field(..., ge=1, le=MAX_ID)
    cells: list[str] = Field(..., min_length=1, max_length=500)
    starts_on: dt.date
    ends_on: dt.date
    note: str = Field("", max_length=500)


class RevokeIn(Schema):
    reason: str = Field("", max_length=500)
