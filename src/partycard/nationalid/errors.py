"""What can go wrong asking the national population database: one root, flat subclasses named after the
failure (STYLE.md rule 9). A record that is not found is an answer (``None``), not an error."""

from __future__ import annotations

__all__ = ["BadAnswer", "PopulationError", "RateLimited", "Timeout", "Unauthorized", "Unavailable"]


class PopulationError(Exception):
    """The root of every error of ``partycard.nationalid``."""


class Unavailable(PopulationError):
    """The service could not be reached, or kept answering 5xx after the client's bounded retries."""


class Timeout(Unavailable):
    """The service did not answer within the client's timeout, after the bounded retries."""


class RateLimited(PopulationError):
    """The service kept refusing with 429 after the bounded retries; ``retry_after`` is its last word."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unauthorized(PopulationError):
    """The service refused the bearer token (401/403): retrying cannot help."""


class BadAnswer(PopulationError):
    """The service answered something that is not the documented API (bad JSON, missing fields, 4xx)."""
