"""Writes of inspections: open one, draw its sample, record a finding per case, conclude, the inspected
organisation's report on remedying, and the file closed.

Every write is keyword-only, takes ``actor``, checks the scope of the inspection **and** of each organisation
it names (``core.scope.scope_require``: the inspected organisation and the inspecting committee; another
province's is the same 404 as a missing one), checks the step against ``workflow.STEPS``, calls
``full_clean()`` and records its audit row in the same transaction. ``actor=None`` is the system (the seed,
the operator's command line), acting on the whole tree.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record, diff, snapshot
from partycard.core import clock
from partycard.core.scope import scope_require
from partycard.exchange.models import Campaign, Case
from partycard.inspections import sampling
from partycard.inspections.errors import (
    CaseNotInSample,
    FindingsMissing,
    NotALowerOrganisation,
    NothingToSample,
    NotTheInspectedOrganisation,
    NumberTaken,
    SampleTooLarge,
    WrongState,
)
from partycard.inspections.models import Finding, Inspection, SampledCase
from partycard.inspections.workflow import Step, next_state
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation

__all__ = [
    "finding_record",
    "inspection_close",
    "inspection_conclude",
    "inspection_open",
    "inspection_respond",
    "inspection_sample",
]


def _who(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _commission_of(actor: Any) -> Organisation | None:
    """The committee whose Inspection Commission the actor acts for: their organisation (the Centre for a
    central administrator, or the system, placed nowhere)."""
    org = getattr(actor, "organisation", None)
    return org if org is not None else Organisation.objects.filter(level=OrgLevel.CENTRE).first()


def _locked(inspection: Inspection) -> Inspection:
    """The inspection re-read under a row lock: two officers acting at once take their steps in turn."""
    return (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("organisation", "commission")
        .get(pk=inspection.pk)
    )


def _step(inspection: Inspection, step: Step) -> str:
    """The state ``step`` leads to, or refuse with why it may not be taken now."""
    target = next_state(inspection.state, step)
    if target is None:
        raise WrongState(step, inspection.state)
    return target.value


def _may_change(actor: Any, inspection: Inspection) -> None:
    """The inspection, the inspected organisation and the inspecting committee in the actor's scope for
    changing inspections (an inspector of Hà Nội changes nothing of Huế's, nor of the Centre's commission)."""
    scope_require(actor, Action.CHANGE_INSPECTION, inspection, inspection.organisation, inspection.commission)


@contextmanager
def _changing(actor: Any, inspection: Inspection) -> Iterator[Inspection]:
    """A transaction holding ``inspection`` re-read under its row lock, for ``actor`` to change: the scope is
    checked before the lock (no one outside it waits on the row) and again under it (it may have moved)."""
    _may_change(actor, inspection)
    with transaction.atomic():
        locked = _locked(inspection)
        _may_change(actor, locked)
        yield locked


def inspection_open(
    *,
    actor: Any,
    organisation: Organisation,
    campaign: Campaign,
    number: str,
    decided_on: dt.date,
    subject: str,
    period_start: dt.date,
    period_end: dt.date,
    place: str,
) -> Inspection:
    """Record the decision to inspect ``organisation``'s exchange work in ``campaign`` (Regulation
    22-QĐ/TW: an inspection starts with a decision, numbered, naming what is inspected and over which
    period), by the Inspection Commission of the actor's committee.

    Raises:
        OutOfScope: ``organisation`` is outside the actor's scope, or the actor may not inspect.
        NotALowerOrganisation: it is not below the actor's committee (Party Charter Art. 32).
        NumberTaken: the commission already has a decision with this number.
        ValidationError: a field is empty or the period runs backwards.
    """
    commission = _commission_of(actor)
    scope_require(actor, Action.CHANGE_INSPECTION, organisation, commission, field="organisation")
    # Party Charter Art. 32: the Inspection Commission inspects the party organisations below its committee.
    # Regulation 22-QĐ/TW Art. 1(2): a dissolved organisation may still be inspected, so that is no bar.
    if (
        commission is None
        or organisation.pk == commission.pk
        or not organisation.path.startswith(commission.path)
    ):
        raise NotALowerOrganisation()
    with transaction.atomic():
        if Inspection.objects.filter(commission=commission, number=number.strip()).exists():
            raise NumberTaken()
        inspection = Inspection(
            commission=commission, organisation=organisation, campaign=campaign, path=organisation.path,
            number=number.strip(), decided_on=decided_on, subject=subject.strip(), period_start=period_start,
            period_end=period_end, place=place.strip(), opened_by=_who(actor), opened_at=clock.now(),
        )  # fmt: skip
        inspection.full_clean()
        inspection.save()
        audit_record(
            actor=actor, action="inspection.open", obj=inspection,
            changes=diff({}, snapshot(inspection)),
        )  # fmt: skip
    return inspection


def inspection_sample(
    *,
    actor: Any,
    inspection: Inspection,
    size: int | None = None,
    percent: int | None = None,
    stratified: bool = True,
    seed: str | None = None,
) -> Inspection:
    """Draw the cases the team verifies: ``size`` of them, or ``percent`` of the inspected organisation's
    cases in the campaign, from its subtree only, reproducibly (``sampling.draw`` with a seed the system
    draws and records; ``seed`` is for re-drawing a recorded sample elsewhere, never offered on a page).
    Drawn once: a second draw could be used to choose which cases are seen.

    Raises:
        OutOfScope: the inspection or its organisations are outside the actor's scope.
        WrongState: the sample is already drawn.
        NothingToSample: the organisation has no case in the campaign.
        SampleTooLarge: more cases asked for than it has.
        ValueError: neither or both of ``size`` and ``percent``, or one out of range (the form stops these).
    """
    with _changing(actor, inspection) as inspection:
        target = _step(inspection, Step.SAMPLE)
        before = snapshot(inspection)
        # The population: the campaign's cases in the inspected organisation's subtree, as the actor may see
        # them (the subtree is inside the scope already checked; the scoped read keeps it so by construction).
        population = list(
            Case.objects.scoped(actor, Action.VIEW_CASE)
            .filter(campaign_id=inspection.campaign_id, path__startswith=inspection.organisation.path)
            .values_list("pk", "path", "organisation_id")
        )
        if not population:
            raise NothingToSample()
        wanted = sampling.sample_size(len(population), size=size, percent=percent)
        if wanted > len(population):
            raise SampleTooLarge(wanted, len(population))
        seed = seed or secrets.token_hex(16)
        cells = {pk: cell_id for pk, _path, cell_id in population}
        drawn = sampling.draw(
            seed, [(pk, path) for pk, path, _cell in population], wanted, stratified=stratified
        )
        SampledCase.objects.bulk_create(
            SampledCase(
                inspection=inspection, case_id=d.case_id, cell_id=cells[d.case_id], position=d.position,
                path=inspection.path,
            )
            for d in drawn
        )  # fmt: skip
        inspection.state = target
        inspection.sample_seed = seed
        inspection.sample_size = len(drawn)
        inspection.sample_percent = percent
        inspection.stratified = stratified
        inspection.population = len(population)
        inspection.population_digest = sampling.population_digest(cells)
        inspection.sampled_by, inspection.sampled_at = _who(actor), clock.now()
        inspection.full_clean()
        inspection.save()
        audit_record(
            actor=actor, action="inspection.sample", obj=inspection,
            changes={**diff(before, snapshot(inspection)), "cases": [d.case_id for d in drawn]},
        )  # fmt: skip
    return inspection


def finding_record(*, actor: Any, inspection: Inspection, case: Case, kind: str, note: str = "") -> Finding:
    """Record (or, while the team still verifies, correct) the finding on one sampled case.

    Raises:
        OutOfScope: the inspection, its organisations or the case are outside the actor's scope.
        CaseNotInSample: the case was not drawn for this inspection (outside the inspected subtree, or not
            drawn).
        WrongState: the sample is not drawn yet, or the inspection is concluded.
        ValidationError: an unknown kind, or no note on a case that was not correct.
    """
    with _changing(actor, inspection) as inspection:
        scope_require(actor, Action.VIEW_CASE, case, field="case")
        _step(inspection, Step.RECORD_FINDING)
        if not case.path.startswith(inspection.organisation.path):
            raise CaseNotInSample()
        sampled = SampledCase.objects.filter(inspection=inspection, case=case).first()
        if sampled is None:
            raise CaseNotInSample()
        finding = Finding.objects.filter(sampled=sampled).first()
        before = snapshot(finding) if finding else {}
        if finding is None:
            finding = Finding(sampled=sampled, path=inspection.path)
        finding.kind, finding.note = kind, note.strip()
        finding.recorded_by, finding.recorded_at = _who(actor), clock.now()
        finding.full_clean()
        finding.save()
        changes = diff(before, snapshot(finding))
        changes.pop("recorded_by_id", None)
        audit_record(
            actor=actor, action="inspection.finding", obj=finding,
            changes={"inspection": inspection.pk, "case": case.pk, **changes},
        )  # fmt: skip
    return finding


def inspection_conclude(
    *, actor: Any, inspection: Inspection, conclusion: str, number: str = ""
) -> Inspection:
    """Issue the conclusion (Regulation 22-QĐ/TW: the notice of the inspection's conclusion to the inspected
    organisation), once every sampled case has its finding: the conclusion rests on them.

    Raises:
        OutOfScope: the inspection or its organisations are outside the actor's scope.
        WrongState: not being verified (no sample yet, or already concluded).
        FindingsMissing: a sampled case has no finding.
        ValidationError: the conclusion is empty.
    """
    with _changing(actor, inspection) as inspection:
        _step(inspection, Step.CONCLUDE)  # not being verified: refused before the findings are counted
        missing = SampledCase.objects.filter(inspection=inspection, finding__isnull=True).count()
        if missing:
            raise FindingsMissing(missing)
        texts = {"conclusion": conclusion, "conclusion_number": number}
        return _advance(actor, inspection, Step.CONCLUDE, by="concluded", texts=texts, required="conclusion")


def _advance(
    actor: Any,
    inspection: Inspection,
    step: Step,
    *,
    by: str,
    texts: Mapping[str, str] | None = None,
    required: str | None = None,
) -> Inspection:
    """Take ``step`` on the locked ``inspection`` in the caller's transaction: the state it leads to, its
    ``texts`` (stripped), who and when (``<by>_by``, ``<by>_at``), validated, saved and audited
    ``inspection.<step>``.

    Raises:
        WrongState: ``step`` may not be taken from the inspection's state.
        ValidationError: the ``required`` text is empty (the form asks too; this holds for every door).
    """
    target = _step(inspection, step)
    before = snapshot(inspection)
    inspection.state = target
    for field, value in (texts or {}).items():
        setattr(inspection, field, value.strip())
    setattr(inspection, f"{by}_by", _who(actor))
    setattr(inspection, f"{by}_at", clock.now())
    if required and not getattr(inspection, required):
        raise ValidationError({required: [_("This field is required.")]})
    inspection.full_clean()
    inspection.save()
    audit_record(
        actor=actor,
        action=f"inspection.{step.value}",
        obj=inspection,
        changes=diff(before, snapshot(inspection)),
    )
    return inspection


def inspection_respond(*, actor: Any, inspection: Inspection, response: str) -> Inspection:
    """The inspected organisation's report on how it remedies what the conclusion found (Regulation
    22-QĐ/TW), by an officer of that organisation itself: not the commission, nor a committee above it.

    Raises:
        OutOfScope: the inspection is outside the actor's scope, or their role may not respond.
        NotTheInspectedOrganisation: the actor is not an officer of the inspected organisation.
        WrongState: there is no conclusion yet, or the report is already in.
        ValidationError: the report is empty.
    """
    scope_require(actor, Action.RESPOND_INSPECTION, inspection, inspection.organisation)
    if actor is not None and getattr(actor, "organisation_id", None) != inspection.organisation_id:
        raise NotTheInspectedOrganisation()
    with transaction.atomic():
        inspection = _locked(inspection)
        scope_require(actor, Action.RESPOND_INSPECTION, inspection, inspection.organisation)
        texts = {"response": response}
        return _advance(actor, inspection, Step.RESPOND, by="responded", texts=texts, required="response")


def inspection_close(*, actor: Any, inspection: Inspection) -> Inspection:
    """Close the file once the inspected organisation has reported on remedying.

    Raises:
        OutOfScope: the inspection or its organisations are outside the actor's scope.
        WrongState: no report on remedying yet, or already closed.
    """
    with _changing(actor, inspection) as inspection:
        return _advance(actor, inspection, Step.CLOSE, by="closed")
