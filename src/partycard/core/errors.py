"""Domain errors carried from services to the UI, API and CLI: a code, a field, and a translated message.

``ErrorCode`` is the one list of refusal codes, the apps' and the API edge's alike: each app's errors
(``OutOfScope``, ``TooManyJobs``, ``CredentialError``, ``CaseError``, ``SigningUnavailable``) carry one,
the pages (``core.middleware``) and the API (``api.problems``, which names its problem ``type`` after the
code) answer with its HTTP status (``HTTP_STATUS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = ["HTTP_STATUS", "DomainError", "ErrorCode", "FieldIssue", "RowIssue"]


class ErrorCode(StrEnum):
    # Refusals of a service (DomainError and its subclasses).
    INVALID = "invalid"  # an input refused: its field says which (the API: a 422 validation problem)
    NOT_FOUND = "not_found"  # missing, or outside the actor's scope: the same answer (core.scope)
    CONFLICT = "conflict"  # the rows as they stand forbid it (a dissolved cell, a revoked e-card, no signer)
    ALREADY_SEEDED = "already_seeded"  # ``partycard seed`` on a registry that holds data
    TOO_MANY = "too_many"  # a bound on concurrent work reached (a user's jobs): retry later
    WORKFLOW = "workflow"  # a case may not make this transition now; ``CaseError.problems`` says why
    # Refusals at the API's edge (api.problems), before any service is called.
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - a code, not a secret
    FORBIDDEN = "forbidden"  # the role may not do this anywhere
    BAD_CURSOR = "bad_cursor"  # a list cursor this API did not hand out
    RATE_LIMITED = "rate_limited"
    TOO_LARGE = "too_large"  # a request body over DATA_UPLOAD_MAX_MEMORY_SIZE


#: The HTTP status of each code, on a page and in the API (the API answers INVALID with 422: its fields).
HTTP_STATUS: Mapping[ErrorCode, int] = MappingProxyType(
    {
        ErrorCode.INVALID: 400,
        ErrorCode.NOT_FOUND: 404,
        ErrorCode.CONFLICT: 409,
        ErrorCode.ALREADY_SEEDED: 409,
        ErrorCode.TOO_MANY: 429,
        ErrorCode.WORKFLOW: 409,
        ErrorCode.INVALID_TOKEN: 401,
        ErrorCode.FORBIDDEN: 403,
        ErrorCode.BAD_CURSOR: 400,
        ErrorCode.RATE_LIMITED: 429,
        ErrorCode.TOO_LARGE: 413,
    }
)


class DomainError(Exception):
    """A refused operation. ``message`` is already translated (Vietnamese in the UI).

    ``http_status`` is the code's (``HTTP_STATUS``) unless a subclass fixes its own.
    """

    http_status: int = 0  # 0: the code's

    def __init__(
        self, message: str, *, code: ErrorCode = ErrorCode.INVALID, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        if not self.http_status:
            self.http_status = HTTP_STATUS[code]


@dataclass(frozen=True)
class FieldIssue:
    """One reason a value was refused: the field and the message."""

    field: str
    message: str


@dataclass
class RowIssue:
    """Every reason one input row (1-based, as a spreadsheet shows it) was refused."""

    row: int
    issues: list[FieldIssue] = field(default_factory=list)
