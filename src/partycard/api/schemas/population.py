"""Schemas of the population routes (input shape only; the services decide what may happen)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, StringConstraints

from partycard.api.schemas.paging import IdCursor
from partycard.population.models import TaskReason, TaskStatus
from partycard.registry.choices import Gender

__all__ = [
    "CheckCountsOut",
    "CheckRunIn",
    "CheckRunOut",
    "CheckRunPage",
    "CheckRunQuery",
    "DataTaskOut",
    "DataTaskPage",
    "DataTaskQuery",
    "TaskConfirmIn",
    "TaskCorrectIn",
]

MAX_ID = 2**63 - 1
_NO_NUL = r"^[^\x00]*$"
Code = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")]
Note = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=_NO_NUL)]


# OpenAPI components are named after the classes: names of their own.
class DataTaskStatus(StrEnum):
    OPEN = TaskStatus.OPEN.value
    CORRECTED = TaskStatus.CORRECTED.value
    CONFIRMED = TaskStatus.CONFIRMED.value
    CLOSED = TaskStatus.CLOSED.value


class DataTaskReason(StrEnum):
    NOT_FOUND = TaskReason.NOT_FOUND.value
    NAME_ACCENTS = TaskReason.NAME_ACCENTS.value
    NAME = TaskReason.NAME.value
    DATE_OF_BIRTH = TaskReason.DATE_OF_BIRTH.value
    GENDER = TaskReason.GENDER.value
    DECEASED = TaskReason.DECEASED.value
    NO_CITIZEN_ID = TaskReason.NO_CITIZEN_ID.value


class PersonGender(StrEnum):
    MALE = Gender.MALE.value
    FEMALE = Gender.FEMALE.value


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class OrgRef(Schema):
    code: str
    name: str


class CheckCountsOut(Schema):
    organisation: OrgRef | None = Field(description="null: the total of the organisation asked for.")
    checked: int
    agreed: int
    differed: int
    not_found: int
    name_accents: int
    name: int
    date_of_birth: int
    gender: int
    deceased: int
    no_citizen_id: int


class CheckRunOut(Schema):
    id: int
    organisation: OrgRef
    job: int | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    members: int = Field(description="Members to check; -1 for a run above your scope (your part only).")
    checked: int
    agreed: int
    differed: int
    no_citizen_id: int
    percent: int


class CheckRunPage(Schema):
    items: list[CheckRunOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")


class CheckRunIn(_In):
    organisation: Code = Field(description="The code of the organisation whose subtree is checked.")


class DataTaskOut(Schema):
    id: int
    member: int
    member_name: str
    cell: OrgRef
    reasons: list[str]
    found: dict[str, str] = Field(description="The population database's value of each differing field.")
    status: str
    note: str
    raised_at: dt.datetime
    resolved_at: dt.datetime | None
    run: int | None


class DataTaskPage(Schema):
    items: list[DataTaskOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")


class CheckRunQuery(Schema):
    cursor: IdCursor = Field(None, description="next_cursor of the page before; empty: the first page.")
    limit: int = Field(50, ge=1, le=200)


class DataTaskQuery(Schema):
    organisation: Code | None = Field(None, description="Only this organisation's subtree.")
    status: DataTaskStatus | None = Field(None, description="Default: open.")
    reason: DataTaskReason | None = None
    cursor: IdCursor = Field(None, description="next_cursor of the page before; empty: the first page.")
    limit: int = Field(50, ge=1, le=200)


class TaskCorrectIn(_In):
    full_name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_NO_NUL)] | None = None
    date_of_birth: dt.date | None = None
    gender: PersonGender | None = None
    citizen_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")] | None = None
    note: Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)] = ""


class TaskConfirmIn(_In):
    note: Note
