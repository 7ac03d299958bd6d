"""Enumerations of inspections: the inspection's states (labels for ``workflow.State``) and what a finding
on a sampled case says."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.inspections.workflow import State

__all__ = ["STATE_CHOICES", "FindingKind"]

STATE_CHOICES = [
    (State.OPEN.value, _("Decided, sample not drawn")),
    (State.SAMPLED.value, _("Being verified")),
    (State.CONCLUDED.value, _("Concluded, awaiting the remedial report")),
    (State.RESPONDED.value, _("Remedial report received")),
    (State.CLOSED.value, _("Closed")),
]


class FindingKind(models.TextChoices):
    """What the team found when it verified one case against Directive 51-CT/TW and its guidance: the case
    was handled correctly, or which part of it was not."""

    CORRECT = "correct", _("Correct")
    ELIGIBILITY_WRONG = "eligibility_wrong", _("Eligibility assessed wrongly")
    DATA_WRONG = "data_wrong", _("Member's data wrong")
    PROCEDURE_NOT_FOLLOWED = "procedure_not_followed", _("Procedure not followed")
    HANDOVER_IMPROPER = "handover_improper", _("Card not handed over properly")
