"""Development settings: what ``make run`` uses (SQLite under var/ unless DATABASE_URL is set)."""

from .base import *  # noqa: F403

DEBUG = True

# The embedded database and uploads live under var/ (or $PARTYCARD_VAR); create it on first use.
VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
