"""The soak (issue 19, ``make soak``): officers' and verifiers' traffic together against the production
deployment on loopback for ``SOAK_SECONDS``, failing on any error or on memory growth.

What runs (every process started here is stopped at the end, by process group):

- a PostgreSQL database of its own on ``SOAK_PG_ADMIN_URL``'s server (created, dropped at the end),
  migrated and seeded with ``partycard seed --members SOAK_MEMBERS``; a signing authority (``partycard pki
  init``) in a scratch directory;
- granian with ``partycard.settings.prod`` (``SOAK_GRANIAN_WORKERS`` workers, 2 blocking threads each) behind
  nginx terminating TLS with deploy/nginx/proxy.conf (tests/deploy/servers.py's ``app_server`` and
  ``nginx_in_front``: the deployment the tests stand up), and one task worker (``partycard db_worker``);
- set-up inside Django (``--setup``, not timed): an open campaign, the registry evaluated, cases PROPOSED in
  a few grassroots organisations (inserted directly, as bench/bulk_transition_bench.py does), officers with
  passwords and TOTP devices (a province officer and a grassroots officer per chosen province), a few
  members' device-bound e-cards (one of them revoked) for the verifiers;
- the load generator (``--generate``), a separate process: the officers log in through the login form and
  the TOTP step (codes computed from their secrets, as an authenticator app does), then, at fixed rates,
  province officers list and search members (accent-insensitive queries) and export their province's
  roster as a background job, poll it and download the file; grassroots officers open their queue, confirm
  one case, and confirm a few cases as a bulk job they follow to its end; verifiers POST /api/v1/verify
  with valid rotating QRs (expected ``valid``) and invalid ones (a tampered QR and a revoked e-card:
  ``invalid``; a body with neither field: 422). Every request goes through nginx over TLS.

While the load runs, the RSS of each granian worker and of the task worker is sampled every
``SOAK_SAMPLE_SECONDS``; after a warm-up, the least-squares slope per process must stay under
bench/soak_checks.py's bar (10 MiB per 10 min; why there). After the load, the database is checked: every
case the generator confirmed is CONFIRMED, once.

Exit status 1 on any error (any 5xx, any unexpected status, any verify outcome but the expected one, a
job that did not finish, a case count that does not add up) or on memory growth. Prints a report and
writes bench/results/soak.json.

Environment (defaults in brackets):
    SOAK_SECONDS [600]           load duration
    SOAK_MEMBERS [30000]         members seeded
    SOAK_WARMUP_SECONDS [max(30, 20 % of SOAK_SECONDS)]  RSS samples discarded before the fit
    SOAK_SAMPLE_SECONDS [3]      RSS sampling period
    SOAK_VERIFY_RATE [20]        valid verifications per second
    SOAK_INVALID_RATE [2]        invalid verifications per second (tampered, revoked, malformed in turn)
    SOAK_PROVINCES [4]           provinces with officers (a province and a grassroots officer each)
    SOAK_BROWSE_RATE [3]         officers' list/search/queue page views per second, all officers together
    SOAK_TRANSITION_INTERVAL [5] seconds between single-case confirmations (round-robin over officers)
    SOAK_BULK_INTERVAL [30]      seconds between bulk-confirmation jobs (3 cases each)
    SOAK_EXPORT_INTERVAL [30]    seconds between export jobs (round-robin over province officers)
    SOAK_GRANIAN_WORKERS [2]     granian worker processes
    SOAK_PG_ADMIN_URL [postgres://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULT = HERE / "results" / "soak.json"
sys.path[:0] = [str(HERE), str(ROOT / "src")]

from common import machine_info  # noqa: E402
from soak_checks import LEAK_MIB_PER_10_MIN, ErrorCount, latency_summary, leak_verdict  # noqa: E402

PASSWORD = "soak-mat-khau-" + "dai-1"
SEARCHES = ["nguyen van", "tran thi", "le minh", "pham", "hoang anh", "vu thi", "dang", "bui van hung"]
BULK_CASES = 3
# A client closes a kept-alive connection idle this long (nginx's keepalive_timeout is 75 s).
IDLE_SECONDS = 20.0
EXPORT_INLINE_MEMBERS = 100


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").replace("_", "") or default)


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, "") or default)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------------------------
# Set-up inside Django (a separate process with the production settings: --setup OUT).


def setup(out: Path, provinces: int) -> None:
    import django

    django.setup()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.db import transaction

    from partycard.accounts.models import Role, User
    from partycard.accounts.two_factor import totp_device_install
    from partycard.cards.lifecycle import CardState
    from partycard.cards.models import Card
    from partycard.cards.services import Allocation, cards_allocate, cards_register_old
    from partycard.credentials import services as credential_services
    from partycard.credentials.models import CredentialStatus
    from partycard.ecard.qr import qr_parse
    from partycard.exchange.jobs import start_evaluation
    from partycard.exchange.models import Campaign, Case
    from partycard.exchange.services.card_numbers import card_numbers_allocate
    from partycard.exchange.services.evaluation import evaluate_members
    from partycard.exchange.workflow import State
    from partycard.jobs.services import job_run
    from partycard.registry import selectors
    from partycard.registry.choices import MemberStatus, OrgLevel
    from partycard.registry.models import Member, Organisation

    def officer(username: str, role: str, org: Organisation) -> dict[str, str]:
        user = User.objects.create_user(username, password=PASSWORD, role=role, organisation=org)
        secret = base64.b32encode(secrets.token_bytes(20)).decode()
        totp_device_install(actor=None, user=user, name="soak", secret_b32=secret)
        return {"username": username, "password": PASSWORD, "totp_b32": secret, "organisation": org.code}

    admin = User.objects.create_user("soak-admin", role=Role.CENTRAL_ADMIN)
    campaign = Campaign.objects.create(code="soak", name="Đợt đổi thẻ (soak)", cut_off=dt.date(2026, 6, 30))
    cards_register_old(actor=None)
    job_run(start_evaluation(actor=admin, campaign=campaign, enqueue=False).pk)

    tops = sorted(
        Organisation.objects.filter(level=OrgLevel.CENTRAL_COMMITTEE),
        key=lambda o: -selectors.subtree_member_count(o),
    )[:provinces]
    province_officers, grassroots_officers = [], []
    for number, province in enumerate(tops, 1):
        province_officers.append(officer(f"soak-tinh-{number:02d}", Role.COMMITTEE_OFFICER, province))
        grassroots = max(
            Organisation.objects.filter(path__startswith=province.path, level=OrgLevel.GRASSROOTS_COMMITTEE),
            key=selectors.subtree_member_count,
        )
        members = list(
            Member.objects.filter(organisation__path__startswith=grassroots.path)
            .order_by("pk")
            .values_list("pk", "organisation_id", "organisation__path")
        )
        verdicts = evaluate_members(campaign, [pk for pk, _, _ in members])
        Case.objects.bulk_create(
            Case(campaign=campaign, member_id=pk, organisation_id=org, path=path, state=State.PROPOSED)
            for pk, org, path in members
            if verdicts[pk].eligible
        )
        cases = list(
            Case.objects.filter(campaign=campaign, path__startswith=grassroots.path)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        entry = officer(f"soak-coso-{number:02d}", Role.GRASSROOTS_OFFICER, grassroots)
        grassroots_officers.append({**entry, "cases": cases})

    # The verifiers' e-cards: device-bound, as the member's app holds them; the last one revoked. An e-card
    # is issued only for a new card in use: allocated here as the Centre's acceptance would, then put in
    # use directly (set-up; walking it down five levels of officers is the distribution tests' business).
    phones: list[dict[str, Any]] = []
    holders = Member.objects.filter(status=MemberStatus.OFFICIAL).exclude(citizen_id=None).order_by("pk")[:6]
    for member in holders:
        with transaction.atomic():
            (card_no,) = card_numbers_allocate(1)
            (card,) = cards_allocate(
                actor=None,
                allocations=[
                    Allocation(
                        number=card_no, case_id=None, member_id=member.pk, path=member.organisation.path
                    )
                ],
            )
            Card.objects.filter(pk=card.pk).update(state=CardState.ACTIVE)
        device = ec.generate_private_key(ec.SECP256R1())
        spki = device.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        credential = credential_services.credential_issue(actor=None, member=member, device_key=spki)
        phones.append(
            {
                "credential": credential,
                "material": {
                    "qr": credential.qr,
                    "credential_hex": qr_parse(credential.qr).credential.hex(),
                    "device_key_pem": device.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    ).decode(),
                },
            }
        )
    revoked = phones.pop()
    credential_services.credential_status_set(
        actor=None, credential=revoked["credential"], status=CredentialStatus.REVOKED, reason="soak"
    )
    material = {
        "campaign": campaign.pk,
        "province_officers": province_officers,
        "grassroots_officers": grassroots_officers,
        "phones": [p["material"] for p in phones],
        "revoked_phone": revoked["material"],
    }
    out.write_text(json.dumps(material))


def count_confirmed(campaign: int) -> dict[str, int]:
    """After the load: the soak campaign's confirmed cases and their CONFIRM events (``--count``)."""
    import django

    django.setup()
    from django.db.models import Count

    from partycard.exchange.models import Case, CaseEvent

    events = CaseEvent.objects.filter(case__campaign_id=campaign, transition="confirm")
    per_case = events.values("case_id").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "confirmed_cases": Case.objects.filter(campaign_id=campaign, state="confirmed").count(),
        "confirm_events": events.count(),
        "cases_confirmed_twice": per_case,
    }


# --------------------------------------------------------------------------------------------------------
# The load generator (a separate process: --generate).


def totp(secret_b32: str, at: float) -> str:
    """RFC 6238 (HMAC-SHA1, 30-second steps, 6 digits), what an authenticator app shows."""
    counter = struct.pack(">Q", int(at // 30))
    digest = hmac.new(base64.b32decode(secret_b32), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


class Session:
    """A browser (or a verifier device) talking to the proxy over TLS: keep-alive connections from its
    own loopback address, cookies kept by hand (they are Secure; the client need not care)."""

    def __init__(self, port: int, context: ssl.SSLContext, source: str) -> None:
        self.port, self.context, self.source = port, context, source
        self.cookies: dict[str, str] = {}
        self._idle: list[tuple[http.client.HTTPSConnection, float]] = []  # (connection, idle since)
        self._lock = threading.Lock()
        self.csrf = ""

    def _connection(self, fresh: bool) -> tuple[http.client.HTTPSConnection, bool]:
        """The most recently used idle connection (True), or a new one (False). Connections idle longer
        than IDLE_SECONDS are closed, as browsers do, well before nginx's keepalive_timeout (75 s) closes
        them under the client's feet."""
        with self._lock:
            now = time.monotonic()
            while self._idle and not fresh:
                connection, since = self._idle.pop()
                if now - since < IDLE_SECONDS:
                    return connection, True
                connection.close()
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=120, source_address=(self.source, 0), context=self.context
        )
        return connection, False

    def request(
        self, method: str, path: str, form: dict[str, Any] | None = None, json_body: bytes | None = None
    ) -> tuple[int, dict[str, str], bytes, float]:
        """One request; (status, headers, body, seconds). A reused keep-alive connection the server
        closed while idle is retried once on a new one, as browsers do."""
        headers: dict[str, str] = {}
        body: bytes | None = None
        if form is not None:
            body = urlencode({"csrfmiddlewaretoken": self.csrf, **form}, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://127.0.0.1:{self.port}"
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
        elif json_body is not None:
            body, headers["Content-Type"] = json_body, "application/json"
        with self._lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            connection, reused = self._connection(fresh=attempt == 2)
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
                # The server closed a kept-alive connection before answering: nothing reached the app.
                connection.close()
                if reused and attempt == 1:
                    continue
                raise
            except Exception:
                connection.close()
                raise
            elapsed = time.perf_counter() - started
            reply_headers = {k.lower(): v for k, v in response.getheaders()}
            with self._lock:
                for cookie in response.headers.get_all("Set-Cookie") or []:
                    name, _, rest = cookie.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
                if response.will_close:
                    connection.close()
                else:
                    self._idle.append((connection, time.monotonic()))
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
            if token:
                self.csrf = token.group(1).decode()
            return response.status, reply_headers, data, elapsed
        raise AssertionError("unreachable")


class Load:
    """The traffic classes, each fired at a fixed rate by its own scheduler thread onto a thread pool;
    every request's latency and verdict recorded by route."""

    def __init__(self, material: dict[str, Any], port: int, certificate: str, seconds: float) -> None:
        from verify_load_bench import Phone

        self.material, self.port, self.seconds = material, port, seconds
        self.context = ssl.create_default_context(cafile=certificate)
        self.errors = ErrorCount()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.lateness: dict[str, list[float]] = defaultdict(list)
        self.counters: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self.phones = [Phone(m) for m in material["phones"]]
        self.revoked = Phone(material["revoked_phone"])
        self.verifiers = [Session(port, self.context, f"127.0.0.{10 + i}") for i in range(8)]
        self.province = [
            (o, Session(port, self.context, f"127.0.1.{i + 1}"))
            for i, o in enumerate(material["province_officers"])
        ]
        self.grassroots = [
            (o, Session(port, self.context, f"127.0.2.{i + 1}"), list(o["cases"]))
            for i, o in enumerate(material["grassroots_officers"])
        ]
        self._robin: dict[str, int] = defaultdict(int)

    # -- bookkeeping

    def call(
        self,
        session: Session,
        route: str,
        method: str,
        path: str,
        expected: int,
        *,
        form: dict[str, Any] | None = None,
        json_body: bytes | None = None,
        check: Callable[[bytes, dict[str, str]], str | None] | None = None,
    ) -> tuple[bool, dict[str, str], bytes]:
        try:
            status, headers, body, elapsed = session.request(method, path, form=form, json_body=json_body)
        except (OSError, http.client.HTTPException) as e:
            self.errors.add(f"{route}: {type(e).__name__}", str(e)[:200])
            return False, {}, b""
        problem = check(body, headers) if check is not None and status == expected else None
        with self._lock:
            self.latencies[route].append(elapsed)
            ok = self.errors.check(route, status, expected, problem)
        if not ok and status >= 500:
            self.errors.examples.append(f"{route} {path}: {body[:300]!r}")
        return ok, headers, body

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counters[name] += n

    def next_of(self, key: str, size: int) -> int:
        with self._lock:
            self._robin[key] += 1
            return self._robin[key] % size

    # -- log-ins

    def login(self, officer: dict[str, str], session: Session) -> None:
        ok, _, _ = self.call(session, "login page", "GET", "/dang-nhap/", 200)
        ok, headers, _ = self.call(
            session,
            "login POST",
            "POST",
            "/dang-nhap/",
            302,
            form={"username": officer["username"], "password": officer["password"]},
        )
        location = headers.get("location", "")
        if ok and "/dang-nhap/xac-thuc/" not in location:  # the site asks for the second factor next
            ok, headers, _ = self.call(session, "GET / (before TOTP)", "GET", location, 302)
            location = headers.get("location", "")
        if not ok or "/dang-nhap/xac-thuc/" not in location:
            raise SystemExit(f"{officer['username']}: the password step did not lead to TOTP ({location})")
        self.call(session, "TOTP page", "GET", location, 200)
        ok, headers, _ = self.call(
            session,
            "TOTP POST",
            "POST",
            location,
            302,
            form={"otp_token": totp(officer["totp_b32"], time.time()), "next": "/"},
        )
        if not ok or headers.get("location", "").startswith("/dang-nhap/"):
            raise SystemExit(f"{officer['username']}: the TOTP step failed ({headers.get('location')})")

    # -- traffic classes

    def verify_valid(self) -> None:
        phone = self.phones[self.next_of("phone", len(self.phones))]
        session = self.verifiers[self.next_of("verifier", len(self.verifiers))]
        self.call(
            session,
            "POST /api/v1/verify (valid)",
            "POST",
            "/api/v1/verify",
            200,
            json_body=phone.body(),
            check=outcome_is("valid"),
        )

    def verify_invalid(self) -> None:
        session = self.verifiers[self.next_of("verifier", len(self.verifiers))]
        kind = self.next_of("invalid", 3)
        route = "POST /api/v1/verify (invalid)"
        if kind == 0:  # a valid QR with one character of its signed payload changed
            qr = self.phones[0].rotating_qr(dt.datetime.now(dt.UTC))
            i = len(qr) // 2
            tampered = qr[:i] + ("A" if qr[i] != "A" else "B") + qr[i + 1 :]
            body = json.dumps({"qr": tampered}).encode()
            self.call(
                session, route, "POST", "/api/v1/verify", 200, json_body=body, check=outcome_is("invalid")
            )
        elif kind == 1:  # a revoked e-card, correctly signed
            body = self.revoked.body()
            self.call(
                session, route, "POST", "/api/v1/verify", 200, json_body=body, check=outcome_is("invalid")
            )
        else:  # neither qr nor sd_jwt
            self.call(
                session, "POST /api/v1/verify (malformed)", "POST", "/api/v1/verify", 422, json_body=b"{}"
            )

    def browse(self) -> None:
        """A province officer's list or search page, or a grassroots officer's queue."""
        which = self.next_of("browse", 4)
        if which == 3 and self.grassroots:
            _, session, _ = self.grassroots[self.next_of("queue", len(self.grassroots))]
            self.call(session, "GET /doi-the/ (queue)", "GET", "/doi-the/", 200, check=contains(b"<h1"))
            return
        _, session = self.province[self.next_of("province", len(self.province))]
        if which == 0:
            self.call(
                session,
                "GET /dang-vien/ (list)",
                "GET",
                "/dang-vien/",
                200,
                check=contains(b'class="members"'),
            )
        else:
            q = SEARCHES[self.next_of("search", len(SEARCHES))]
            self.call(
                session,
                "GET /dang-vien/?q= (search)",
                "GET",
                "/dang-vien/?" + urlencode({"q": q}),
                200,
                check=contains(b'class="members"'),
            )

    def _take_cases(self, n: int) -> tuple[Session, list[int]] | None:
        with self._lock:
            pools = [g for g in self.grassroots if len(g[2]) >= n]
            if not pools:
                self.counters["transitions skipped (no case left)"] += 1
                return None
            _, session, pool = pools[self._robin["cases"] % len(pools)]
            self._robin["cases"] += 1
            return session, [pool.pop(0) for _ in range(n)]

    def transition(self) -> None:
        """One case confirmed from its page, as the case page's button posts it."""
        taken = self._take_cases(1)
        if taken is None:
            return
        session, (case,) = taken
        page = f"/doi-the/ho-so/{case}/"
        ok, _, _ = self.call(session, "GET /doi-the/ho-so/<id>/ (case)", "GET", page, 200)
        if not ok:
            return
        ok, headers, _ = self.call(
            session,
            "POST /doi-the/ho-so/<id>/chuyen/ (confirm)",
            "POST",
            page + "chuyen/",
            302,
            form={"transition": "confirm", "next": page},
        )
        if not ok:
            return
        ok, _, _ = self.call(
            session,
            "GET /doi-the/ho-so/<id>/ (case)",
            "GET",
            headers.get("location", page),
            200,
            check=contains(b'class="msg-success"', "the confirmation was refused"),
        )
        if ok:
            self.count("cases confirmed (single)")

    def bulk(self) -> None:
        """A few cases confirmed from the queue page as one background job, followed to its end."""
        taken = self._take_cases(BULK_CASES)
        if taken is None:
            return
        session, cases = taken
        self.call(session, "GET /doi-the/ (queue)", "GET", "/doi-the/", 200)
        ok, headers, _ = self.call(
            session,
            "POST /doi-the/ (bulk job)",
            "POST",
            "/doi-the/",
            302,
            form={"transition": "confirm", "cases": cases},
        )
        job = re.search(r"/tac-vu/(\d+)/", headers.get("location", "")) if ok else None
        if ok and job is None:
            self.errors.add("POST /doi-the/ (bulk job): no job page", headers.get("location", ""))
        if job is None:
            return
        if self.follow_job(session, int(job.group(1)), expect_succeeded=BULK_CASES):
            self.count("cases confirmed (bulk)", BULK_CASES)
            self.count("bulk jobs done")

    def export(self) -> None:
        """A province's roster exported as a background job, polled, and its file downloaded."""
        officer, session = self.province[self.next_of("export", len(self.province))]
        ok, headers, _ = self.call(
            session,
            "POST /dang-vien/xuat/ (export job)",
            "POST",
            "/dang-vien/xuat/",
            302,
            form={"organisation": officer["organisation"]},
        )
        job = re.search(r"/tac-vu/(\d+)/", headers.get("location", "")) if ok else None
        if ok and job is None:
            self.errors.add("POST /dang-vien/xuat/: no job page", headers.get("location", ""))
        if job is None or not self.follow_job(session, int(job.group(1))):
            return
        ok, _, _ = self.call(
            session,
            "GET /tac-vu/<id>/tai-ve/ (download)",
            "GET",
            f"/tac-vu/{job.group(1)}/tai-ve/",
            200,
            check=lambda body, _: (
                None if body.startswith(b"PK") and len(body) > 1000 else "not an .xlsx file"
            ),
        )
        if ok:
            self.count("exports downloaded")

    def follow_job(self, session: Session, job: int, expect_succeeded: int | None = None) -> bool:
        """Poll the job's progress part every second, as its page does, until it is done (or 120 s)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ok, _, body = self.call(
                session, "GET /tac-vu/<id>/tien-do/ (progress)", "GET", f"/tac-vu/{job}/tien-do/", 200
            )
            if not ok:
                return False
            badge = re.search(rb'class="badge job-(\w+)"', body)
            status = badge.group(1).decode() if badge else "?"
            if status == "done":
                succeeded = re.search(rb'id="job-succeeded">([\d.,]+)<', body)
                failed = re.search(rb'id="job-failed">([\d.,]+)<', body)
                done = int(succeeded.group(1).replace(b".", b"").replace(b",", b"")) if succeeded else -1
                if (
                    failed is None
                    or failed.group(1) != b"0"
                    or (expect_succeeded is not None and done != expect_succeeded)
                ):
                    self.errors.add("job: items not done", f"job {job}")
                    return False
                return True
            if status not in ("queued", "running"):
                self.errors.add(f"job: {status}", f"job {job}")
                return False
            time.sleep(1)
        self.errors.add("job: not done within 120 s", f"job {job}")
        return False

    # -- the run

    def run(self, rates: dict[str, float]) -> dict[str, Any]:
        for officer, session in self.province:
            self.login(officer, session)
        for officer, session, _ in self.grassroots:
            self.login(officer, session)
        log(f"generator: {len(self.province) + len(self.grassroots)} officers logged in (password + TOTP)")
        actions: dict[str, Callable[[], None]] = {
            "verify_valid": self.verify_valid,
            "verify_invalid": self.verify_invalid,
            "browse": self.browse,
            "transition": self.transition,
            "bulk": self.bulk,
            "export": self.export,
        }
        stop = time.perf_counter() + self.seconds
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=48)
        futures: list[concurrent.futures.Future[None]] = []
        futures_lock = threading.Lock()

        def fire(name: str, rate: float) -> None:
            if rate <= 0:
                return
            interval, start, i = 1 / rate, time.perf_counter(), 0
            while True:
                scheduled = start + i * interval
                if scheduled >= stop:
                    return
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)

                def job(name: str = name, scheduled: float = scheduled) -> None:
                    with self._lock:
                        self.lateness[name].append(time.perf_counter() - scheduled)
                    actions[name]()

                with futures_lock:
                    futures.append(pool.submit(job))
                i += 1

        started = time.perf_counter()
        threads = [threading.Thread(target=fire, args=(n, r), daemon=True) for n, r in rates.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for future in concurrent.futures.as_completed(futures):
            exception = future.exception()
            if exception is not None:
                self.errors.add(f"generator: {type(exception).__name__}", str(exception)[:200])
        pool.shutdown()
        duration = time.perf_counter() - started
        return {
            "duration_s": round(duration, 1),
            "rates_per_s": rates,
            "routes": {route: latency_summary(v, duration) for route, v in sorted(self.latencies.items())},
            "requests": sum(len(v) for v in self.latencies.values()),
            "requests_per_s": round(sum(len(v) for v in self.latencies.values()) / duration, 1),
            "scheduling_lateness_ms": {
                name: latency_summary(v, duration) for name, v in sorted(self.lateness.items())
            },
            "counters": dict(self.counters),
            "errors": {
                "total": self.errors.total,
                "by_kind": self.errors.by_kind,
                "examples": self.errors.examples,
            },
        }


def outcome_is(expected: str) -> Callable[[bytes, dict[str, str]], str | None]:
    def check(body: bytes, _headers: dict[str, str]) -> str | None:
        try:
            outcome = json.loads(body).get("outcome")
        except ValueError:
            return "not JSON"
        return None if outcome == expected else f"outcome {outcome} (expected {expected})"

    return check


def contains(needle: bytes, problem: str | None = None) -> Callable[[bytes, dict[str, str]], str | None]:
    def check(body: bytes, _headers: dict[str, str]) -> str | None:
        return None if needle in body else (problem or f"no {needle.decode()} in the page")

    return check


def generate(args: argparse.Namespace) -> None:
    material = json.loads(Path(args.material).read_text())
    rates = json.loads(args.rates)
    result = Load(material, args.port, args.certificate, args.seconds).run(rates)
    Path(args.out).write_text(json.dumps(result))


# --------------------------------------------------------------------------------------------------------
# Orchestration: servers up, sampler, generator, verdicts, everything down.


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (from /proc: psutil is not a dependency)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return sorted(found)


def rss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class Sampler(threading.Thread):
    """RSS of named processes every ``period`` seconds, as (seconds since start, bytes)."""

    def __init__(self, processes: dict[str, int], period: float) -> None:
        super().__init__(daemon=True)
        self.processes, self.period = processes, period
        self.samples: dict[str, list[tuple[float, int]]] = {name: [] for name in processes}
        self._halt = threading.Event()
        self.started_at = time.monotonic()

    def run(self) -> None:
        while not self._halt.is_set():
            now = time.monotonic() - self.started_at
            for name, pid in self.processes.items():
                rss = rss_bytes(pid)
                if rss is not None:
                    self.samples[name].append((now, rss))
            self._halt.wait(self.period)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextlib.contextmanager
def database(admin_url: str) -> Iterator[str]:
    import psycopg

    name = f"partycard_soak_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from tests.deploy.servers import app_server, nginx_in_front, production_env

    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        log("the soak needs nginx (apt-get install nginx)")
        return 2
    seconds = env_int("SOAK_SECONDS", 600)
    members = env_int("SOAK_MEMBERS", 30000)
    warmup = env_float("SOAK_WARMUP_SECONDS", max(30.0, 0.2 * seconds))
    period = env_float("SOAK_SAMPLE_SECONDS", 3)
    workers = env_int("SOAK_GRANIAN_WORKERS", 2)
    rates = {
        "verify_valid": env_float("SOAK_VERIFY_RATE", 20),
        "verify_invalid": env_float("SOAK_INVALID_RATE", 2),
        "browse": env_float("SOAK_BROWSE_RATE", 3),
        "transition": 1 / env_float("SOAK_TRANSITION_INTERVAL", 5),
        "bulk": 1 / env_float("SOAK_BULK_INTERVAL", 30),
        "export": 1 / env_float("SOAK_EXPORT_INTERVAL", 30),
    }
    admin_url = os.environ.get("SOAK_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    result: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": "make soak "
        + " ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("SOAK_")),
        "machine": machine_info(),
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
        "settings": {
            "seconds": seconds,
            "members": members,
            "warmup_s": warmup,
            "sample_s": period,
            "granian_workers": workers,
            "rates_per_s": rates,
            "leak_threshold_mib_per_10_min": LEAK_MIB_PER_10_MIN,
        },
    }
    scratch = Path(tempfile.mkdtemp(prefix="partycard-soak-"))
    processes: list[subprocess.Popen[bytes]] = []
    failures: list[str] = []
    try:
        with database(admin_url) as url, contextlib.ExitStack() as stack:
            var = scratch / "var"
            var.mkdir()
            env = production_env(var, PARTYCARD_TRUSTED_PROXIES="1")
            env.update(
                DATABASE_URL=url,
                PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT / "src")]),
                PARTYCARD_PKI_DIR=str(scratch / "pki"),
                PARTYCARD_PKI_PASSPHRASE="soak-" + secrets.token_hex(8),
                # A province's roster takes the background path, as every real province's (100,000+ members)
                # does against the default of 20,000: the soak's provinces hold hundreds.
                PARTYCARD_EXPORT_INLINE_MEMBERS=str(EXPORT_INLINE_MEMBERS),
            )

            def partycard(*args: str) -> str:
                done = subprocess.run(
                    [sys.executable, "-m", "partycard.cli", *args],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                    start_new_session=True,
                )
                if done.returncode != 0:
                    raise RuntimeError(
                        f"partycard {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
                    )
                return done.stdout

            t0 = time.perf_counter()
            partycard("migrate", "--no-input", "-v", "0")
            log(partycard("seed", "--members", str(members), "--no-progress").strip())
            partycard("pki", "init")
            material_file = scratch / "material.json"
            done = subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--setup",
                    str(material_file),
                    "--provinces",
                    str(env_int("SOAK_PROVINCES", 4)),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                start_new_session=True,
            )
            if done.returncode != 0:
                raise RuntimeError(f"set-up failed: {done.stdout[-2000:]}{done.stderr[-3000:]}")
            material = json.loads(material_file.read_text())
            pools = [len(o["cases"]) for o in material["grassroots_officers"]]
            result["setup"] = {
                "seconds": round(time.perf_counter() - t0, 1),
                "province_officers": [o["organisation"] for o in material["province_officers"]],
                "grassroots_officers": [o["organisation"] for o in material["grassroots_officers"]],
                "proposed_cases": pools,
                "e_cards": len(material["phones"]) + 1,
            }
            log(f"set-up done in {result['setup']['seconds']} s: {result['setup']}")

            app_port = stack.enter_context(
                app_server(env=env, log=scratch / "granian.log", workers=workers, blocking_threads=2)
            )
            proxy_port, certificate = stack.enter_context(
                nginx_in_front(app_port=app_port, directory=scratch / "nginx", worker_connections=512)
            )
            worker = subprocess.Popen(
                [sys.executable, "-m", "partycard.cli", "db_worker", "--no-reload", "-v", "0"],
                env=env,
                stdout=(scratch / "worker.log").open("ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            processes.append(worker)
            granian_main = next(
                int(p.name)
                for p in Path("/proc").iterdir()
                if p.name.isdigit() and _cmdline(int(p.name)).count(f"--port\0{app_port}\0")
            )
            deadline = time.monotonic() + 30
            while len(granian_workers := children(granian_main)) < workers and time.monotonic() < deadline:
                time.sleep(0.2)
            watched = {f"granian worker {i + 1}": pid for i, pid in enumerate(granian_workers)}
            watched["db_worker"] = worker.pid
            log(
                f"up: nginx TLS :{proxy_port} → granian :{app_port} (pids {granian_workers}),"
                f" worker {worker.pid}"
            )
            sampler = Sampler(watched, period)
            sampler.start()
            out = scratch / "load.json"
            generator = subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--generate",
                    "--material",
                    str(material_file),
                    "--port",
                    str(proxy_port),
                    "--certificate",
                    str(certificate),
                    "--seconds",
                    str(seconds),
                    "--rates",
                    json.dumps(rates),
                    "--out",
                    str(out),
                ],
                env={**os.environ, "PYTHONPATH": env["PYTHONPATH"]},
                start_new_session=True,
            )
            processes.append(generator)
            log(f"load for {seconds} s: {rates}")
            generator.wait(timeout=seconds + 600)
            sampler.stop()
            if worker.poll() is not None:
                failures.append(f"the task worker exited with {worker.returncode}")
            for name, pid in watched.items():
                if name.startswith("granian") and rss_bytes(pid) is None:
                    failures.append(f"{name} (pid {pid}) is gone: it died or was restarted")
            if generator.returncode != 0 or not out.exists():
                failures.append(f"the load generator exited with {generator.returncode}")
                load: dict[str, Any] = {}
            else:
                load = json.loads(out.read_text())
            result["load"] = load
            counts = json.loads(
                subprocess.run(
                    [sys.executable, str(Path(__file__).resolve()), "--count", str(material["campaign"])],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            counters = load.get("counters", {})
            confirmed = counters.get("cases confirmed (single)", 0) + counters.get(
                "cases confirmed (bulk)", 0
            )
            result["database_check"] = {**counts, "confirmed_by_the_generator": confirmed}
            if (
                not (counts["confirmed_cases"] == counts["confirm_events"] == confirmed)
                or counts["cases_confirmed_twice"]
            ):
                failures.append(f"cases: {result['database_check']}")
            memory = [
                leak_verdict(name, samples, warmup_s=warmup).as_dict()
                for name, samples in sampler.samples.items()
            ]
            result["memory"] = memory
            result["rss_samples"] = {
                n: [(round(t, 1), r // 1024) for t, r in s] for n, s in sampler.samples.items()
            }
            failures += [
                f"memory: {m['name']} grows {m['slope_mib_per_10_min']} MiB/10 min"
                for m in memory
                if not m["ok"]
            ]
            if load.get("errors", {}).get("total"):
                failures.append(f"{load['errors']['total']} errors: {load['errors']['by_kind']}")
            stop_group(generator)
            stop_group(worker)
    except Exception as e:  # set-up or servers: the run fails, saying why, and still cleans up
        failures.append(f"{type(e).__name__}: {e}")
    finally:
        for process in processes:
            stop_group(process)
        shutil.rmtree(scratch, ignore_errors=True)
    result["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    result["failures"] = failures
    result["pass"] = not failures
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    report(result)
    return 0 if not failures else 1


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text() + "\0"
    except OSError:
        return ""


def report(result: dict[str, Any]) -> None:
    load = result.get("load") or {}
    print()
    print(
        f"soak: {result['settings']['seconds']} s, {result['settings']['members']:,} members, "
        f"load average {' '.join(result['loadavg_start'])} → {' '.join(result['loadavg_end'])}"
    )
    if load:
        print(
            f"{load['requests']:,} requests in {load['duration_s']} s ({load['requests_per_s']}/s), "
            f"{load['errors']['total']} errors"
        )
        print(f"{'route':<46} {'count':>7} {'/s':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for route, s in load["routes"].items():
            print(
                f"{route:<46} {s['count']:>7} {s['per_s']:>6} {s['p50_ms']:>8} {s['p95_ms']:>8} "
                f"{s['p99_ms']:>8} {s['max_ms']:>8}"
            )
        print("counters:", json.dumps(load["counters"], ensure_ascii=False))
    for m in result.get("memory", []):
        verdict = "ok" if m["ok"] else "LEAK"
        print(
            f"RSS {m['name']:<18} {m['rss_start_mib']:>7} → {m['rss_end_mib']:>7} MiB, "
            f"slope {m['slope_mib_per_10_min']:>6} MiB/10 min (bar {m['threshold_mib_per_10_min']}) {verdict}"
        )
    if "database_check" in result:
        print("database:", json.dumps(result["database_check"]))
    print("PASS" if result["pass"] else "FAIL: " + "; ".join(result["failures"]))
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", type=Path)
    parser.add_argument("--provinces", type=int, default=4)
    parser.add_argument("--count", type=int)
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--material")
    parser.add_argument("--port", type=int)
    parser.add_argument("--certificate")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--rates")
    parser.add_argument("--out")
    arguments = parser.parse_args()
    if arguments.setup:
        setup(arguments.setup, arguments.provinces)
    elif arguments.count:
        print(json.dumps(count_confirmed(arguments.count)))
    elif arguments.generate:
        generate(arguments)
    else:
        sys.exit(main())
