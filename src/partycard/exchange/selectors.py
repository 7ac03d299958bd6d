"""Reads of the exchange, each scoped to the actor: queues with counts, a cell's candidates with their
verdicts, a case's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from partycard.accounts.roles import Action
from partycard.core import clock
from partycard.exchange.eligibility import Verdict, evaluate
from partycard.exchange.models import Campaign, Case, CaseEvent
from partycard.exchange.services.cases import actor_levels, home_level
from partycard.exchange.services.evaluation import FACT_FIELDS, facts_from_values, reasons_vi
from partycard.exchange.workflow import TRANSITIONS, Level, State, Transition, queue_states
from partycard.registry.choices import ACTIVE_STATUSES, MEMBER_HOLDING_LEVELS
from partycard.registry.models import Member, Organisation
from partycard.registry.selectors import commune_paths_below

__all__ = [
    "Candidate",
    "campaign_current",
    "case_events",
    "cases_for",
    "cell_candidates",
    "home_level",
    "level_transitions",
    "organisation_code_example",
    "queue_for",
    "queue_states_present",
    "state_counts",
]


def campaign_current() -> Campaign | None:
    """The open campaign with the latest cut-off (the one the screens show by default)."""
    return Campaign.objects.filter(is_open=True).order_by("-cut_off").first()


def level_transitions(level: Level | None) -> list[Transition]:
    """The transitions an officer at ``level`` may make (what the queue's bulk buttons offer)."""
    if level is None:
        return []
    return [t for t, spec in TRANSITIONS.items() if level in spec.levels and t is not Transition.PROPOSE]


def cases_for(actor: Any, campaign: Campaign) -> QuerySet[Case]:
    """Every case of the campaign the actor may see."""
    return Case.objects.scoped(actor, Action.VIEW_CASE).filter(campaign=campaign)


def state_counts(actor: Any, campaign: Campaign) -> dict[str, int]:
    """Cases in the actor's scope by state (every state present, zeros included)."""
    counts = {s.value: 0 for s in State}
    for row in cases_for(actor, campaign).order_by().values("state").annotate(n=Count("id")):
        counts[row["state"]] = row["n"]
    return counts


def queue_for(
    actor: Any,
    campaign: Campaign,
    *,
    state: str | None = None,
    organisation_code: str | None = None,
) -> QuerySet[Case]:
    """The cases waiting for the actor's level (returned cases waiting for it included), or, with
    ``state``, every case in that state in the actor's scope; optionally under one organisation."""
    cases = cases_for(actor, campaign).select_related("member", "organisation")
    if state:
        cases = cases.filter(state=state)
    else:
        level = home_level(actor)
        if level is None:
            return cases.none()
        waiting = [s.value for s in queue_states(level)]
        cases = cases.filter(Q(state__in=waiting) | Q(state=State.RETURNED, returned_to=level.value))
        if level is Level.UPPER:
            # A cell under a nearer commune-level committee (the Army's nested tiers) waits for that one.
            for inner in commune_paths_below(actor.organisation):
                cases = cases.exclude(path__startswith=inner)
    if organisation_code:
        org = Organisation.objects.filter(code=organisation_code).only("path").first()
        cases = cases.filter(path__startswith=org.path) if org else cases.none()
    return cases.order_by("path", "member__name_search", "pk")


def queue_states_present(queue: QuerySet[Case], counts: dict[str, int]) -> list[State]:
    """The states that at least one case of ``queue`` is in. ``counts`` (``state_counts``, the actor's whole
    scope) spares the lookup of a state no case in scope is in; each other state costs one ``EXISTS``."""
    return [s for s in State if counts.get(s.value) and queue.filter(state=s.value).exists()]


def organisation_code_example(actor: Any, *, cells: bool = False) -> str:
    """A real code from the actor's scope, as the example of an organisation filter: an organisation one
    level below the actor's own, or with ``cells`` a party cell; "" when the scope has none."""
    orgs = Organisation.objects.scoped(actor, Action.VIEW_CASE)
    if cells:
        cell = orgs.filter(level__in=MEMBER_HOLDING_LEVELS).order_by("path").values_list("code", flat=True)
        return cell.first() or ""
    own = getattr(actor, "organisation", None) or orgs.filter(parent__isnull=True).first()
    if own is None:
        return ""
    below = orgs.filter(parent=own).order_by("code").values_list("code", flat=True).first()
    return below or own.code


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "pk")


@dataclass(frozen=True)
class Candidate:
    """A member of a cell as the secretary sees them for the exchange: the verdict, and their case if any."""

    member: Member
    verdict: Verdict
    case: Case | None

    @property
    def can_propose(self) -> bool:
        return self.verdict.eligible and self.case is None

    @property
    def reasons_vi(self) -> list[str]:
        """The verdict's reasons in Vietnamese (from the catalogue)."""
        return reasons_vi(self.verdict)


def cell_candidates(actor: Any, campaign: Campaign, cell: Organisation) -> list[Candidate]:
    """The active members of ``cell`` (in the actor's scope), each with a fresh verdict and their case."""
    members = list(
        Member.objects.scoped(actor, Action.VIEW_MEMBER)
        .filter(organisation=cell, status__in=ACTIVE_STATUSES)
        .order_by("name_search", "pk")
    )
    cases = {c.member_id: c for c in Case.objects.filter(campaign=campaign, member__in=members)}
    rules, today = campaign.rules(), clock.today()
    return [
        Candidate(
            m,
            evaluate(facts_from_values({f: getattr(m, f) for f in FACT_FIELDS}), rules, today=today),
            cases.get(m.pk),
        )
        for m in members
    ]


def can_act(actor: Any, case: Case) -> frozenset[Level]:
    """The levels at which the actor stands for this case (empty: they only look)."""
    return actor_levels(actor, case.path)
