"""Refusals of the meetings' services: flat, named after what failed, each with a translated message."""

from __future__ import annotations

from django.utils.translation import gettext as _

from partycard.core.errors import DomainError, ErrorCode

__all__ = [
    "MeetingClosed",
    "MeetingError",
    "MonthNotOver",
    "NotACell",
    "NotInTheCell",
]


class MeetingError(DomainError):
    """The root of the meetings' refusals."""


class NotACell(MeetingError):
    def __init__(self) -> None:
        super().__init__(_("Meetings are held by a party cell."), field="cell")


class MeetingClosed(MeetingError):
    def __init__(self) -> None:
        super().__init__(_("The meeting is closed."), code=ErrorCode.CONFLICT)


class NotInTheCell(MeetingError):
    def __init__(self) -> None:
        super().__init__(_("The member is not a member of this cell."), field="member")


class MonthNotOver(MeetingError):
    def __init__(self) -> None:
        super().__init__(_("A month is closed only once it is over."), field="month")
