"""Errors of the printing library: a root, :class:`PrintingError`, flat subclasses named after the failure."""

from __future__ import annotations

__all__ = ["CardDataError", "LayoutError", "PhotoError", "PrintingError"]


class PrintingError(Exception):
    """Root of every error raised by ``partycard.printing``."""


class LayoutError(PrintingError, ValueError):
    """A layout file that is missing, not JSON, or has a key that is absent or of the wrong shape.

    ``key`` is the dotted path of the offending key (``front.fields[2].size_pt``), so the designer who
    edited the file sees at once where it is wrong.
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


class CardDataError(PrintingError, ValueError):
    """A card whose data cannot be printed as given: an unknown gender code, a character the fonts lack."""


class PhotoError(PrintingError, ValueError):
    """A member photo that is not a readable image."""
