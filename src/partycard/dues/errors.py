"""Refusals of the dues services: flat, named after what failed, each with a translated message."""

from __future__ import annotations

from django.utils.translation import gettext as _

from partycard.core.errors import DomainError, ErrorCode

__all__ = [
    "AlreadyPaid",
    "DuesError",
    "MonthNotEnded",
    "MonthNotStarted",
    "NotACell",
    "NotAwaitingConfirmation",
    "NotInTheCell",
]


class DuesError(DomainError):
    """The root of the dues refusals."""


class MonthNotStarted(DuesError):
    """Dues are paid for a month that has begun: a later month is a typing slip."""

    def __init__(self) -> None:
        super().__init__(_("Dues are recorded for the current month or an earlier one."), field="month")


class MonthNotEnded(DuesError):
    """A month is closed (its arrears recorded) only once it has ended."""

    def __init__(self) -> None:
        super().__init__(_("A month is closed only after it has ended."), field="month")


class NotACell(DuesError):
    def __init__(self) -> None:
        super().__init__(_("Dues are recorded by a party cell or a grassroots cell."), field="cell")


class NotInTheCell(DuesError):
    """The cell records the dues of its own members (the member's present cell)."""

    def __init__(self) -> None:
        super().__init__(_("This member does not belong to this cell."), field="member")


class AlreadyPaid(DuesError):
    """A member declares a month the cell already holds as paid."""

    def __init__(self) -> None:
        super().__init__(
            _("The cell has already recorded your dues for this month."),
            code=ErrorCode.CONFLICT,
            field="month",
        )


class NotAwaitingConfirmation(DuesError):
    """Only a member's declaration awaiting the cell is confirmed or refused."""

    def __init__(self) -> None:
        super().__init__(
            _("This payment is not a declaration awaiting the cell's confirmation."), code=ErrorCode.CONFLICT
        )
