"""Member search and organisation tree benchmark (issue 15), through the production server with a real login.

Runs against a database that already holds a seeded, migrated registry (it is NOT dropped)::

    createdb -T partycard_seed15 partycard_search15     # a copy of a 5.6 M seed
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_search15 .venv/bin/partycard migrate
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_search15 \\
        .venv/bin/python bench/search_bench.py

What it does:

- two officers with a password and an authenticator: a central administrator (the Centre) and a committee
  officer of Hà Nội (P01). Each logs in over HTTP as a person does: the login form, then the TOTP step
  (``/dang-nhap/`` → ``/dang-nhap/xac-thuc/``), with its CSRF token; the session cookie it gets is used
  for every request after, on one keep-alive connection;
- granian ``--interface wsgi --workers 2`` with bench/verify_load_settings.py (production settings, DEBUG
  off, persistent database connections; no HTTPS redirect: TLS is the reverse proxy's);
- the cases, each at the Centre and in Hà Nội, on page 1 and page 20 (``?page=20``: members 951–1,000 of
  the list, and the count, in the same request): the query mix of docs/performance.md ("nguyen van an",
  "tran thi thu", "le hung", "thuy", "luc thi thoa", "Nguyễn Văn An"), the issue's ("pham", "nguyen thi",
  "le hung", "hung", "van an"), and the member list's filters (none; official + female; age 18–30; a full
  name + official; a given name + female); then, for the record and held to the same bar, the searches
  that read the most: short prefixes ("h", "t", "an"), pairs of common words ("van thi", "nguyen tran",
  "le pham") and a family name with an age band;
- the organisation tree: the Centre's page (``/to-chuc/``) and the children of Hà Nội
  (``/to-chuc/P01/cap-duoi/``, the htmx fragment), with the size of their HTML;
- the raw baseline, in the same run, on the same machine: one page of the list read straight from its
  index with psycopg (``SELECT … FROM registry_searchentry WHERE word = '' AND committee_id = … ORDER BY
  sort_key, member_id LIMIT 50``) and the no-op page through the same server (``/bench-noop/``).

Requests are sequential, round-robin over the cases, ``BENCH_RUNS`` times (default 20) after one warm-up
round. Bars: p95 < 300 ms for every search (any words, any scope, any page), < 200 ms for each tree page.
Before timing it waits until no other ``bench/*_bench.py`` runs (other work shares this machine). Writes
``bench/results/search-<members>.json`` and prints a table with PASS/FAIL.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = ROOT / ".venv" / "bin" if (ROOT / ".venv").exists() else Path(sys.executable).parent
SEARCH_BAR_MS = 300.0
TREE_BAR_MS = 200.0
OTP_KEY = b"partycard-search-bench"

MIX: list[tuple[str, dict[str, str]]] = [
    # docs/performance.md, the registry's query mix
    ("nguyen van an", {"q": "nguyen van an"}),
    ("tran thi thu", {"q": "tran thi thu"}),
    ("le hung", {"q": "le hung"}),
    ("thuy", {"q": "thuy"}),
    ("luc thi thoa", {"q": "luc thi thoa"}),
    ("Nguyễn Văn An", {"q": "Nguyễn Văn An"}),
    # the issue's
    ("pham", {"q": "pham"}),
    ("nguyen thi", {"q": "nguyen thi"}),
    ("hung", {"q": "hung"}),
    ("van an", {"q": "van an"}),
    # the member list's filters (docs/performance.md, "Member list")
    ("no filter", {}),
    ("official + female", {"status": "official", "gender": "F"}),
    ("age 18-30", {"age_band": "18-30"}),
    ("tran thi thu + official", {"q": "tran thi thu", "status": "official"}),
    ("thuy + female", {"q": "thuy", "gender": "F"}),
]
HARD: list[tuple[str, dict[str, str]]] = [
    ("h", {"q": "h"}),
    ("t", {"q": "t"}),
    ("an", {"q": "an"}),
    ("van thi", {"q": "van thi"}),
    ("nguyen tran", {"q": "nguyen tran"}),
    ("le pham", {"q": "le pham"}),
    ("pham + age 61-75", {"q": "pham", "age_band": "61-75"}),
    ("age 76+", {"age_band": "76+"}),
]


def log(message: str) -> None:
    print(message, flush=True)


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


def wait_for_quiet_machine() -> None:
    """Other helpers' benchmarks share this machine: time nothing while one runs (BENCH_NO_WAIT=1: a trial
    run that times anyway)."""
    while os.environ.get("BENCH_NO_WAIT") != "1":
        found = subprocess.run(["pgrep", "-af", "_bench.py"], capture_output=True, text=True).stdout
        mine = {str(os.getpid()), str(os.getppid())}  # this script, and a `timeout` wrapping it
        others = [line for line in found.splitlines() if line.split()[0] not in mine and "pgrep" not in line]
        if not others:
            return
        log(f"waiting for other benchmarks: {others}")
        time.sleep(30)


class Browser:
    """One officer's keep-alive connection with its cookies, as a browser holds them."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        sent = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=sent)
        response = self.conn.getresponse()
        payload = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload

    def log_in(self, username: str, password: str, key: bytes) -> None:
        """The login form, then the TOTP step, as a person does."""
        from django_otp.oath import totp

        def csrf(page: bytes) -> str:
            found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert found, "no CSRF token on the page"
            return found.group(1).decode()

        status, _h, page = self.request("GET", "/dang-nhap/")
        assert status == 200, status
        status, headers, _ = self.request(
            "POST",
            "/dang-nhap/",
            {"username": username, "password": password, "csrfmiddlewaretoken": csrf(page)},
            {"Referer": "http://127.0.0.1/dang-nhap/"},
        )
        assert status == 302, (status, headers)
        step = headers["location"]
        while "xac-thuc" not in step:  # an officer's next page asks for the authenticator's code
            status, headers, _ = self.request("GET", step)
            assert status == 302, (status, step)
            step = headers["location"]
        status, _h, page = self.request("GET", step)
        assert status == 200, status
        status, headers, _ = self.request(
            "POST",
            step,
            {"otp_token": f"{totp(key):06d}", "csrfmiddlewaretoken": csrf(page)},
        )
        assert status == 302, (status, headers)

    def get(self, path: str, headers: dict[str, str] | None = None) -> bytes:
        status, _h, body = self.request("GET", path, headers=headers)
        if status != 200:
            raise SystemExit(f"GET {path}: {status}")
        return body


def setup(env: dict[str, str]) -> dict[str, Any]:
    """In this process, with the server's settings: the two officers and what the baseline reads."""
    os.environ.update(env)
    sys.path[:0] = [str(HERE), str(ROOT / "src")]
    import django

    django.setup()
    from partycard.accounts.models import Role, TOTPDevice, User
    from partycard.registry.choices import OrgLevel
    from partycard.registry.models import Member, Organisation, SearchEntry

    centre = Organisation.objects.get(level=OrgLevel.CENTRE)
    province = Organisation.objects.get(code="P01")
    password = "bench-" + secrets.token_hex(8)
    users = {}
    for name, org, role in (
        ("centre", centre, Role.CENTRAL_ADMIN),
        ("P01", province, Role.COMMITTEE_OFFICER),
    ):
        user, _ = User.objects.update_or_create(
            username=f"bench-search-{name}", defaults={"organisation": org, "role": role, "is_active": True}
        )
        user.set_password(password)
        user.save()
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True, key=OTP_KEY.hex())
        users[name] = user.username
    return {
        "members": Member.objects.count(),
        "entries": SearchEntry.objects.count(),
        "password": password,
        "users": users,
        "province_id": province.pk,
        "province_members": province.subtree_members
        or sum(o.subtree_members for o in Organisation.objects.filter(parent=province)),
    }


def raw_page(url: str, province_id: int) -> float:
    """The raw baseline: one page of Hà Nội's list straight from its index (psycopg, no Django)."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        t0 = time.perf_counter()
        rows = conn.execute(
            "SELECT member_id FROM registry_searchentry WHERE word = '' AND committee_id = %s "
            "ORDER BY sort_key, member_id LIMIT 50",
            [province_id],
        ).fetchall()
        elapsed = time.perf_counter() - t0
    assert len(rows) == 50
    return elapsed


def main() -> None:
    # A `timeout` or an operator's kill ends the run through the `finally` that stops granian.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"stopped by signal {signum}"))
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/partycard_search15")
    runs = int(os.environ.get("BENCH_RUNS", "20"))
    tmp = Path(tempfile.mkdtemp(prefix="search-bench-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "verify_load_settings",
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")]),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "PARTYCARD_TOTP_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": url,
        "PARTYCARD_VAR": str(tmp / "var"),
    }
    info = setup(env)
    log(f"{info['members']:,} members, {info['entries']:,} search entries in {url}")
    port = free_port()
    server_log = (tmp / "granian.log").open("w")
    server = subprocess.Popen(
        [
            str(VENV_BIN / "granian"),
            "--interface",
            "wsgi",
            "partycard.wsgi:application",
            "--workers",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env={**os.environ, **env},
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    result: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "members": info["members"],
        "search_entries": info["entries"],
        "runs": runs,
        "server": "granian --interface wsgi --workers 2, bench/verify_load_settings.py",
    }
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/bench-noop/")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        browsers = {}
        for scope, username in info["users"].items():
            browsers[scope] = Browser(port)
            browsers[scope].log_in(username, info["password"], OTP_KEY)
        anonymous = Browser(port)
        cases: list[dict[str, Any]] = []
        for group, items in (("mix", MIX), ("hard", HARD)):
            for label, params in items:
                for scope in ("centre", "P01"):
                    for page in (1, 20):
                        query = {**params, "page": str(page)} if page > 1 else dict(params)
                        cases.append(
                            {
                                "kind": "search",
                                "group": group,
                                "label": label,
                                "scope": scope,
                                "page": page,
                                "path": "/dang-vien/?" + urlencode(query),
                                "bar_ms": SEARCH_BAR_MS,
                            }
                        )
        cases.append(
            {"kind": "tree", "group": "tree", "label": "the Centre's tree", "scope": "centre", "page": 1,
             "path": "/to-chuc/", "bar_ms": TREE_BAR_MS}
        )  # fmt: skip
        cases.append(
            {"kind": "tree", "group": "tree", "label": "Hà Nội's children", "scope": "centre", "page": 1,
             "path": "/to-chuc/P01/cap-duoi/", "bar_ms": TREE_BAR_MS, "headers": {"HX-Request": "true"}}
        )  # fmt: skip
        for case in cases:  # warm-up; what the page says, for the record
            body = browsers[case["scope"]].get(case["path"], case.get("headers"))
            case["html_bytes"] = len(body)
            if case["kind"] == "search":
                count = re.search(rb'class="result-count"[^>]*>([^<]*)<', body)
                case["count_text"] = count.group(1).decode().strip() if count else ""
                case["rows"] = body.count(b'<tr><td><a href="/dang-vien/')
            case["samples"] = []
        wait_for_quiet_machine()
        result["loadavg_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
        raw: list[float] = []
        noop: list[float] = []
        for _ in range(runs):
            raw.append(raw_page(url, info["province_id"]))
            t0 = time.perf_counter()
            anonymous.get("/bench-noop/")
            noop.append(time.perf_counter() - t0)
            for case in cases:
                t0 = time.perf_counter()
                browsers[case["scope"]].get(case["path"], case.get("headers"))
                case["samples"].append(time.perf_counter() - t0)
        result["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server_log.close()

    raw_ms = summary_ms(raw)
    result["baseline"] = {
        "raw_index_page": {**raw_ms, "what": "one page of Hà Nội's list from the index, psycopg"},
        "noop_http": {**summary_ms(noop), "what": "GET /bench-noop/ through the same server"},
    }
    rows = []
    for case in cases:
        s = summary_ms(case["samples"])
        rows.append(
            {
                key: case[key]
                for key in ("kind", "group", "label", "scope", "page", "path", "bar_ms", "html_bytes")
            }
            | {
                "count_text": case.get("count_text"),
                "rows": case.get("rows"),
                **s,
                "p95_over_raw": round(s["p95_ms"] / raw_ms["p50_ms"], 1),
                "verdict": "PASS" if s["p95_ms"] < case["bar_ms"] else "FAIL",
            }
        )
    result["cases"] = rows
    searches = [x for c in cases if c["kind"] == "search" for x in c["samples"]]
    mix = [x for c in cases if c["group"] == "mix" for x in c["samples"]]
    result["all_searches"] = summary_ms(searches)
    result["mix"] = summary_ms(mix)
    result["verdict"] = "PASS" if all(r["verdict"] == "PASS" for r in rows) else "FAIL"
    out = HERE / "results" / f"search-{info['members']}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    noop_ms = result["baseline"]["noop_http"]["p50_ms"]
    log(f"raw index page p50 {raw_ms['p50_ms']} ms; no-op page p50 {noop_ms} ms")
    log(f"{'case':<26} {'scope':<6} {'page':>4} {'p50':>8} {'p95':>8} {'×raw':>6} {'KB':>6}  count")
    for r in rows:
        log(
            f"{r['label']:<26} {r['scope']:<6} {r['page']:>4} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} "
            f"{r['p95_over_raw']:>6} {r['html_bytes'] / 1000:>6.1f}  {r['count_text'] or ''} {r['verdict']}"
        )
    log(f"mix p95 {result['mix']['p95_ms']} ms; every search p95 {result['all_searches']['p95_ms']} ms")
    log(f"verdict: {result['verdict']} -> {out}")


if __name__ == "__main__":
    main()
