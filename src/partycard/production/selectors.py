"""Production's reads, each from ``objects.scoped(actor, action)``: batches, their cards' outcomes, files."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from partycard.accounts.roles import Action
from partycard.production.models import Batch, BatchCard, LayoutApproval, ManufacturerFile

__all__ = ["batch_files", "batch_list", "batch_outcome_counts", "batch_outcomes", "layout_approvals"]


def batch_list(actor: Any) -> QuerySet[Batch]:
    return Batch.objects.scoped(actor, Action.VIEW_BATCH).select_related("province")


def batch_outcomes(batch: Batch) -> dict[str, int]:
    """How many of the batch's cards stand at each outcome (by code)."""
    rows = BatchCard.objects.filter(batch=batch).values("outcome").annotate(n=Count("id"))
    return {r["outcome"]: r["n"] for r in rows}


def batch_outcome_counts(batch: Batch) -> list[tuple[str, int]]:
    """The same, labelled for a page, in the order a card goes through them."""
    counts = batch_outcomes(batch)
    return [(str(label), counts[value]) for value, label in BatchCard.Outcome.choices if value in counts]


def batch_files(batch: Batch) -> QuerySet[ManufacturerFile]:
    return ManufacturerFile.objects.filter(batch=batch).order_by("imported_at")


def layout_approvals() -> dict[str, LayoutApproval]:
    return {a.layout: a for a in LayoutApproval.objects.select_related("approved_by")}
