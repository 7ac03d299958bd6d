"""Audit rows and the head of their hash chain.

Each row's ``hash`` is SHA-256 over the previous row's hash and the row's canonical content
(``chain.canonical``), so altering, removing or reordering any row breaks the chain from there on.
``ChainHead`` (one row) holds the last sequence number and hash: appending locks it, which orders
concurrent writers, and comparing it with the last row detects rows cut off the end.
On PostgreSQL a trigger refuses UPDATE and DELETE of audit rows (migration 0002).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time"))
    actor_id = models.BigIntegerField(_("actor id"), null=True)  # no FK: the row outlives the user
    actor = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=30)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    changes = models.JSONField(_("changes"), default=dict)  # {field: [before, after]}
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class ChainHead(models.Model):
    """The single row (pk=1) with the last sequence number and hash of the chain."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.seq}"
