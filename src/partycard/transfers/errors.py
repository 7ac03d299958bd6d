"""Refusals of the transfers' services: flat, named after what failed, each with a translated message."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from partycard.core.errors import DomainError, ErrorCode
from partycard.transfers.workflow import Problem

__all__ = [
    "CardNotAccepted",
    "DestinationInvalid",
    "LetterUnsigned",
    "MemberNotTransferable",
    "StepRefused",
    "TransferError",
    "problem_message",
]


class TransferError(DomainError):
    """The root of the transfers' refusals."""


def problem_message(problem: Problem) -> str:
    """The officer's words for one ``workflow.Problem``."""
    return {
        Problem.WRONG_STATE: _("This step cannot be taken in the transfer's present state."),
        Problem.WRONG_SIDE: _("This step belongs to the other side of the transfer."),
        Problem.REASON_REQUIRED: _("Give the reason."),
        Problem.UNDER_INSPECTION: _(
            "The member is under inspection or complaint review: a member under inspection or complaint "
            "review is not transferred."
        ),
        Problem.DEADLINE_PASSED: _("The deadline of this step has passed."),
    }[problem]


class StepRefused(TransferError):
    """A step ``workflow.check`` refused; ``problems`` says why (each worded by :func:`problem_message`)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        field = "reason" if self.problems == [Problem.REASON_REQUIRED] else None
        super().__init__(
            " ".join(problem_message(p) for p in self.problems), code=ErrorCode.WORKFLOW, field=field
        )


class MemberNotTransferable(TransferError):
    """The member's standing forbids a transfer now (not an active member, under inspection, one open)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=ErrorCode.CONFLICT, field="member")


class DestinationInvalid(TransferError):
    """The destination cell does not fit the transfer (not a cell, dissolved, the same cell, or an internal
    transfer out of the grassroots organisation)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="to_cell")


class CardNotAccepted(TransferError):
    """The e-card shown is not valid, or not this member's valid card."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=ErrorCode.CONFLICT, field="qr")


class LetterUnsigned(TransferError):
    """The letter cannot be signed now (no key store, no usable document signer)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=ErrorCode.CONFLICT)
