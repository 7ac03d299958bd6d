"""The WSGI application's short path for the public verifier routes (partycard.core.handlers): exactly those
paths skip the browser's middleware — no session is loaded, so no database query even for a client that
sends a signed-in session's cookie — and keep the rest (security headers, the HTTPS redirect), with a fixed
API content security policy; every other path goes through the whole stack as before."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from partycard.accounts.models import User
from partycard.core.handlers import STATELESS_CSP, StatelessHandler, with_stateless_routes
from tests.credentials.conftest import authority  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _call(
    app: Any, method: str, path: str, body: bytes = b"", cookie: str = ""
) -> tuple[str, dict[str, str], bytes]:
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }  # fmt: skip
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started.update(status=status, headers=dict(headers))

    # As Django's test client does: the handler must not close the test's connection (its transaction)
    # at the end of the request, which it does on PostgreSQL inside a transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = app(environ, start_response)
        body_out = b"".join(result)
        result.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return started["status"], started["headers"], body_out


@pytest.fixture
def session_cookie(client: Any) -> str:
    """The cookie of a signed-in session (a verifier using the site in the same browser sends it)."""
    user = User.objects.create_user(username="nguoikiemtra", password="a long test password 1")
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_the_verify_route_skips_the_browser_middleware_and_its_queries(
    authority: Path,  # noqa: F811
    session_cookie: str,
) -> None:
    app = with_stateless_routes(WSGIHandler())
    garbage = json.dumps({"qr": "PC1R:not a card"}).encode()
    with CaptureQueriesContext(connection) as queries:
        status, headers, body = _call(app, "POST", "/api/v1/verify", garbage, cookie=session_cookie)
    assert status.startswith("200"), body
    assert json.loads(body)["outcome"] == "invalid"
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert headers["Content-Security-Policy"] == STATELESS_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware stays
    assert headers["X-Frame-Options"] == "DENY"
    assert "Vary" not in headers and "Set-Cookie" not in headers  # no session was opened

    # The same request through the whole stack loads the session (and its user) from the database.
    with CaptureQueriesContext(connection) as queries:
        status, headers, _ = _call(WSGIHandler(), "POST", "/api/v1/verify", garbage, cookie=session_cookie)
    assert status.startswith("200") and len(queries) >= 1
    assert headers["Content-Security-Policy"] != STATELESS_CSP


def test_only_the_exact_public_routes_take_the_short_path(authority: Path, session_cookie: str) -> None:  # noqa: F811
    app = with_stateless_routes(WSGIHandler())
    status, headers, body = _call(app, "GET", "/api/v1/trust-list", cookie=session_cookie)
    assert status.startswith("200") and body == (authority / "trustlist.json").read_bytes()
    assert headers["Content-Security-Policy"] == STATELESS_CSP
    status, headers, _ = _call(app, "GET", "/api/v1/status-lists/999", cookie=session_cookie)
    assert status.startswith("404") and headers["Content-Security-Policy"] == STATELESS_CSP
    for path in ("/api/v1/verify/", "/api/v1/verifyx", "/api/v1/members", "/api/v1/status-lists/1/x"):
        status, headers, _ = _call(app, "POST", path, b"{}", cookie=session_cookie)
        assert headers.get("Content-Security-Policy") != STATELESS_CSP, path


def test_security_middleware_still_redirects_plain_http(authority: Path, settings: Any) -> None:  # noqa: F811
    settings.SECURE_SSL_REDIRECT = True
    status, headers, _ = _call(with_stateless_routes(WSGIHandler()), "POST", "/api/v1/verify", b"{}")
    assert status.startswith("301") and headers["Location"] == "https://testserver/api/v1/verify"


def test_building_it_leaves_the_settings_alone() -> None:
    before = list(settings.MIDDLEWARE)
    StatelessHandler()
    assert before == settings.MIDDLEWARE
