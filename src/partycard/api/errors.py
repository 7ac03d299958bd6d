"""Errors of the API layer: a refusal that is not a validation error, and the problem ``type`` URIs.

The codes are ``core.errors.ErrorCode`` (one list for the whole project); this module only names the
``type`` URI the API gives some of them. ``problems.py`` maps these, and every other exception, to
``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from partycard.core.errors import ErrorCode

__all__ = ["BLANK", "ApiProblem", "problem_type"]

BLANK = "about:blank"  # nothing beyond the HTTP status (RFC 9457 section 4.2.1)

# The URIs clients rely on (docs/api.md): stable even where a code's name differs. A code not here
# (not_found, conflict) is about:blank: its HTTP status says it all.
_TYPES: Mapping[ErrorCode, str] = MappingProxyType(
    {
        ErrorCode.INVALID: "urn:partycard:problem:validation",
        ErrorCode.INVALID_TOKEN: "urn:partycard:problem:invalid-token",
        ErrorCode.RATE_LIMITED: "urn:partycard:problem:rate-limited",
        ErrorCode.BAD_CURSOR: "urn:partycard:problem:bad-cursor",
        ErrorCode.FORBIDDEN: "urn:partycard:problem:forbidden",
        ErrorCode.WORKFLOW: "urn:partycard:problem:workflow",  # a case may not make this transition now
        ErrorCode.TOO_MANY: "urn:partycard:problem:too-many-jobs",  # a user's bound on jobs queued or running
        ErrorCode.TOO_LARGE: "urn:partycard:problem:too-large",  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE
    }
)


def problem_type(code: ErrorCode | None) -> str:
    """The problem ``type`` URI of ``code`` (``about:blank`` for none)."""
    return _TYPES.get(code, BLANK) if code is not None else BLANK


class ApiProblem(Exception):
    """Raised by routes for a refusal that is not a validation error (403, 400 bad cursor, 404)."""

    def __init__(self, status: int, detail: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code = status, detail, code
