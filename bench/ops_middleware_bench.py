"""Per-request cost of the observability middleware (ops/middleware.py): the request id, the latency
histogram and the probe dispatch, around a view that does nothing, against that view alone.

    DJANGO_SETTINGS_MODULE=partycard.settings.test python bench/ops_middleware_bench.py [N]

Run it again with ``PROMETHEUS_MULTIPROC_DIR=<an empty directory>`` for the multiprocess mode (each
observation then also writes the process's memory-mapped file).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.test")
django.setup()

from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import resolve  # noqa: E402

from partycard.ops.middleware import ProbeMiddleware, RequestIdMiddleware, RequestMetricsMiddleware  # noqa: E402

MATCH = resolve("/api/v1/verify")  # a real route: the label the histogram gets


def view(request: HttpRequest) -> HttpResponse:
    request.resolver_match = MATCH  # what Django's handler sets once the URL resolves
    return HttpResponse(b"")


def per_request_us(handler: object, requests: list[HttpRequest]) -> float:
    start = time.perf_counter()
    for request in requests:
        handler(request)  # type: ignore[operator]
    return (time.perf_counter() - start) / len(requests) * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    factory = RequestFactory()
    wrapped = RequestIdMiddleware(RequestMetricsMiddleware(ProbeMiddleware(view)))
    bare, full = [], []
    for _ in range(7):
        requests = [factory.post("/api/v1/verify") for _ in range(n)]
        bare.append(per_request_us(view, requests))
        requests = [factory.post("/api/v1/verify") for _ in range(n)]
        full.append(per_request_us(wrapped, requests))
    mode = "multiprocess" if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else "single process"
    b, f = statistics.median(bare), statistics.median(full)
    print(f"{mode}: view alone {b:.2f} µs, with the middleware {f:.2f} µs: overhead {f - b:.2f} µs/request")


if __name__ == "__main__":
    main()
