"""The population database as partycard sees it: a ``Person`` per citizen ID, and the ``PopulationRegistry``
protocol any adapter implements (the HTTP client here; a direct link to the Ministry of Public Security's
service later, by the same protocol)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from partycard.nationalid.errors import BadAnswer

__all__ = ["FEMALE", "GENDERS", "MALE", "Person", "PopulationRegistry"]

# The same codes as partycard's ``registry.choices.Gender`` (this library may not import it).
MALE = "M"
FEMALE = "F"
GENDERS = frozenset({MALE, FEMALE})


@dataclass(frozen=True)
class Person:
    """What the population database answers for one citizen ID."""

    citizen_id: str
    full_name: str
    date_of_birth: dt.date
    gender: str  # MALE or FEMALE
    place_of_origin: str = ""
    deceased: bool = False
    date_of_death: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        """The API's JSON object of this person (docs/population.md)."""
        return {
            "citizen_id": self.citizen_id,
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth.isoformat(),
            "gender": self.gender,
            "place_of_origin": self.place_of_origin,
            "deceased": self.deceased,
            "date_of_death": self.date_of_death.isoformat() if self.date_of_death else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Person:
        """Read the API's JSON object of a person.

        Raises:
            BadAnswer: a field is missing or not of the documented form.
        """
        try:
            gender = str(data["gender"])
            if gender not in GENDERS:
                raise ValueError(f"gender {gender!r}")
            death = data.get("date_of_death")
            return cls(
                citizen_id=str(data["citizen_id"]),
                full_name=str(data["full_name"]),
                date_of_birth=dt.date.fromisoformat(str(data["date_of_birth"])),
                gender=gender,
                place_of_origin=str(data.get("place_of_origin") or ""),
                deceased=bool(data.get("deceased", False)),
                date_of_death=dt.date.fromisoformat(str(death)) if death else None,
            )
        except (KeyError, TypeError, ValueError) as e:
            raise BadAnswer(f"not a person record: {e}") from e


class PopulationRegistry(Protocol):
    """Look people up by citizen ID. ``None``: the database has no such citizen ID.

    Raises (both methods): a ``PopulationError`` when no answer could be had (``Unavailable``, ``Timeout``,
    ``RateLimited``, ``Unauthorized``, ``BadAnswer``).
    """

    def lookup(self, citizen_id: str) -> Person | None: ...

    def lookup_many(self, citizen_ids: Iterable[str]) -> dict[str, Person | None]:
        """Every ID asked, each with its person or ``None``; the adapter batches as its API allows."""
        ...
