"""Long jobs, cut into chunks that each commit once (``runner.job_run``).

A job is resumable and exactly-once because a chunk's work and its ``JobChunk`` row commit in one
transaction, and the row is unique per (job, index): a chunk either happened, with its row, or did not,
and a runner that finds the row skips it. Per-target failures (a case that could not move, and why) are
kept in ``JobFailure`` in the same transaction.

A running job is leased to one runner (``lease_owner`` until ``lease_expires_at``), renewed with each
chunk: a job whose lease ran out has lost its runner (a worker killed, a machine gone) and is queued again
by the sweep (``services.jobs_reclaim``), so no job stays "running" forever.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped with an error")

    kind = models.CharField(_("kind"), max_length=50)
    params = models.JSONField(_("parameters"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, on_delete=models.SET_NULL
    )
    # The starter's subtree when the job was made: who else may watch it (their committee and above).
    path = models.CharField(max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    chunk_count = models.PositiveIntegerField(_("chunks"), default=0)
    total = models.PositiveIntegerField(_("items"), default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(_("succeeded"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Which runner (host:pid:random) holds the running job, and until when: renewed after each chunk.
    lease_owner = models.CharField(_("runner"), max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    # The task that carries the job to a worker (the backend's result id; empty: the broker refused it) and
    # when it was last enqueued: the sweep sends a queued job again when its broker lost it (jobs_redeliver).
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True)

    objects = ScopedManager["Job"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        indexes = [
            # The sweep's query (running, lease expired) and the per-user bound (queued or running).
            models.Index(fields=["status", "lease_expires_at"], name="jobs_status_lease"),
            models.Index(fields=["actor", "status"], name="jobs_actor_status"),
            # The redelivery sweep's query (queued, last enqueued long ago).
            models.Index(fields=["status", "enqueued_at"], name="jobs_status_enqueued"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        return 100 if not self.chunk_count else int(100 * self.chunks_done / self.chunk_count)

    @property
    def disk_full(self) -> bool:
        """Whether the job stopped because the server's disk was full (``runner.failure_text``)."""
        return self.status == self.Status.FAILED and ": disk full (" in self.error


class JobChunk(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="jobs_chunk_once")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.index}"


class JobFailure(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="failures")
    target_id = models.BigIntegerField()
    message_vi = models.TextField()
    message_en = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["job", "target_id"], name="jobs_failure_job_target")]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.target_id}"


class JobFile(models.Model):
    """A finished job's result file (a roster export), for its starter to download until it expires.

    The file itself lives in the private ``JOB_FILES_DIR`` (``storage.py``), never under MEDIA_ROOT. Who may
    download it is decided at each download, not when it was made: the job's starter only, while ``path``
    (the subtree the file is about) is still in their scope for ``action`` (``selectors.job_file_get``).
    The sweep deletes the file once ``expires_at`` passes and keeps this row, with ``deleted_at``, as the
    record of what existed.
    """

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="result_file")
    name = models.CharField(_("file name"), max_length=200)  # the name the browser saves it under
    content_type = models.CharField(max_length=100)
    stored = models.CharField(max_length=100)  # its name inside JOB_FILES_DIR
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    # The subtree the file holds data of, and the action the downloader must still have over it.
    path = models.CharField(max_length=255)
    action = models.CharField(max_length=60)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    objects = ScopedManager["JobFile"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("job result file")
        verbose_name_plural = _("job result files")
        indexes = [models.Index(fields=["deleted_at", "expires_at"], name="jobs_file_expiry")]

    def __str__(self) -> str:
        return self.name
