"""Reads of the losses app: the reports in scope, each with the steps the actor may take, the rows of each
form at its level, a report's photos, and the members whose card waits for the cell's recovery."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from partycard.accounts.roles import Action, allowed
from partycard.cards.lifecycle import ACTIVE_LIKE, CardState, CardTransition
from partycard.cards.models import Card, CardEvent
from partycard.core.scope import get_scoped_or_404, role_of
from partycard.losses.documents import FormData, FormRow
from partycard.losses.models import CardRecovery, LossPhoto, LossReport
from partycard.losses.services import ENDING_OUTCOME, actor_levels
from partycard.losses.workflow import FORM_OF, STEPS, Form, Kind, Level, State, Step, check, form_for
from partycard.registry.models import Member, Organisation

__all__ = [
    "FormGroup",
    "form_data",
    "form_groups",
    "form_rows",
    "loss_get",
    "loss_list",
    "loss_photo",
    "loss_queue",
    "loss_steps",
    "member_loss_list",
    "recoverable_cards",
    "recovery_list",
    "recovery_waiting",
]


def loss_list(actor: Any, *, state: str = "") -> QuerySet[LossReport]:
    """The reports the actor may see, newest first."""
    rows = LossReport.objects.scoped(actor, Action.VIEW_LOSS).select_related(
        "member", "card", "organisation", "new_card"
    )
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-reported_at", "-pk")


def loss_queue(actor: Any, reports: list[LossReport]) -> list[tuple[LossReport, list[Step]]]:
    """Each report with the steps the actor may take on it, the actor's levels worked out once per cell."""
    by_cell: dict[int, frozenset[Level]] = {}
    rows = []
    for report in reports:
        if report.organisation_id not in by_cell:
            by_cell[report.organisation_id] = actor_levels(actor, report.member)
        rows.append((report, loss_steps(actor, report, by_cell[report.organisation_id])))
    return rows


def member_loss_list(actor: Any) -> QuerySet[LossReport]:
    """The member's own reports (the member's app): ``scope_own`` makes them the only ones."""
    return loss_list(actor)


def loss_get(actor: Any, report_id: int, action: str = Action.VIEW_LOSS) -> LossReport:
    """One report in scope, or the same 404 as a missing one."""
    return get_scoped_or_404(LossReport, actor, action, pk=report_id)


def loss_steps(actor: Any, report: LossReport, levels: frozenset[Level] | None = None) -> list[Step]:
    """The steps the actor may take on ``report`` now (a reason is asked for by the form). ``levels``: the
    actor's levels for the report's member, when the caller worked them out already (a list of reports
    shares them per cell)."""
    if levels is None:
        levels = actor_levels(actor, report.member)
    role = role_of(actor) or ""
    decider = allowed(role, Action.DECIDE_LOSS)
    steps: list[Step] = []
    for step, spec in STEPS.items():
        if step is Step.REPORT:
            continue
        if not allowed(role, Action.DECIDE_LOSS if spec.decides else Action.CHANGE_LOSS):
            continue
        problems = check(step, state=State(report.state), levels=levels, reason="-", decider=decider)
        if not problems:
            steps.append(step)
    return steps


def loss_photo(actor: Any, report: LossReport, photo_id: int) -> LossPhoto:
    """A photo of ``report`` (itself read in scope), in scope too, or the same 404."""
    return get_scoped_or_404(LossPhoto, actor, Action.VIEW_LOSS, pk=photo_id, report=report)


_DONE_BY = {Step.LIST: ("listed_by", "listed_on"), Step.COMPILE: ("compiled_by", "compiled_on"),
            Step.DECIDE: ("decided_by", "decided_on")}  # fmt: skip


@dataclass(frozen=True)
class FormGroup:
    """One form to download: the reports one organisation took a step on, on one day."""

    form: Form
    organisation: Organisation
    day: dt.date
    count: int


def form_rows(actor: Any, form: Form, organisation: Organisation, day: dt.date) -> QuerySet[LossReport]:
    """The reports ``form`` lists: those ``organisation`` listed, compiled or decided on ``day`` (of the
    form's kind), in the actor's scope, by cell and name."""
    step, kind = form_for(form)
    by, on = _DONE_BY[step]
    rows = loss_list(actor).filter(**{by: organisation, on: day})
    if kind is not None:
        rows = rows.filter(kind=kind.value)
    if step is Step.DECIDE:
        rows = rows.exclude(state=State.REFUSED)
    return rows.select_related("member__organisation").order_by(
        "organisation__name", "member__full_name", "pk"
    )


def form_groups(actor: Any, *, limit: int = 100) -> list[FormGroup]:
    """The forms the actor may download, newest first: each (step, kind) an organisation took on a day."""
    groups: dict[tuple[Form, int, dt.date], int] = {}
    orgs: dict[int, Organisation] = {}
    for report in loss_list(actor).select_related("listed_by", "compiled_by", "decided_by")[:2000]:
        for step, (by, on) in _DONE_BY.items():
            org, day = getattr(report, by), getattr(report, on)
            if org is None or day is None or (step is Step.DECIDE and report.state == State.REFUSED):
                continue
            kind = None if step is Step.DECIDE else Kind(report.kind)
            form = FORM_OF[(step, kind)]
            orgs[org.pk] = org
            groups[(form, org.pk, day)] = groups.get((form, org.pk, day), 0) + 1
    ordered = sorted(groups.items(), key=lambda item: (item[0][2], item[0][0]), reverse=True)
    return [FormGroup(form, orgs[org_id], day, n) for (form, org_id, day), n in ordered[:limit]]


def recoverable_cards(member: Member) -> QuerySet[Card]:
    """The member's cards that were in the member's hands when revoked (not ones revoked on their way
    down, which the Party still holds), and not yet recorded."""
    in_hands = CardEvent.objects.filter(
        card=OuterRef("pk"),
        transition=CardTransition.REVOKE.value,
        from_state__in=[s.value for s in ACTIVE_LIKE | {CardState.LOST}],
    )
    recorded = CardRecovery.objects.filter(card=OuterRef("pk"))
    return (
        Card.objects.filter(member=member, state=CardState.REVOKED)
        .filter(Exists(in_hands))
        .exclude(Exists(recorded))
        .order_by("-created_at")
    )


def recovery_waiting(actor: Any) -> QuerySet[Member]:
    """Members in scope who died, were expelled or removed, or resigned, one of whose cards waits for the
    cell's record."""
    in_hands = CardEvent.objects.filter(
        card__member=OuterRef("pk"),
        card__state=CardState.REVOKED,
        transition=CardTransition.REVOKE.value,
        from_state__in=[s.value for s in ACTIVE_LIKE | {CardState.LOST}],
    ).exclude(Exists(CardRecovery.objects.filter(card=OuterRef("card"))))
    return (
        Member.objects.scoped(actor, Action.CHANGE_LOSS)
        .filter(status__in=[s.value for s in ENDING_OUTCOME])
        .filter(Exists(in_hands))
        .select_related("organisation")
        .order_by("full_name", "pk")
    )


def recovery_list(actor: Any, member: Member | None = None) -> QuerySet[CardRecovery]:
    rows = CardRecovery.objects.scoped(actor, Action.VIEW_LOSS).select_related(
        "member", "card", "organisation"
    )
    if member is not None:
        rows = rows.filter(member=member)
    return rows.order_by("-recorded_at", "-pk")


def form_data(actor: Any, form: Form, organisation: Organisation, day: dt.date, place: str = "") -> FormData:
    """The rows of ``form`` as ``documents.form_pdf`` prints them (the issuing body and the one above)."""
    rows = [
        FormRow(
            member=r.member.full_name,
            date_of_birth=r.member.date_of_birth,
            cell=r.member.organisation.name,
            old_number=r.card.number,
            kind=r.kind,
            circumstances=r.circumstances,
            good_reason=r.good_reason,
            new_number=r.new_card.number if r.new_card else "",
        )
        for r in form_rows(actor, form, organisation, day)
    ]
    parent = organisation.parent.name if organisation.parent is not None else ""
    number = ""
    if form is Form.F4:
        numbers = sorted(
            {r.decision_number for r in form_rows(actor, form, organisation, day) if r.decision_number}
        )
        number = ", ".join(numbers)
    return FormData(
        form=form.value, body=organisation.name, parent=parent, place=place, issued_on=day, number=number,
        rows=rows,
    )  # fmt: skip
