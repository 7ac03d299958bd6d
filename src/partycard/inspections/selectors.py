"""Reads of inspections: the list and one inspection, its sample with the findings, what the actor may do
next on it, and the summary the reports show. Each starts from ``objects.scoped(actor, action)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.core.scope import get_scoped_or_404, role_of
from partycard.inspections.choices import FindingKind
from partycard.inspections.models import Finding, Inspection, SampledCase
from partycard.inspections.workflow import State, Step, next_state
from partycard.registry.models import Organisation

__all__ = [
    "InspectionSummary",
    "finding_counts",
    "inspection_get",
    "inspection_list",
    "inspection_steps",
    "inspection_summary",
    "sample_get",
    "sample_rows",
]


def inspection_list(actor: Any, *, state: str = "") -> QuerySet[Inspection]:
    """The inspections the actor may see, newest first (``state`` narrows to one state)."""
    found = Inspection.objects.scoped(actor, Action.VIEW_INSPECTION).select_related(
        "organisation", "commission", "campaign"
    )
    if state in {s.value for s in State}:
        found = found.filter(state=state)
    return found


def inspection_get(actor: Any, inspection_id: int) -> Inspection:
    """The inspection, if the actor may see it; else the 404 of a missing one."""
    return get_scoped_or_404(Inspection, actor, Action.VIEW_INSPECTION, pk=inspection_id)


def sample_rows(actor: Any, inspection: Inspection) -> QuerySet[SampledCase]:
    """The inspection's sampled cases in draw order, each with its case, member, cell and finding."""
    return (
        SampledCase.objects.scoped(actor, Action.VIEW_INSPECTION)
        .filter(inspection=inspection)
        .select_related("case__member", "cell", "finding")
        .order_by("position")
    )


def sample_get(actor: Any, inspection: Inspection, case_id: int) -> SampledCase:
    """One sampled case of the inspection (by the case's id), in the actor's scope; else a 404."""
    found = (
        SampledCase.objects.scoped(actor, Action.VIEW_INSPECTION)
        .select_related("case__member", "cell", "finding")
        .filter(inspection=inspection, case_id=case_id)
        .first()
    )
    if found is None:
        raise Http404(_("No such record."))
    return found


def finding_counts(actor: Any, inspection: Inspection) -> dict[str, int]:
    """How many findings of each kind the inspection has (every kind, zeros included, in choice order)."""
    rows = (
        Finding.objects.scoped(actor, Action.VIEW_INSPECTION)
        .filter(sampled__inspection=inspection)
        .values("kind")
        .annotate(n=Count("pk"))
    )
    counted = {r["kind"]: r["n"] for r in rows}
    return {kind.value: counted.get(kind.value, 0) for kind in FindingKind}


def inspection_steps(actor: Any, inspection: Inspection) -> frozenset[Step]:
    """The steps the page may offer the actor on this inspection now (the services decide; this only
    spares an officer a button that would be refused)."""
    steps: set[Step] = set()
    changes = (
        Inspection.objects.scoped(actor, Action.CHANGE_INSPECTION).filter(pk=inspection.pk).exists()
        and Organisation.objects.scoped(actor, Action.CHANGE_INSPECTION)
        .filter(pk=inspection.commission_id)
        .exists()
    )
    if changes:
        steps |= {s for s in (Step.SAMPLE, Step.RECORD_FINDING, Step.CONCLUDE, Step.CLOSE)
                  if next_state(inspection.state, s)}  # fmt: skip
    responds = (
        next_state(inspection.state, Step.RESPOND) is not None
        and getattr(actor, "organisation_id", None) == inspection.organisation_id
        and Inspection.objects.scoped(actor, Action.RESPOND_INSPECTION).filter(pk=inspection.pk).exists()
    )
    if responds:
        steps.add(Step.RESPOND)
    return frozenset(steps)


@dataclass(frozen=True)
class InspectionSummary:
    """The inspections of a subtree, for the reports.

    Counts by present state: ``open`` (decided or being verified), ``concluded`` (awaiting the inspected
    organisation's report on remedying), ``responded`` (report in, file not yet closed), ``closed``.
    ``findings`` counts the findings by kind (every ``FindingKind`` value, zeros included); ``cases_sampled``
    is the number of cases drawn, ``findings_recorded`` how many of them have a finding so far.
    """

    open: int = 0
    concluded: int = 0
    responded: int = 0
    closed: int = 0
    cases_sampled: int = 0
    findings_recorded: int = 0
    findings: dict[str, int] = field(default_factory=lambda: {k.value: 0 for k in FindingKind})

    @property
    def total(self) -> int:
        return self.open + self.concluded + self.responded + self.closed

    @property
    def findings_wrong(self) -> int:
        """Findings of any kind but "correct": the cases the organisations have to remedy."""
        return self.findings_recorded - self.findings.get(FindingKind.CORRECT.value, 0)


def inspection_summary(actor: Any, *, path: str) -> InspectionSummary:
    """The summary of the inspections of the organisations under ``path`` (an organisation's path, "TW.P01.";
    "" for the whole tree) that the actor may see (``VIEW_INSPECTION``): outside their scope nothing counts.
    Three queries, whatever the number of inspections."""
    if role_of(actor) is None:
        return InspectionSummary()
    inspections = Inspection.objects.scoped(actor, Action.VIEW_INSPECTION).filter(path__startswith=path)
    by_state = {r["state"]: r["n"] for r in inspections.values("state").annotate(n=Count("pk"))}
    sampled = SampledCase.objects.scoped(actor, Action.VIEW_INSPECTION).filter(path__startswith=path).count()
    kinds = {
        r["kind"]: r["n"]
        for r in Finding.objects.scoped(actor, Action.VIEW_INSPECTION)
        .filter(path__startswith=path)
        .values("kind")
        .annotate(n=Count("pk"))
    }
    findings = {k.value: kinds.get(k.value, 0) for k in FindingKind}
    return InspectionSummary(
        open=by_state.get(State.OPEN, 0) + by_state.get(State.SAMPLED, 0),
        concluded=by_state.get(State.CONCLUDED, 0),
        responded=by_state.get(State.RESPONDED, 0),
        closed=by_state.get(State.CLOSED, 0),
        cases_sampled=sampled,
        findings_recorded=sum(findings.values()),
        findings=findings,
    )
