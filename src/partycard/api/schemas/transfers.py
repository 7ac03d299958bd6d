"""Schemas of the transfers routes (input shape only; the services decide what may happen)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, StringConstraints

from partycard.api.schemas.paging import IdCursor
from partycard.transfers.choices import Kind
from partycard.transfers.workflow import State


# The OpenAPI components are named after the classes: these get names of their own (the exchange's State
# and the verifier's Kind are other enums).
class TransferState(StrEnum):
    DRAFTED = State.DRAFTED.value
    ISSUED = State.ISSUED.value
    RECEIVED = State.RECEIVED.value
    COMPLETED = State.COMPLETED.value
    CANCELLED = State.CANCELLED.value
    REFUSED = State.REFUSED.value
    EXPIRED = State.EXPIRED.value


class TransferKind(StrEnum):
    OFFICIAL = Kind.OFFICIAL.value
    TEMPORARY = Kind.TEMPORARY.value
    INTERNAL = Kind.INTERNAL.value


__all__ = [
    "TransferEventOut",
    "TransferIn",
    "TransferOut",
    "TransferPage",
    "TransferQuery",
    "TransferReasonIn",
    "TransferReceiveIn",
    "TransferState",
]

MAX_ID = 2**63 - 1
_NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=_NO_NUL)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")]


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class TransferOrg(Schema):
    code: str
    name: str


class TransferEventOut(Schema):
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
    kind: TransferKind
    state: TransferState
    from_cell: TransferOrg
    to_cell: TransferOrg
    committee: TransferOrg
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
    state: TransferState | None = None
    kind: TransferKind | None = None
    side: Annotated[str, StringConstraints(pattern=r"^(sending|receiving)$")] | None = Field(
        None, description="sending: out of your subtree; receiving: into it."
    )
    cursor: IdCursor = Field(None, description="next_cursor of the page before; empty: the first page.")
    limit: int = Field(50, ge=1, le=200)


class TransferIn(_In):
    member: int = Field(ge=1, le=MAX_ID)
    kind: TransferKind
    to_cell: Code = Field(description="The receiving cell's code.")
    decided_on: dt.date = Field(description="The date of the decision the transfer follows.")
    reason: Text
    until: dt.date | None = Field(None, description="A temporary transfer's end, if known.")


class TransferReceiveIn(_In):
    qr: Annotated[str, StringConstraints(max_length=4000, pattern=_NO_NUL)] | None = Field(
        None, description="The member's rotating e-card QR (PC1R:…), as scanned."
    )
    sd_jwt: Annotated[str, StringConstraints(max_length=8000, pattern=_NO_NUL)] | None = Field(
        None, description="Or an SD-JWT VC presentation with key binding to audience and nonce."
    )
    audience: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] | None = None
    nonce: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] | None = None


class TransferReasonIn(_In):
    reason: Text
