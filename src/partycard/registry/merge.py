"""The three-way merge of a member's fields, shared by the offline review workbook and the party-database
sync (issue 17): what came back (``theirs``) against what was sent out or last synchronised (``base``) and
what the record holds now (``ours``).

The rule is diff3's, field by field: a field only one side changed takes that side's value; a field both
sides changed to the same value is that value; a field both changed differently is a conflict an officer
decides. Pure: values are compared as given (the caller normalises them, e.g. dates as ``date``, blanks as
None), so that "unchanged" means equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["FieldMerge", "Outcome", "merge_fields"]


class Outcome(StrEnum):
    UNCHANGED = "unchanged"  # neither side changed it (or both to the same value, already held)
    OURS = "ours"  # only partycard changed it since the base: keep the record's value
    THEIRS = "theirs"  # only the returned copy changed it: take it
    SAME = "same"  # both changed it, to the same value: nothing to apply
    CONFLICT = "conflict"  # both changed it, differently: an officer decides


@dataclass(frozen=True)
class FieldMerge:
    field: str
    base: Any
    ours: Any
    theirs: Any
    outcome: Outcome

    @property
    def applies(self) -> bool:
        """Whether taking the merge (without a decision) writes ``theirs`` to the record."""
        return self.outcome is Outcome.THEIRS


def merge_fields(
    base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any], fields: Iterable[str]
) -> list[FieldMerge]:
    """One :class:`FieldMerge` per field of ``fields`` (a field missing from a mapping is None there)."""
    merged = []
    for name in fields:
        b, o, t = base.get(name), ours.get(name), theirs.get(name)
        if o == t:
            outcome = Outcome.UNCHANGED if o == b else Outcome.SAME
        elif t == b:
            outcome = Outcome.OURS
        elif o == b:
            outcome = Outcome.THEIRS
        else:
            outcome = Outcome.CONFLICT
        merged.append(FieldMerge(name, b, o, t, outcome))
    return merged
