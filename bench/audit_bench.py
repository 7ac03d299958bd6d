"""Audit append overhead per write, on PostgreSQL (issue 3 bar: < 2 ms).

Times N single-row writes (an UPDATE of one organisation's name, each in its own transaction, as a service
does) with and without ``audit_record`` in the same transaction, in the same run; the difference per write
is the overhead. Usage:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_audit_bench \\
    BENCH_WRITES=2000 .venv/bin/python bench/audit_bench.py

``BENCH_WITHOUT_HEAD_TRIGGERS=1`` drops the chain head's triggers (audit migration 0003) after migrating,
to measure what they cost.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/partycard_audit_bench")
WRITES = int(os.environ.get("BENCH_WRITES", "2000"))
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    base, name = URL.rsplit("/", 1)
    subprocess.run(["psql", f"{base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.dev")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    if os.environ.get("BENCH_WITHOUT_HEAD_TRIGGERS") == "1":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER audit_head_guard ON audit_chainhead")
            cursor.execute("DROP TRIGGER audit_head_on_last_row ON audit_chainhead")
        print("without the chain head's triggers")
    from partycard.audit.models import AuditEvent
    from partycard.audit.services import audit_record, audit_verify
    from partycard.registry import services
    from partycard.registry.choices import OrgLevel
    from partycard.registry.models import Organisation

    centre = services.organisation_create(
        actor=None, code="TW", name="Trung ương", level=OrgLevel.CENTRE, parent=None
    )

    def write(i: int, audited: bool) -> float:
        start = time.perf_counter()
        with transaction.atomic():
            Organisation.objects.filter(pk=centre.pk).update(name=f"Trung ương {i}")
            if audited:
                audit_record(actor=None, action="change", obj=centre, changes={"name": [str(i - 1), str(i)]})
        return time.perf_counter() - start

    for i in range(200):  # warm-up
        write(i, i % 2 == 0)
    plain, audited = [], []
    for i in range(WRITES):  # interleaved, so drift in the machine's load hits both alike
        plain.append(write(i, False))
        audited.append(write(i, True))
    p50 = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    mean = lambda xs: statistics.fmean(xs) * 1000  # noqa: E731
    overhead = mean(audited) - mean(plain)
    t = time.perf_counter()
    report = audit_verify()
    verify_s = time.perf_counter() - t
    print(f"writes: {WRITES} each; audit rows: {AuditEvent.objects.count()}")
    print(f"plain write   mean {mean(plain):.3f} ms  p50 {p50(plain):.3f} ms")
    print(f"audited write mean {mean(audited):.3f} ms  p50 {p50(audited):.3f} ms")
    verdict = "PASS" if overhead < 2 else "FAIL"
    print(f"audit append overhead per write: {overhead:.3f} ms (bar < 2 ms: {verdict})")
    rate = report.checked / verify_s
    print(f"audit verify: {report.checked} rows in {verify_s:.2f} s ({rate:,.0f} rows/s), ok={report.ok}")


if __name__ == "__main__":
    main()
