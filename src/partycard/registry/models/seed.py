"""Bookkeeping of ``partycard seed`` so that a crashed seed resumes and a finished one is never repeated."""

from __future__ import annotations

from django.db import models


class SeedRun(models.Model):
    seed = models.BigIntegerField()
    members = models.PositiveBigIntegerField()
    phase = models.CharField(max_length=20, default="started")  # started → tree → members → done
    chunks_done = models.PositiveIntegerField(default=0)
    # Index and constraint definitions dropped for the bulk load, restored at the end (also after a crash).
    deferred_ddl = models.JSONField(default=list)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "seed run"

    def __str__(self) -> str:
        return f"seed {self.seed}: {self.members} members, {self.phase}"
