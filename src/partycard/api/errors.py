"""Errors of the API layer: a refusal that is not a validation error, and the problem ``type`` URIs.

``problems.py`` maps these, and every other exception, to ``application/problem+json``.
"""

from __future__ import annotations

__all__ = ["ApiProblem", "ProblemType"]


class ProblemType:
    """The ``type`` URIs partycard defines (``about:blank`` = nothing beyond the HTTP status)."""

    BLANK = "about:blank"
    VALIDATION = "urn:partycard:problem:validation"
    INVALID_TOKEN = "urn:partycard:problem:invalid-token"  # noqa: S105 - a URI, not a secret
    RATE_LIMITED = "urn:partycard:problem:rate-limited"
    BAD_CURSOR = "urn:partycard:problem:bad-cursor"
    FORBIDDEN = "urn:partycard:problem:forbidden"
    WORKFLOW = "urn:partycard:problem:workflow"  # a case may not make this transition now
    TOO_MANY_JOBS = "urn:partycard:problem:too-many-jobs"  # the user's bound on jobs queued or running
    TOO_LARGE = "urn:partycard:problem:too-large"  # a request body over DATA_UPLOAD_MAX_MEMORY_SIZE


class ApiProblem(Exception):
    """Raised by routes for a refusal that is not a validation error (403, 400 bad cursor, 404)."""

    def __init__(self, status: int, detail: str, *, type: str = ProblemType.BLANK) -> None:
        super().__init__(detail)
        self.status, self.detail, self.type = status, detail, type
