"""The stand-in population service's data, made from partycard's own members (issue 17): each member's
citizen ID, name, date of birth and gender, perturbed for a documented share of them
(``nationalid.standin.PROFILES``, chosen by the hash of the citizen ID) so that a check has differences
of every kind to find. Streamed: the 5.6 million members of the country never sit in memory at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from partycard.nationalid.registry import Person
from partycard.nationalid.standin import PROFILES, perturb, write_data
from partycard.registry.models import Member, Organisation

__all__ = ["standin_data_write"]


def standin_data_write(path: Path, *, profile: str = "realistic", root: Organisation | None = None) -> int:
    """Write the data file at ``path`` from the members (of ``root``'s subtree) that have a citizen ID;
    how many people it holds.

    Raises:
        KeyError: no such profile.
    """
    shares = PROFILES[profile]
    members = Member.objects.exclude(citizen_id__isnull=True).exclude(citizen_id="")
    if root is not None:
        members = members.filter(organisation__path__startswith=root.path)

    def people() -> Iterator[Person | None]:
        rows = members.order_by().values_list(
            "citizen_id", "full_name", "date_of_birth", "gender", "place_of_birth"
        )
        for citizen_id, name, born, gender, place in rows.iterator(chunk_size=20_000):
            yield perturb(Person(str(citizen_id), name, born, gender, place or ""), shares)

    return write_data(path, people())
