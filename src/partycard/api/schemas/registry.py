"""Schemas of the registry API: organisations and members, in and out.

Input schemas check shape only (types, lengths, choices, no NUL characters, which PostgreSQL cannot
store); the single-record and tree rules stay in the models and services. Unknown input fields are
refused, so a typo is a 422 and not a silently ignored change. Dates are ISO 8601.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, cast

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema

from partycard.api.schemas.paging import CodeCursor, TokenCursor
from partycard.registry.choices import Gender, MemberStatus, OrgLevel, Qualification, Religion
from partycard.registry.models import Member, Organisation
from partycard.registry.selectors import AGE_BANDS

__all__ = [
    "MemberIn",
    "MemberOut",
    "MemberPage",
    "MemberPatch",
    "MemberQuery",
    "OrganisationIn",
    "OrganisationOut",
    "OrganisationPage",
    "OrganisationPatch",
    "OrganisationQuery",
]

# PostgreSQL text cannot hold NUL; refusing it in the schema documents it and keeps it off the database.
_NO_NUL = r"^[^\x00]*$"


def _text(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=_NO_NUL)


def _iso_day(value: Any) -> Any:
    """Only an ISO 8601 calendar date (YYYY-MM-DD): pydantic would read a number as seconds since 1970,
    so ``0`` became 1 January 1970."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("must be a date written YYYY-MM-DD")
    return dt.date.fromisoformat(value)


# A date the registry can hold: the rules compute ages and anniversaries on them.
Day = Annotated[dt.date, BeforeValidator(_iso_day), Field(ge=dt.date(1900, 1, 1), le=dt.date(2100, 12, 31))]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{0,19}$")]
CodeRef = Annotated[str, _text(20, 1)]  # a code to look up: anything else is simply not found


def _age_band(value: str) -> str:
    if value not in AGE_BANDS:
        raise ValueError(f"must be one of {', '.join(AGE_BANDS)}")
    return value


# The bands are defined once, by the member list selector.
AgeBand = Annotated[
    str, AfterValidator(_age_band), WithJsonSchema({"type": "string", "enum": list(AGE_BANDS)})
]


def _drop_null_defaults(schema: dict[str, Any]) -> None:
    """In a PATCH schema an absent field means "unchanged", not null: do not advertise a null default."""
    for prop in schema.get("properties", {}).values():
        if prop.get("default", ...) is None:
            del prop["default"]


# A PATCH field left out: ``model_dump(exclude_unset=True)`` drops it, and an explicit null is refused.
_ABSENT: Any = None


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# ---- organisations -------------------------------------------------------------------------------


class OrganisationOut(Schema):
    code: str
    name: str
    level: int = Field(description="0 Centre … 6 party cell (see OrgLevel).")
    level_name: str
    parent: str | None = Field(description="The parent's code; null for the Centre.")
    path: str
    member_count: int = Field(description="Probationary and official members directly in it.")
    dissolved_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_level_name(obj: Organisation) -> str:
        return str(obj.get_level_display())

    @staticmethod
    def resolve_parent(obj: Organisation) -> str | None:
        return obj.parent.code if obj.parent_id else None  # type: ignore[union-attr]


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next_cursor: str | None


class OrganisationQuery(Schema):
    parent: CodeRef | None = Field(None, description="Whose children to list; default the top of your scope.")
    cursor: CodeCursor = Field(None, description="next_cursor of the page before; empty: the first page.")
    limit: int = Field(50, ge=1, le=200)


class OrganisationIn(_In):
    code: Code
    name: Annotated[str, _text(200, 1)]
    level: OrgLevel
    parent: CodeRef = Field(description="The parent organisation's code; it must be in your scope.")


class OrganisationPatch(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_drop_null_defaults)

    name: Annotated[str, _text(200, 1)] = _ABSENT
    dissolved_on: Day | None = None


# ---- members -------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    organisation: str = Field(description="The code of the member's cell.")
    full_name: str
    birth_name: str
    alias: str
    gender: str
    date_of_birth: dt.date
    place_of_birth: str
    home_town: str
    permanent_address: str
    temporary_address: str
    ethnicity: int = Field(description="Ethnic group code 1–54.")
    religion: str
    general_education: str
    qualification: str
    occupation: str
    citizen_id: str | None
    file_number: str | None
    old_card_number: str | None
    date_admitted: dt.date
    date_official: dt.date | None
    status: str
    status_changed_on: dt.date | None
    phone: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_organisation(obj: Member) -> str:
        return obj.organisation.code

    @staticmethod
    def resolve_ethnicity(obj: Member) -> int:
        return cast(int, obj.ethnicity_id)


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")


class MemberQuery(Schema):
    q: Annotated[str, _text(100)] = Field("", description="Words of the name, accents optional.")
    organisation: CodeRef | None = Field(None, description="Only this organisation's subtree.")
    status: MemberStatus | None = None
    gender: Gender | None = None
    age_band: AgeBand | None = None
    cursor: TokenCursor = Field(None, description="next_cursor of the page before; empty: the first page.")
    limit: int = Field(50, ge=1, le=200)


class MemberIn(_In):
    organisation: CodeRef = Field(description="The code of the member's cell; it must be in your scope.")
    full_name: Annotated[str, _text(100, 1)]
    birth_name: Annotated[str, _text(100)] = ""
    alias: Annotated[str, _text(100)] = ""
    gender: Gender
    date_of_birth: Day
    place_of_birth: Annotated[str, _text(200)] = ""
    home_town: Annotated[str, _text(200)] = ""
    permanent_address: Annotated[str, _text(255)] = ""
    temporary_address: Annotated[str, _text(255)] = ""
    ethnicity: int = Field(1, ge=1, le=54, description="Ethnic group code 1–54 (1 = Kinh).")
    religion: Religion = Religion.NONE
    general_education: Annotated[str, _text(10)] = ""
    qualification: Qualification | None = None
    occupation: Annotated[str, _text(100)] = ""
    citizen_id: Annotated[str, _text(12)] | None = Field(None)
    file_number: Annotated[str, _text(10)] | None = Field(None)
    old_card_number: Annotated[str, _text(8)] | None = Field(None)
    date_admitted: Day
    date_official: Day | None = None
    status: MemberStatus = MemberStatus.PROBATIONARY
    status_changed_on: Day | None = None
    phone: Annotated[str, _text(15)] = ""


class MemberPatch(_In):
    """Only the fields present change; ``reason`` goes into the record's history."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_drop_null_defaults)

    organisation: CodeRef = _ABSENT
    full_name: Annotated[str, _text(100, 1)] = _ABSENT
    birth_name: Annotated[str, _text(100)] = _ABSENT
    alias: Annotated[str, _text(100)] = _ABSENT
    gender: Gender = _ABSENT
    date_of_birth: Day = _ABSENT
    place_of_birth: Annotated[str, _text(200)] = _ABSENT
    home_town: Annotated[str, _text(200)] = _ABSENT
    permanent_address: Annotated[str, _text(255)] = _ABSENT
    temporary_address: Annotated[str, _text(255)] = _ABSENT
    ethnicity: Annotated[int, Field(ge=1, le=54)] = _ABSENT
    religion: Religion = _ABSENT
    general_education: Annotated[str, _text(10)] = _ABSENT
    qualification: Qualification | None = None
    occupation: Annotated[str, _text(100)] = _ABSENT
    citizen_id: Annotated[str, _text(12)] | None = Field(None)
    file_number: Annotated[str, _text(10)] | None = Field(None)
    old_card_number: Annotated[str, _text(8)] | None = Field(None)
    date_admitted: Day = _ABSENT
    date_official: Day | None = None
    status: MemberStatus = _ABSENT
    status_changed_on: Day | None = None
    phone: Annotated[str, _text(15)] = _ABSENT
    reason: Annotated[str, _text(100)] = Field(
        "", description="Why the record changed (kept in its history)."
    )
