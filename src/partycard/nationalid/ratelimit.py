"""A token bucket counted in records: the client paces itself with it, the stand-in enforces it.

The rate limit of the population API is counted per record, not per request (docs/population.md): a batch
of 1,000 IDs costs 1,000 tokens. The bucket holds at most ``capacity`` tokens (the burst: by default one
second's worth) and refills at ``rate`` per second. A request larger than the whole bucket is let through
once the bucket is full and leaves it in debt, so a batch never waits forever. Time is injectable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    def __init__(
        self, rate: float, *, capacity: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else rate)
        self._clock = clock
        self._tokens = self.capacity
        self._at = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def try_take(self, n: float, *, early: float = 0.0) -> float:
        """Take ``n`` tokens if there are enough (or the bucket is full), or would be within ``early``
        seconds; else how long to wait, in seconds, before there would be (0.0: taken)."""
        need = min(float(n), self.capacity)
        with self._lock:
            self._refill()
            if self._tokens + early * self.rate >= need:
                self._tokens -= n
                return 0.0
            return (need - self._tokens) / self.rate

    def take(self, n: float, sleep: Callable[[float], None]) -> float:
        """Take ``n`` tokens, sleeping with ``sleep`` until there are; the total time slept."""
        slept = 0.0
        while (wait := self.try_take(n)) > 0:
            sleep(wait)
            slept += wait
        return slept

    def drain(self) -> None:
        """Empty the bucket (the server said 429: it counts differently from us; start again from zero)."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, 0.0)
