"""Refusals of the losses services: flat, named after what failed, each with a translated message."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from partycard.core.errors import DomainError, ErrorCode
from partycard.losses.workflow import Problem

__all__ = [
    "CardNotReportable",
    "LossError",
    "MemberStillInParty",
    "NothingToRecover",
    "PhotoRefused",
    "StepRefused",
    "problem_message",
]


class LossError(DomainError):
    """The root of the losses app's refusals."""


class PhotoRefused(LossError):
    def __init__(self, code: str) -> None:
        self.problem_code = code
        messages = {
            "not_image": _("The file is not a photo: send a JPEG or PNG picture."),
            "wrong_format": _("Only JPEG or PNG photos are accepted."),
            "too_large": _("The photo is too large: at most 5 MB."),
            "too_many_pixels": _("The picture is too large in pixels (at most 24 megapixels)."),
            "too_small": _("The photo is too small: at least 160 × 240 pixels."),
            "not_portrait": _(
                "The photo must be a 2 × 3 cm portrait (upright, about two wide for three high)."
            ),
            "count": _("Send the two 2 × 3 cm photos."),
        }
        super().__init__(messages.get(code, code), code=ErrorCode.INVALID, field="photos")


class CardNotReportable(LossError):
    def __init__(self, why: str) -> None:
        messages = {
            "no_card": _("The member holds no card in use to report."),
            "not_members": _("This card is not the member's."),
            "open": _("This card is already reported; the case is under way."),
            "state": _("Only a card the member holds (in use) can be reported lost or damaged."),
            "new_card": _(
                "The member's new card is in use or on its way: it replaces the old card, which is not"
                " reissued."
            ),
        }
        super().__init__(messages[why], code=ErrorCode.CONFLICT, field="card")


def problem_message(problem: Problem) -> str:
    messages = {
        "wrong_state": _("The case is not at a stage that allows this step."),
        "wrong_level": _("Your level may not take this step for this member's case."),
        "not_decider": _("Only the standing committee directly above the grassroots decides."),
        "reason_required": _("A reason is required."),
        "card_not_handed_over": _("The new card has not been handed over yet."),
        "number_required": _("The number of the decision is required."),
    }
    return str(messages.get(problem.code, problem.code))


class StepRefused(LossError):
    """A step refused; ``problems`` lists every reason (codes)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(problem_message(p) for p in self.problems), code=ErrorCode.WORKFLOW)


class MemberStillInParty(LossError):
    def __init__(self) -> None:
        super().__init__(
            _("Only the card of a member who died, was expelled or removed, or resigned is recovered here."),
            code=ErrorCode.CONFLICT,
        )


class NothingToRecover(LossError):
    def __init__(self) -> None:
        super().__init__(
            _("This card is not waiting to be recovered (already recorded, or not revoked)."),
            code=ErrorCode.CONFLICT,
            field="card",
        )
