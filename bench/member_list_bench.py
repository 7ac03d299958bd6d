"""Member list benchmark (issue 3): the filtered, searched, paginated list at national scale.

Since issue 15 the page's HTTP request asks for the page by number (``?page=1000``) and the server call
continues after a cursor (the API's keyset), both in the list's order; bench/search_bench.py is issue 15's.

Runs against a database that already holds a seeded registry (it is NOT dropped)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_list .venv/bin/partycard migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_list .venv/bin/partycard seed --members 5600000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_list \
        .venv/bin/python bench/member_list_bench.py

For each scope (the Centre, a province, a commune, a grassroots committee, a cell) × each filter combination
(none; status + gender; an age band; a full name; a given name + gender; a family name + age band) × page 1
and a deep page (the cursor of the row at ~page 1,000, or the last page of a smaller result), it times:

* **server**: ``selectors.member_list`` (the same call the view makes), and
* **HTTP**: the full round trip of ``GET /dang-vien/?…`` over loopback to ``partycard runserver``
  (a real server process, logged in as an officer of that scope with a verified two-factor session).

Round-robin over the cases, ``BENCH_RUNS`` times (default 20). Bar: p95 < 300 ms for both, deep pages
included. Writes ``bench/results/member-list-<members>.json`` and prints a table.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BAR_MS = 300.0
PAGE = 50
DEEP_OFFSET = 999 * PAGE  # the first row of page 1,000

FILTERS: list[tuple[str, dict[str, str]]] = [
    ("no filter", {}),
    ("official + female", {"status": "official", "gender": "F"}),
    ("age 18-30", {"age_band": "18-30"}),
    ("full name", {"q": "nguyen van an"}),
    ("given name + female", {"q": "thuy", "gender": "F"}),
    ("full name + official", {"q": "tran thi thu", "status": "official"}),
]

# Not in the bar's mix, measured for the record: a family name alone with an age band matches ~1% of the
# scope, bunched in name order (see docs/performance.md).
STRESS: list[tuple[str, dict[str, str]]] = [("family name + age 61-75", {"q": "pham", "age_band": "61-75"})]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/partycard_list")
    runs = int(os.environ.get("BENCH_RUNS", "20"))
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "partycard.settings.dev"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # the seeded database may predate the two-factor tables
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from partycard.accounts.models import Role, User
    from partycard.registry import selectors
    from partycard.registry.choices import OrgLevel
    from partycard.registry.models import Member, Organisation
    from partycard.registry.names import query_words

    members = Member.objects.count()
    print(f"{members:,} members in {url}", flush=True)

    def biggest(level: int, under: Organisation | None = None) -> Organisation:
        qs = Organisation.objects.filter(level=level)
        if under is not None:
            qs = qs.filter(path__startswith=under.path)
        return qs.order_by("-member_count", "code").first() or qs.order_by("code").first()  # type: ignore[return-value]

    centre = Organisation.objects.get(level=OrgLevel.CENTRE)
    province = Organisation.objects.get(code="P01")
    commune = Organisation.objects.filter(parent=province).order_by("code").first()
    grassroots = (
        Organisation.objects.filter(path__startswith=commune.path, level=OrgLevel.GRASSROOTS_COMMITTEE)
        .order_by("code")
        .first()
    )
    cell = (
        Organisation.objects.filter(path__startswith=grassroots.path, level=OrgLevel.CELL)
        .order_by("-member_count")
        .first()
    )
    scopes = [
        ("centre", centre, Role.CENTRAL_ADMIN),
        ("province", province, Role.COMMITTEE_OFFICER),
        ("commune", commune, Role.COMMITTEE_OFFICER),
        ("grassroots", grassroots, Role.GRASSROOTS_OFFICER),
        ("cell", cell, Role.CELL_SECRETARY),
    ]

    users: dict[str, Any] = {}
    cookies: dict[str, str] = {}
    for name, org, role in scopes:
        user, _ = User.objects.update_or_create(
            username=f"bench-list-{name}", defaults={"organisation": org, "role": role}
        )
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        users[name] = user
        cookies[name] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"

    # The cases, each with page 1 and a deep page. The deep cursor is found once, untimed, with OFFSET.
    cases: list[dict[str, Any]] = []
    for scope_name, org, _role in scopes:
        for label, params in [*FILTERS, *STRESS]:
            filters = selectors.MemberFilters(
                q=params.get("q", ""),
                status=params.get("status", ""),
                gender=params.get("gender", ""),
                age_band=params.get("age_band", ""),
            )
            cases.append(
                {
                    "scope": scope_name,
                    "filter": label,
                    "page": "1",
                    "params": params,
                    "stress": (label, params) in STRESS,
                    "filters": filters,
                    "after": None,
                }
            )
            # The deep page: page 1,000 (or the last page of a smaller result), in the list's order.
            words = query_words(filters.q)
            deep = selectors._member_hits(org, words, filters, offset=DEEP_OFFSET, limit=1)[0]
            deep_label, page_number = "1,000", DEEP_OFFSET // PAGE + 1
            if not deep:
                total = selectors._member_hits(org, words, filters, limit=1, count=True)[1] or 0
                page_number = max(1, -(-total // PAGE))
                deep = selectors._member_hits(org, words, filters, offset=(page_number - 1) * PAGE, limit=1)[
                    0
                ]
                deep_label = "last"
            if deep and page_number > 1:
                cases.append(
                    {
                        "scope": scope_name,
                        "filter": label,
                        "page": deep_label,
                        "page_number": page_number,
                        "params": params,
                        "stress": (label, params) in STRESS,
                        "filters": filters,
                        "after": (deep[0][1], deep[0][0]),
                    }
                )
    print(f"{len(cases)} cases × {runs} runs", flush=True)

    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/partycard"), "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # its request log, unread, would fill a pipe and block it
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/dang-nhap/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)

        def http(case: dict[str, Any]) -> int:
            params = dict(case["params"])
            if case["after"] is not None:
                params["page"] = str(case["page_number"])
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/dang-vien/?{urlencode(params)}",
                headers={"Cookie": cookies[case["scope"]]},
            )
            with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310 - http://127.0.0.1 only
                body = response.read()
                if response.status != 200 or b'class="members"' not in body:
                    raise SystemExit(
                        f"unexpected answer for {case['scope']} {params}: {response.status} {response.url}"
                    )
                return body.count(b'href="/dang-vien/') - 3

        def server_call(case: dict[str, Any]) -> int:
            return len(
                selectors.member_list(
                    users[case["scope"]], case["filters"], after=case["after"], limit=PAGE + 1
                )
            )

        for case in cases:  # warm-up, and the row count for the record
            t0 = time.perf_counter()
            case["rows"] = server_call(case)
            t1 = time.perf_counter()
            http(case)
            print(
                f"  warm-up {case['scope']} {case['filter']} page {case['page']}: "
                f"{(t1 - t0) * 1000:.0f} / {(time.perf_counter() - t1) * 1000:.0f} ms",
                flush=True,
            )
            case["server_s"], case["http_s"] = [], []
        for _ in range(runs):
            for case in cases:
                t0 = time.perf_counter()
                server_call(case)
                t1 = time.perf_counter()
                http(case)
                t2 = time.perf_counter()
                case["server_s"].append(t1 - t0)
                case["http_s"].append(t2 - t1)
    finally:
        server.terminate()
        server.wait(timeout=10)

    mix = [c for c in cases if not c["stress"]]
    all_server = [s for c in mix for s in c["server_s"]]
    all_http = [s for c in mix for s in c["http_s"]]
    deep_server = [s for c in mix if c["page"] != "1" for s in c["server_s"]]
    deep_http = [s for c in mix if c["page"] != "1" for s in c["http_s"]]
    out = {
        "members": members,
        "runs": runs,
        "bar_p95_ms": BAR_MS,
        "server": summary_ms(all_server),
        "http": summary_ms(all_http),
        "deep_pages_server": summary_ms(deep_server),
        "deep_pages_http": summary_ms(deep_http),
        "cases": [
            {
                "scope": c["scope"],
                "filter": c["filter"],
                "page": c["page"],
                "rows": c["rows"],
                "in_bar_mix": not c["stress"],
                "server": summary_ms(c["server_s"]),
                "http": summary_ms(c["http_s"]),
            }
            for c in cases
        ],
        "scopes": {
            name: {"code": org.code, "name": org.name, "members": selectors.subtree_member_count(org)}
            for name, org, _ in scopes
        },
    }
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"member-list-{members}.json").write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"{'scope':<11} {'filter':<26} {'page':>6} {'rows':>5} {'server p95':>11} {'HTTP p95':>9}")
    for c in out["cases"]:
        server_p95, http_p95 = c["server"]["p95_ms"], c["http"]["p95_ms"]
        print(
            f"{c['scope']:<11} {c['filter']:<26} {c['page']:>6} {c['rows']:>5} "
            f"{server_p95:>9.1f}ms {http_p95:>7.1f}ms"
        )
    for key in ("server", "http", "deep_pages_server", "deep_pages_http"):
        p95 = out[key]["p95_ms"]
        verdict = "PASS" if p95 < BAR_MS else "FAIL"
        print(
            f"{key:<18} p50 {out[key]['p50_ms']:7.1f} ms  p95 {p95:7.1f} ms  {verdict} (bar {BAR_MS:.0f} ms)"
        )


if __name__ == "__main__":
    main()
