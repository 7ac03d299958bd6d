"""``partycard backup DIR``: scripts/backup.sh with this installation's settings (see backup_scripts)."""

from __future__ import annotations

from partycard.core.management.backup_scripts import ScriptCommand


class Command(ScriptCommand):
    help = "Back up the database and the files beside it (the PKI above all) into DIR (new or empty)."
    script = "backup.sh"
    directory_help = "where the backup is written: a new or empty directory"
