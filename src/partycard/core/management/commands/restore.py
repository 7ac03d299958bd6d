"""``partycard restore DIR``: scripts/restore.sh with this installation's settings (see backup_scripts)."""

from __future__ import annotations

from partycard.core.management.backup_scripts import ScriptCommand


class Command(ScriptCommand):
    help = "Restore a backup made by `partycard backup` into an empty database and empty directories."
    script = "restore.sh"
    directory_help = "the backup to restore (checked against its SHA256SUMS first)"
