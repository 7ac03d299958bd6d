"""``partycard backup DIR`` and ``partycard restore DIR``: the operator's scripts (scripts/backup.sh,
scripts/restore.sh, docs/operations.md "Backup and restore") run with this installation's own settings.

The scripts stay the one implementation (they run where Django does not, e.g. from a rescue shell); the
commands only hand them what the settings already know — the PostgreSQL URL, ``PARTYCARD_VAR`` and the
authority's directory — so that what is backed up is what this installation uses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partycard.core.signing import pki_directory

__all__ = ["ScriptCommand"]

#: The source checkout's ``scripts/`` (src/partycard/core/management/ → four levels up).
SCRIPTS = Path(__file__).resolve().parents[4] / "scripts"


def _database_url() -> str:
    """The default database as a PostgreSQL URL (``DATABASE_URL`` when set, else from the settings)."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        raise CommandError("backup and restore are for the PostgreSQL database; SQLite is for development")
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{auth}@{host}/{quote(db['NAME'], safe='')}"


class ScriptCommand(BaseCommand):
    """Run ``SCRIPTS/<script>`` on the directory given; its exit status is the command's."""

    script = ""
    directory_help = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help=self.directory_help)

    def handle(self, *args: Any, **options: Any) -> None:
        script = SCRIPTS / self.script
        if not script.is_file():
            raise CommandError(f"{script} is missing: run it from a partycard source checkout")
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "PARTYCARD_VAR": str(settings.VAR_DIR),
            "PARTYCARD_PKI_DIR": str(pki_directory()),
        }
        bash = shutil.which("bash") or "/bin/bash"
        # The operator's own directory argument, to the operator's own script: nothing untrusted.
        done = subprocess.run([bash, str(script), str(options["directory"])], env=env, check=False)  # noqa: S603
        if done.returncode != 0:
            status = done.returncode
            raise CommandError(f"{self.script} failed (exit status {status})", returncode=status)
