"""Refusals of distribution's services: flat, named after what failed, each with a translated message."""

from __future__ import annotations

from django.utils.translation import gettext as _

from partycard.core.errors import DomainError, ErrorCode

__all__ = [
    "DistributionError",
    "NotStandingHere",
    "NotTheReceiver",
    "NothingToDo",
    "ShipmentNotOpen",
    "UnknownNumbers",
    "WrongCell",
]


class DistributionError(DomainError):
    """The root of distribution's refusals."""


class NotStandingHere(DistributionError):
    """The actor is not the officer acting for this organisation at this step."""

    def __init__(self) -> None:
        super().__init__(
            _("Only the officer of this organisation, in the role acting at its level, takes this step."),
            code=ErrorCode.CONFLICT,
        )


class NotTheReceiver(DistributionError):
    def __init__(self) -> None:
        super().__init__(
            _("Only the organisation the shipment was sent to receives it."), code=ErrorCode.CONFLICT
        )


class ShipmentNotOpen(DistributionError):
    def __init__(self) -> None:
        super().__init__(
            _("This shipment is not waiting to be received (still being packed, or already received)."),
            code=ErrorCode.CONFLICT,
        )


class NothingToDo(DistributionError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code=ErrorCode.CONFLICT)


class UnknownNumbers(DistributionError):
    """Card numbers given on receipt that do not fit: a "missing" card not on the shipment, or an "extra"
    card that is on it."""

    def __init__(self, field: str, numbers: list[str]) -> None:
        self.numbers = numbers
        message = (
            _("Not on this shipment: %(numbers)s.")
            if field == "missing_numbers"
            else _("Already on this shipment (not extra): %(numbers)s.")
        )
        super().__init__(message % {"numbers": ", ".join(numbers)}, field=field)


class WrongCell(DistributionError):
    def __init__(self) -> None:
        super().__init__(
            _("The card is not waiting at this cell for one of its members."), code=ErrorCode.CONFLICT
        )
