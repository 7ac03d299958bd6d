"""Reads of the party-database sync: runs in the actor's scope, a run's staged rows, its missing members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from partycard.accounts.roles import Action
from partycard.core.scope import get_scoped_or_404
from partycard.partysync.models import SyncRow, SyncRun
from partycard.partysync.services import missing_members
from partycard.registry.models import Member

__all__ = ["run_get", "run_list", "run_missing", "run_rows"]


def run_list(actor: Any) -> QuerySet[SyncRun]:
    """The runs of organisations in ``actor``'s scope for synchronising, newest first."""
    return SyncRun.objects.scoped(actor, Action.SYNC_MEMBER).select_related("root", "actor").order_by("-pk")


def run_get(actor: Any, pk: int) -> SyncRun:
    """One run in scope, or the 404 of a missing one."""
    return get_scoped_or_404(SyncRun, actor, Action.SYNC_MEMBER, pk=pk)


def run_rows(run: SyncRun, *, kinds: Sequence[str] = ()) -> QuerySet[SyncRow]:
    """A run's staged rows (of ``kinds``), in the file's order. ``run`` comes from :func:`run_get`."""
    rows = SyncRow.objects.filter(run=run)
    if kinds:
        rows = rows.filter(kind__in=list(kinds))
    return rows.order_by("number")


def run_missing(run: SyncRun) -> QuerySet[Member]:
    """The members of the run's subtree its file does not hold, by name (``run`` from :func:`run_get`)."""
    return missing_members(run).select_related("organisation").order_by("name_search", "pk")
