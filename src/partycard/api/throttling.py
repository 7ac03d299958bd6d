"""The API's rate limit: a fixed window of requests per token, counted in Django's cache.

``settings.PARTYCARD["API_RATE_LIMIT"]`` ("600/minute") is read at each request, so deployments and tests
change it without a restart. The counter is ``cache.add`` + ``cache.incr``, which are atomic on Redis,
Memcached and the in-process LocMem cache: no lost updates under concurrent requests (Ninja's own
``SimpleRateThrottle`` keeps a read-modify-write list, which undercounts across processes).

The default LocMem cache counts per process, which is right for ``make run``. In production CACHES points
at Redis so that the limit holds across every worker and host. A fixed window may let through up to twice
the limit around a window boundary; that is acceptable for a fairness limit, and it costs one key per
token per window.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from partycard.core import clock

__all__ = ["Rate", "TokenRateThrottle", "parse_rate"]

_UNITS = {"s": 1, "second": 1, "m": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_RATE = re.compile(r"^\s*([0-9]+)\s*/\s*([0-9]*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """Parse "600/minute", "10/s" or "1000/5m"; raise ImproperlyConfigured on anything else."""
    match = _RATE.match(text.lower())
    if not match or match.group(3) not in _UNITS or int(match.group(1)) < 1:
        raise ImproperlyConfigured(f"PARTYCARD['API_RATE_LIMIT'] must look like '600/minute', not {text!r}")
    multiple = int(match.group(2) or 1)
    return Rate(int(match.group(1)), max(1, multiple) * _UNITS[match.group(3)])


def _configured_rate() -> Rate:
    return parse_rate(str(settings.PARTYCARD.get("API_RATE_LIMIT", "600/minute")))


class TokenRateThrottle(BaseThrottle):
    """Ninja throttle: refuse a token's request past its window's quota; ``wait()`` = until the window ends.

    Runs after authentication (Ninja's order), so ``request.auth`` is the ApiToken. Ninja answers a
    refusal with 429 and a ``Retry-After`` of ``wait()`` seconds. One instance serves every request and
    Ninja calls ``wait()`` right after ``allow_request()`` on the same thread, hence the thread-local.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if token is None:
            return True
        rate = _configured_rate()
        now = clock.now().timestamp()
        window = int(now // rate.seconds)
        # A token, or the member's session user (``MemberSessionAuth``): counted apart.
        key = f"partycard:api:rate:{type(token).__name__}:{token.pk}:{rate.seconds}:{window}"
        cache.add(key, 0, timeout=rate.seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add and incr
            cache.set(key, 1, timeout=rate.seconds + 1)
            count = 1
        self._local.wait = max(1, math.ceil((window + 1) * rate.seconds - now))
        return count <= rate.requests

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
