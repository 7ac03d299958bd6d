"""What the read-replica router costs (core/db_router.py, issue 19): per read, and per page.

Starts a private primary and streaming replica (tests/deploy/pgcluster.py; as root the servers run as the
``postgres`` user), migrates, seeds ``BENCH_MEMBERS`` members, and times ``GET /dang-vien/`` (the member
list, one of the pages marked ``replica_reads()``) through Django's handler in this process, as a signed-in
central administrator:

* **primary only**: no router, no middleware (the settings without ``DATABASE_REPLICA_URL``);
* **replica**: the router and the read-your-writes middleware, the page read from the replica;
* **fallback**: the same, the replica further behind than ``REPLICA_MAX_LAG_SECONDS`` (replay paused after a
  write on the primary): the page read from the primary after the status query;

and ``ReplicaRouter.db_for_read`` itself, outside and inside ``replica_reads()``. Prints a table::

    .venv/bin/python bench/replica_router_bench.py        # BENCH_MEMBERS=20000 BENCH_RUNS=300
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import env_int, log  # noqa: E402
from tests.deploy.pgcluster import pgcluster  # noqa: E402


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"{statistics.median(ordered) * 1000:.2f} | {p95 * 1000:.2f}"


def main() -> None:
    members, runs = env_int("BENCH_MEMBERS", 20_000), env_int("BENCH_RUNS", 300)
    with pgcluster(replica=True) as cluster:
        assert cluster.replica is not None
        os.environ.update(
            DJANGO_SETTINGS_MODULE="partycard.settings.dev",
            PARTYCARD_DEBUG="0",
            DJANGO_ALLOWED_HOSTS="testserver",
            DATABASE_URL=cluster.primary.url(),
            DATABASE_REPLICA_URL=cluster.replica.url(),
        )
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections
        from django.test.utils import override_settings

        from partycard.core.db_router import ReplicaRouter, replica_reads
        from partycard.registry.models import Member, Organisation

        log("migrate")
        call_command("migrate", verbosity=0)
        log(f"seed {members} members")
        call_command("seed", members=members, no_progress=True, verbosity=0)
        client = _signed_in_admin(Organisation.objects.filter(parent=None).get())
        cluster.wait_replica_caught_up()

        without = [m for m in settings.MIDDLEWARE if not m.endswith("ReplicaMiddleware")]
        plain = override_settings(DATABASE_ROUTERS=[], MIDDLEWARE=without)

        def one(routed: bool) -> float:
            """One timed page, with the router or without (set up outside the timing)."""
            if not routed:
                plain.enable()
            client.handler.load_middleware()
            try:
                start = time.perf_counter()
                response = client.get("/dang-vien/")
                elapsed = time.perf_counter() - start
            finally:
                if not routed:
                    plain.disable()
            assert response.status_code == 200
            return elapsed

        def interleaved() -> tuple[list[float], list[float]]:
            """Without and with the router, alternately (the machine's load drifts alike for both)."""
            for _ in range(10):  # warm: connections, templates, both servers' caches
                one(False), one(True)
            pairs = [(one(False), one(True)) for _ in range(runs)]
            return [a for a, _ in pairs], [b for _, b in pairs]

        rows: list[tuple[str, str]] = []
        primary, replica = interleaved()
        rows += [("GET /dang-vien/, no router (primary)", _ms(primary))]
        rows += [("GET /dang-vien/, router → replica", _ms(replica))]

        cluster.replica.query("SELECT pg_wal_replay_pause()")
        cluster.primary.query("CREATE TABLE bench_lag (x int); INSERT INTO bench_lag VALUES (1)")
        with override_settings(PARTYCARD={**settings.PARTYCARD, "REPLICA_MAX_LAG_SECONDS": 0.0}):
            time.sleep(0.2)
            primary, fallback = interleaved()
        rows += [("GET /dang-vien/, no router (primary), second run", _ms(primary))]
        rows += [("GET /dang-vien/, router → primary (replica behind the bound)", _ms(fallback))]
        cluster.replica.query("SELECT pg_wal_replay_resume()")

        router, n = ReplicaRouter(), 100_000
        start = time.perf_counter()
        for _ in range(n):
            router.db_for_read(Member)
        outside = (time.perf_counter() - start) / n
        with replica_reads():
            router.db_for_read(Member)  # the status query, once
            start = time.perf_counter()
            for _ in range(n):
                router.db_for_read(Member)
            inside = (time.perf_counter() - start) / n
        status = []
        with connections["replica"].cursor() as cursor:
            for _ in range(runs):
                begin = time.perf_counter()
                cursor.execute("SELECT pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp()")
                cursor.fetchone()
                status.append(time.perf_counter() - begin)

    print(f"\nmembers: {members}, runs: {runs}, load: {os.getloadavg()[0]:.1f}, cpus: {os.cpu_count()}")
    print("| measure | median ms | p95 ms |\n| --- | --- | --- |")
    for name, figures in rows:
        print(f"| {name} | {figures} |")
    print(f"| the replica's status query (once per page that reads it) | {_ms(status)} |")
    print(f"| `db_for_read`, outside `replica_reads()` | {outside * 1e6:.2f} µs | |")
    print(f"| `db_for_read`, inside (state cached) | {inside * 1e6:.2f} µs | |")


def _signed_in_admin(centre: Any) -> Any:
    import django_otp
    from django.test import Client

    from partycard.accounts.models import TOTPDevice, User
    from partycard.accounts.roles import Role

    user = User.objects.create_user("bench_admin", role=Role.CENTRAL_ADMIN, organisation=centre)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


if __name__ == "__main__":
    main()
