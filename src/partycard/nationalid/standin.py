"""A stand-in for the national population database: the documented JSON/HTTP API (docs/population.md)
served over loopback by its own process, for the tests, the bench and ``make run``'s demo.

    python -m partycard.nationalid.standin --data citizens.sqlite --port 8790 --rate 10000 \\
        [--token T] [--timeout-share 0.01 --timeout-delay 10] [--error-share 0.01] [--seed 17]

Its data is a SQLite file (``citizens``, citizen ID primary key) written by :func:`write_data`;
partycard builds one from its members with ``partycard population standin-data`` and perturbs a documented
share of them (:data:`PROFILES`, :func:`perturb`) so the check has differences to find. It limits the rate
in records per second (a token bucket: a batch of n IDs costs n) and answers 429 with ``Retry-After``
beyond it; it injects failures at seeded, reproducible shares: requests answered too late (beyond the
client's timeout: the connection is closed without an answer) and 5xx answers. ``GET /v1/_stats`` tells
the tests what it served (each ID's count, to prove a resumed check never asked twice). The standard
library's threaded HTTP server is enough: with batches of 1,000 it serves well over 10,000 records/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import random
import sqlite3
import sys
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from partycard.nationalid.client import MAX_BATCH
from partycard.nationalid.ratelimit import TokenBucket
from partycard.nationalid.registry import FEMALE, MALE, Person

__all__ = [
    "PROFILES",
    "Settings",
    "StandinServer",
    "main",
    "perturb",
    "read_data",
    "write_data",
]

_SCHEMA = """
CREATE TABLE citizens (
    citizen_id TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    gender TEXT NOT NULL,
    place_of_origin TEXT NOT NULL DEFAULT '',
    deceased INTEGER NOT NULL DEFAULT 0,
    date_of_death TEXT
) WITHOUT ROWID
"""
_COLUMNS = "citizen_id, full_name, date_of_birth, gender, place_of_origin, deceased, date_of_death"


# The data.


def write_data(path: Path, people: Iterable[Person | None]) -> int:
    """Write ``people`` (``None``s skipped: a record the database lacks) to a new data file at ``path``;
    how many were written. An existing file is replaced."""
    path = Path(path)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute(_SCHEMA)
        rows = (
            (
                p.citizen_id,
                p.full_name,
                p.date_of_birth.isoformat(),
                p.gender,
                p.place_of_origin,
                int(p.deceased),
                p.date_of_death.isoformat() if p.date_of_death else None,
            )
            for p in people
            if p is not None
        )
        before = db.total_changes
        db.executemany(f"INSERT INTO citizens ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)  # noqa: S608
        db.commit()
        return db.total_changes - before
    finally:
        db.close()


def _person(row: Sequence[Any]) -> dict[str, Any]:
    return {
        "citizen_id": row[0],
        "full_name": row[1],
        "date_of_birth": row[2],
        "gender": row[3],
        "place_of_origin": row[4],
        "deceased": bool(row[5]),
        "date_of_death": row[6],
    }


def read_data(path: Path) -> list[Person]:
    """Every person of a data file (for tests and small files)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [Person.from_json(_person(r)) for r in db.execute(f"SELECT {_COLUMNS} FROM citizens")]  # noqa: S608
    finally:
        db.close()


# The differences a data file is built with: which share of people is changed, and how. One difference per
# person, chosen by the SHA-256 of their citizen ID, so the same ID always gets the same difference and
# the tests know which to expect. The shares of "realistic" are a guess at a registry typed by hand from
# paper records over decades: they make a few percent of tasks, as the pilot provinces reported.
PROFILES: dict[str, dict[str, float]] = {
    "none": {},
    "realistic": {
        "missing": 0.004,
        "accents": 0.010,
        "spacing": 0.004,
        "renamed": 0.002,
        "date_swapped": 0.004,
        "gender": 0.001,
        "deceased": 0.001,
    },
    # Every kind often, for tests and the demo: about a third of people differ.
    "test": {
        "missing": 0.05,
        "accents": 0.05,
        "spacing": 0.05,
        "renamed": 0.05,
        "date_swapped": 0.05,
        "gender": 0.05,
        "deceased": 0.05,
    },
}
KINDS = ("missing", "accents", "spacing", "renamed", "date_swapped", "gender", "deceased")


def difference_of(citizen_id: str, profile: dict[str, float]) -> str | None:
    """Which difference (a key of the profile) the person with ``citizen_id`` gets, or None."""
    digest = hashlib.sha256(citizen_id.encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    edge = 0.0
    for kind in KINDS:
        edge += profile.get(kind, 0.0)
        if u < edge:
            return kind
    return None


def _strip_accents(name: str) -> str:
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _swapped(day: dt.date) -> dt.date:
    """Day and month swapped (03/04 read as 04/03); where that is no date or the same one, a day later
    (still a difference of the date of birth)."""
    if day.day <= 12 and day.day != day.month:
        return day.replace(day=day.month, month=day.day)
    return day + dt.timedelta(days=1)


def perturb(person: Person, profile: dict[str, float]) -> Person | None:
    """``person`` as the population database holds it under ``profile`` (None: the database lacks it)."""
    kind = difference_of(person.citizen_id, profile)
    if kind is None:
        return person
    if kind == "missing":
        return None
    if kind == "accents":
        stripped = _strip_accents(person.full_name)
        # A name with no accents to strip differs in case instead: still equal once folded.
        return replace(person, full_name=stripped if stripped != person.full_name else stripped.upper())
    if kind == "spacing":
        return replace(person, full_name=person.full_name.replace(" ", "  ", 1) + " ")
    if kind == "renamed":
        parts = person.full_name.split()
        given = "Hùng" if parts[-1] != "Hùng" else "Dũng"
        return replace(person, full_name=" ".join([*parts[:-1], given]))
    if kind == "date_swapped":
        return replace(person, date_of_birth=_swapped(person.date_of_birth))
    if kind == "gender":
        return replace(person, gender=FEMALE if person.gender == MALE else MALE)
    # deceased: a date of death after the birth (fixed, so the file is reproducible)
    return replace(person, deceased=True, date_of_death=max(person.date_of_birth, dt.date(2025, 1, 15)))


# The server.


@dataclass
class Settings:
    data: Path
    rate: float = 10_000.0  # records per second
    burst: float | None = None  # the bucket's size in records (default: one second's worth)
    max_batch: int = MAX_BATCH
    token: str | None = None
    timeout_share: float = 0.0  # requests held beyond the client's timeout, then dropped
    timeout_delay: float = 10.0
    error_share: float = 0.0  # requests answered 500/502/503
    seed: int = 17
    # A request up to this many seconds early is admitted: a client pacing itself at exactly the rate
    # sees its requests arrive with the network's jitter, not on its own clock's ticks.
    tolerance: float = 0.02


class _Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.asked: Counter[str] = Counter()  # IDs answered with 200 (found or not), each count
        self.requests = 0
        self.records = 0
        self.rate_limited = 0
        self.timeouts = 0
        self.errors = 0
        self.unauthorized = 0

    def as_json(self, *, ids: bool) -> dict[str, Any]:
        with self.lock:
            out: dict[str, Any] = {
                "requests": self.requests,
                "records": self.records,
                "distinct": len(self.asked),
                "repeated": sorted(i for i, n in self.asked.items() if n > 1)[:1000],
                "rate_limited": self.rate_limited,
                "timeouts": self.timeouts,
                "errors": self.errors,
                "unauthorized": self.unauthorized,
            }
            if ids:
                out["asked"] = dict(self.asked)
            return out


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], settings: Settings) -> None:
        super().__init__(address, _Handler)
        self.settings = settings
        self.bucket = TokenBucket(settings.rate, capacity=settings.burst)
        self.stats = _Stats()
        self._rng = random.Random(settings.seed)
        self._rng_lock = threading.Lock()
        self._local = threading.local()
        self._uri = f"file:{Path(settings.data).resolve()}?mode=ro"
        sqlite3.connect(self._uri, uri=True).close()  # fail now, not at the first request

    def db(self) -> sqlite3.Connection:
        """This thread's read-only connection to the data file."""
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            self._local.db = conn
        return conn

    def draw(self) -> str:
        """The failure injected into the next request: "timeout", "error" or "" (none)."""
        with self._rng_lock:
            u = self._rng.random()
        if u < self.settings.timeout_share:
            return "timeout"
        if u < self.settings.timeout_share + self.settings.error_share:
            return "error"
        return ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses its connections
    server: StandinServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no personal data (citizen IDs in paths) in any log

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _admit(self, records: int) -> bool:
        """Authorisation, the rate limit and the injected failures, in that order; whether to answer."""
        settings, stats = self.server.settings, self.server.stats
        if settings.token and self.headers.get("Authorization") != f"Bearer {settings.token}":
            with stats.lock:
                stats.unauthorized += 1
            self._send(401, {"error": "unauthorized"}, {"WWW-Authenticate": "Bearer"})
            return False
        wait = self.server.bucket.try_take(records, early=settings.tolerance)
        if wait > 0:
            with stats.lock:
                stats.rate_limited += 1
            # RFC 9110 §10.2.3: delay-seconds, a whole number; rounded up so the client is not early.
            self._send(429, {"error": "rate_limited"}, {"Retry-After": str(max(1, math.ceil(wait)))})
            return False
        failure = self.server.draw()
        if failure == "timeout":
            with stats.lock:
                stats.timeouts += 1
            time.sleep(settings.timeout_delay)
            self.close_connection = True  # no answer at all: the client gave up long ago
            return False
        if failure == "error":
            with stats.lock:
                stats.errors += 1
            self._send(503, {"error": "unavailable"}, {"Connection": "close"})
            self.close_connection = True
            return False
        return True

    def _served(self, ids: Sequence[str]) -> None:
        stats = self.server.stats
        with stats.lock:
            stats.requests += 1
            stats.records += len(ids)
            stats.asked.update(ids)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/v1/_stats":
            self._send(200, self.server.stats.as_json(ids="ids=1" in self.path))
            return
        prefix = "/v1/citizens/"
        if not path.startswith(prefix) or "/" in path[len(prefix) :]:
            self._send(404, {"error": "no_such_endpoint"})
            return
        citizen_id = path[len(prefix) :]
        if not self._admit(1):
            return
        row = (
            self.server.db()
            .execute(f"SELECT {_COLUMNS} FROM citizens WHERE citizen_id = ?", (citizen_id,))  # noqa: S608
            .fetchone()
        )
        self._served([citizen_id])
        if row is None:
            self._send(404, {"error": "not_found", "citizen_id": citizen_id})
        else:
            self._send(200, _person(row))

    def do_POST(self) -> None:
        if self.path != "/v1/citizens:batch":
            self._send(404, {"error": "no_such_endpoint"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length)) if length else None
            ids = body["ids"] if isinstance(body, dict) else None
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise ValueError("ids must be a list of strings")
        except (ValueError, KeyError):
            self._send(400, {"error": "bad_request", "detail": 'expected {"ids": ["…", …]}'})
            return
        if len(ids) > self.server.settings.max_batch:
            self._send(413, {"error": "batch_too_large", "max_batch": self.server.settings.max_batch})
            return
        ids = list(dict.fromkeys(ids))
        if not self._admit(len(ids)):
            return
        rows = (
            self.server.db()
            .execute(
                f"SELECT {_COLUMNS} FROM citizens WHERE citizen_id IN (SELECT value FROM json_each(?))",  # noqa: S608
                (json.dumps(ids),),
            )
            .fetchall()
        )
        found = [_person(r) for r in rows]
        have = {r[0] for r in rows}
        self._served(ids)
        self._send(200, {"found": found, "not_found": [i for i in ids if i not in have]})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m partycard.nationalid.standin", description=__doc__)
    parser.add_argument("--data", required=True, type=Path, help="the SQLite data file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port (printed)")
    parser.add_argument("--rate", type=float, default=10_000.0, help="records per second")
    parser.add_argument("--burst", type=float, default=None, help="bucket size in records (default: rate)")
    parser.add_argument("--max-batch", type=int, default=MAX_BATCH)
    parser.add_argument("--token", default=None, help="require this bearer token")
    parser.add_argument("--timeout-share", type=float, default=0.0)
    parser.add_argument("--timeout-delay", type=float, default=10.0)
    parser.add_argument("--error-share", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--tolerance", type=float, default=0.02, help="seconds early a request may be")
    args = parser.parse_args(argv)
    settings = Settings(
        data=args.data,
        rate=args.rate,
        burst=args.burst,
        max_batch=args.max_batch,
        token=args.token,
        timeout_share=args.timeout_share,
        timeout_delay=args.timeout_delay,
        error_share=args.error_share,
        seed=args.seed,
        tolerance=args.tolerance,
    )
    server = StandinServer((args.host, args.port), settings)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    print(f"population stand-in listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
