"""Errors of the member's app: a device that cannot be registered or revoked."""

from __future__ import annotations

from partycard.core.errors import DomainError, ErrorCode

__all__ = ["DeviceError"]


class DeviceError(DomainError):
    """A device cannot be registered (not a member, a key already registered, no card in use) or revoked."""

    def __init__(
        self, message: str, *, code: ErrorCode = ErrorCode.CONFLICT, field: str | None = None
    ) -> None:
        super().__init__(message, code=code, field=field)
