"""Refusals of the population app's services: flat, named after what failed, each with a translated
message (core/errors.py ``DomainError``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from partycard.core.errors import DomainError, ErrorCode

__all__ = [
    "CheckRunning",
    "NoteRequired",
    "NothingToCorrect",
    "PopulationAppError",
    "TaskClosed",
    "WrongField",
]


class PopulationAppError(DomainError):
    """The root of the population app's refusals."""


class CheckRunning(PopulationAppError):
    def __init__(self) -> None:
        super().__init__(
            _("A population check of this organisation (or one above or below it) is already under way."),
            code=ErrorCode.CONFLICT,
            field="organisation",
        )


class TaskClosed(PopulationAppError):
    def __init__(self) -> None:
        super().__init__(_("This task is already resolved."), code=ErrorCode.CONFLICT)


class NoteRequired(PopulationAppError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Say in a note why the record is right as it is (for example: the population database is "
                "wrong, and the commune police were told)."
            ),
            code=ErrorCode.INVALID,
            field="note",
        )


class NothingToCorrect(PopulationAppError):
    def __init__(self) -> None:
        super().__init__(
            _("Nothing was changed. Correct at least one field, or confirm the record with a note."),
            code=ErrorCode.INVALID,
        )


class WrongField(PopulationAppError):
    def __init__(self, field: str, message: str = "") -> None:
        super().__init__(
            message or _("This field cannot be corrected here."), code=ErrorCode.INVALID, field=field
        )
