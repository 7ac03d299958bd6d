"""The one error → HTTP map of the API: every error is ``application/problem+json`` (RFC 9457).

A problem has ``type``, ``title``, ``status`` and ``detail``; a refused input adds
``errors: [{"field": ..., "reason": ...}]`` (``field`` null for the record as a whole). Django's
``ValidationError``, ``DomainError`` and Ninja's request validation all map to that one shape, so a client
handles field errors the same way whichever layer refused the input. A refused case transition
(``CaseError``) adds ``problems: [{"code", "message_vi", "message_en"}]``, every reason at once. A 500
never carries a traceback.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable
from functools import wraps
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from partycard.api.errors import ApiProblem, problem_type
from partycard.core.errors import DomainError, ErrorCode
from partycard.exchange.services import CaseError

if TYPE_CHECKING:
    from ninja import NinjaAPI

__all__ = [
    "MEDIA_TYPE",
    "install_handlers",
    "not_found_view",
    "problem_response",
    "with_problem_405",
]

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"


def problem_response(
    status: int,
    detail: str,
    *,
    code: ErrorCode | None = None,
    title: str | None = None,
    errors: Iterable[tuple[str | None, str]] | None = None,
    problems: Iterable[Any] | None = None,
) -> HttpResponse:
    """The ``application/problem+json`` response for ``status``, its ``type`` named after ``code``
    (``api.errors.problem_type``); ``problems`` are the workflow's (each with ``code``, ``message_vi`` and
    ``message_en``)."""
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = [{"field": field, "reason": str(reason)} for field, reason in errors]
    if problems is not None:
        body["problems"] = [
            {"code": p.code, "message_vi": p.message_vi, "message_en": p.message_en} for p in problems
        ]
    return HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type=f"{MEDIA_TYPE}; charset=utf-8",
    )


def _validation(errors: list[tuple[str | None, str]], status: int = 422) -> HttpResponse:
    return problem_response(
        status,
        "The request was refused; see errors for each field.",
        code=ErrorCode.INVALID,
        title="Validation failed",
        errors=errors,
    )


def _ninja_field(loc: Iterable[Any]) -> str | None:
    """("body", "payload", "citizen_id") → "citizen_id"; ("query", "limit") → "limit"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]  # drop the source and the payload's name
    elif parts:
        parts = parts[1:]
    return ".".join(parts) or None


def _on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [(_ninja_field(e.get("loc", ())), str(e.get("msg", ""))) for e in exc.errors]
    if errors and all(field == "cursor" for field, _ in errors):
        # A cursor the lists never hand out: the same 400 bad-cursor whether its shape or its value is off.
        return problem_response(400, "Invalid cursor.", code=ErrorCode.BAD_CURSOR)
    return _validation(errors)


def _on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            (None if field == NON_FIELD_ERRORS else field, message)
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [(None, message) for message in exc.messages]
    return _validation(errors)


# Seconds a client waits before it asks again for a job refused by the bound on jobs per user.
JOB_RETRY_AFTER = 60


def _on_domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """A service's refusal: an INVALID one is a validation error on its field; any other answers with the
    error's HTTP status (its code's, ``core.errors.HTTP_STATUS``) and the code's problem type."""
    if exc.code is ErrorCode.TOO_MANY:
        response = problem_response(429, exc.message, code=ErrorCode.TOO_MANY, title="Too many jobs")
        response["Retry-After"] = str(JOB_RETRY_AFTER)
        return response
    if exc.code is ErrorCode.INVALID:
        return _validation([(exc.field, exc.message)])
    return problem_response(exc.http_status, exc.message, code=exc.code)


# Workflow problems that are about the request's own input, and the field each names.
_INPUT_PROBLEMS = {"reason_required": "reason", "return_level": "return_to"}


def _on_case_error(request: HttpRequest, exc: CaseError) -> HttpResponse:
    """A refused transition or proposal: 422 if only the input is at fault (a missing reason, a wrong
    ``return_to``), otherwise 409 (the case's state, the actor's level, the member's eligibility)."""
    if exc.problems and all(p.code in _INPUT_PROBLEMS for p in exc.problems):
        return problem_response(
            422,
            "The request was refused; see errors for each field.",
            code=ErrorCode.INVALID,
            title="Validation failed",
            errors=[(_INPUT_PROBLEMS[p.code], p.message_en) for p in exc.problems],
            problems=exc.problems,
        )
    return problem_response(
        409,
        "The case may not make this transition now; see problems for every reason.",
        code=ErrorCode.WORKFLOW,
        title="Transition refused",
        problems=exc.problems,
    )


def _on_problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return problem_response(exc.status, exc.detail, code=exc.code)


def _on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    # One message for "missing" and "outside your scope", whatever the lookup said.
    return problem_response(404, "No such record.")


def _on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = exc.message if exc.message != "Unauthorized" else "A valid bearer token is required."
    response = problem_response(401, detail, code=ErrorCode.INVALID_TOKEN)
    response["WWW-Authenticate"] = 'Bearer realm="partycard"'
    return response


def _on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    # Ninja's operation adds Retry-After from the throttle's wait(); it is set here too for safety.
    response = problem_response(
        429, "Too many requests for this token; retry later.", code=ErrorCode.RATE_LIMITED
    )
    if exc.wait is not None:
        response["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    return response


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja raises HttpError(400, "Cannot parse request body") for a body that is not JSON.
    return problem_response(exc.status_code, str(exc))


def _on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE (by its Content-Length, before
    # reading it); that is the client's request, not a server error.
    return problem_response(
        413,
        f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
        code=ErrorCode.TOO_LARGE,
    )


def _on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    # Too many fields, a malformed multipart body, …: Django's own refusals of a request, all a 400.
    return problem_response(400, "The request could not be read.")


def _on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return problem_response(500, "An unexpected error occurred. It has been logged.")


def install_handlers(api: NinjaAPI) -> None:
    """Register every exception → problem mapping on ``api`` (the most specific class wins)."""
    handlers: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
        Exception: _on_exception,
        Http404: _on_404,
        HttpError: _on_http_error,
        AuthenticationError: _on_authentication,
        Throttled: _on_throttled,
        NinjaValidationError: _on_ninja_validation,
        DjangoValidationError: _on_django_validation,
        DomainError: _on_domain,
        CaseError: _on_case_error,
        ApiProblem: _on_problem,
        RequestDataTooBig: _on_too_large,
        SuspiciousOperation: _on_suspicious,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)


@csrf_exempt  # the API authenticates by token, never by cookie: a POST to a wrong path is a 404 problem
def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under the API that no route matches."""
    return problem_response(404, "No such endpoint.")


def with_problem_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a Ninja path view so that its plain-text 405 becomes a problem (keeping ``Allow``)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(MEDIA_TYPE):
            problem = problem_response(405, f"{request.method} is not allowed here.")
            problem["Allow"] = response.get("Allow", "")
            return problem
        return response

    return wrapped
