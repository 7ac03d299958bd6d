"""Eligibility against the registry: map a member to ``eligibility.Facts``, store verdicts, and follow
member changes (a change re-evaluates the member in every open campaign and holds, resumes or cancels
their case)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from partycard.core import clock
from partycard.exchange.eligibility import Facts, ReasonCode, Verdict, evaluate
from partycard.exchange.models import Campaign, Case, Eligibility
from partycard.exchange.workflow import FINAL_STATES, TRANSITIONS, State, Transition
from partycard.registry.citizen_id import citizen_id_issues
from partycard.registry.models import Member
from partycard.registry.rules import MemberFacts, member_issues

__all__ = [
    "FACT_FIELDS",
    "evaluate_members",
    "facts_from_values",
    "facts_of",
    "members_reevaluate",
    "verdict_of",
]

# The member columns the rules read: the whole-country job reads only these.
FACT_FIELDS = (
    "id",
    "full_name",
    "gender",
    "date_of_birth",
    "citizen_id",
    "date_admitted",
    "date_official",
    "status",
    "file_number",
    "old_card_number",
    "phone",
    "under_discipline",
    "under_inspection",
    "dues_months_unpaid",
    "transfer_in_progress",
    "abroad",
)
# Reasons that end a case rather than hold it.
ENDING = frozenset({ReasonCode.DECEASED, ReasonCode.REMOVED, ReasonCode.EXPELLED, ReasonCode.LEFT})


def facts_from_values(v: dict[str, Any]) -> Facts:
    """``Facts`` from a member's :data:`FACT_FIELDS` (a ``values()`` row or a model's attributes)."""
    cid = v["citizen_id"]
    female = {"F": True, "M": False}.get(v["gender"])
    if not cid:
        cid_problem: str | None = _("not recorded")
    else:
        bad = citizen_id_issues(cid, date_of_birth=v["date_of_birth"], female=female)
        cid_problem = "; ".join(bad) if bad else None
    options = settings.PARTYCARD
    issues = member_issues(
        MemberFacts(
            full_name=v["full_name"],
            gender=v["gender"],
            date_of_birth=v["date_of_birth"],
            citizen_id=None,  # judged above, as its own reason
            date_admitted=v["date_admitted"],
            date_official=v["date_official"],
            status=v["status"],
            file_number=v["file_number"],
            old_card_number=v["old_card_number"],
            phone=v["phone"],
        ),
        today=clock.today(),
        probation_months=options["PROBATION_MONTHS"],
        min_admission_age=options["MIN_ADMISSION_AGE"],
    )
    return Facts(
        status=v["status"],
        date_official=v["date_official"],
        has_current_card=bool(v["old_card_number"]),
        citizen_id_problem=cid_problem,
        under_discipline=v["under_discipline"],
        under_inspection=v["under_inspection"],
        dues_months_unpaid=v["dues_months_unpaid"],
        transfer_in_progress=v["transfer_in_progress"],
        abroad=v["abroad"],
        data_problems=tuple(str(i.message) for i in issues),
    )


def facts_of(member: Member) -> Facts:
    return facts_from_values({name: getattr(member, name) for name in FACT_FIELDS})


def verdict_of(member: Member, campaign: Campaign) -> Verdict:
    return evaluate(facts_of(member), campaign.rules())


def _store(campaign: Campaign, verdicts: Iterable[tuple[int, Verdict]]) -> None:
    at = clock.now()
    rows = [
        Eligibility(
            campaign=campaign,
            member_id=member_id,
            eligible=v.eligible,
            postponed=v.postponed,
            codes=",".join(sorted(v.codes)),
            evaluated_at=at,
        )
        for member_id, v in verdicts
    ]
    Eligibility.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["campaign", "member"],
        update_fields=["eligible", "postponed", "codes", "evaluated_at"],
    )


def evaluate_members(
    campaign: Campaign, member_ids: Sequence[int] | None = None, **where: Any
) -> dict[int, Verdict]:
    """Evaluate and store the verdicts of the given members (or those matching ``where``)."""
    rules = campaign.rules()
    rows = (
        Member.objects.filter(pk__in=member_ids) if member_ids is not None else Member.objects.filter(**where)
    )
    verdicts = {v["id"]: evaluate(facts_from_values(v), rules) for v in rows.values(*FACT_FIELDS)}
    _store(campaign, verdicts.items())
    return verdicts


def _why(verdict: Verdict) -> str:
    return "; ".join(r.message_vi for r in verdict.reasons)[:500]


def members_reevaluate(member_ids: Sequence[int], *, actor: Any) -> None:
    """After a change to these members: store their verdicts in every open campaign, and hold, resume or
    cancel their open cases to match (system transitions, audited, in the caller's transaction)."""
    from partycard.exchange.services.cases import cases_transition

    if not member_ids:
        return
    with transaction.atomic():
        for campaign in Campaign.objects.filter(is_open=True):
            verdicts = evaluate_members(campaign, member_ids)
            moves: dict[tuple[Transition, str], list[int]] = {}
            cases = Case.objects.filter(campaign=campaign, member_id__in=member_ids).exclude(
                state__in=FINAL_STATES
            )
            for case in cases.only("id", "member_id", "state"):
                verdict = verdicts[case.member_id]
                if case.state == State.ON_HOLD:
                    if verdict.eligible:
                        moves.setdefault((Transition.RESUME, ""), []).append(case.pk)
                    elif verdict.codes & ENDING:
                        moves.setdefault((Transition.CANCEL, _why(verdict)), []).append(case.pk)
                elif not verdict.eligible and State(case.state) in TRANSITIONS[Transition.HOLD].sources:
                    move = Transition.CANCEL if verdict.codes & ENDING else Transition.HOLD
                    moves.setdefault((move, _why(verdict)), []).append(case.pk)
            for (move, reason), ids in moves.items():
                cases_transition(actor=actor, transition=move, case_ids=ids, reason=reason, system=True)


def on_members_changed(sender: Any, member_ids: Sequence[int], actor: Any, **kwargs: Any) -> None:
    members_reevaluate(member_ids, actor=actor)
