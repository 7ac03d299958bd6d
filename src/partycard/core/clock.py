"""The one wall clock of the apps: tests and jobs pass ``at`` explicitly, everything else calls ``now()``."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

__all__ = ["now", "today"]


def now() -> dt.datetime:
    """The current aware datetime."""
    return timezone.now()


def today() -> dt.date:
    """Today's date in the project time zone (Asia/Ho_Chi_Minh)."""
    return timezone.localdate()
