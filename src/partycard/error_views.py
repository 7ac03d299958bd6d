"""The error answers of the whole site, in one place: a Vietnamese page, or problem+json under /api/.

Django calls these for an exception no view handled (``handler400`` … in ``urls.py``); the API's own
routes map their errors themselves (``api/problems.py``), so here the API only meets what happens before
its routes run (a NUL in the URL, ``core.middleware``). A request body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``
(Django raises ``RequestDataTooBig`` as it is read, a 400 by default) is answered 413, Payload Too Large.

The database lost mid-request (PostgreSQL restarted or down, a fail-over: an ``OperationalError`` or
``InterfaceError`` from the driver) is a 503 with ``Retry-After``, not a 500 — from a view,
``DatabaseUnavailableMiddleware``; from a middleware (the session loaded before any view), ``server_error``.
The request's transaction was rolled back, nothing of it was kept, and the next request reconnects
(``CONN_HEALTH_CHECKS``, settings/base.py). docs/operations.md, "Read replicas and PgBouncer".
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext
from django.views.decorators.csrf import requires_csrf_token

from partycard.api.problems import problem_response

__all__ = [
    "DatabaseUnavailableMiddleware",
    "bad_request",
    "csrf_failure",
    "page_not_found",
    "permission_denied",
    "server_error",
]

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5

API_PREFIX = "/api/"


def _answer(
    request: HttpRequest, status: int, detail: str, *, use_request: bool = True, message: str = ""
) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem_response(status, detail)
    template = loader.get_template(f"{status}.html")
    # The 400 and 500 pages render without the request: whatever broke may be in it (its session, its user).
    context = {"message": message} if message else None
    return HttpResponse(template.render(context, request=request if use_request else None), status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return _answer(
            request, 413, "The request body is larger than this server accepts.", use_request=False
        )
    return _answer(request, 400, "The request could not be read.", use_request=False)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _answer(request, 403, "You may not do this.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent from a page too old (the session ended, a new login since), or
    from elsewhere. Django's own page is English and speaks of cookies and the Referer header."""
    message = gettext(
        "The form was sent from a page that is no longer valid (the session has ended, or you logged in "
        "again since). Open the page again and repeat the action."
    )
    return _answer(request, 403, "CSRF verification failed.", message=message)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _answer(request, 404, "No such record.")


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its ``except``: the exception is at hand. The database lost in a middleware
    # (the session or the user loaded before any view: PostgreSQL down) never reaches
    # DatabaseUnavailableMiddleware's ``process_exception``, which sees views' exceptions only; it is the
    # same 503 here.
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return _database_unavailable(request)
    return _answer(request, 500, "An unexpected error occurred. It has been logged.", use_request=False)


def _database_unavailable(request: HttpRequest) -> HttpResponse:
    response = _answer(request, 503, "The database is unavailable; try again shortly.", use_request=False)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A view that lost the database (see the module) answers 503, the page or problem+json, and says when
    to try again; the error is logged by its class only (its text may quote the statement's values)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        match = request.resolver_match  # the route's name: a path may carry an identifier
        view = match.view_name if match else "?"
        logger.warning("database unavailable in %s %s: %s", request.method, view, type(exception).__name__)
        return _database_unavailable(request)
