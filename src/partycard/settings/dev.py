"""Development settings: what ``make run`` uses (SQLite under var/ unless DATABASE_URL is set)."""

from .base import *  # noqa: F403

DEBUG = True
