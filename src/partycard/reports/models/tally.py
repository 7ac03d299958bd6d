"""The kept counters: how many of each thing every organisation's subtree holds now, and by day.

A row per (organisation, campaign, key, slot): ``n`` is a share of the count of ``key`` in the
organisation's **whole subtree** (every cell's count is added to the cell and to each of its ancestors),
so a report reads a few rows and never scans the cases. The Centre and the committees directly under it
are touched by almost every transaction: their count is spread over ``SLOTS`` rows, each connection
writing its own, so that concurrent writers do not queue on one row (the count is the sum over slots).
``TallyDay`` holds the same changes by the day they happened: the count on day D is the sum of the
deltas up to D. Written only by ``reports.tallies``, in the transaction of the change counted.

The organisation is a foreign key without a database constraint: organisations are never deleted (the
registry's rule), and a deferred constraint would check every row written at commit (a rebuild writes
millions: minutes of its commit, measured in docs/performance.md).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

__all__ = ["Tally", "TallyDay"]


class Tally(models.Model):
    organisation = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,  # the unique constraint's first column
        db_constraint=False,  # see the module's docstring
    )
    # The campaign's id for a case or verdict count; 0 for cards and members, which belong to none (no
    # foreign key: 0 is no campaign).
    campaign = models.PositiveIntegerField(db_column="campaign_id")
    # A ``progress.Metric`` value, "members", or "reason:<eligibility ReasonCode>".
    key = models.CharField(max_length=48)
    slot = models.PositiveSmallIntegerField(default=0)
    n = models.BigIntegerField(default=0)

    organisation_id: int
    objects: ClassVar[models.Manager[Tally]] = models.Manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "campaign", "key", "slot"], name="reports_tally_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.campaign}/{self.key}[{self.slot}] = {self.n}"


class TallyDay(models.Model):
    organisation = models.ForeignKey(
        "registry.Organisation",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,  # the unique constraint's first column
        db_constraint=False,  # see the module's docstring
    )
    campaign = models.PositiveIntegerField(db_column="campaign_id")
    day = models.DateField()
    key = models.CharField(max_length=48)
    slot = models.PositiveSmallIntegerField(default=0)
    delta = models.BigIntegerField(default=0)

    organisation_id: int
    objects: ClassVar[models.Manager[TallyDay]] = models.Manager()

    class Meta:
        constraints = [
            # Day before key: "as of D" and the trend read one organisation's days as a range.
            models.UniqueConstraint(
                fields=["organisation", "campaign", "day", "key", "slot"], name="reports_tallyday_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.campaign}/{self.day}/{self.key}[{self.slot}] {self.delta:+d}"
