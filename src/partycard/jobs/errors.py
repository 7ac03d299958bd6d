"""Errors of the job framework: a refused start."""

from __future__ import annotations

from django.utils.translation import gettext

from partycard.core.errors import DomainError, ErrorCode

__all__ = ["TooManyJobs"]


class TooManyJobs(DomainError):
    """The actor already has ``limit`` jobs queued or running (settings ``JOBS_PER_USER``): a 429, since
    the same request succeeds once one of them has finished."""

    http_status = 429

    def __init__(self, limit: int) -> None:
        super().__init__(
            gettext(
                "This account already has %(n)d background jobs waiting or running. "
                "Wait for one of them to finish, then start this one again."
            )
            % {"n": limit},
            code=ErrorCode.TOO_MANY,
        )
        self.limit = limit
