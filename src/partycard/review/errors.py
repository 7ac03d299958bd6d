"""The review's refusals: a returned workbook refused with every reason (sheet, row, column)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from partycard.core.errors import DomainError, ErrorCode
from partycard.review.workbook import SheetProblem

__all__ = ["WorkbookProblems"]


class WorkbookProblems(DomainError):
    """A returned workbook is refused; ``problems`` lists every reason, in the order of the sheets."""

    def __init__(self, problems: Sequence[SheetProblem], message: str | None = None) -> None:
        super().__init__(
            message
            or _("The workbook was refused: %(count)d problem(s) to correct.") % {"count": len(problems)},
            code=ErrorCode.INVALID,
            field="file",
        )
        self.problems = list(problems)
