"""The client against the real stand-in process, one failure mode at a time (issue 17: "timeouts, 5xx, a
rate limit with 429 and Retry-After, records not found, names differing only in accents or spacing, dates
differing, deceased"), and the stand-in's own promises (batch limit, token, throughput)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
import urllib3

from partycard.nationalid.client import HttpPopulationRegistry
from partycard.nationalid.compare import Record, compare
from partycard.nationalid.errors import RateLimited, Timeout, Unauthorized, Unavailable
from partycard.nationalid.registry import Person
from partycard.nationalid.standin import KINDS, PROFILES, difference_of, perturb, read_data, write_data

N = 3000


def _people(n: int = N) -> list[Person]:
    return [
        Person(
            f"001{i % 2}{80 + i % 10}{i:06d}",
            "Nguyễn Văn Đức",
            dt.date(1980 + i % 10, 3, 4),
            "M" if i % 2 == 0 else "F",
        )
        for i in range(n)
    ]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "citizens.sqlite"
    people = _people()
    assert write_data(path, people[: N - 10]) == N - 10  # the last ten are not in the database
    return path


class Recorder:
    """The client's sleep, for real (the stand-in keeps real time), remembering each wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


def test_found_and_not_found_one_by_one_and_in_batches(data: Path, standin_factory: Any) -> None:
    s = standin_factory(data)
    people = _people()
    with HttpPopulationRegistry(s.url, batch=700) as client:
        assert client.lookup(people[0].citizen_id) == people[0]
        assert client.lookup(people[-1].citizen_id) is None
        answers = client.lookup_many(p.citizen_id for p in people)
    assert len(answers) == N
    assert [answers[p.citizen_id] for p in people[: N - 10]] == people[: N - 10]
    assert all(answers[p.citizen_id] is None for p in people[N - 10 :])
    assert client.stats.requests == 2 + 5  # 3,000 IDs in batches of 700
    stats = s.stats()
    repeated = sorted([people[0].citizen_id, people[-1].citizen_id])  # asked alone, then in a batch
    assert (stats["records"], stats["distinct"], stats["repeated"]) == (N + 2, N, repeated)


def test_timeouts_are_retried_with_back_off_until_answered(data: Path, standin_factory: Any) -> None:
    s = standin_factory(data, timeout_share=0.3, timeout_delay=2, seed=3)
    sleep = Recorder()
    client = HttpPopulationRegistry(
        s.url, batch=200, timeout=0.3, max_retries=8, backoff=0.01, sleep=sleep, rng=random.Random(1)
    )
    answers = client.lookup_many(p.citizen_id for p in _people())
    assert len(answers) == N and sum(v is None for v in answers.values()) == 10
    assert client.stats.timeouts == s.stats()["timeouts"] > 0
    assert client.stats.retries == client.stats.timeouts
    assert client.stats.backoff_seconds > 0


def test_server_errors_are_retried_until_answered(data: Path, standin_factory: Any) -> None:
    s = standin_factory(data, error_share=0.4, seed=5)
    client = HttpPopulationRegistry(s.url, batch=100, max_retries=10, backoff=0.001, sleep=Recorder())
    answers = client.lookup_many(p.citizen_id for p in _people())
    assert len(answers) == N
    assert client.stats.server_errors == s.stats()["errors"] > 0


def test_backoff_grows_exponentially_with_jitter_then_gives_up(data: Path, standin_factory: Any) -> None:
    s = standin_factory(data, error_share=1.0)
    sleep = Recorder()
    client = HttpPopulationRegistry(s.url, max_retries=4, backoff=0.01, backoff_max=0.05, sleep=sleep)
    with pytest.raises(Unavailable, match="503"):
        client.lookup("001080000000")
    assert s.stats()["errors"] == 5  # one try and four retries, no more
    assert len(sleep.waits) == 4  # no sleep before giving up
    steps = [0.01, 0.02, 0.04, 0.05]  # doubled each time, up to backoff_max
    for wait, step in zip(sleep.waits, steps, strict=True):
        assert step / 2 <= wait <= step  # equal jitter: half fixed, half random


def test_a_service_that_never_answers_in_time_raises_timeout(data: Path, standin_factory: Any) -> None:
    s = standin_factory(data, timeout_share=1.0, timeout_delay=1)
    client = HttpPopulationRegistry(s.url, timeout=0.2, max_retries=2, backoff=0.01, sleep=Recorder())
    with pytest.raises(Timeout):
        client.lookup_many(["001080000000"])
    assert client.stats.timeouts == 3


def test_a_refused_connection_is_unavailable(tmp_path: Path) -> None:
    client = HttpPopulationRegistry("http://127.0.0.1:9", max_retries=1, backoff=0.001, sleep=Recorder())
    with pytest.raises(Unavailable):
        client.lookup("001080000000")


def test_429_retry_after_is_honoured_by_the_clients_own_clock(data: Path, standin_factory: Any) -> None:
    """A client configured faster than the service allows meets 429: it waits what Retry-After says
    (measured on its own monotonic clock), then is answered."""
    s = standin_factory(data, rate=400, burst=400)
    sleep = Recorder()
    client = HttpPopulationRegistry(s.url, rate=1_000_000, batch=200, sleep=sleep, max_retries=10)
    sent: list[float] = []
    request = client._pool.request

    def timed(*args: Any, **kwargs: Any) -> Any:
        sent.append(time.monotonic())
        response = request(*args, **kwargs)
        sent.append(float(response.status))
        sent.append(float(response.headers.get("Retry-After", "0")))
        return response

    client._pool.request = timed  # type: ignore[method-assign]
    answers = client.lookup_many(p.citizen_id for p in _people(1000))
    assert len(answers) == 1000
    assert client.stats.rate_limited == s.stats()["rate_limited"] > 0
    calls = [sent[i : i + 3] for i in range(0, len(sent), 3)]
    for (at, status, retry_after), (next_at, _, _) in itertools.pairwise(calls):
        if status == 429:
            assert retry_after >= 1
            assert next_at - at >= retry_after  # it waited at least what the service said
    assert client.stats.retry_after_seconds >= client.stats.rate_limited


def test_rate_limited_for_ever_raises_with_the_last_retry_after(data: Path, standin_factory: Any) -> None:
    s = standin_factory(data, rate=1, burst=1)
    waits: list[float] = []
    client = HttpPopulationRegistry(s.url, rate=1_000_000, batch=1000, max_retries=2, sleep=waits.append)
    client.lookup("001080000000")  # the bucket's one token
    with pytest.raises(RateLimited) as e:
        client.lookup("001181000001")
    assert e.value.retry_after >= 1 and waits == [e.value.retry_after] * 2


def test_the_client_paces_itself_at_the_configured_rate(data: Path, standin_factory: Any) -> None:
    """At the service's published rate the client never meets a 429: it waits on its own bucket."""
    s = standin_factory(data, rate=1000, burst=1000)
    client = HttpPopulationRegistry(s.url, rate=1000, batch=250)
    started = time.monotonic()
    client.lookup_many(p.citizen_id for p in _people())  # 3,000 records: the burst, then 2 s of refill
    assert time.monotonic() - started >= 1.9
    assert s.stats()["rate_limited"] == 0
    assert client.stats.paced_seconds > 1.0  # the rest of the 2 s went on the requests themselves


def test_the_token(data: Path, standin_factory: Any) -> None:
    s = standin_factory(data, token="bi-mat")
    with pytest.raises(Unauthorized):
        HttpPopulationRegistry(s.url).lookup("001080000000")
    assert HttpPopulationRegistry(s.url, token="bi-mat").lookup("001080000000") is not None
    assert s.stats()["unauthorized"] == 1


def test_the_batch_limit_and_bad_requests(data: Path, standin_factory: Any) -> None:
    s = standin_factory(data)
    http = urllib3.PoolManager()
    too_many = http.request("POST", f"{s.url}/v1/citizens:batch", body=json.dumps({"ids": ["1"] * 1001}))
    assert too_many.status == 413 and json.loads(too_many.data) == {
        "error": "batch_too_large",
        "max_batch": 1000,
    }
    assert http.request("POST", f"{s.url}/v1/citizens:batch", body=b"{nope").status == 400
    assert http.request("POST", f"{s.url}/v1/citizens:batch", body=b'{"ids": [1]}').status == 400
    with pytest.raises(ValueError, match="batch"):
        HttpPopulationRegistry(s.url, batch=1001)


def test_the_data_differences_give_their_reason_codes(tmp_path: Path, standin_factory: Any) -> None:
    """Each kind of difference the data builder makes is found by the check under its own code."""
    expected = {
        "missing": ("not_found",),
        "accents": ("name_accents",),
        "spacing": ("name_accents",),
        "renamed": ("name",),
        "date_swapped": ("date_of_birth",),
        "gender": ("gender",),
        "deceased": ("deceased",),
    }
    people = [
        Person(f"0010{80 + i % 10}{i:06d}", "Trần Thị Bích Ngọc", dt.date(1980, 3 + i % 8, 1 + i % 28), "F")
        for i in range(2000)
    ]
    profile = PROFILES["test"]
    kinds = {p.citizen_id: difference_of(p.citizen_id, profile) for p in people}
    assert set(kinds.values()) == {*KINDS, None}  # every kind appears, and people without one
    path = tmp_path / "d.sqlite"
    write_data(path, (perturb(p, profile) for p in people))
    assert len(read_data(path)) == sum(k != "missing" for k in kinds.values())
    s = standin_factory(path)
    answers = HttpPopulationRegistry(s.url).lookup_many(p.citizen_id for p in people)
    for p in people:
        got = compare(Record(p.citizen_id, p.full_name, p.date_of_birth, p.gender), answers[p.citizen_id])
        kind = kinds[p.citizen_id]
        assert got.reasons == (expected[kind] if kind else ()), (kind, answers[p.citizen_id])


def test_the_standin_serves_over_ten_thousand_records_a_second(tmp_path: Path, standin_factory: Any) -> None:
    people = _people(50_000)
    path = tmp_path / "big.sqlite"
    write_data(path, people)
    s = standin_factory(path, rate=10_000_000)
    client = HttpPopulationRegistry(s.url, rate=10_000_000)
    started = time.monotonic()
    client.lookup_many(p.citizen_id for p in people)
    per_second = len(people) / (time.monotonic() - started)
    assert per_second > 10_000, per_second
