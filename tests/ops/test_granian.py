"""The probes, metrics and logs under the production server: granian with two worker processes, the
production settings, prometheus-client's multiprocess mode (docs/observability.md)."""

from __future__ import annotations

import http.client
import json
import subprocess
from pathlib import Path

from tests.deploy.servers import BIN, free_port, production_env, stop, wait_for_port
from tests.ops.test_metrics import _value

NGINX_ID = "0af1b2c3d4e5f60718293a4b5c6d7e8f"


def _get(port: int, path: str, host: str = "127.0.0.1", **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host, **headers})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_two_granian_workers_count_into_one_scrape_and_log_json(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = production_env(
        tmp_path / "var", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), PARTYCARD_TRUSTED_PROXIES="1"
    )
    env.pop("PARTYCARD_LOG_FORMAT", None)  # the production default: JSON
    log = tmp_path / "granian.log"
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2", "--blocking-threads", "2", "--no-ws", "partycard.wsgi:application"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process, log)
        # Plain HTTP, a Host outside ALLOWED_HOSTS, under SECURE_SSL_REDIRECT: answered, not redirected.
        status, _, body = _get(port, "/healthz", host="10.9.9.9:8000")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, _, body = _get(port, "/readyz")
        assert status == 503 and json.loads(body)["status"] == "unavailable"  # no authority here: never a 500
        for _ in range(30):
            assert _get(port, "/healthz")[0] == 200
        # As nginx relays it: over HTTPS, with its $request_id, which the app keeps, echoes and logs.
        relayed = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7", "X-Request-ID": NGINX_ID}
        status, headers, _ = _get(port, "/khong-co-trang-nay/", **relayed)
        assert (status, headers["x-request-id"]) == (404, NGINX_ID)
        status, _, body = _get(port, "/metrics")
        assert status == 200
        text = body.decode()
        count = _value(text, "partycard_http_request_duration_seconds_count", route="healthz", method="GET",
                       status="2xx")  # fmt: skip
        assert count == 31
        assert "process_resident_memory_bytes" not in text  # multiprocess mode: the summed figures only
        assert list(metrics_dir.glob("histogram_*.db"))
    finally:
        stop(process)
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    assert lines, log.read_text()[-2000:]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    (not_found,) = [x for x in lines if x["logger"] == "django.request"]
    assert not_found["message"] == "Not Found: /khong-co-trang-nay/" and not_found["request_id"] == NGINX_ID
