"""The login lock-out (django-axes) as the officer pages see it: which accounts are locked now, and lifting
a lock.

settings.base locks a (username, client address) pair after ``AXES_FAILURE_LIMIT`` failures for
``AXES_COOLOFF_TIME``. An account is shown locked when any of its pairs is; unlocking deletes every
failure record of the username (every address), as ``axes.utils.reset(username=...)`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from axes.conf import settings as axes_settings
from axes.helpers import get_cool_off
from axes.models import AccessAttempt

from partycard.core import clock

__all__ = ["locked_usernames", "lockout_clear"]


def locked_usernames(usernames: Iterable[str], at: dt.datetime | None = None) -> set[str]:
    """Those of ``usernames`` locked out at ``at`` (now): one query whatever their number."""
    names = list(usernames)
    if not names:
        return set()
    limit = axes_settings.AXES_FAILURE_LIMIT
    attempts = AccessAttempt.objects.filter(username__in=names, failures_since_start__gte=limit)
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=(at or clock.now()) - cool_off)
    return set(attempts.values_list("username", flat=True))


def lockout_clear(username: str) -> int:
    """Delete the failure records of ``username`` from every address; the number deleted. The caller
    (``officers.services.officer_unlock``) checks the scope and writes the audit row in its transaction."""
    _, deleted = AccessAttempt.objects.filter(username=username).delete()
    return deleted.get(AccessAttempt._meta.label, 0)
