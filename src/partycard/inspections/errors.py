"""Refusals of the inspections' services: flat, named after what failed, each with a translated message."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from partycard.core.errors import DomainError, ErrorCode
from partycard.inspections.workflow import State, Step

__all__ = [
    "CaseNotInSample",
    "FindingsMissing",
    "InspectionError",
    "NotALowerOrganisation",
    "NotTheInspectedOrganisation",
    "NothingToSample",
    "NumberTaken",
    "SampleTooLarge",
    "WrongState",
]


def _n(value: int) -> str:
    """A count as the locale writes it ("1.860" in Vietnamese)."""
    return number_format(value, force_grouping=True)


class InspectionError(DomainError):
    """The root of the inspections' refusals."""


def _state_message(step: Step, state: str) -> str:
    """Why ``step`` may not be taken in ``state``, in the words of the officer who tried it."""
    early = state == State.OPEN or (step in (Step.RESPOND, Step.CLOSE) and state == State.SAMPLED)
    if step == Step.SAMPLE:
        return _("The sample of this inspection has already been drawn; it is not drawn again.")
    if step == Step.RECORD_FINDING:
        if early:
            return _("Draw the sample of cases before recording findings.")
        return _("The inspection is concluded: its findings can no longer be recorded or changed.")
    if step == Step.CONCLUDE:
        if early:
            return _("Draw the sample and record a finding on every sampled case before concluding.")
        return _("The inspection is already concluded.")
    if step == Step.RESPOND:
        if early or state == State.SAMPLED:
            return _("The inspection has no conclusion yet to report on.")
        return _("The inspected organisation has already reported on remedying.")
    if state == State.CLOSED:
        return _("The inspection is already closed.")
    return _("The inspection is closed once the inspected organisation has reported on remedying.")


class WrongState(InspectionError):
    """The step may not be taken in the inspection's present state (``workflow.STEPS``)."""

    def __init__(self, step: Step, state: str) -> None:
        self.step, self.state = step, state
        super().__init__(_state_message(step, state), code=ErrorCode.CONFLICT)


class NotALowerOrganisation(InspectionError):
    """Party Charter Art. 32: the Inspection Commission inspects the party organisations below its own
    committee; not its own committee, nor one elsewhere."""

    def __init__(self) -> None:
        super().__init__(
            _("The Inspection Commission inspects only party organisations below its own committee."),
            field="organisation",
        )


class NumberTaken(InspectionError):
    """A commission numbers its decisions once each (Guidance 36-HD/VPTW: numbered in sequence per term)."""

    def __init__(self) -> None:
        super().__init__(
            _("The Inspection Commission has already recorded a decision with this number."), field="number"
        )


class NothingToSample(InspectionError):
    def __init__(self) -> None:
        super().__init__(
            _("The inspected organisation has no exchange case in this campaign to sample."),
            code=ErrorCode.CONFLICT,
        )


class SampleTooLarge(InspectionError):
    def __init__(self, size: int, population: int) -> None:
        super().__init__(
            _("The sample (%(size)s cases) is larger than the inspected organisation's %(population)s cases.")
            % {"size": _n(size), "population": _n(population)},
            field="size",
        )


class CaseNotInSample(InspectionError):
    """A finding names a case that was not drawn for this inspection (outside its subtree, or not drawn)."""

    def __init__(self) -> None:
        super().__init__(_("This case is not in the inspection's sample."), field="case")


class FindingsMissing(InspectionError):
    """The conclusion rests on the findings: every sampled case has one first."""

    def __init__(self, missing: int) -> None:
        self.missing = missing
        super().__init__(
            _("%(n)s sampled cases have no finding yet: record a finding on each before concluding.")
            % {"n": _n(missing)},
            code=ErrorCode.CONFLICT,
        )


class NotTheInspectedOrganisation(InspectionError):
    """Regulation 22-QĐ/TW: the inspected organisation reports on how it remedies; its own officers only."""

    def __init__(self) -> None:
        super().__init__(
            _("Only the officers of the inspected organisation report on remedying its conclusion."),
            code=ErrorCode.CONFLICT,
        )
