"""The ``partycard`` command: Django's management commands with partycard's own (seed, import, export).

``partycard seed --members 5600000`` is ``manage.py seed --members 5600000`` with the settings preset;
a hyphen in the command name is an underscore (``partycard read-card`` runs ``read_card``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command; ``DJANGO_SETTINGS_MODULE`` defaults to the development settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.dev")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        # Django's command names are module names; ``partycard read-card`` is the ``read_card`` command.
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["partycard", *args])


if __name__ == "__main__":
    main()
