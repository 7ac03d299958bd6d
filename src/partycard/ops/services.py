"""The workers' heartbeat writes (``models.WorkerHeartbeat``), called by every worker's sweep thread.

Not audited: a heartbeat is machine state, not an act of a person, and it changes every few seconds.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from partycard.ops.models import WorkerHeartbeat

__all__ = ["heartbeat_beat", "heartbeat_end"]


def heartbeat_beat(
    *, worker: str, host: str, pid: int, backend: str, at: dt.datetime, keep: dt.timedelta
) -> WorkerHeartbeat:
    """Record that ``worker`` is alive at ``at``, and delete the beats older than ``keep`` (workers gone
    without saying so: killed, their machine lost), so the table holds about one row per live worker.

    Args:
        keep: how long a silent worker's row stays; well above the readiness window, so an operator
            can still see which worker stopped beating and when.
    """
    with transaction.atomic():
        beat, created = WorkerHeartbeat.objects.get_or_create(
            worker=worker,
            defaults={"host": host, "pid": pid, "backend": backend, "started_at": at, "beat_at": at},
        )
        if not created:
            WorkerHeartbeat.objects.filter(pk=beat.pk).update(beat_at=at)
            beat.beat_at = at
        WorkerHeartbeat.objects.filter(beat_at__lt=at - keep).delete()
    return beat


def heartbeat_end(*, worker: str) -> None:
    """Forget ``worker`` (it stopped cleanly): readiness then counts only the workers still running."""
    WorkerHeartbeat.objects.filter(worker=worker).delete()
