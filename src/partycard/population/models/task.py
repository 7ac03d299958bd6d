"""A task routed to a member's cell: the population database disagrees with the record (issue 17).

The cell resolves it: by correcting the record, or by confirming it with a note (the population database
is the one that is wrong, or the difference is explained). The completeness report counts open tasks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager


class TaskReason(models.TextChoices):
    """Why a member's record and the population database disagree (one task may carry several)."""

    NOT_FOUND = "not_found", _("Citizen ID not found in the population database")
    NAME_ACCENTS = "name_accents", _("Name differs only in accents, case or spacing")
    NAME = "name", _("Name differs")
    DATE_OF_BIRTH = "date_of_birth", _("Date of birth differs")
    GENDER = "gender", _("Gender differs")
    DECEASED = "deceased", _("Deceased according to the population database")
    NO_CITIZEN_ID = "no_citizen_id", _("No citizen ID recorded")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CORRECTED = "corrected", _("Record corrected")
    CONFIRMED = "confirmed", _("Record confirmed with a note")
    # A later check found the record and the population database in agreement (corrected elsewhere).
    CLOSED = "closed", _("Closed: a later check agrees")


class DataTask(models.Model):
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("party member"), on_delete=models.CASCADE, related_name="data_tasks"
    )
    # The cell the task was routed to (the member's cell when it was raised); scope follows the member.
    cell = models.ForeignKey(
        "registry.Organisation", verbose_name=_("party cell"), on_delete=models.PROTECT, related_name="+"
    )
    reasons = models.JSONField(_("reasons"), default=list)  # TaskReason values, sorted
    # What the population database answered for each differing field: {"full_name": "…", …} (no more).
    found = models.JSONField(_("population database values"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    note = models.TextField(_("note"), blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The check run that raised it (population.CheckRun, when it exists); null for tasks raised by hand.
    run_id = models.BigIntegerField(null=True, blank=True)

    objects = ScopedManager["DataTask"]()
    scope_path = "member__organisation__path"
    scope_own = None

    class Meta:
        verbose_name = _("data task")
        verbose_name_plural = _("data tasks")
        indexes = [models.Index(fields=["cell", "status"], name="population_task_cell_status")]
        constraints = [
            # One open task per member: a new run updates it rather than piling up duplicates.
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(status="open"), name="population_task_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {', '.join(self.reasons)}"
