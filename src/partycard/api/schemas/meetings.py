"""Schemas of the meetings routes: a meeting, its roster for the secretary's phone, the check-ins the phone
syncs and what became of each, the attendance statistics, and a member's own meetings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, StringConstraints

from partycard.api.schemas.exchange import MAX_ID

__all__ = [
    "AttendanceIn",
    "AttendanceOut",
    "CheckinIn",
    "CheckinResultOut",
    "CheckinsIn",
    "ExcuseIn",
    "MeetingIn",
    "MeetingOut",
    "MyMeetingOut",
    "RefusalOut",
    "RosterOut",
    "StatsOut",
]

_NO_NUL = r"^[^\x00]*$"
Kind = Literal["regular", "study_session", "other"]
Text = Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)]


def _iso_moment(value: object) -> object:
    """Only an ISO 8601 date and time with its offset (pydantic would read a number as seconds since 1970),
    in the years the Party's records can hold."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    else:
        raise ValueError("must be a date and time written YYYY-MM-DDThh:mm:ss+hh:mm")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("must carry its offset from UTC")
    if not 1930 <= moment.year <= 2100:
        raise ValueError("must be between 1930 and 2100")
    return moment


Moment = Annotated[dt.datetime, BeforeValidator(_iso_moment)]


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class MeetingIn(_In):
    cell: Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")] = Field(
        description="The cell's code."
    )
    kind: Kind = "regular"
    title: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NO_NUL)]
    starts_at: Moment = Field(description="Date and time, with a time zone.")
    place: Text = ""


class MeetingOut(Schema):
    id: int
    cell: str = Field(description="The cell's code.")
    cell_name: str
    kind: Kind
    title: str
    starts_at: dt.datetime
    place: str
    state: Literal["open", "closed"]
    roster_size: int = Field(description="Members of the cell expected (in good standing).")
    attended: int
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class RosterMemberOut(Schema):
    member_id: int
    full_name: str
    card_numbers: list[str] = Field(description="The numbers of the member's cards in use.")


class RosterOut(Schema):
    meeting: MeetingOut
    members: list[RosterMemberOut]


class CheckinIn(_In):
    client_uuid: uuid.UUID = Field(description="Made by the phone once per check-in: a re-sync repeats it.")
    qr: Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=_NO_NUL)] = Field(
        description="The QR text exactly as scanned (PC1R:…)."
    )
    scanned_at: Moment = Field(description="When the phone scanned it (with a time zone).")
    member_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Whom the phone matched.")


class CheckinsIn(_In):
    device: Text = Field(default="", description="The checking device, as the secretary names it.")
    checkins: list[CheckinIn] = Field(max_length=500)


class RefusalOut(Schema):
    code: str
    message: str


class CheckinResultOut(Schema):
    client_uuid: uuid.UUID
    result: Literal["new", "duplicate", "refused"]
    member_id: int | None
    attendance_id: int | None
    reasons: list[RefusalOut]


class AttendanceIn(_In):
    member_id: int = Field(ge=1, le=MAX_ID)
    method: Literal["manual", "chip"] = "manual"


class AttendanceOut(Schema):
    id: int
    member_id: int
    full_name: str
    method: Literal["qr", "chip", "manual"]
    checked_at: dt.datetime
    device: str


class ExcuseIn(_In):
    member_id: int = Field(ge=1, le=MAX_ID)
    reason: Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=_NO_NUL)]


class StatsRowOut(Schema):
    code: str
    name: str
    meetings_held: int
    expected: int
    attended: int
    excused: int
    absent: int = Field(description="Absences without an excuse.")
    rate: float | None = Field(description="Attended / expected; null when nothing was expected.")


class StatsOut(Schema):
    start: dt.date
    end: dt.date
    total: StatsRowOut
    children: list[StatsRowOut]


class MyMeetingOut(Schema):
    id: int
    kind: Kind
    title: str
    starts_at: dt.datetime
    place: str
    state: Literal["open", "closed"]
    attended: bool
    checked_at: dt.datetime | None
    method: Literal["qr", "chip", "manual"] | None
    excused: bool
