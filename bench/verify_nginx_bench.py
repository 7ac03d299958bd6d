"""Load benchmark of the verify endpoint (POST /api/v1/verify) through nginx as deployed: TLS at nginx,
keep-alive upstream connections to granian (2 workers × 1 blocking thread, as deploy/bin/partycard-web), the
production settings (HTTPS redirect on, PARTYCARD_TRUSTED_PROXIES=1). Issue 19's bars, through nginx:

1. fixed rate: p99 < 20 ms at an open-loop 1,000 requests/s with no errors;
2. saturation: verify throughput ≥ 40 % of a no-op view on the same server in the same run (wrk, HTTPS).

Run (PostgreSQL on 127.0.0.1:5432 as ``postgres``, nginx and wrk installed)::

    PYTHONPATH=src .venv/bin/python bench/verify_nginx_bench.py

What it does, per status list source (``BENCH_SOURCES``, default ``files,database``; docs/ecard.md "The
stateless verifier"):

- the primary's side once: a temporary PostgreSQL database, ``partycard migrate``, ``pki init``, one member's
  device-bound e-card (bench/verify_load_bench.py ``--setup``), ``partycard status-lists publish``;
- granian on a free loopback port with bench/verify_nginx_settings.py; nginx in front of it, configured by
  tests/deploy/servers.py ``nginx_pool_conf`` with the deployment's choices (deploy/nginx/partycard.conf):
  ``worker_processes auto``, TLS 1.2/1.3 with a shared session cache, upstream ``keepalive 32``, access log
  on, deploy/nginx/proxy.conf. Not the per-address ``limit_req`` of /api/v1/verify: all load comes from one
  address here, where each verifier station is its own in the field;
- four targets through the same nginx: ``/nginx-noop`` (nginx answers itself: the floor of TLS + nginx + the
  load generator), ``/bench-noop/`` (a no-op JSON view behind the whole middleware: the bar's baseline, as in
  issue 6), ``/bench-noop-lean/`` (the same view on the stateless routes' short path: a stricter baseline),
  and the verify endpoint, which sends the device-bound rotating QR and must answer ``valid``;
- fixed rate: bench/verify_load_bench.py's open-loop generator (``--generate --cafile``: asyncio, HTTPS,
  ``BENCH_CONNECTIONS`` keep-alive connections, latency from the scheduled send time), each target in turn;
- saturation: ``wrk -t2 -c32 -d{BENCH_WRK_SECONDS}s`` rounds over HTTPS, verify and the two no-ops interleaved
  (``BENCH_WRK_ROUNDS`` each, ratio of medians), one round of ``/nginx-noop``.

Everything — nginx, granian's 2 workers, the generator or wrk, PostgreSQL — shares the machine's 2 cores; the
floors are measured in the same run for that reason. Writes bench/results/verify_nginx.json (key BENCH_LABEL).

Environment: BENCH_RATE (1000), BENCH_DURATION (20), BENCH_WARMUP (3), BENCH_CONNECTIONS (32),
BENCH_WRK_SECONDS (15), BENCH_WRK_ROUNDS (3), BENCH_WORKERS (2), BENCH_THREADS (1), BENCH_SOURCES, BENCH_LABEL
("default"), BENCH_PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.deploy.servers import free_port, nginx_in_front_of_pool, stop, wait_for_port  # noqa: E402

import verify_load_bench as vlb  # noqa: E402

VENV_BIN = Path(sys.executable).parent
vlb.VENV_BIN = VENV_BIN  # the checkout's .venv may be another's (a git worktree)
RESULT = HERE / "results" / "verify_nginx.json"
NGINX_NOOP = 'location = /nginx-noop { default_type application/json; return 200 "{\\"ok\\": true}"; }'

log = vlb.log
env_int = vlb.env_int


def granian(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen[bytes], int, list[str]]:
    """granian as deploy/bin/partycard-web runs it, on a free loopback port."""
    port = free_port()
    command = [
        str(VENV_BIN / "granian"), "--interface", "wsgi", "partycard.wsgi:application",
        "--workers", str(env_int("BENCH_WORKERS", 2)), "--blocking-threads", str(env_int("BENCH_THREADS", 1)),
        "--no-ws", "--http", "1", "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )
    wait_for_port(port, process, log_path)
    return process, port, command


def https(port: int, cafile: Path, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    import ssl

    request = urllib.request.Request(
        f"https://127.0.0.1:{port}{path}", data=body, headers={"Content-Type": "application/json"}
    )
    context = ssl.create_default_context(cafile=str(cafile))
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wrk(port: int, path: str, lua: Path | None, seconds: int) -> dict[str, Any]:
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency"]
    if lua is not None:
        command += ["-s", str(lua)]
    command.append(f"https://127.0.0.1:{port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    latency = {m.group(1) + "%": m.group(2) for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)}
    return {
        "path": path,
        "command": " ".join(command),
        "requests_per_s": rps,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else None,
        "latency": latency,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
    }


def measure(
    port: int, cafile: Path, phone: vlb.Phone, material: Path, env: dict[str, str], tmp: Path
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    status, body = https(
        port, cafile, "/api/v1/verify", json.dumps({"qr": phone.rotating_qr(datetime.now(UTC))}).encode()
    )
    out["verdict"] = {"status": status, "body": json.loads(body)}
    log(f"verdict through nginx: {status} {out['verdict']['body']['outcome']}")
    assert out["verdict"]["body"]["outcome"] == "valid", body
    for path in ("/nginx-noop", "/bench-noop/", "/bench-noop-lean/"):
        status, body = https(port, cafile, path)
        assert status == 200, (path, status, body[:300])
    rate, duration, warmup = (
        env_int("BENCH_RATE", 1000),
        env_int("BENCH_DURATION", 20),
        env_int("BENCH_WARMUP", 3),
    )
    connections = env_int("BENCH_CONNECTIONS", 32)

    def open_loop(path: str, verify: bool) -> dict[str, Any]:
        command = [
            sys.executable, str(HERE / "verify_load_bench.py"), "--generate", "--cafile", str(cafile),
            "--port", str(port), "--path", path, "--rate", str(rate), "--duration", str(duration),
            "--warmup", str(warmup), "--connections", str(connections),
        ]  # fmt: skip
        if verify:
            command += ["--material", str(material)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
        lat = result["latency_ms"]
        log(
            f"open loop {path} @ {rate}/s: achieved {result['achieved_rate']}/s,"
            f" p50 {lat['p50']} p90 {lat['p90']} p99 {lat['p99']} max {lat['max']} ms,"
            f" errors {result['error_count']} {result['errors']}"
        )
        return result

    out["open_loop"] = {
        "nginx_noop": open_loop("/nginx-noop", False),
        "noop": open_loop("/bench-noop/", False),
        "noop_lean": open_loop("/bench-noop-lean/", False),
        "verify": open_loop("/api/v1/verify", True),
    }
    seconds, rounds = env_int("BENCH_WRK_SECONDS", 15), env_int("BENCH_WRK_ROUNDS", 3)
    runs: dict[str, list[dict[str, Any]]] = {"verify": [], "noop": [], "noop_lean": []}
    targets = {"verify": "/api/v1/verify", "noop": "/bench-noop/", "noop_lean": "/bench-noop-lean/"}
    order = ["verify", "noop", "noop_lean"]
    for r in range(rounds):
        for which in order[r % 3 :] + order[: r % 3]:
            lua = vlb._lua(phone, tmp / "verify.lua") if which == "verify" else None
            run = wrk(port, targets[which], lua, seconds)
            runs[which].append(run)
            log(
                f"wrk {run['path']}: {run['requests_per_s']:.0f} req/s, non-2xx {run['non_2xx']},"
                f" {run['latency']}"
            )
    nginx_floor = wrk(port, "/nginx-noop", None, seconds)
    log(f"wrk /nginx-noop: {nginx_floor['requests_per_s']:.0f} req/s")
    median = {k: statistics.median(r["requests_per_s"] for r in v) for k, v in runs.items()}
    out["saturation"] = {
        "runs": runs,
        "nginx_noop_run": nginx_floor,
        "median_rps": {k: round(v, 1) for k, v in median.items()}
        | {"nginx_noop": nginx_floor["requests_per_s"]},
        "ratio_to_noop": round(median["verify"] / median["noop"], 3),
        "ratio_to_noop_lean": round(median["verify"] / median["noop_lean"], 3),
        "ratio_to_nginx_noop": round(median["verify"] / nginx_floor["requests_per_s"], 3),
    }
    log(
        f"saturation: verify {median['verify']:.0f}, no-op {median['noop']:.0f}"
        f" ({median['verify'] / median['noop']:.1%}),"
        f" no-op lean {median['noop_lean']:.0f} ({median['verify'] / median['noop_lean']:.1%}),"
        f" nginx alone {nginx_floor['requests_per_s']:.0f} req/s"
    )
    verify = out["open_loop"]["verify"]
    out["bars"] = {
        "fixed_rate": {
            "p99_ms": verify["latency_ms"]["p99"],
            "errors": verify["error_count"],
            "achieved_rate": verify["achieved_rate"],
            "pass": verify["latency_ms"]["p99"] < 20
            and verify["error_count"] == 0
            and verify["achieved_rate"] >= 0.99 * rate,
        },
        "saturation": {
            "ratio": out["saturation"]["ratio_to_noop"],
            "pass": out["saturation"]["ratio_to_noop"] >= 0.40,
        },
    }
    return out


def main() -> None:
    import psycopg

    admin_url = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    db = f"partycard_bench_verify_nginx_{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(prefix="verify-nginx-"))
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "verify_nginx_settings",
            "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "PARTYCARD_TOTP_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PARTYCARD_TRUSTED_PROXIES": "1",
            "DATABASE_URL": admin_url.rsplit("/", 1)[0] + "/" + db,
            "PARTYCARD_PKI_DIR": str(tmp / "pki"),
            "PARTYCARD_PKI_PASSPHRASE": "bench-passphrase-" + secrets.token_hex(8),
            "PARTYCARD_VAR": str(tmp / "var"),
        }
    )
    result: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "uptime_before": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "machine": vlb.machine(),
    }
    result["machine"]["nginx"] = subprocess.run(
        ["nginx", "-v"], capture_output=True, text=True
    ).stderr.strip()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
        result["machine"]["postgres"] = conn.execute("SELECT version()").fetchone()[0]  # type: ignore[index]
    try:
        partycard = [sys.executable, "-m", "partycard.cli"]
        subprocess.run([*partycard, "migrate", "--noinput", "-v0"], env=env, check=True)
        subprocess.run([*partycard, "pki", "init"], env=env, check=True, capture_output=True)
        material = tmp / "material.json"
        subprocess.run(
            [sys.executable, str(HERE / "verify_load_bench.py"), "--setup", str(material)],
            env=env,
            check=True,
        )
        subprocess.run([*partycard, "status-lists", "publish"], env=env, check=True, capture_output=True)
        phone = vlb.Phone(json.loads(material.read_text()))
        result["settings"] = {
            k: env_int(k, d)
            for k, d in (
                ("BENCH_RATE", 1000), ("BENCH_DURATION", 20), ("BENCH_WARMUP", 3),
                ("BENCH_CONNECTIONS", 32), ("BENCH_WRK_SECONDS", 15), ("BENCH_WRK_ROUNDS", 3),
                ("BENCH_WORKERS", 2), ("BENCH_THREADS", 1),
            )
        }  # fmt: skip
        for source in os.environ.get("BENCH_SOURCES", "files,database").split(","):
            log(f"status list source: {source}")
            run_env = {**env, "PARTYCARD_VERIFY_STATUS_SOURCE": source}
            with ExitStack() as stack:
                process, app_port, command = granian(run_env, tmp / f"granian-{source}.log")
                stack.callback(stop, process)
                port, cafile = stack.enter_context(
                    nginx_in_front_of_pool(
                        app_ports=[app_port],
                        directory=tmp / f"nginx-{source}",
                        worker_processes="auto",
                        worker_connections=1024,
                        keepalive=32,
                        access_log=True,
                        ssl_session_cache=True,
                        extra_locations=NGINX_NOOP,
                    )
                )
                run = measure(port, cafile, phone, material, run_env, tmp)
                run["granian_command"] = " ".join(command)
                run["nginx_conf"] = (tmp / f"nginx-{source}" / "nginx.conf").read_text()
                result[source] = run
                log(f"{source}: bars {json.dumps(run['bars'])}")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)
    result["uptime_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    runs = json.loads(RESULT.read_text()) if RESULT.exists() else {}
    runs[os.environ.get("BENCH_LABEL", "default")] = result
    RESULT.write_text(json.dumps(runs, indent=1, ensure_ascii=False) + "\n")
    log(f"wrote {RESULT}; {result['uptime_after']}")


if __name__ == "__main__":
    main()
