"""Reads of the workers' heartbeats, for readiness and the metrics (no scope: machine state, no person)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max

from partycard.ops.models import WorkerHeartbeat

__all__ = ["heartbeat_latest"]


def heartbeat_latest() -> dt.datetime | None:
    """The time of the most recent beat of any worker, or None if no worker has beaten (one query)."""
    latest: dt.datetime | None = WorkerHeartbeat.objects.aggregate(latest=Max("beat_at"))["latest"]
    return latest
