"""The request's id, its timing, and the probes answered before the rest of the middleware.

Order in MIDDLEWARE, first of all: ``RequestIdMiddleware`` (so every log line of the request carries the
id), ``RequestMetricsMiddleware`` (so the time covers every other middleware), ``ProbeMiddleware`` (so the
probes skip the SSL redirect, the ALLOWED_HOSTS check, sessions and the two-factor step: a load balancer
probes the app server over plain HTTP on its own address, as django-alive's middleware lets it).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from partycard.ops import views
from partycard.ops.logs import request_id_var
from partycard.ops.metrics import REQUEST_LATENCY

__all__ = ["ProbeMiddleware", "RequestIdMiddleware", "RequestMetricsMiddleware"]

# nginx's $request_id is 32 hex digits; other proxies send UUIDs. Anything else is replaced: the id goes
# into every log line, so it must not be a place for a client to write.
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{16,64}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.metrics,
}


class RequestIdMiddleware:
    """Gives each request an id: the proxy's ``X-Request-ID`` when the app sits behind trusted proxies
    (``PARTYCARD_TRUSTED_PROXIES`` > 0: then only they reach it, and nginx sets the header to its
    ``$request_id``), else a new random one. Logged with every line of the request and sent back in the
    response's ``X-Request-ID``, so an operator can join nginx's access log, the app's lines and a user's
    report."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        trusted = int(settings.PARTYCARD.get("TRUSTED_PROXIES", 0)) > 0 and _REQUEST_ID.fullmatch(incoming)
        rid = incoming if trusted else os.urandom(16).hex()  # as random as uuid4, without the object
        request.request_id = rid  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs a 4xx/5xx response ("Not Found: …") after the middleware
        # has returned; ``request_finished`` clears it once the response is closed (ops/apps.py).
        request_id_var.set(rid)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response


_children: dict[tuple[str, str, int], Any] = {}  # (route, method, status class) → its histogram child


class RequestMetricsMiddleware:
    """Observes each request's duration in ``partycard_http_request_duration_seconds``, labelled with the
    URL pattern it resolved to (``<unmatched>`` for none), never the path itself: ids stay out of the
    labels, and the number of series stays that of the URL patterns. For a streamed response, the time to
    its first byte."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - start
        match = request.resolver_match
        if match is not None:
            route = match.route
        else:
            route = request.path_info[1:] if request.path_info in PROBES else "<unmatched>"
        method = request.method if request.method in _METHODS else "other"
        key = (route, method, response.status_code // 100)
        child = _children.get(key)
        if child is None:  # labels() validates and locks: once per series, not per request
            child = _children.setdefault(key, REQUEST_LATENCY.labels(route, method, f"{key[2]}xx"))
        child.observe(elapsed)
        return response


class ProbeMiddleware:
    """Answers ``/healthz``, ``/readyz`` and ``/metrics`` (``ops.views``) without the rest of the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = PROBES.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)
