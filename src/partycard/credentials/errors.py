"""Errors of the e-card app: an e-card that cannot be issued or changed."""

from __future__ import annotations

from partycard.core.errors import DomainError, ErrorCode

__all__ = ["CredentialError"]


class CredentialError(DomainError):
    """An e-card cannot be issued or changed; ``message`` says why (Vietnamese in the UI)."""

    http_status = 409

    def __init__(self, message: str, *, code: ErrorCode = ErrorCode.CONFLICT) -> None:
        super().__init__(message, code=code)
