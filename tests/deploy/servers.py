"""Real servers for the deployment tests: the app under granian with the production settings, nginx in
front of it terminating TLS, each a subprocess killed in the fixture's teardown.

nginx is Debian's package. Without it the tests skip, saying why, except in CI
(``PARTYCARD_REQUIRE_NGINX=1``), where that fails.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[2]
PROXY_SNIPPET = REPO / "deploy" / "nginx" / "proxy.conf"
BIN = Path(sys.executable).parent


def nginx_binary() -> str:
    """Debian's nginx, or skip (fail in CI)."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if found is None:
        reason = "no nginx on this machine (apt-get install nginx)"
        if os.environ.get("PARTYCARD_REQUIRE_NGINX") == "1":
            pytest.fail(f"PARTYCARD_REQUIRE_NGINX=1 but {reason}")
        pytest.skip(reason)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s: {log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """End the process group the fixture started (granian's and nginx's workers with it)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass


def production_env(var: Path, **extra: str) -> dict[str, str]:
    """The environment of a production deployment on a scratch SQLite file (the tests' own processes'
    database settings and flags removed)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(
        DJANGO_SETTINGS_MODULE="partycard.settings.prod",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        PARTYCARD_TOTP_KEYS=Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        PARTYCARD_VAR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'partycard.sqlite3'}",
        **extra,
    )
    return env


def partycard(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "partycard.cli", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (what the proxy presents) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "partycard test proxy")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "proxy.pem", directory / "proxy.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


NGINX_CONF = """\
worker_processes 1;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections {worker_connections}; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            include {snippet};
        }}
    }}
}}
"""


@contextmanager
def nginx_in_front(
    *, app_port: int, directory: Path, worker_connections: int = 64
) -> Iterator[tuple[int, Path]]:
    """nginx terminating TLS on a free port and proxying to ``app_port`` with deploy/nginx/proxy.conf.

    Yields the port and the certificate (to trust). nginx is stopped on exit. ``worker_connections``
    counts both sides of each proxied request (the soak, bench/soak.py, keeps dozens open).
    """
    binary = nginx_binary()
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed(directory)
    port = free_port()
    # Run as root (CI), the workers would switch to "nobody", who cannot read the scratch directory.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user=user,
            dir=directory,
            port=port,
            cert=cert,
            key=key,
            app_port=app_port,
            snippet=PROXY_SNIPPET,
            worker_connections=worker_connections,
        )
    )
    with _nginx_run(binary, directory, conf, port):
        yield port, cert


@contextmanager
def app_server(
    *, env: dict[str, str], log: Path, workers: int = 1, blocking_threads: int = 2
) -> Iterator[int]:
    """The WSGI app under granian, the production server (docs/operations.md), on a free loopback port
    (one worker by default; the soak, bench/soak.py, runs more)."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--blocking-threads", str(blocking_threads), "--no-ws",
         "partycard.wsgi:application"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process, log)
        yield port
    finally:
        stop(process)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str


@dataclass
class Client:
    """An HTTP(S) client on its own source address (anything in 127.0.0.0/8 is this machine), with its
    own cookies (kept by hand: the cookies are Secure, and the client must not care that the app sits
    behind a proxy)."""

    port: int
    source: str = "127.0.0.1"
    certificate: Path | None = None  # None: plain HTTP
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection: http.client.HTTPConnection
        if self.certificate is None:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0)
            )
        else:
            context = ssl.create_default_context(cafile=str(self.certificate))
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0), context=context
            )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read().decode("utf-8", "replace"))
        finally:
            connection.close()
        for cookie in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return reply

    def login(self, username: str, password: str, *, forwarded_for: str | None = None) -> Reply:
        """The login form, as a browser posts it (CSRF token and Origin); ``forwarded_for`` is an
        X-Forwarded-For the client itself sends (a forgery, when it is not a proxy)."""
        extra = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        page = self.request("GET", "/dang-nhap/", headers=extra)
        assert page.status == 200, (page.status, page.headers.get("Location"))
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert match, page.body[:2000]
        scheme = "http" if self.certificate is None else "https"
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": match[1]})
        return self.request(
            "POST",
            "/dang-nhap/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"{scheme}://127.0.0.1:{self.port}",
                "Referer": f"{scheme}://127.0.0.1:{self.port}/dang-nhap/",
                **extra,
            },
        )


# --- issue 19: several app servers behind one nginx (tests/deploy/test_stateless_verifier.py, the bench)

NGINX_POOL_CONF = """\
worker_processes {worker_processes};
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections {worker_connections}; }}
http {{
    {access_log}
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream partycard_app {{
        {servers}
        {keepalive}
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        {ssl_session_cache}
        location / {{
            proxy_pass http://partycard_app;
            include {snippet};
            {served_by}
        }}
        {extra_locations}
    }}
}}
"""


def nginx_pool_conf(
    *,
    directory: Path,
    port: int,
    app_ports: list[int],
    cert: Path,
    key: Path,
    keepalive: int = 16,
    worker_processes: str = "1",
    worker_connections: int = 256,
    access_log: bool = False,
    ssl_session_cache: bool = False,
    served_by: bool = False,
    extra_locations: str = "",
) -> str:
    """nginx's configuration for a pool of app servers: TLS, an upstream with ``keepalive`` idle connections
    (as deploy/nginx/partycard.conf), deploy/nginx/proxy.conf; ``served_by`` adds ``X-Served-By`` (the
    upstream's address) to each answer, so a test can tell which server answered."""
    user = "user root;" if os.geteuid() == 0 else ""
    return NGINX_POOL_CONF.format(
        worker_processes=worker_processes,
        worker_connections=worker_connections,
        user=user,
        dir=directory,
        access_log=f"access_log {directory}/access.log;" if access_log else "access_log off;",
        servers="\n        ".join(f"server 127.0.0.1:{p};" for p in app_ports),
        keepalive=f"keepalive {keepalive};" if keepalive else "",  # 0: a new connection per request
        port=port,
        cert=cert,
        key=key,
        ssl_session_cache="ssl_session_cache shared:SSL:10m;" if ssl_session_cache else "",
        snippet=PROXY_SNIPPET,
        served_by="add_header X-Served-By $upstream_addr always;" if served_by else "",
        extra_locations=extra_locations,
    )


@contextmanager
def nginx_in_front_of_pool(
    *, app_ports: list[int], directory: Path, **options: Any
) -> Iterator[tuple[int, Path]]:
    """nginx terminating TLS on a free port in front of the app servers on ``app_ports`` (round robin, with
    keep-alive upstream connections); ``options`` as :func:`nginx_pool_conf`. Yields the port and the
    certificate (to trust); nginx is stopped on exit."""
    binary = nginx_binary()
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed(directory)
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(
        nginx_pool_conf(directory=directory, port=port, app_ports=app_ports, cert=cert, key=key, **options)
    )
    with _nginx_run(binary, directory, conf, port):
        yield port, cert


@contextmanager
def _nginx_run(binary: str, directory: Path, conf: Path, port: int) -> Iterator[None]:
    """nginx on ``conf``, checked with ``-t`` first, listening on ``port`` until the block ends."""
    log = directory / "error.log"
    test = subprocess.run(
        [binary, "-t", "-p", str(directory), "-e", str(log), "-c", str(conf)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert test.returncode == 0, test.stderr
    process = subprocess.Popen(
        [binary, "-p", str(directory), "-e", str(log), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=log.open("ab"), start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process, log)
        yield
    finally:
        stop(process)
