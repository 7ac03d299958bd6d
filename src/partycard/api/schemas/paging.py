"""The ``cursor`` query parameter of the keyset-paged lists, one definition for every list.

A client that builds its URL as ``?cursor=`` + the last page's ``next_cursor`` sends ``cursor=`` (empty)
for the first page; that is the first page, not a bad cursor (it was a 400).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints

__all__ = ["Cursor20", "Cursor200"]

_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


def _empty_is_first_page(value: Any) -> Any:
    return None if value == "" else value


# The cursors: an organisation code or a case/target id (20), a member's name and id (200).
Cursor20 = Annotated[
    Annotated[str, StringConstraints(max_length=20, pattern=_NO_NUL)] | None,
    BeforeValidator(_empty_is_first_page),
]
Cursor200 = Annotated[
    Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] | None,
    BeforeValidator(_empty_is_first_page),
]
