"""The workers' heartbeats: each worker process writes its row every sweep period (``jobs.sweeper``), so
readiness can tell that at least one worker is alive (``ops.readiness``) without asking the broker."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["WorkerHeartbeat"]


class WorkerHeartbeat(models.Model):
    """One worker process's last beat. ``worker`` is the process's own id (host:pid:random, as a job's
    lease owner), so a restarted worker is a new row and the old one ages out (``heartbeat_beat``)."""

    worker = models.CharField(_("worker"), max_length=100, unique=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    backend = models.CharField(_("backend"), max_length=50)  # the task backend it runs: "database", "rq"
    started_at = models.DateTimeField(_("started at"))
    beat_at = models.DateTimeField(_("last beat at"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.worker
