"""One list of error codes (``core.errors.ErrorCode``), each with its HTTP status; every app's refusal is a
``DomainError`` with a code, and the pages and the API answer with the code's status."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory

from partycard.api.errors import problem_type
from partycard.core.errors import HTTP_STATUS, DomainError, ErrorCode
from partycard.core.middleware import RequestGuardMiddleware
from partycard.core.scope import OutOfScope
from partycard.credentials.errors import CredentialError
from partycard.exchange.services import CaseError, ChipImageError
from partycard.exchange.workflow import Problem
from partycard.jobs.errors import TooManyJobs

PROBLEMS = [
    Problem("wrong_state", "Wrong state.", (), "Sai trạng thái."),
    Problem("not_eligible", "No.", (), "Không."),
]


def test_every_code_has_an_http_status() -> None:
    assert set(HTTP_STATUS) == set(ErrorCode)


def test_a_domain_error_answers_with_its_codes_status_unless_its_class_fixes_one() -> None:
    assert DomainError("x").http_status == 400
    assert DomainError("x", code=ErrorCode.CONFLICT).http_status == 409
    assert DomainError("x", code=ErrorCode.NOT_FOUND).http_status == 404


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (OutOfScope(), ErrorCode.NOT_FOUND, 404),
        (TooManyJobs(3), ErrorCode.TOO_MANY, 429),
        (CredentialError("x"), ErrorCode.CONFLICT, 409),
        (CaseError(PROBLEMS), ErrorCode.WORKFLOW, 409),
        (ChipImageError(PROBLEMS), ErrorCode.WORKFLOW, 409),
    ],
)
def test_each_apps_refusal_is_a_domain_error_with_a_code(
    error: DomainError, code: ErrorCode, status: int
) -> None:
    assert isinstance(error, DomainError)
    assert (error.code, error.http_status) == (code, status)
    assert HTTP_STATUS[code] == status  # the class agrees with its code


def test_a_case_error_keeps_its_problems_and_its_message() -> None:
    error = CaseError(PROBLEMS)
    assert error.problems == PROBLEMS
    assert str(error) == error.message == "Wrong state.; No."


def test_a_refused_transition_that_reaches_a_page_is_a_409_page_not_a_500() -> None:
    guard = RequestGuardMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]
    request = RequestFactory().get("/doi-the/ho-so/1/")
    response = guard.process_exception(request, CaseError(PROBLEMS))
    assert response is not None and response.status_code == 409
    with pytest.raises(Http404):
        guard.process_exception(request, OutOfScope())
    assert guard.process_exception(request, ValueError("not ours")) is None


def test_the_api_problem_types_clients_rely_on_are_unchanged() -> None:
    """docs/api.md lists these URIs; the codes they come from may be named otherwise."""
    assert problem_type(ErrorCode.INVALID) == "urn:partycard:problem:validation"
    assert problem_type(ErrorCode.TOO_MANY) == "urn:partycard:problem:too-many-jobs"
    assert problem_type(ErrorCode.WORKFLOW) == "urn:partycard:problem:workflow"
    assert problem_type(ErrorCode.BAD_CURSOR) == "urn:partycard:problem:bad-cursor"
    assert problem_type(ErrorCode.NOT_FOUND) == problem_type(None) == "about:blank"
