"""Schemas of the dues API: payments, a cell's month, the bulk record, a member's declaration, and the
statistics of an organisation's children. Input schemas check shape only; unknown fields are refused."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, StringConstraints

from partycard.dues.models.payment import MAX_AMOUNT

__all__ = [
    "MONTH_PATTERN",
    "CellMonthOut",
    "DeclareIn",
    "DuesSummaryOut",
    "MonthRowOut",
    "MyDuesOut",
    "OrgDuesOut",
    "PaymentOut",
    "RecordIn",
    "RecordLine",
    "RefuseIn",
]

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_NO_NUL = r"^[^\x00]*$"
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]
Amount = Annotated[int, Field(ge=1, le=MAX_AMOUNT, description="In đồng.")]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class PaymentOut(Schema):
    id: int
    member: int
    cell: str = Field(description="The code of the cell that holds the payment.")
    month: str = Field(description="YYYY-MM")
    amount: int = Field(description="In đồng.")
    status: str = Field(description="recorded, declared, confirmed or refused")
    paid: bool = Field(description="Recorded or confirmed by the cell: counts as paid (Charter Art. 8(2)).")
    note: str
    refusal_reason: str
    recorded_at: dt.datetime | None
    declared_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    refused_at: dt.datetime | None


class MonthRowOut(Schema):
    member: int
    full_name: str
    owes: bool = Field(description="Whether the member owes dues for this month.")
    proposed: int | None = Field(description="The amount to propose: this month's, else last month's.")
    payment: PaymentOut | None


class CellMonthOut(Schema):
    cell: str
    month: str
    paid: int
    in_arrears: int
    awaiting: int
    collected: int
    rows: list[MonthRowOut]


class RecordLine(_In):
    member: Id
    amount: Amount


class RecordIn(_In):
    payments: list[RecordLine] = Field(min_length=1, max_length=1000)
    note: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] = ""


class RefuseIn(_In):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=_NO_NUL)]


class DeclareIn(_In):
    month: Month
    amount: Amount
    note: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] = ""


class OrgDuesOut(Schema):
    organisation: str
    name: str
    owing: int
    paid: int
    in_arrears: int
    awaiting: int
    collected: int


class DuesSummaryOut(Schema):
    month: str
    total: OrgDuesOut
    children: list[OrgDuesOut]


class MyDuesOut(Schema):
    unpaid_months: list[str] = Field(description="The months recorded unpaid on your record (YYYY-MM).")
    payments: list[PaymentOut]
