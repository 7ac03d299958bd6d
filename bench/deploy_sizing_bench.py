"""Sizing of the production web server (docs/operations.md, "Sizing"): granian workers × blocking threads,
measured with wrk on a typical officer page and on the verify endpoint, each combination served by
deploy/bin/partycard-web exactly as deployed (production settings, PostgreSQL, PARTYCARD_TRUSTED_PROXIES=1
with the ``X-Forwarded-Proto: https`` nginx sets, so that no request is redirected).

Run (PostgreSQL on 127.0.0.1:5432 as ``postgres``, wrk installed)::

    .venv/bin/python bench/deploy_sizing_bench.py

- a temporary database (dropped at the end), ``migrate``, ``demo`` (20,000 members, the demo logins, the
  signing authority), the officer ``tinh`` (a province) logged in with its TOTP code: wrk GETs the member
  list ``/dang-vien/`` with that session (a keyset page of 50 members, the scope filter, the filters' form);
- the verify endpoint: the demo member's e-card re-issued bound to a device key, and the rotating QR its
  phone shows POSTed to ``/api/v1/verify`` (answer ``valid``: two ECDSA checks, the status list);
- per combination: the server started, one warm-up second per endpoint, then ``wrk -t2 -cC -dS``.

Environment: SIZING_COMBOS ("1x1,1x4,2x1,2x2,2x4,2x8,3x4,4x4"), SIZING_SECONDS (10), SIZING_CONNECTIONS
(16), SIZING_PG_ADMIN_URL. wrk, granian and PostgreSQL share the machine's cores: the figures are for
comparing combinations, not absolute capacity. Writes bench/results/deploy_sizing.json.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WEB = ROOT / "deploy" / "bin" / "partycard-web"
RESULT = HERE / "results" / "deploy_sizing.json"
HEADERS = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(
    port: int,
    method: str,
    path: str,
    cookies: dict[str, str],
    body: str | bytes | None = None,
    **headers: str,
) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    all_headers = {**HEADERS, **headers}
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(method, path, body=body, headers=all_headers)
    reply = conn.getresponse()
    text = reply.read().decode("utf-8", "replace")
    for name, value in reply.getheaders():
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            cookies[key] = rest.split(";", 1)[0]
    conn.close()
    return reply.status, {k.lower(): v for k, v in reply.getheaders()}, text


def officer_session(port: int, env: dict[str, str]) -> str:
    """The Cookie header of ``tinh`` logged in with password and TOTP code."""
    cookies: dict[str, str] = {}
    origin = {"Origin": "https://127.0.0.1", "Referer": "https://127.0.0.1/dang-nhap/"}
    form = {"Content-Type": "application/x-www-form-urlencoded", **origin}
    _, _, page = request(port, "GET", "/dang-nhap/", cookies)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]  # type: ignore[index]
    body = urlencode({"username": "tinh", "password": "doithe-2025", "csrfmiddlewaretoken": token})
    status, headers, _ = request(port, "POST", "/dang-nhap/", cookies, body, **form)
    assert status == 302, status
    step = headers["location"]
    status, headers, page = request(port, "GET", step, cookies)
    while status == 302:  # "/" → the TOTP step (accounts/middleware.py)
        step = headers["location"]
        status, headers, page = request(port, "GET", step, cookies)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert status == 200 and match, (step, status, page[:500])
    token = match[1]
    code = subprocess.run(
        [sys.executable, "-m", "partycard.cli", "demo_otp", "tinh"], env=env, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    body = urlencode({"otp_token": code, "next": "/", "csrfmiddlewaretoken": token})
    status, headers, _ = request(port, "POST", step, cookies, body, **form)
    assert status == 302, status
    status, _, page = request(port, "GET", "/", cookies)
    assert status == 200 and "Đảng bộ thành phố Hà Nội" in page, (status, page[:500])
    status, _, page = request(port, "GET", "/dang-vien/", cookies)
    assert status == 200 and "<title>Đảng viên" in page, (status, page[:500])
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


SETUP = """
import json, sys
import django
django.setup()
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from partycard.accounts.models import User
from partycard.credentials.services import credential_issue
from partycard.ecard.qr import qr_parse
member = User.objects.get(username="dangvien").member
device = ec.generate_private_key(ec.SECP256R1())
spki = device.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
)
credential = credential_issue(actor=None, member=member, device_key=spki)
print(json.dumps({
    "qr": credential.qr,
    "credential_hex": qr_parse(credential.qr).credential.hex(),
    "device_key_pem": device.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode(),
}))
"""


def wrk(
    port: int, path: str, *, cookie: str | None, lua: Path | None, seconds: int, connections: int
) -> dict[str, Any]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    for k, v in HEADERS.items():
        command += ["-H", f"{k}: {v}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if lua:
        command += ["-s", str(lua)]
    command.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    latency = {m[1]: m[2] for m in re.finditer(r"^\s+(50|90|99)%\s+(\S+)", out, re.M)}
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        "p50": latency.get("50"),
        "p90": latency.get("90"),
        "p99": latency.get("99"),
        "non_2xx": int(non2xx[1]) if non2xx else 0,
        "socket_errors": errors[1] if errors else None,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
    }


def main() -> None:
    import psycopg

    sys.path[:0] = [str(HERE), str(ROOT / "src")]
    from verify_load_bench import Phone

    admin = os.environ.get("SIZING_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    combos = [tuple(int(n) for n in c.split("x")) for c in os.environ.get(
        "SIZING_COMBOS", "1x1,1x4,2x1,2x2,2x4,2x8,3x4,4x4").split(",")]  # fmt: skip
    seconds = int(os.environ.get("SIZING_SECONDS", "10"))
    connections = int(os.environ.get("SIZING_CONNECTIONS", "16"))
    db = f"partycard_sizing_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="sizing-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRANIAN_", "PARTYCARD_WEB_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="partycard.settings.prod",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        PARTYCARD_TOTP_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=admin.rsplit("/", 1)[0] + "/" + db,
        PARTYCARD_VAR=str(tmp / "var"),
        PARTYCARD_PKI_PASSPHRASE="sizing-passphrase-" + secrets.token_hex(8),
        PARTYCARD_TRUSTED_PROXIES="1",
        PARTYCARD_VENV=str(Path(sys.executable).parent.parent),
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "loadavg_before": Path("/proc/loadavg").read_text().split()[:3],
        "seconds": seconds,
        "connections": connections,
        "runs": [],
    }
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    try:
        cli = [sys.executable, "-m", "partycard.cli"]
        subprocess.run([*cli, "migrate", "--no-input", "-v0"], env=env, check=True)
        subprocess.run([*cli, "demo"], env=env, check=True, capture_output=True)
        material = json.loads(
            subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, capture_output=True, text=True)
            .stdout.strip().splitlines()[-1]
        )  # fmt: skip
        phone = Phone({**material, "qr": material["qr"]})
        lua = tmp / "verify.lua"
        lua.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(json.dumps({'qr': phone.rotating_qr(datetime.now(UTC))}))}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        cookie: str | None = None
        for workers, threads in combos:
            port = free_port()
            log_file = (tmp / f"web-{workers}x{threads}.log").open("w")
            server = subprocess.Popen(
                [str(WEB)],
                env={**env, "GRANIAN_PORT": str(port), "PARTYCARD_WEB_WORKERS": str(workers),
                     "PARTYCARD_WEB_THREADS": str(threads)},
                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            try:
                for _ in range(1200):  # 4 workers starting on a loaded machine: a minute or more
                    if server.poll() is not None:
                        raise RuntimeError(f"the server exited: {log_file.name}")
                    try:
                        if request(port, "GET", "/dang-nhap/", {})[0] == 200:
                            break
                    except OSError:
                        time.sleep(0.1)
                cookie = cookie or officer_session(port, env)
                # The lua body was signed for this 30-second window: re-sign for each combination.
                lua.write_text(lua.read_text().split("wrk.body")[0] + "wrk.body = " + json.dumps(
                    json.dumps({"qr": phone.rotating_qr(datetime.now(UTC))})) + "\n"
                    'wrk.headers["Content-Type"] = "application/json"\n')  # fmt: skip
                status, _, body = request(
                    port, "POST", "/api/v1/verify", {}, json.loads(lua.read_text().split("wrk.body = ")[1]
                    .split("\n")[0]), **{"Content-Type": "application/json"})  # fmt: skip
                assert status == 200 and '"outcome":"valid"' in body.replace(" ", ""), (status, body[:300])
                wrk(port, "/dang-vien/", cookie=cookie, lua=None, seconds=3, connections=connections)
                officer = wrk(
                    port, "/dang-vien/", cookie=cookie, lua=None, seconds=seconds, connections=connections
                )
                wrk(port, "/api/v1/verify", cookie=None, lua=lua, seconds=3, connections=connections)
                verify = wrk(
                    port, "/api/v1/verify", cookie=None, lua=lua, seconds=seconds, connections=connections
                )
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait(timeout=30)
                log_file.close()
            run = {"workers": workers, "threads": threads, "officer_page": officer, "verify": verify}
            result["runs"].append(run)
            log(
                f"{workers}x{threads}: /dang-vien/ {officer['rps']:.0f}/s"
                f" p50 {officer['p50']} p99 {officer['p99']}"
                f" non2xx {officer['non_2xx']} | verify {verify['rps']:.0f}/s p50 {verify['p50']}"
                f" p99 {verify['p99']} non2xx {verify['non_2xx']} | load {verify['loadavg_after']}"
            )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=1) + "\n")
    log(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
