"""Development settings: what ``make run`` uses (SQLite under var/ unless DATABASE_URL is set)."""

import os

from .base import *  # noqa: F403

# Django's debug pages (English, with the traceback) for developers; ``make run`` sets PARTYCARD_DEBUG=0 so
# that a newcomer meets the site's own Vietnamese 404 and 500 pages, as in production (errors are logged).
DEBUG = os.environ.get("PARTYCARD_DEBUG", "1") == "1"

# The embedded database and uploads live under var/ (or $PARTYCARD_VAR); create it on first use.
VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405

# runserver answers each request on a new thread; a persistent connection would stay open after its thread
# is gone, one per request, until PostgreSQL runs out of connections. Production runs a process-based
# server, where base.py's persistent connections are right.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
