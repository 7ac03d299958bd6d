"""Schemas of the exchange API: campaigns, cases and their events, eligibility verdicts, background jobs.

Input schemas check shape only (types, lengths, which transitions a person may ask for); whether a case
may move is ``workflow.check``'s to say, through the services. Unknown input fields are refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, WithJsonSchema

from partycard.api.schemas.paging import IdCursor
from partycard.exchange.jobs import MAX_BULK  # case ids in one bulk transition
from partycard.exchange.models import Campaign, Case, CaseEvent
from partycard.exchange.selectors import can_act, case_events
from partycard.exchange.workflow import RESUBMITTED_TO, TRANSITIONS, Level, State, Transition
from partycard.jobs.models import Job

__all__ = [
    "MAX_BULK",
    "BulkTransitionIn",
    "CampaignOut",
    "CaseCounts",
    "CaseDetail",
    "CaseEventOut",
    "CaseIn",
    "CaseOut",
    "CasePage",
    "CaseQuery",
    "EligibilityOut",
    "EligibilityReasonOut",
    "FailurePage",
    "FailureQuery",
    "JobOut",
    "TransitionIn",
]

MAX_ID = 2**63 - 1  # a bigint primary key
_NO_NUL = r"^[^\x00]*$"

# What a person may ask for: proposing is POST /cases, and hold/resume are the system's alone.
ACTABLE = tuple(
    t.value for t, spec in TRANSITIONS.items() if t is not Transition.PROPOSE and spec.levels - {Level.SYSTEM}
)


def _actable(value: Transition) -> Transition:
    if value.value not in ACTABLE:
        raise ValueError(f"must be one of {', '.join(ACTABLE)}")
    return value


def _return_level(value: Level) -> Level:
    if value not in RESUBMITTED_TO:
        raise ValueError(f"must be one of {', '.join(RESUBMITTED_TO)}")
    return value


ActTransition = Annotated[
    Transition, AfterValidator(_actable), WithJsonSchema({"type": "string", "enum": list(ACTABLE)})
]
ReturnLevel = Annotated[
    Level,
    AfterValidator(_return_level),
    WithJsonSchema({"type": "string", "enum": [lv.value for lv in RESUBMITTED_TO]}),
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Reason = Annotated[str, StringConstraints(max_length=500, pattern=_NO_NUL)]


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


# ---- campaigns -----------------------------------------------------------------------------------


class CampaignOut(Schema):
    id: int
    code: str
    name: str
    cut_off: dt.date = Field(description="Members must be official by this date.")
    is_open: bool
    removal_months: int = Field(
        description="Months of dues unpaid, or of party activities skipped, without good reason within the "
        "last 12 months that refuse a new card (Party Charter Art. 8(2): three)."
    )
    postpone_under_discipline: bool
    postpone_under_inspection: bool
    postpone_transfer_in_progress: bool
    require_citizen_id: bool
    abroad_card_holder: str | None = Field(
        description="The code of the committee that holds the cards of members abroad (being abroad does "
        "not affect eligibility); null: not named yet."
    )

    @staticmethod
    def resolve_abroad_card_holder(obj: Campaign) -> str | None:
        holder = obj.abroad_card_holder
        return holder.code if holder is not None else None


# ---- cases ---------------------------------------------------------------------------------------


class CaseOut(Schema):
    id: int
    campaign: int = Field(description="The campaign's id.")
    member: int = Field(description="The member's id.")
    member_name: str
    organisation: str = Field(description="The code of the member's cell when the case was proposed.")
    state: State
    returned_to: Level | None = Field(description="Where a returned case waits; null otherwise.")
    held_from: State | None = Field(description="The state a held case resumes to; null otherwise.")
    note: str = Field(description="The last reason given (return, reject, hold, cancel).")
    card_number: str | None = Field(description="The new card number, once the Centre has accepted.")
    your_levels: list[Level] = Field(
        description="The levels at which you act for this case (empty: you only look)."
    )
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_campaign(obj: Case) -> int:
        return int(obj.campaign_id)

    @staticmethod
    def resolve_member(obj: Case) -> int:
        return int(obj.member_id)

    @staticmethod
    def resolve_member_name(obj: Case) -> str:
        return obj.member.full_name

    @staticmethod
    def resolve_organisation(obj: Case) -> str:
        return obj.organisation.code

    @staticmethod
    def resolve_returned_to(obj: Case) -> str | None:
        return obj.returned_to or None

    @staticmethod
    def resolve_held_from(obj: Case) -> str | None:
        return obj.held_from or None

    @staticmethod
    def resolve_your_levels(obj: Case, context: dict[str, Any]) -> list[str]:
        return sorted(can_act(context["request"].auth.user, obj))


class CaseEventOut(Schema):
    transition: Transition
    from_state: State | None = Field(description="Null for the proposal.")
    to_state: State
    actor: str | None = Field(description="The username of who acted; null for the system.")
    reason: str
    job: int | None = Field(description="The background job that made it, if any.")
    at: dt.datetime

    @staticmethod
    def resolve_from_state(obj: CaseEvent) -> str | None:
        return obj.from_state or None

    @staticmethod
    def resolve_actor(obj: CaseEvent) -> str | None:
        return obj.actor.get_username() if obj.actor else None

    @staticmethod
    def resolve_job(obj: CaseEvent) -> int | None:
        return obj.job_id


class CaseDetail(CaseOut):
    events: list[CaseEventOut] = Field(description="The case's timeline, oldest first.")

    @staticmethod
    def resolve_events(obj: Case) -> list[CaseEvent]:
        return list(case_events(obj))


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")


class CaseQuery(Schema):
    campaign: Id | None = Field(None, description="Default: the open campaign with the latest cut-off.")
    state: State | None = None
    organisation: Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=_NO_NUL)] | None = (
        Field(None, description="Only this organisation's subtree (a code in your scope).")
    )
    card_number: Annotated[str, StringConstraints(max_length=20, pattern=_NO_NUL)] | None = Field(
        None, description="The new card's number (spaces and hyphens allowed)."
    )
    waiting: bool = Field(False, description="Only the cases waiting for your level (your queue).")
    cursor: IdCursor = Field(None, description="next_cursor of the page before; empty: the first page.")
    limit: int = Field(50, ge=1, le=200)


class CaseCounts(Schema):
    campaign: int
    counts: dict[State, int] = Field(description="Cases in your scope by state, every state present.")


class CaseIn(_In):
    campaign: Id = Field(description="An open campaign's id.")
    member: Id = Field(description="The id of a member in your cell.")


class TransitionIn(_In):
    transition: ActTransition
    reason: Reason = Field("", description="Required to return, reject or cancel.")
    return_to: ReturnLevel | None = Field(None, description="Where a returned case goes (return only).")


class BulkTransitionIn(TransitionIn):
    case_ids: list[Id] = Field(min_length=1, max_length=MAX_BULK)


# ---- eligibility ---------------------------------------------------------------------------------


class EligibilityReasonOut(Schema):
    """One reason of an eligibility verdict (not the verifier's ``VerdictReasonOut``: OpenAPI names each
    schema by its class, so two classes of one name would share, and break, one component)."""

    code: str
    message_vi: str
    message_en: str
    postpones: bool = Field(description="The reason only postpones the exchange (the case waits).")


class EligibilityOut(Schema):
    member: int
    campaign: int
    eligible: bool
    postponed: bool = Field(description="Not eligible now, only for reasons that resolve.")
    reasons: list[EligibilityReasonOut] = Field(description="Every reason that applies, computed now.")


# ---- jobs ----------------------------------------------------------------------------------------


class FailureOut(Schema):
    target_id: int = Field(description="The case id (a member id for a proposal).")
    message_en: str
    message_vi: str


class FailureQuery(Schema):
    cursor: IdCursor = Field(None, description="next_cursor of the page before; empty: the first page.")
    limit: int = Field(100, ge=1, le=1000)


class FailurePage(Schema):
    items: list[FailureOut]
    next_cursor: str | None


class JobOut(Schema):
    id: int
    kind: str = Field(description="exchange.transition or exchange.evaluate.")
    status: Job.Status
    progress: int = Field(description="Percent of the chunks done.")
    total: int = Field(description="Items to do.")
    succeeded: int
    failed: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    failures: FailurePage = Field(
        description="The first failures by target id; continue with GET /jobs/{id}/failures?cursor=."
    )
