"""A synchronisation with the Party's existing member database (issue 17), as stored.

``SyncRun`` is one import or export of a subtree (who, when, the file's digest, the counts, its status).
``SyncRow`` stages every row of an imported file: its kind, the per-field changes the preview shows and,
where it will be written, the row's normalised values. Staging in the database, not in Python lists, is what
keeps a 500,000-row province's memory flat and its preview paginated. ``SyncBaseline`` holds, per member,
the synchronised fields as both databases last agreed on them (the last applied import or export): the
``base`` of the three-way merge (``registry.merge``) that tells a change made in partycard since then from
one made in the party database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager
from partycard.partysync.choices import RowKind, RunKind, RunStatus


class SyncRun(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=RunKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The subtree synchronised: every row's cell lies in it; "missing" members are counted in it.
    root = models.ForeignKey(
        "registry.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255)  # the root's path when the run started (the scope filter)
    file_name = models.CharField(_("file"), max_length=200)
    file_format = models.CharField(_("format"), max_length=5)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    stored = models.CharField(max_length=200, blank=True)  # the upload's name while it waits
    created_at = models.DateTimeField(_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    added = models.PositiveIntegerField(_("new"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    conflicts = models.PositiveIntegerField(_("conflicts"), default=0)
    key_conflicts = models.PositiveIntegerField(_("key conflicts"), default=0)
    bad = models.PositiveIntegerField(_("rows with problems"), default=0)
    missing = models.PositiveIntegerField(_("missing from the export"), default=0)
    written = models.PositiveIntegerField(_("members written"), default=0)
    error = models.TextField(_("error"), blank=True)
    preview_job_id = models.BigIntegerField(null=True, blank=True)
    apply_job_id = models.BigIntegerField(null=True, blank=True)

    objects = ScopedManager["SyncRun"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("synchronisation run")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.file_name}"


class SyncRow(models.Model):
    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="staged")
    number = models.PositiveIntegerField(_("row"))  # as the spreadsheet shows it (JSON lines: the line)
    kind = models.CharField(_("kind"), max_length=12, choices=RowKind.choices)
    member = models.ForeignKey(
        "registry.Member",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    file_number = models.CharField(max_length=10, blank=True)
    citizen_id = models.CharField(max_length=12, blank=True)
    full_name = models.CharField(max_length=100, blank=True)
    # {field: {"old": ours, "new": theirs, "base": baseline, "outcome": merge outcome}} of the fields that
    # differ; [[column, message], …] for a bad row.
    changes = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    # The row's normalised values, kept only where apply needs them (a new member, a change, a baseline
    # that moves); None otherwise, so that half a million unchanged rows stay small.
    data = models.JSONField(null=True, blank=True)
    decisions = models.JSONField(default=dict, blank=True)  # {field: "ours" | "theirs"} for conflicts

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="partysync_row_unique")]
        indexes = [
            models.Index(fields=["run", "kind", "number"], name="partysync_row_kind"),
            models.Index(fields=["run", "member"], name="partysync_row_member"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.number} {self.kind}"


class SyncBaseline(models.Model):
    member = models.OneToOneField(
        "registry.Member", primary_key=True, on_delete=models.CASCADE, related_name="sync_baseline"
    )
    data = models.JSONField()  # the synchronised fields, normalised (partysync/fields.py)
    synced_at = models.DateTimeField()
    run = models.ForeignKey(SyncRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("synchronisation baseline")

    def __str__(self) -> str:
        return f"baseline of {self.member_id}"
