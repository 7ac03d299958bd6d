"""Shapes of the losses routes: a report with its state and photos, a step, a recovery."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

__all__ = ["LossIn", "LossOut", "LossPhotoOut", "MyLossIn", "RecoveryIn", "RecoveryOut", "StepIn"]

MAX_ID = 2**31 - 1


class LossPhotoOut(Schema):
    id: int
    width: int
    height: int
    sha256: str


class LossOut(Schema):
    id: int
    member: int = Field(..., alias="member_id")
    member_name: str = Field(..., alias="member.full_name")
    card_number: str = Field(..., alias="card.number")
    card_state: str = Field(..., alias="card.state")
    kind: Literal["lost", "damaged"]
    state: Literal["reported", "listed", "compiled", "decided", "reissued", "refused"]
    circumstances: str
    good_reason: bool | None
    channel: Literal["app", "cell"]
    reported_at: dt.datetime
    listed_on: dt.date | None
    compiled_on: dt.date | None
    decided_on: dt.date | None
    decision_number: str
    refusal: str
    new_card_number: str | None = None
    photos: list[LossPhotoOut] = []

    @staticmethod
    def resolve_new_card_number(obj: object) -> str | None:
        card = getattr(obj, "new_card", None)
        return card.number if card is not None else None

    @staticmethod
    def resolve_photos(obj: object) -> list[object]:
        return list(obj.photos.only("id", "width", "height", "sha256").order_by("pk"))  # type: ignore[attr-defined]


class MyLossIn(Schema):
    """The member's own report (multipart form fields beside the two photos)."""

    kind: Literal["lost", "damaged"]
    circumstances: str = Field(..., min_length=1, max_length=4000)


class LossIn(MyLossIn):
    """The cell's report for a member."""

    member: int = Field(..., ge=1, le=MAX_ID)
    good_reason: bool | None = None


class StepIn(Schema):
    step: Literal["list", "compile", "decide", "refuse", "close"]
    reason: str = Field("", max_length=2000)
    good_reason: bool | None = None
    decision_number: str = Field("", max_length=50)


class RecoveryIn(Schema):
    member: int = Field(..., ge=1, le=MAX_ID)
    card_number: str = Field(..., min_length=1, max_length=10)
    note: str = Field("", max_length=1000)


class RecoveryOut(Schema):
    id: int
    member: int = Field(..., alias="member_id")
    card_number: str = Field(..., alias="card.number")
    outcome: Literal["recovered", "kept_by_family"]
    member_status: str
    note: str
    recorded_on: dt.date
