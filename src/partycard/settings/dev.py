"""Development settings: what ``make run`` uses (SQLite under var/ unless DATABASE_URL is set)."""

from .base import *  # noqa: F403

DEBUG = True

# The embedded database and uploads live under var/ (or $PARTYCARD_VAR); create it on first use.
VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405

# runserver answers each request on a new thread; a persistent connection would stay open after its thread
# is gone, one per request, until PostgreSQL runs out of connections. Production runs a process-based
# server, where base.py's persistent connections are right.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
