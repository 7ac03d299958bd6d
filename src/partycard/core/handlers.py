"""The WSGI application with a short path for the public verifier routes (``POST /api/v1/verify``, the trust
and status lists): they carry no cookie and no login, so the browser's middleware (sessions, CSRF, login,
two-factor, messages, history, lock-out, language) only costs time there — about 40 % of a verification
(docs/performance.md) — and, for a client that does send a session cookie, a database query.

Every other middleware (security headers, the request guard, anything added later such as metrics) stays.
The routes are matched on the exact path (``PARTYCARD["STATELESS_ROUTES"]``); anything else, a trailing
slash included, goes through the whole stack as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponseBase

__all__ = ["BROWSER_MIDDLEWARE", "STATELESS_CSP", "StatelessHandler", "with_stateless_routes"]

#: Middleware whose work is for browser pages and signed-in users only.
BROWSER_MIDDLEWARE = frozenset(
    {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.locale.LocaleMiddleware",  # the verdict carries both languages
        "django.middleware.csrf.CsrfViewMiddleware",  # the public API takes no cookie: nothing to forge
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "partycard.accounts.middleware.RequireTwoFactorMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "simple_history.middleware.HistoryRequestMiddleware",
        "axes.middleware.AxesMiddleware",
        "csp.middleware.CSPMiddleware",  # replaced by the fixed policy below
    }
)

#: The policy of a JSON API response (OWASP REST Security Cheat Sheet, "Security headers"): nothing may
#: load from it, nobody may frame it. Stricter than the pages' policy, and a constant.
STATELESS_CSP = "default-src 'none'; frame-ancestors 'none'"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class StatelessHandler(WSGIHandler):
    """Django's WSGI handler with ``settings.MIDDLEWARE`` less :data:`BROWSER_MIDDLEWARE`, resolving
    against ``PARTYCARD["STATELESS_URLCONF"]`` (the public routes only: a short resolve)."""

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler.load_middleware reads settings.MIDDLEWARE and has no parameter for another list:
        # it is given the shorter one for the time of the call (at start-up, before any request).
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [m for m in full if m not in BROWSER_MIDDLEWARE]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        request.urlconf = settings.PARTYCARD["STATELESS_URLCONF"]  # type: ignore[attr-defined]  # Django reads it
        response = super().get_response(request)
        response.headers.setdefault("Content-Security-Policy", STATELESS_CSP)
        return response


def with_stateless_routes(application: WSGIHandler) -> WsgiApp:
    """``application`` for every path but the stateless routes, which a :class:`StatelessHandler` serves."""
    stateless = StatelessHandler()
    match = re.compile(settings.PARTYCARD["STATELESS_ROUTES"]).fullmatch

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if match(environ.get("PATH_INFO", "")):
            return stateless(environ, start_response)
        return application(environ, start_response)

    return dispatch
