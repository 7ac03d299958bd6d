"""The states of a sync run and the kinds of row its preview sorts the export into (docs/sync.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Decision", "RowKind", "RunKind", "RunStatus"]


class RunKind(models.TextChoices):
    IMPORT = "import", _("Import from the party member database")
    EXPORT = "export", _("Export to the party member database")


class RunStatus(models.TextChoices):
    READING = "reading", _("Reading the file")
    PREVIEW = "preview", _("Preview ready")
    APPLYING = "applying", _("Applying")
    APPLIED = "applied", _("Applied")
    REFUSED = "refused", _("Refused")
    EXPORTED = "exported", _("Exported")


class RowKind(models.TextChoices):
    ADDED = "added", _("New member")
    CHANGED = "changed", _("Changed")
    UNCHANGED = "unchanged", _("Unchanged")
    CONFLICT = "conflict", _("Conflict")
    KEY_CONFLICT = "key_conflict", _("File number and citizen ID name two members")
    BAD = "bad", _("Row with problems")


class Decision(models.TextChoices):
    OURS = "ours", _("Keep partycard's value")
    THEIRS = "theirs", _("Take the party database's value")
