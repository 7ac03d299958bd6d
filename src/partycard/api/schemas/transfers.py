"""Schemas of the transfers routes (input shape only; the services decide what may happen)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, StringConstraints

from partycard.api.schemas.paging import IdCursor
from partycard.transfers.choices import Kind
from partycard.transfers.workflow import State

__all__ = [
    "CancelIn",
    "EventOut",
    "ReceiveIn",
    "TransferIn",
    "TransferOut",
    "TransferPage",
    "TransferQuery",
]

MAX_ID = 2**63 - 1
_NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=_NO_NUL)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")]


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class OrgRef(Schema):
    code: str
    name: str


class EventOut(Schema):
    step: str
    state_from: str
    state_to: str
    side: str
    actor: str = Field(validation_alias="actor_name")
    at: dt.datetime
    note: str


class TransferOut(Schema):
    id: int
    member: int
    member_name: str
    kind: Kind
    state: State
    from_cell: OrgRef
    to_cell: OrgRef
    committee: OrgRef
    reason: str
    decided_on: dt.date
    start_deadline: dt.date
    until: dt.date | None
    number: str
    issued_on: dt.date | None
    present_deadline: dt.date | None
    card_number: str
    closing_reason: str
    letter_url: str | None = Field(description="The introduction letter (PDF) once issued.")
    signature_url: str | None = Field(
        description="Its CMS signature (DER), checkable with the root certificate."
    )
    overdue: list[str] = Field(description="Deadlines already passed: start (not issued in time), present.")


class TransferPage(Schema):
    items: list[TransferOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")


class TransferQuery(Schema):
    state: State | None = None
    kind: Kind | None = None
    side: Annotated[str, StringConstraints(pattern=r"^(sending|receiving)$")] | None = Field(
        None, description="sending: out of your subtree; receiving: into it."
    )
    cursor: IdCursor = Field(None, description="next_cursor of the page before; empty: the first page.")
    limit: int = Field(50, ge=1, le=200)


class TransferIn(_In):
    member: int = Field(ge=1, le=MAX_ID)
    kind: Kind
    to_cell: Code = Field(description="The receiving cell's code.")
    decided_on: dt.date = Field(description="The date of the decision the transfer follows.")
    reason: Text
    until: dt.date | None = Field(None, description="A temporary transfer's end, if known.")


class ReceiveIn(_In):
    qr: Annotated[str, StringConstraints(max_length=4000, pattern=_NO_NUL)] | None = Field(
        None, description="The member's rotating e-card QR (PC1R:…), as scanned."
    )
    sd_jwt: Annotated[str, StringConstraints(max_length=8000, pattern=_NO_NUL)] | None = Field(
        None, description="Or an SD-JWT VC presentation with key binding to audience and nonce."
    )
    audience: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] | None = None
    nonce: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] | None = None


class CancelIn(_In):
    reason: Text
