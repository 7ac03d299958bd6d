"""Load benchmark of the verify endpoint (POST /api/v1/verify) behind the production server (granian, WSGI,
2 workers), driven from other processes on loopback. Issue 6's bars:

1. fixed rate: p99 < 20 ms at 1,000 requests/s with no errors (open loop, this script's generator);
2. saturation: verify throughput ≥ 40% of a no-op JSON view on the same server in the same run (wrk).

Run (PostgreSQL on 127.0.0.1:5432 as ``postgres``, wrk installed, granian in .venv)::

    .venv/bin/python bench/verify_load_bench.py

What it does:

- a temporary PKI (``partycard pki init``), a temporary PostgreSQL database (created here, dropped at the
  end), ``partycard migrate``; a Centre → … → cell tree and one official member with a card number; the
  member's e-card issued through ``credentials.services.credential_issue`` bound to a fresh P-256 device
  key (the phone's). The load sends the device-bound rotating QR (``PC1R:``) the phone shows, its proof
  re-signed each 30-second window: the endpoint (device_required by default) answers ``valid`` — two
  ECDSA verifications, the status list lookup, the full verdict. Each response is checked for
  ``"outcome":"valid"`` by the generator (anything else counts as an error).
- granian ``--interface wsgi --workers 2`` with bench/verify_load_settings.py (partycard.settings.prod,
  DEBUG off, ALLOWED_HOSTS 127.0.0.1, PostgreSQL with persistent connections, no HTTPS redirect: TLS is
  the reverse proxy's) and bench/verify_load_urls.py (the project's URLs + ``/bench-noop/``).
- fixed rate: this script in ``--generate`` mode, a separate process: asyncio, ``BENCH_CONNECTIONS``
  keep-alive HTTP/1.1 connections, one request scheduled every 1/rate s (queued for the next free
  connection), latency from the scheduled send time (no coordinated omission). First against
  ``/bench-noop/`` (the harness floor: can the generator hold the rate, what p99 does it add), then the
  verify endpoint. ``BENCH_WARMUP`` s discarded before ``BENCH_DURATION`` s measured.
- saturation: ``wrk -t2 -c32 -d15s`` rounds alternating verify (Lua POST) and no-op (GET), same server
  instance; the ratio of the medians.
- optional (BENCH_SHARED_VERIFIER=1, the default): a second server instance where the bench URLconf
  replaces ``verify.qr.qr_verdict`` with a process-wide ``QrVerifier`` keyed by the trust list's identity,
  i.e. the change proposed for credentials/publishing.py, measured the same way.

Everything (2 granian workers, the generator or wrk, PostgreSQL) shares the machine's CPUs.
Writes bench/results/verify_load.json.

Environment:
    BENCH_GRANIAN_ARGS extra granian arguments, e.g. "--blocking-threads 4" (default none)
    BENCH_LABEL        the key of this run in the result file (default "default"; other keys are kept)
    BENCH_RATE         fixed rate, requests/s (default 1000)
    BENCH_DURATION     measured seconds of a fixed-rate run (default 25)
    BENCH_WARMUP       discarded seconds before it (default 3)
    BENCH_CONNECTIONS  generator connections (default 32)
    BENCH_WRK_SECONDS  seconds per wrk round (default 15)
    BENCH_WRK_ROUNDS   wrk rounds per endpoint (default 3)
    BENCH_WORKERS      granian workers (default 2)
    BENCH_SHARED_VERIFIER  1: also measure the shared-verifier variant (default 1)
    BENCH_PG_ADMIN_URL default postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULT = HERE / "results" / "verify_load.json"
VALID = re.compile(rb'"outcome":\s*"valid"')


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").replace("_", "") or default)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------------------------
# The phone: the rotating QR of the issued credential for the current 30-second window.


class Phone:
    def __init__(self, material: dict[str, Any]) -> None:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self._key = serialization.load_pem_private_key(material["device_key_pem"].encode(), None)
        assert isinstance(self._key, ec.EllipticCurvePrivateKey)
        self._hashes, self._ec = hashes, ec
        self.credential = bytes.fromhex(material["credential_hex"])
        self.static_qr: str = material["qr"]
        self._window = -1
        self._body = b""

    def _sign(self, data: bytes) -> bytes:
        return self._key.sign(data, self._ec.ECDSA(self._hashes.SHA256()))

    def rotating_qr(self, at: datetime) -> str:
        from partycard.ecard.device import device_qr

        return device_qr(self.credential, sign=self._sign, at=at)

    def body(self) -> bytes:
        """The JSON request body for now (re-signed when the window changes)."""
        window = int(time.time()) // 30
        if window != self._window:
            self._body = json.dumps({"qr": self.rotating_qr(datetime.now(UTC))}).encode()
            self._window = window
        return self._body


# --------------------------------------------------------------------------------------------------------
# Open-loop generator (run as a separate process: --generate).


async def _open_loop(
    port: int,
    path: str,
    phone: Phone | None,
    rate: int,
    warmup: float,
    duration: float,
    connections: int,
    tls: ssl.SSLContext | None = None,
) -> dict[str, Any]:
    queue: asyncio.Queue[float | None] = asyncio.Queue()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    sent = 0
    start = 0.0
    measure_from = 0.0

    def error(kind: str) -> None:
        errors[kind] = errors.get(kind, 0) + 1

    def request() -> bytes:
        if phone is None:
            return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        body = phone.body()
        return (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
        while True:
            scheduled = await queue.get()
            if scheduled is None:
                writer.close()
                return
            try:
                writer.write(request())
                head = await reader.readuntil(b"\r\n\r\n")
                match = re.search(rb"(?i)content-length:\s*(\d+)", head)
                body = await reader.readexactly(int(match.group(1))) if match else b""
                done = time.perf_counter()
                status = int(head[9:12])
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
                if scheduled >= measure_from:
                    error(type(e).__name__)
                reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
                continue
            if b"connection: close" in head.lower():  # nginx ends a connection after keepalive_requests
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
            if scheduled < measure_from:
                continue
            latencies.append(done - scheduled)
            if status != 200:
                error(f"http_{status}")
            elif phone is not None and not VALID.search(body):
                error("not_valid")

    tasks = [asyncio.create_task(worker()) for _ in range(connections)]
    await asyncio.sleep(0.2)
    interval = 1.0 / rate
    start = time.perf_counter()
    measure_from = start + warmup
    end = measure_from + duration
    i = 0
    max_backlog = 0
    while True:
        now = time.perf_counter()
        while start + i * interval <= now:
            scheduled = start + i * interval
            if scheduled >= end:
                break
            queue.put_nowait(scheduled)
            if scheduled >= measure_from:
                sent += 1
            i += 1
        if start + i * interval >= end:
            break
        max_backlog = max(max_backlog, queue.qsize())
        await asyncio.sleep(max(0.0, start + i * interval - time.perf_counter()))
    for _ in tasks:
        queue.put_nowait(None)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    elapsed = time.perf_counter() - measure_from
    latencies.sort()

    def pct(p: float) -> float:
        return (
            round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else 0.0
        )

    return {
        "path": path,
        "target_rate": rate,
        "duration_s": duration,
        "connections": connections,
        "sent": sent,
        "completed": len(latencies),
        "achieved_rate": round(len(latencies) / elapsed, 1),
        "errors": errors,
        "error_count": sum(errors.values()) + (sent - len(latencies)),
        "max_queue_backlog": max_backlog,
        "latency_ms": {
            "p50": pct(0.50),
            "p90": pct(0.90),
            "p99": pct(0.99),
            "p999": pct(0.999),
            "max": round(latencies[-1] * 1000, 2) if latencies else 0.0,
            "mean": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
        },
    }


def generate(args: argparse.Namespace) -> None:
    phone = Phone(json.loads(Path(args.material).read_text())) if args.material else None
    tls = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    result = asyncio.run(
        _open_loop(args.port, args.path, phone, args.rate, args.warmup, args.duration, args.connections, tls)
    )
    print(json.dumps(result))


# --------------------------------------------------------------------------------------------------------
# Setup inside Django (run as a separate process: --setup OUT).


def setup(out: Path) -> None:
    import django

    django.setup()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from partycard.credentials import services as credential_services
    from partycard.ecard.qr import qr_parse
    from partycard.registry import services
    from partycard.registry.choices import Gender, MemberStatus, OrgLevel
    from partycard.registry.seeding.loader import ensure_ethnicities

    ensure_ethnicities()
    org = services.organisation_create
    centre = org(actor=None, code="TW", name="Trung ương", level=OrgLevel.CENTRE, parent=None)
    hanoi = org(
        actor=None,
        code="HN",
        name="Đảng bộ thành phố Hà Nội",
        level=OrgLevel.CENTRAL_COMMITTEE,
        parent=centre,
    )
    ba_dinh = org(
        actor=None, code="HN-BD", name="Đảng bộ phường Ba Đình", level=OrgLevel.COMMUNE, parent=hanoi
    )
    school = org(
        actor=None,
        code="HN-BD-01",
        name="Đảng bộ Trường THPT Phan Đình Phùng",
        level=OrgLevel.GRASSROOTS_COMMITTEE,
        parent=ba_dinh,
    )
    cell = org(actor=None, code="HN-BD-01-01", name="Chi bộ Giáo viên 1", level=OrgLevel.CELL, parent=school)
    import datetime as dt

    member = services.member_create(
        actor=None,
        data={
            "organisation": cell,
            "full_name": "Nguyễn Văn An",
            "gender": Gender.MALE,
            "date_of_birth": dt.date(1980, 3, 12),
            "citizen_id": "001080012345",
            "date_admitted": dt.date(2005, 5, 19),
            "date_official": dt.date(2006, 5, 19),
            "status": MemberStatus.OFFICIAL,
            "home_town": "Hà Nội",
            "old_card_number": "40000001",
        },
    )
    # An e-card is issued only for the member's new card in use (docs/ecard.md): allocate and produce it
    # through cards.services, then put it in the member's hands as tests/factories.card_active does (the
    # way down the tree is not what this bench measures).
    from django.db import transaction

    from partycard.cards.lifecycle import CardState, CardTransition
    from partycard.cards.models import Card
    from partycard.cards.services import Allocation, card_transition, cards_allocate
    from partycard.exchange.services.card_numbers import card_numbers_allocate

    (number,) = card_numbers_allocate(1)
    with transaction.atomic():
        (card,) = cards_allocate(
            actor=None,
            allocations=[Allocation(number=number, case_id=None, member_id=member.pk, path=cell.path)],
        )
    for transition in (CardTransition.START_PRODUCTION, CardTransition.MARK_PRODUCED):
        card = card_transition(actor=None, card=card, transition=transition, system=True)
    Card.objects.filter(pk=card.pk).update(state=CardState.ACTIVE, level="", holder=None)
    device = ec.generate_private_key(ec.SECP256R1())
    spki = device.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    credential = credential_services.credential_issue(actor=None, member=member, device_key=spki)
    material = {
        "path": "services.credential_issue (device-bound)",
        "qr": credential.qr,
        "credential_hex": qr_parse(credential.qr).credential.hex(),
        "device_key_pem": device.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "status_list": credential.status_list_id,
        "status_index": credential.status_index,
        "qr_chars": len(credential.qr),
    }
    out.write_text(json.dumps(material))


# --------------------------------------------------------------------------------------------------------
# Orchestration.


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /bench-noop/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"granian did not come up on {port}")


def _post(port: int, path: str, body: bytes) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def _wrk(port: int, path: str, lua: Path | None, seconds: int) -> dict[str, Any]:
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency"]
    if lua is not None:
        command += ["-s", str(lua)]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    latency = {m.group(1) + "%": m.group(2) for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)}
    return {
        "path": path,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "command": " ".join(command),
        "requests_per_s": rps,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else None,
        "latency": latency,
    }


def _lua(phone: Phone, path: Path) -> Path:
    body = json.dumps({"qr": phone.rotating_qr(datetime.now(UTC))})
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    return path


class Server:
    def __init__(self, env: dict[str, str], workers: int, log_path: Path) -> None:
        self.port = _free_port()
        self.command = [
            str(VENV_BIN / "granian"),
            "--interface", "wsgi",
            "partycard.wsgi:application",
            "--workers", str(workers),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            *os.environ.get("BENCH_GRANIAN_ARGS", "").split(),
        ]  # fmt: skip
        self._log = log_path.open("w")
        self.process = subprocess.Popen(self.command, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        _wait_up(self.port)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def measure(
    server: Server, phone: Phone, material_file: Path, tmp: Path, env: dict[str, str], with_noop: bool
) -> dict[str, Any]:
    rate, duration, warmup = (
        env_int("BENCH_RATE", 1000),
        env_int("BENCH_DURATION", 25),
        env_int("BENCH_WARMUP", 3),
    )
    connections = env_int("BENCH_CONNECTIONS", 32)
    out: dict[str, Any] = {"server_command": " ".join(server.command)}
    # The verdicts the endpoint gives (one request each).
    status, body = _post(
        server.port, "/api/v1/verify", json.dumps({"qr": phone.rotating_qr(datetime.now(UTC))}).encode()
    )
    out["verdict_rotating"] = {"status": status, "body": json.loads(body)}
    status, body = _post(server.port, "/api/v1/verify", json.dumps({"qr": phone.static_qr}).encode())
    out["verdict_static"] = {"status": status, "body": json.loads(body)}
    log(
        f"rotating QR → {out['verdict_rotating']['body']['outcome']};"
        f" static → {out['verdict_static']['body']['outcome']}"
    )

    def open_loop(path: str, with_material: bool) -> dict[str, Any]:
        command = [
            sys.executable, str(Path(__file__).resolve()), "--generate",
            "--port", str(server.port), "--path", path, "--rate", str(rate),
            "--duration", str(duration), "--warmup", str(warmup), "--connections", str(connections),
        ]  # fmt: skip
        if with_material:
            command += ["--material", str(material_file)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["command"] = " ".join(command)
        result["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
        lat = result["latency_ms"]
        log(
            f"open loop {path} @ {rate}/s: achieved {result['achieved_rate']}/s,"
            f" p50 {lat['p50']} p90 {lat['p90']}"
            f" p99 {lat['p99']} max {lat['max']} ms, errors {result['error_count']} {result['errors']}"
        )
        return result

    if with_noop:
        out["open_loop_noop"] = open_loop("/bench-noop/", False)
    out["open_loop_verify"] = open_loop("/api/v1/verify", True)

    seconds, rounds = env_int("BENCH_WRK_SECONDS", 15), env_int("BENCH_WRK_ROUNDS", 3)
    verify_runs, noop_runs = [], []
    for r in range(rounds):
        order = ["verify", "noop"] if r % 2 == 0 else ["noop", "verify"]
        for which in order:
            if which == "verify":
                run = _wrk(server.port, "/api/v1/verify", _lua(phone, tmp / "verify.lua"), seconds)
                verify_runs.append(run)
            else:
                run = _wrk(server.port, "/bench-noop/", None, seconds)
                noop_runs.append(run)
            log(
                f"wrk {run['path']}: {run['requests_per_s']:.0f} req/s,"
                f" non-2xx {run['non_2xx']}, {run['latency']}"
            )
    v = statistics.median(r["requests_per_s"] for r in verify_runs)
    n = statistics.median(r["requests_per_s"] for r in noop_runs)
    out["saturation"] = {
        "verify_runs": verify_runs,
        "noop_runs": noop_runs,
        "verify_median_rps": round(v, 1),
        "noop_median_rps": round(n, 1),
        "ratio": round(v / n, 3),
    }
    log(f"saturation: verify {v:.0f} / no-op {n:.0f} req/s = {v / n:.1%}")
    return out


def machine() -> dict[str, Any]:
    from common import machine_info  # bench/common.py

    info = machine_info()
    info["loadavg_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
    info["granian"] = subprocess.run(
        [str(VENV_BIN / "granian"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    info["wrk"] = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    return info


def main() -> None:
    import psycopg

    admin_url = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    workers = env_int("BENCH_WORKERS", 2)
    db = f"partycard_bench_verify_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="verify-load-"))
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "verify_load_settings",
            "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "PARTYCARD_TOTP_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": admin_url.rsplit("/", 1)[0] + "/" + db,
            "PARTYCARD_PKI_DIR": str(tmp / "pki"),
            "PARTYCARD_PKI_PASSPHRASE": "bench-passphrase-" + secrets.token_hex(8),
            "PARTYCARD_VAR": str(tmp / "var"),
        }
    )
    result: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine()}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
        result["machine"]["postgres"] = conn.execute("SELECT version()").fetchone()[0]  # type: ignore[index]
    servers: list[Server] = []
    try:
        partycard = str(VENV_BIN / "partycard")
        subprocess.run([partycard, "migrate", "--noinput", "-v0"], env=env, check=True)
        subprocess.run([partycard, "pki", "init"], env=env, check=True, capture_output=True)
        material_file = tmp / "material.json"
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--setup", str(material_file)],
            env=env,
            check=True,
        )
        material = json.loads(material_file.read_text())
        log(f"credential: {material['path']}, static QR {material['qr_chars']} chars")
        sys.path[:0] = [str(ROOT / "src")]
        phone = Phone(material)
        result["credential"] = {k: material[k] for k in ("path", "qr_chars", "status_list", "status_index")}
        result["settings"] = {
            "rate": env_int("BENCH_RATE", 1000),
            "duration_s": env_int("BENCH_DURATION", 25),
            "warmup_s": env_int("BENCH_WARMUP", 3),
            "connections": env_int("BENCH_CONNECTIONS", 32),
            "wrk_seconds": env_int("BENCH_WRK_SECONDS", 15),
            "wrk_rounds": env_int("BENCH_WRK_ROUNDS", 3),
            "granian_workers": workers,
            "granian_extra_args": os.environ.get("BENCH_GRANIAN_ARGS", ""),
            "django_settings": (
                "bench/verify_load_settings.py (partycard.settings.prod, SECURE_SSL_REDIRECT off)"
            ),
            "database": "PostgreSQL (temporary database), CONN_MAX_AGE 60",
        }
        log("server: as is (one-shot QrVerifier per request)")
        servers.append(Server(env, workers, tmp / "granian.log"))
        result["as_is"] = measure(servers[-1], phone, material_file, tmp, env, with_noop=True)
        servers.pop().stop()
        if env_int("BENCH_SHARED_VERIFIER", 1):
            log("server: shared QrVerifier (bench URLconf patch, the proposed publishing.py change)")
            shared_env = {**env, "BENCH_SHARED_VERIFIER": "1"}
            servers.append(Server(shared_env, workers, tmp / "granian-shared.log"))
            result["shared_verifier"] = measure(
                servers[-1], phone, material_file, tmp, shared_env, with_noop=True
            )
            servers.pop().stop()
    finally:
        for server in servers:
            server.stop()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)
    as_is = result["as_is"]
    result["bars"] = {
        "fixed_rate": {
            "p99_ms": as_is["open_loop_verify"]["latency_ms"]["p99"],
            "errors": as_is["open_loop_verify"]["error_count"],
            "achieved_rate": as_is["open_loop_verify"]["achieved_rate"],
            "pass": as_is["open_loop_verify"]["latency_ms"]["p99"] < 20
            and as_is["open_loop_verify"]["error_count"] == 0
            and as_is["open_loop_verify"]["achieved_rate"] >= 0.99 * env_int("BENCH_RATE", 1000),
        },
        "saturation": {"ratio": as_is["saturation"]["ratio"], "pass": as_is["saturation"]["ratio"] >= 0.40},
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    label = os.environ.get("BENCH_LABEL", "default")
    runs = json.loads(RESULT.read_text()) if RESULT.exists() else {}
    if "started" in runs:  # a single run from before labels
        runs = {}
    runs[label] = result
    RESULT.write_text(json.dumps(runs, indent=1, ensure_ascii=False) + "\n")
    log(f"bars: {json.dumps(result['bars'])}; wrote {RESULT}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--generate", action="store_true")
    parser.add_argument("--setup", type=Path)
    parser.add_argument("--port", type=int)
    parser.add_argument("--path", default="/api/v1/verify")
    parser.add_argument("--material")
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=25)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--cafile", help="speak HTTPS trusting this certificate (verify_nginx_bench.py)")
    arguments = parser.parse_args()
    if arguments.generate:
        sys.path[:0] = [str(ROOT / "src")]
        generate(arguments)
    elif arguments.setup:
        setup(arguments.setup)
    else:
        main()
