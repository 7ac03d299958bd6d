"""The deployment's files themselves (docs/operations.md, "What runs"): the nginx site run by a real nginx
and checked rule by rule, the systemd units checked by ``systemd-analyze verify``, the Compose file's
services, dependencies and health checks. (The whole deployment, app and worker included, stands up in
``.ci/deploy-smoke.sh``.)
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .servers import free_port, nginx_binary, self_signed, stop, wait_for_port

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SITE = DEPLOY / "nginx" / "partycard.conf"
UNITS = DEPLOY / "systemd"
HASHED_CSS = "partycard/site.0123456789ab.css"


# --------------------------------------------------------------------------------------------------------
# nginx: deploy/nginx/partycard.conf in front of a stand-in app that echoes what it received.


class _Echo(http.server.BaseHTTPRequestHandler):
    """The app's stand-in: answers 200 with the request's path, headers and body size as JSON."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        remaining = length
        while remaining:
            remaining -= len(self.rfile.read(min(remaining, 1 << 20)))
        body = json.dumps(
            {"path": self.path, "headers": dict(self.headers.items()), "length": length}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def site_conf(*, http_port: int, https_port: int, app_port: int, var: Path, tls: Path, log: Path) -> str:
    """deploy/nginx/partycard.conf with this machine's ports and paths (what .ci/deploy-smoke.sh does)."""
    text = SITE.read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "/etc/ssl/partycard/": f"{tls}/",
        "root /srv/partycard/var;": f"root {var};",
        "/etc/nginx/snippets/partycard-proxy.conf": str(DEPLOY / "nginx" / "proxy.conf"),
        "/var/log/nginx/partycard.access.log": str(log),
    }
    for old, new in replacements.items():
        assert old in text, (
            f"deploy/nginx/partycard.conf no longer has {old!r}: update this test and the smoke"
        )
        text = text.replace(old, new)
    return "\n".join(line for line in text.splitlines() if "listen [::]" not in line)


@dataclass
class Site:
    https_port: int
    http_port: int
    certificate: Path

    def request(
        self, method: str, path: str, *, body: bytes | None = None, source: str = "127.0.0.1", **headers: str
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        context = ssl.create_default_context(cafile=str(self.certificate))
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, timeout=30, context=context, source_address=(source, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    binary = nginx_binary()
    base = tmp_path_factory.mktemp("nginx-site")
    static = base / "var" / "static" / "partycard"
    static.mkdir(parents=True)
    (static / "site.css").write_text("body { margin: 0 }\n")
    (base / "var" / "static" / HASHED_CSS).write_text("body { margin: 0 }\n")
    cert, key = self_signed(base)
    tls = base / "tls"
    tls.mkdir()
    shutil.copy(cert, tls / "fullchain.pem")
    shutil.copy(key, tls / "privkey.pem")
    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    http_port, https_port = free_port(), free_port()
    (base / "site.conf").write_text(
        site_conf(
            http_port=http_port, https_port=https_port, app_port=app.server_address[1], var=base / "var",
            tls=tls, log=base / "access.log",
        )
    )  # fmt: skip
    user = "user root;" if os.geteuid() == 0 else ""
    (base / "nginx.conf").write_text(
        f"{user}\nworker_processes 1;\npid {base}/nginx.pid;\nerror_log {base}/error.log warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{ include /etc/nginx/mime.types; default_type application/octet-stream;\n"
        f"  client_body_temp_path {base}/body; proxy_temp_path {base}/proxy; fastcgi_temp_path {base}/fcgi;\n"
        f"  uwsgi_temp_path {base}/uwsgi; scgi_temp_path {base}/scgi;\n  include {base}/site.conf;\n}}\n"
    )
    log = base / "error.log"
    checked = subprocess.run(
        [binary, "-t", "-p", str(base), "-e", str(log), "-c", str(base / "nginx.conf")],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [binary, "-p", str(base), "-e", str(log), "-c", str(base / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=log.open("ab"), start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(https_port, process, log)
        yield Site(https_port, http_port, tls / "fullchain.pem")
    finally:
        stop(process)
        app.shutdown()
        app.server_close()


def test_hashed_static_files_are_cached_a_year_and_immutable(site: Site) -> None:
    status, headers, body = site.request("GET", f"/static/{HASHED_CSS}")
    assert status == 200 and body == b"body { margin: 0 }\n"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Type"].startswith("text/css")
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # The plain name of a file can change with a release: revalidated, never immutable.
    status, headers, _ = site.request("GET", "/static/partycard/site.css")
    assert status == 200 and headers["Cache-Control"] == "no-cache"
    # Served from the directory, never passed to the app.
    status, _, _ = site.request("GET", "/static/partycard/missing.0123456789ab.css")
    assert status == 404


def test_the_app_gets_the_request_id_and_the_scheme_never_the_clients(site: Site) -> None:
    status, headers, body = site.request(
        "GET", "/dang-vien/", **{"X-Request-ID": "forged", "X-Forwarded-Proto": "http"}
    )
    assert status == 200
    seen = json.loads(body)["headers"]
    assert re.fullmatch(r"[0-9a-f]{32}", seen["X-Request-ID"]), seen
    assert headers["X-Request-ID"] == seen["X-Request-ID"]
    assert seen["X-Forwarded-Proto"] == "https"
    assert "close" not in seen.get("Connection", "")  # HTTP/1.1, the connection kept (upstream keepalive)


def test_plain_http_is_redirected_to_https(site: Site) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=30)
    connection.request("GET", "/dang-nhap/?next=/")
    response = connection.getresponse()
    assert response.status == 301
    assert response.headers["Location"] == "https://127.0.0.1/dang-nhap/?next=/"
    connection.close()


def test_bodies_over_the_limit_are_refused_before_the_app(site: Site) -> None:
    big = b"\0" * (26 * 1024 * 1024)  # over 25m: nginx answers 413 and the app never sees it
    status, _, _ = site.request("POST", "/nhap-du-lieu/", body=big)
    assert status == 413
    status, _, body = site.request(
        "POST", "/nhap-du-lieu/", body=b"\0" * (21 * 1024 * 1024)
    )  # a 20 MB roster
    assert status == 200 and json.loads(body)["length"] == 21 * 1024 * 1024
    # The party-database sync's upload page takes its whole export.
    status, _, body = site.request("POST", "/dong-bo/", body=big)
    assert status == 200 and json.loads(body)["length"] == len(big)


def _burst(
    site: Site, method: str, path: str, count: int, source: str, body: bytes | None = None
) -> list[int]:
    """``count`` requests at once from ``source``: their statuses."""
    statuses: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        status, _, _ = site.request(method, path, body=body, source=source)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_the_verify_endpoint_is_rate_limited_per_address_past_its_burst(site: Site) -> None:
    statuses = _burst(site, "POST", "/api/v1/verify", 50, "127.0.0.4", b'{"qr": "x"}')
    assert statuses.count(429) >= 10, statuses  # 10/s with a burst of 20: at most ~21 at once pass
    assert statuses.count(200) >= 20, statuses
    # Another address has its own allowance.
    status, _, _ = site.request("POST", "/api/v1/verify", body=b'{"qr": "x"}', source="127.0.0.5")
    assert status == 200


def test_login_posts_are_rate_limited_but_the_page_is_not(site: Site) -> None:
    gets = _burst(site, "GET", "/dang-nhap/", 40, "127.0.0.6")
    assert gets == [200] * 40
    posts = _burst(site, "POST", "/dang-nhap/", 40, "127.0.0.6", b"username=a&password=b")
    assert posts.count(429) >= 10 and posts.count(200) >= 20, posts


def test_metrics_only_from_the_monitoring_network(site: Site) -> None:
    assert site.request("GET", "/metrics", source="127.0.0.7")[0] == 403
    assert site.request("GET", "/metrics/", source="127.0.0.7")[0] == 403
    assert site.request("GET", "/%6Detrics", source="127.0.0.7")[0] == 403  # nginx decodes before matching
    status, _, body = site.request("GET", "/metrics")  # from 127.0.0.1: allowed, passed to the app
    assert status == 200 and json.loads(body)["path"] == "/metrics"
    assert site.request("GET", "/healthz", source="127.0.0.7")[0] == 200


# --------------------------------------------------------------------------------------------------------
# systemd units.

SERVICES = sorted(UNITS.glob("*.service"))
HARDENING = (
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ReadWritePaths=/srv/partycard/var",
    "PrivateTmp=yes",
    "ProtectHome=yes",
    "CapabilityBoundingSet=",
    "SystemCallFilter=@system-service",
)


def _settings(path: Path) -> list[str]:
    return [
        line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]


@pytest.mark.parametrize("unit", SERVICES, ids=lambda p: p.name)
def test_every_service_runs_hardened_as_partycard_with_the_env_file(unit: Path) -> None:
    lines = _settings(unit)
    assert "User=partycard" in lines
    assert "EnvironmentFile=/etc/partycard/partycard.env" in lines
    for setting in HARDENING:
        assert setting in lines, f"{unit.name}: {setting}"


def test_web_and_workers_start_after_the_migrations_with_fresh_metrics() -> None:
    for name in ("partycard-web.service", "partycard-worker@.service"):
        lines = _settings(UNITS / name)
        assert "Requires=partycard-migrate.service" in lines
        assert any(line.startswith("After=") and "partycard-migrate.service" in line for line in lines)
        assert "ExecStartPre=/bin/rm -rf ${PROMETHEUS_MULTIPROC_DIR}" in lines
        assert any(line.startswith("Environment=PROMETHEUS_MULTIPROC_DIR=/run/") for line in lines)
    assert "ExecStart=/opt/partycard/deploy/bin/partycard-worker %i" in _settings(
        UNITS / "partycard-worker@.service"
    )
    migrate = _settings(UNITS / "partycard-migrate.service")
    steps = [line for line in migrate if line.startswith("ExecStart=")]
    assert [("migrate" in s, "grants.sql" in s, "collectstatic" in s) for s in steps] == [
        (True, False, False), (False, True, False), (False, False, True),
    ]  # fmt: skip
    assert "EnvironmentFile=/etc/partycard/owner.env" in migrate
    # collectstatic's directories readable by nginx's user (the last UMask= wins).
    assert [line for line in migrate if line.startswith("UMask=")][-1] == "UMask=0022"


def test_every_timer_has_its_service() -> None:
    timers = sorted(UNITS.glob("*.timer"))
    assert {t.stem for t in timers} >= {
        "partycard-audit-checkpoint",
        "partycard-status-lists",
        "partycard-audit-verify",
    }
    for timer in timers:
        assert (UNITS / f"{timer.stem}.service").exists()
        assert any(line.startswith("OnCalendar=") for line in _settings(timer))
    assert "ExecStart=/opt/partycard/.venv/bin/partycard audit checkpoint" in _settings(
        UNITS / "partycard-audit-checkpoint.service"
    )


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """The units as systemd reads them: no unknown key, no bad value, every command executable (the paths
    under /opt/partycard pointed at this checkout and its virtualenv)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("no systemd-analyze on this machine (Debian's systemd package)")
    venv = Path(sys.executable).parent.parent
    for unit in UNITS.iterdir():
        text = (
            unit.read_text().replace("/opt/partycard/.venv", str(venv)).replace("/opt/partycard", str(REPO))
        )
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text)
        if name != unit.name:  # the template too, for the instance to be found
            (tmp_path / unit.name).write_text(text)
    if not shutil.which("psql") and not Path("/usr/bin/psql").exists():
        pytest.skip(
            "no psql (partycard-migrate.service runs /usr/bin/psql): apt-get install postgresql-client"
        )
    units = sorted(str(p) for p in tmp_path.iterdir() if p.name != "partycard-worker@.service")
    done = subprocess.run(
        [analyze, "verify", "--man=no", *units], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
    )  # fmt: skip
    problems = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 0 and not problems, problems


# --------------------------------------------------------------------------------------------------------
# Compose.

COMPOSE = DEPLOY / "compose.yaml"


def _compose() -> dict[str, object]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_services_dependencies_and_health_checks() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    assert set(services) == {"db", "migrate", "web", "worker", "nginx", "redis"}
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["profiles"] == ["rq"]  # optional: PARTYCARD_TASKS_BACKEND=rq
    for name in ("db", "web", "nginx", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert services["nginx"]["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert services["web"]["command"] == ["/opt/partycard/deploy/bin/partycard-web"]
    assert services["worker"]["command"] == ["/opt/partycard/deploy/bin/partycard-worker"]
    migrate = " ".join(services["migrate"]["command"])
    assert migrate.index("migrate --no-input") < migrate.index("grants.sql") < migrate.index("collectstatic")
    # The owner role migrates; the app role serves.
    assert "partycard_owner:" in services["migrate"]["environment"]["DATABASE_URL"]
    assert "partycard_app:" in services["web"]["environment"]["DATABASE_URL"]
    # nginx gets the static files' volume, never the rest of var/ (keys, photos, checkpoints).
    assert "static:/srv/partycard/var/static:ro" in services["nginx"]["volumes"]
    assert not any(v.startswith("var:") for v in services["nginx"]["volumes"])
    # The same site file as systemd's nginx, pointed at the web service.
    assert "/partycard/nginx/partycard.conf" in " ".join(services["nginx"]["command"])
    assert "server 127.0.0.1:8000;" in SITE.read_text()


def test_dockerfile_installs_the_package_at_build_time() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim AS build$", dockerfile, re.M)
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    assert "pip install --no-cache-dir ." in dockerfile
    assert "USER partycard" in dockerfile


def test_docker_compose_config(tmp_path: Path) -> None:
    """``docker compose config`` resolves the file (anchors, interpolation, env files) where Compose is."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker command on this machine")
    version = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, check=False)
    if version.returncode != 0:
        pytest.skip(f"no Compose plugin for docker: {version.stderr.strip() or version.stdout.strip()}")
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    shutil.copy(copy / "partycard.env.example", copy / "partycard.env")
    env = {
        **os.environ,
        "POSTGRES_PASSWORD": "a" * 16,
        "PARTYCARD_DB_OWNER_PASSWORD": "b" * 16,
        "PARTYCARD_DB_APP_PASSWORD": "c" * 16,
    }
    done = subprocess.run(
        [docker, "compose", "-f", str(copy / "compose.yaml"), "config", "-q"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_start_scripts_refuse_to_start_without_the_secret_key(tmp_path: Path) -> None:
    """deploy/bin/partycard-web and -worker read the env file, and say which variable is missing."""
    env_file = tmp_path / "partycard.env"
    env_file.write_text(f"PARTYCARD_VENV={Path(sys.executable).parent.parent}\nPARTYCARD_WEB_WORKERS=1\n")
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    for script in ("partycard-web", "partycard-worker"):
        done = subprocess.run(
            [str(DEPLOY / "bin" / script), "--env-file", str(env_file)],
            capture_output=True, text=True, env=clean, timeout=30, check=False,
        )  # fmt: skip
        assert done.returncode != 0 and "DJANGO_SECRET_KEY is not set" in done.stderr, (script, done.stderr)


def test_the_web_script_serves_with_the_env_files_workers(tmp_path: Path) -> None:
    """The env file's PARTYCARD_WEB_WORKERS becomes granian's worker count (its log says so)."""
    port = free_port()
    env_file = tmp_path / "partycard.env"
    env_file.write_text(
        f"PARTYCARD_VENV={Path(sys.executable).parent.parent}\nDJANGO_SECRET_KEY={'k' * 50}\n"
        "PARTYCARD_TOTP_KEYS=cGFydHljYXJkLWRldmVsb3BtZW50LXRvdHAta2V5ISE=\nPARTYCARD_WEB_WORKERS=1\n"
        f"PARTYCARD_WEB_THREADS=2\nGRANIAN_PORT={port}\nPARTYCARD_VAR={tmp_path / 'var'}\n"
        f"DATABASE_URL=sqlite:///{tmp_path / 'db.sqlite3'}\nPROMETHEUS_MULTIPROC_DIR={tmp_path / 'prom'}\n"
    )
    (tmp_path / "prom").mkdir()
    (tmp_path / "prom" / "counter_123.db").write_bytes(b"stale")
    log = tmp_path / "web.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GRANIAN_", "DATABASE_URL"))}
    process = subprocess.Popen(
        [str(DEPLOY / "bin" / "partycard-web"), "--env-file", str(env_file)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process, log, timeout=120)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"GET /dang-nhap/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n")
            head = s.recv(64)
        # Production settings: without PARTYCARD_TRUSTED_PROXIES the header is ignored, so HTTPS redirect.
        assert head.startswith(b"HTTP/1.1 301"), head
    finally:
        stop(process)
    text = log.read_text()
    assert "Spawning worker-1" in text and "worker-2" not in text, text
    assert not (tmp_path / "prom" / "counter_123.db").exists()  # emptied before the start
