"""The ``cursor`` query parameter of the keyset-paged lists, one definition per kind of cursor.

A client that builds its URL as ``?cursor=`` + the last page's ``next_cursor`` sends ``cursor=`` (empty)
for the first page: that is the first page, not a bad cursor (it was a 400). Each pattern is exactly what
the list can continue from, so that a cursor the schema allows is one the route accepts (schemathesis'
``positive_data_acceptance`` holds the API to it); the member list's is an opaque token, of which only the
shape can be said (one the server did not issue is a 400 ``bad-cursor``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

__all__ = ["CodeCursor", "IdCursor", "TokenCursor"]


def _empty_is_first_page(value: Any) -> Any:
    return None if value == "" else value


_FIRST_PAGE = BeforeValidator(_empty_is_first_page)

# An organisation code (registry.models.organisation.CODE_VALIDATOR): continue after it, in code order.
CodeCursor = Annotated[Annotated[str, Field(pattern=r"^([A-Z0-9][A-Z0-9-]{0,19})?$")] | None, _FIRST_PAGE]
# A case or target id: continue after it (one past the largest id is simply the end of the list).
IdCursor = Annotated[Annotated[str, Field(pattern=r"^[0-9]{0,19}$")] | None, _FIRST_PAGE]
# The member list's token (URL-safe base64 without padding, registry.selectors.encode_cursor).
TokenCursor = Annotated[
    Annotated[str, Field(max_length=200, pattern=r"^[A-Za-z0-9_-]*$")] | None, _FIRST_PAGE
]
