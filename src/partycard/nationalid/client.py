"""The HTTP client of the population API (docs/population.md), over urllib3 (already partycard's, through
requests; keep-alive connection pools, precise connect/read timeouts, no retries of its own).

It paces itself at the configured rate in records per second (a client-side token bucket), so at its
configured rate it rarely meets a 429; when it does, it waits what ``Retry-After`` says (RFC 9110 §10.2.3)
and asks again. 5xx answers, timeouts and refused connections are retried with exponential back-off and
jitter ("equal jitter": half the step fixed, half random) up to ``max_retries`` times, then raised as
typed errors. Look-ups of many IDs go through the batch endpoint, ``batch`` IDs a request.
Time, sleep and the jitter's randomness are injectable for tests.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import urllib3
from urllib3.exceptions import HTTPError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from partycard.nationalid.errors import (
    BadAnswer,
    PopulationError,
    RateLimited,
    Timeout,
    Unauthorized,
    Unavailable,
)
from partycard.nationalid.ratelimit import TokenBucket
from partycard.nationalid.registry import Person

__all__ = ["MAX_BATCH", "ClientStats", "HttpPopulationRegistry"]

MAX_BATCH = 1000  # the API's documented largest batch


@dataclass
class ClientStats:
    """What the client went through: requests sent, records asked, and what it waited for."""

    requests: int = 0
    records: int = 0
    retries: int = 0
    timeouts: int = 0
    server_errors: int = 0
    rate_limited: int = 0
    paced_seconds: float = 0.0  # slept by the client's own token bucket
    retry_after_seconds: float = 0.0  # slept because the server said 429 + Retry-After
    backoff_seconds: float = 0.0  # slept between retries of 5xx, timeouts, refused connections


class HttpPopulationRegistry:
    """A ``PopulationRegistry`` over the documented JSON/HTTP API.

    Args:
        base_url: e.g. ``http://127.0.0.1:8790`` (the API's paths start with ``/v1/``).
        token: the bearer token, if the service asks for one.
        rate: records per second the client allows itself (the service's published limit).
        batch: IDs per batch request (at most ``MAX_BATCH``).
        timeout: seconds to connect, and seconds to wait for an answer.
        max_retries: retries of one request before giving up (so ``max_retries + 1`` attempts).
        backoff: the first back-off step in seconds, doubled at each retry up to ``backoff_max``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        rate: float = 10_000,
        batch: int = MAX_BATCH,
        timeout: float = 5.0,
        max_retries: int = 5,
        backoff: float = 0.1,
        backoff_max: float = 5.0,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= batch <= MAX_BATCH:
            raise ValueError(f"batch must be between 1 and {MAX_BATCH}")
        self.base_url = base_url.rstrip("/")
        self.batch = batch
        self.max_retries = max_retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.stats = ClientStats()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._bucket = TokenBucket(rate, capacity=burst, clock=clock)
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._pool = urllib3.PoolManager(
            num_pools=2,
            maxsize=8,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
        )

    def close(self) -> None:
        self._pool.clear()

    def __enter__(self) -> HttpPopulationRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # The protocol.

    def lookup(self, citizen_id: str) -> Person | None:
        status, data = self._request("GET", f"/v1/citizens/{quote(citizen_id, safe='')}", None, records=1)
        if status == 404:
            return None
        person = Person.from_json(data)
        if person.citizen_id != citizen_id:
            raise BadAnswer("the answer is about another citizen ID")
        return person

    def lookup_many(self, citizen_ids: Iterable[str]) -> dict[str, Person | None]:
        ids = list(dict.fromkeys(citizen_ids))  # each asked once, in order
        answers: dict[str, Person | None] = {}
        for start in range(0, len(ids), self.batch):
            answers.update(self._batch(ids[start : start + self.batch]))
        return answers

    # The wire.

    def _batch(self, ids: list[str]) -> dict[str, Person | None]:
        _, data = self._request("POST", "/v1/citizens:batch", {"ids": ids}, records=len(ids))
        try:
            found = [Person.from_json(p) for p in data["found"]]
            missing = [str(i) for i in data["not_found"]]
        except (KeyError, TypeError) as e:
            raise BadAnswer(f"not a batch answer: {e}") from e
        answers: dict[str, Person | None] = {p.citizen_id: p for p in found}
        answers.update(dict.fromkeys(missing))
        if set(answers) != set(ids):
            raise BadAnswer("the batch answer does not account for exactly the IDs asked")
        return answers

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None, *, records: int
    ) -> tuple[int, Any]:
        """One call, paced, with the retries; the status (200, or 404 for a single look-up) and the JSON."""
        payload = json.dumps(body).encode() if body is not None else None
        last: PopulationError = Unavailable("no attempt made")
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.stats.retries += 1
            self.stats.paced_seconds += self._bucket.take(records, self._sleep)
            self.stats.requests += 1
            self.stats.records += records
            try:
                response = self._pool.request(
                    method, self.base_url + path, body=payload, headers=self._headers, preload_content=True
                )
            except Urllib3Timeout as e:
                self.stats.timeouts += 1
                last = Timeout(f"no answer within the timeout ({type(e).__name__})")
                self._back_off(attempt)
                continue
            except HTTPError as e:
                last = Unavailable(f"cannot reach the population service ({type(e).__name__})")
                self._back_off(attempt)
                continue
            status = response.status
            if status == 200 or (status == 404 and method == "GET"):
                try:
                    return status, json.loads(response.data)
                except ValueError as e:
                    raise BadAnswer("the answer is not JSON") from e
            if status == 429:
                self.stats.rate_limited += 1
                wait = _retry_after(response.headers.get("Retry-After"))
                last = RateLimited("the service kept refusing: rate limit", retry_after=wait or 0.0)
                self._bucket.drain()  # it counts differently from us: start again from an empty bucket
                if attempt < self.max_retries:  # no point waiting before giving up
                    wait = wait if wait is not None else self._step(attempt)
                    self.stats.retry_after_seconds += wait
                    self._sleep(wait)
                continue
            if status >= 500:
                self.stats.server_errors += 1
                last = Unavailable(f"the population service answered {status}")
                self._back_off(attempt)
                continue
            if status in (401, 403):
                raise Unauthorized(f"the population service refused the token ({status})")
            raise BadAnswer(f"the population service answered {status}")
        raise last

    def _step(self, attempt: int) -> float:
        step = min(self.backoff_max, self.backoff * 2**attempt)
        return step / 2 + self._rng.uniform(0, step / 2)

    def _back_off(self, attempt: int) -> None:
        if attempt < self.max_retries:  # no point sleeping before giving up
            wait = self._step(attempt)
            self.stats.backoff_seconds += wait
            self._sleep(wait)


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (RFC 9110 §10.2.3: delay-seconds; an HTTP-date is not used by this API
    and is treated as absent, i.e. the client's own back-off)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
