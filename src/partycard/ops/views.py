"""The machine-facing endpoints: liveness, readiness and the Prometheus metrics (docs/observability.md).

No login, no session, no template, English JSON keys. ``ops.middleware.RequestMetricsMiddleware`` answers
these paths itself, before the rest of the middleware (the SSL redirect, ALLOWED_HOSTS, sessions, the
two-factor step), so that a load balancer's plain-HTTP probe on the loopback reaches them; the URLconf
entries serve the same views when that middleware is not installed.
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from partycard.core.client_address import client_address
from partycard.ops.metrics import CONTENT_TYPE, metrics_text
from partycard.ops.readiness import readiness

__all__ = ["healthz", "metrics", "metrics_allowed", "readyz"]

_LOOPBACK = ("127.0.0.1/32", "::1/128")  # METRICS_ALLOW's default (settings/base.py)


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. No database, no file: a restart is the only cure for a failure."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness (``ops.readiness``): 200 if every required check passed, else 503 naming the failures."""
    report = readiness()
    checks = {}
    for check in report.checks:
        entry: dict[str, object] = {"ok": check.ok, "ms": round(check.seconds * 1000, 1)}
        if not check.ok:
            entry["reason"] = check.reason
        if not check.required:
            entry["required"] = False
        checks[check.name] = entry
    body = {"status": "ok" if report.ok else "unavailable", "checks": checks}
    response = JsonResponse(body, status=200 if report.ok else 503)
    # A 503 here is an answer, not a server error: Django's request logger would write an ERROR line at
    # every probe while the service is not ready (django.utils.log.log_response skips logged responses).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def metrics_allowed(request: HttpRequest) -> bool:
    """Whether ``request`` may read the metrics: it carries the bearer token ``METRICS_TOKEN`` (when one is
    set), or comes from an address in ``METRICS_ALLOW`` (the real client's address behind the trusted
    proxies, ``core.client_address``: a request relayed by nginx counts as its client's, not nginx's)."""
    token = str(settings.PARTYCARD.get("METRICS_TOKEN", ""))
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    address = client_address(request)
    if not address:
        return False
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    allowed = settings.PARTYCARD.get("METRICS_ALLOW", _LOOPBACK)
    return any(client in ipaddress.ip_network(net, strict=False) for net in allowed)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text exposition (``ops.metrics``), for allowed scrapers only (403 otherwise)."""
    if not metrics_allowed(request):
        return JsonResponse({"status": "forbidden"}, status=403)
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE)
