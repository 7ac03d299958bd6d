"""Refused writes on the web pages: a service's ``DomainError`` becomes a page that says why, never a 500.

The forms catch what they can on their fields; this is for what only the service can know (an organisation
outside the actor's scope, a conflict with other rows). Out of scope answers 404, as for a missing record
(``core.scope``), so the page does not say whether it exists. The API maps the same errors itself
(``api.problems``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from partycard.core.errors import DomainError, ErrorCode

__all__ = ["DomainErrorMiddleware"]

_STATUS = {ErrorCode.CONFLICT: 409}


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if exception.code == ErrorCode.NOT_FOUND:
            raise Http404(exception.message) from exception
        status = _STATUS.get(exception.code, 400)
        return render(request, "core/refused.html", {"message": exception.message}, status=status)
