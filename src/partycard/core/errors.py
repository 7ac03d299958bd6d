"""Domain errors carried from services to the UI, API and CLI: a code, a field, and a translated message."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["DomainError", "ErrorCode", "FieldIssue", "RowIssue"]


class ErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    ALREADY_SEEDED = "already_seeded"
    TOO_MANY = "too_many"  # a bound on concurrent work reached: retry later (HTTP 429)


class DomainError(Exception):
    """A refused operation. ``message`` is already translated (Vietnamese in the UI)."""

    http_status = 400

    def __init__(
        self, message: str, *, code: ErrorCode = ErrorCode.INVALID, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


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
