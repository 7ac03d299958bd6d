"""Reads of the offline review: what the actor may hand out, the proposals they may see, a proposal's
rows as the page shows them. Each starts from ``objects.scoped(actor, action)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from partycard.accounts.roles import Action
from partycard.core.scope import get_scoped_or_404
from partycard.core.text import fold
from partycard.registry.models import Organisation
from partycard.review.fields import FIELDS, display
from partycard.review.models import ReviewImport
from partycard.review.services import REVIEWABLE_LEVELS, conflict_key

__all__ = ["ProposalRow", "proposal_rows", "review_import_get", "review_import_list", "reviewable_list"]

_FIELDS = {f.name: f for f in FIELDS}


def reviewable_list(actor: Any, *, query: str = "", limit: int = 200) -> list[Organisation]:
    """The open grassroots organisations and cells the actor may export a review of, in tree order; with
    ``query``, those whose code starts with it or whose name holds it (accents and case ignored): a
    province holds thousands."""
    found = Organisation.objects.scoped(actor, Action.EXPORT_REVIEW).filter(
        level__in=sorted(REVIEWABLE_LEVELS), dissolved_on__isnull=True
    )
    if query:
        found = found.filter(Q(code__startswith=query.upper()) | Q(name_search__contains=fold(query)))
    return list(found.order_by("path")[:limit])


def review_import_list(actor: Any, *, limit: int = 50) -> list[ReviewImport]:
    """The latest proposals in the actor's scope."""
    return list(
        ReviewImport.objects.scoped(actor, Action.IMPORT_REVIEW)
        .select_related("organisation", "export")
        .order_by("-imported_at", "-pk")[:limit]
    )


def review_import_get(actor: Any, pk: int, action: str = Action.IMPORT_REVIEW) -> ReviewImport:
    """A proposal in the actor's scope for ``action``; otherwise the 404 of a missing one."""
    return get_scoped_or_404(ReviewImport, actor, action, pk=pk)


@dataclass(frozen=True)
class ProposalRow:
    member: int
    name: str
    sheet: str
    row: int
    field: str
    header: str
    base: str
    ours: str
    theirs: str
    outcome: str
    key: str  # the conflict's decision key


def proposal_rows(review: ReviewImport) -> list[ProposalRow]:
    """Each proposed field change as shown: the Vietnamese header, the values as the workbook shows them."""
    rows = []
    for e in review.proposal.get("changes", []):
        f = _FIELDS[e["field"]]
        rows.append(
            ProposalRow(
                member=e["member"], name=e["name"], sheet=e["sheet"], row=e["row"], field=e["field"],
                header=f.header, base=display(f, e["base"]), ours=display(f, e["ours"]),
                theirs=display(f, e["theirs"]), outcome=e["outcome"],
                key=conflict_key(e["member"], e["field"]),
            )
        )  # fmt: skip
    return rows
