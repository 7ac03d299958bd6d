"""A run of the cross-check with the national population database (issue 17) and what it found.

``CheckRun`` is one check of an organisation's subtree (the whole country: the Centre), done by a job
(``population.jobs``) in chunks of member ids. ``CheckResult`` is one member's outcome in one run, unique
per (run, member): the job skips members that already have one, so a resumed run never asks the
population database again for what it already has. ``CheckTally`` counts a run's outcomes per cell, kept
by the same chunks, so the overview sums a few thousand rows instead of scanning millions of results.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager

__all__ = ["REASON_FIELDS", "CheckResult", "CheckRun", "CheckTally", "Outcome"]


class Outcome(models.TextChoices):
    AGREES = "agrees", _("Agrees")
    DIFFERS = "differs", _("Differs")
    NO_CITIZEN_ID = "no_id", _("No citizen ID")


class CheckRun(models.Model):
    root = models.ForeignKey(
        "registry.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    members = models.PositiveIntegerField(_("members"), default=0)  # to check, counted at the start
    checked = models.PositiveIntegerField(_("checked"), default=0)
    agreed = models.PositiveIntegerField(_("agree"), default=0)
    differed = models.PositiveIntegerField(_("differ"), default=0)
    no_citizen_id = models.PositiveIntegerField(_("no citizen ID"), default=0)

    objects = ScopedManager["CheckRun"]()
    scope_path = "root__path"
    scope_own = None

    class Meta:
        verbose_name = _("population check run")
        verbose_name_plural = _("population check runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"check #{self.pk}"

    @property
    def percent(self) -> int:
        return 100 if not self.members else min(100, int(100 * self.checked / self.members))


class CheckResult(models.Model):
    # No index of its own: UNIQUE(run, member) below leads with it (5.6 million rows a country's run).
    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="results", db_index=False)
    member = models.ForeignKey("registry.Member", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reasons = models.CharField(_("reasons"), max_length=120, blank=True)  # TaskReason values, sorted, ","
    checked_at = models.DateTimeField(_("checked at"))

    objects = ScopedManager["CheckResult"]()
    scope_path = "member__organisation__path"
    scope_own = None

    class Meta:
        verbose_name = _("population check result")
        verbose_name_plural = _("population check results")
        constraints = [
            # A resumed run never asks again for a member it has an answer for (population.jobs).
            models.UniqueConstraint(fields=["run", "member"], name="population_result_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.member_id}: {self.outcome}"


# The per-reason counters of a tally, named as the TaskReason values.
REASON_FIELDS = ("not_found", "name_accents", "name", "date_of_birth", "gender", "deceased", "no_citizen_id")


class CheckTally(models.Model):
    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="tallies")
    cell = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="+")
    checked = models.PositiveIntegerField(default=0)
    agreed = models.PositiveIntegerField(default=0)
    differed = models.PositiveIntegerField(default=0)
    not_found = models.PositiveIntegerField(default=0)
    name_accents = models.PositiveIntegerField(default=0)
    name = models.PositiveIntegerField(default=0)
    date_of_birth = models.PositiveIntegerField(default=0)
    gender = models.PositiveIntegerField(default=0)
    deceased = models.PositiveIntegerField(default=0)
    no_citizen_id = models.PositiveIntegerField(default=0)

    objects = ScopedManager["CheckTally"]()
    scope_path = "cell__path"
    scope_own = None

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "cell"], name="population_tally_once")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.cell_id}"
