"""Refusals at the edge of every request, before any view, form or query sees it.

A NUL character in the path or the query string can reach no legitimate page (PostgreSQL cannot store or
compare it: psycopg raises, and the page was a 500); it is refused as a bad request (400) here, once for
every page and API route. The answer itself, a Vietnamese page or a problem+json document for /api/, is
``partycard.error_views.bad_request``'s (Django calls it for a ``BadRequest``).

A service's refusal that reaches a web page (``DomainError``: what only the service can know, after the
form's own checks) is a page that says why, never a 500: out of scope or missing is the same 404
(``core.scope``), a bound on concurrent work (a user's background jobs) the 429 page, anything else the
refusal's HTTP status (its code's, ``core.errors.HTTP_STATUS``: a conflict with other rows or a refused
case transition 409, an input 400), each with the refusal's Vietnamese message. The API maps its own
errors (``api.problems``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from partycard.core.errors import DomainError, ErrorCode

__all__ = ["NulInRequest", "RequestGuardMiddleware"]


class NulInRequest(BadRequest):
    """A NUL character in the request's path or query string."""


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path as decoded by the server (%00 is already "\x00"); the query string as sent, where a NUL
        # can only travel as %00 (the test client and some servers pass it raw).
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            raise NulInRequest("A NUL character in the request's path or query string.")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if exception.code == ErrorCode.NOT_FOUND:
            raise Http404(exception.message) from exception
        if exception.http_status == 429:
            return render(request, "429.html", {"message": exception.message}, status=429)
        status = exception.http_status
        return render(request, "core/refused.html", {"message": exception.message}, status=status)
