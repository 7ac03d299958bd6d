"""Planning batches and releasing them: the Centre groups accepted cards by province and approves the
card layout's proof before a batch goes to the manufacturer (issue 14; docs/production.md)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.cards.lifecycle import CardKind, CardState
from partycard.cards.models import Card
from partycard.core import clock
from partycard.core.scope import scope_require
from partycard.jobs.models import Job
from partycard.printing.card import CardPrint, proof_pdf
from partycard.printing.layout import layout_load, layout_versions
from partycard.production.errors import ProductionError
from partycard.production.kinds import BUILD, job_start
from partycard.production.models import Batch, BatchCard, LayoutApproval
from partycard.production.services.common import batch_locked, centre_require, problem
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation
from partycard.registry.models.organisation import PATH_SEPARATOR

__all__ = [
    "OPEN_OUTCOMES",
    "batch_release",
    "batches_plan",
    "layout_approve",
    "layout_proof",
    "province_path",
    "specimen",
]

# A card in a batch with one of these outcomes is with the manufacturer: no other batch takes it.
OPEN_OUTCOMES = (BatchCard.Outcome.PENDING, BatchCard.Outcome.PERSONALISED)


def province_path(path: str) -> str:
    """The path of the committee directly under the Centre above ``path`` ("TW.P01.…" → "TW.P01.")."""
    parts = path.split(PATH_SEPARATOR)
    return PATH_SEPARATOR.join(parts[:2]) + PATH_SEPARATOR


def specimen() -> CardPrint:
    """The made-up member printed on every proof (never a real member's data)."""
    from partycard.exchange.services.chip_images import photo_placeholder

    return CardPrint(
        card_number="0000000000",
        full_name="Nguyễn Thị Mẫu",
        date_of_birth=date(1980, 1, 1),
        gender="F",
        date_admitted=date(2005, 5, 19),
        date_official=date(2006, 5, 19),
        issuing_committee="Đảng ủy phường Mẫu",
        issue_date=date(2026, 9, 2),
        photo_jpeg=photo_placeholder(),
        can="000000",  # a layout with a CAN slot (v2) prints one; never a real card's
    )


def layout_proof(layout: str) -> bytes:
    """The proof page of ``layout`` (an A4 PDF with the specimen): what an officer approves.

    Raises:
        ProductionError: no such layout version.
    """
    if layout not in layout_versions():
        raise ProductionError([problem("no_layout", _("No such card layout version."))])
    return proof_pdf(layout=layout_load(layout), sample=specimen())


@transaction.atomic
def layout_approve(*, actor: Any, layout: str, proof_sha256: str) -> LayoutApproval:
    """The Centre approves the proof it was shown (``proof_sha256`` of the page it viewed), so a layout
    changed after the page was viewed is not approved by mistake.

    Raises:
        ProductionError: not the Centre; no such layout; the proof changed since it was viewed.
    """
    centre_require(actor)
    current = hashlib.sha256(layout_proof(layout)).hexdigest()
    if proof_sha256 != current:
        raise ProductionError(
            [problem("proof_changed", _("The proof changed since it was viewed: view it again."))]
        )
    approval, created = LayoutApproval.objects.get_or_create(
        layout=layout,
        defaults={
            "proof_sha256": current,
            "approved_by": actor if getattr(actor, "pk", None) else None,
            "approved_at": clock.now(),
        },
    )
    if created:
        audit_record(
            actor=actor, action="production.layout_approve", obj=approval, changes={"layout": layout}
        )
    return approval


def _max_size() -> int:
    return int(settings.PARTYCARD.get("BATCH_MAX_CARDS", 2000))


@transaction.atomic
def batches_plan(
    *, actor: Any, layout: str, size: int | None = None, province: Organisation | None = None
) -> list[Batch]:
    """Group the accepted cards not with the manufacturer into batches of one province each, at most
    ``size`` cards (``BATCH_MAX_CARDS``); a card spoiled earlier is planned again with its number.

    Cards are taken in number order, so a province's batches follow one another; the batch code is the
    province's code and a serial. Returns the new batches (none when nothing waits).

    Raises:
        ProductionError: not the Centre; a size outside 1..BATCH_MAX_CARDS; no such layout.
    """
    if province is not None:
        scope_require(actor, Action.CHANGE_BATCH, province)
    centre_require(actor)
    size = size or _max_size()
    if not 1 <= size <= _max_size():
        raise ProductionError([problem("size", _("A batch holds 1 to %(n)s cards.") % {"n": _max_size()})])
    if layout not in layout_versions():
        raise ProductionError([problem("no_layout", _("No such card layout version."))])
    # One planner at a time (the Centre's row is the lock): two at once would offer the same cards, and
    # the second would be refused by the one-open-batch constraint instead of finding nothing to plan.
    list(Organisation.objects.select_for_update().filter(level=OrgLevel.CENTRE).values_list("pk", flat=True))
    open_rows = BatchCard.objects.filter(card_id=OuterRef("pk"), outcome__in=OPEN_OUTCOMES)
    waiting = (
        Card.objects.filter(kind=CardKind.NEW, state=CardState.ALLOCATED)
        .exclude(Exists(open_rows))
        .order_by("number")
    )
    if province is not None:
        waiting = waiting.filter(path__startswith=province.path)
    provinces = {
        o.path: o
        for o in Organisation.objects.filter(level=OrgLevel.CENTRAL_COMMITTEE).only("pk", "path", "code")
    }
    groups: dict[str, list[int]] = {}
    for pk, path in waiting.values_list("pk", "path").iterator(chunk_size=5000):
        groups.setdefault(province_path(path), []).append(pk)
    at, made = clock.now(), []
    for path in sorted(groups):
        org = provinces.get(path)
        if org is None:
            continue  # a card outside every province (the Centre's own cell): not a province's batch
        ids = groups[path]
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            batch = Batch.objects.create(
                code=f"tmp-{org.pk}-{start}-{at.timestamp()}",
                province=org,
                path=org.path,
                layout=layout,
                card_count=len(chunk),
                created_by=actor if getattr(actor, "pk", None) else None,
                created_at=at,
            )
            batch.code = f"{org.code}-{batch.pk:06d}"
            batch.save(update_fields=["code"])
            _batch_cards_insert(batch.pk, chunk)
            audit_record(
                actor=actor,
                action="production.batch_plan",
                obj=batch,
                changes={"code": batch.code, "province": org.pk, "cards": len(chunk), "layout": layout},
            )
            made.append(batch)
    return made


def _batch_cards_insert(batch_id: int, card_ids: list[int]) -> None:
    """The batch's cards in their order (``seq`` from 0). On PostgreSQL one INSERT … SELECT FROM unnest WITH
    ORDINALITY: 2,000 model instances cost more to build than the rows cost to write."""
    if connection.vendor != "postgresql":
        BatchCard.objects.bulk_create(
            (BatchCard(batch_id=batch_id, card_id=pk, seq=n) for n, pk in enumerate(card_ids)),
            batch_size=2000,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BatchCard._meta.db_table} (batch_id, card_id, seq, outcome, reason, dg_hashes,"  # noqa: S608 - names from the model
            " chip_serial, aa_fingerprint, dg15, sod_sha256, can)"
            " SELECT %s, c, n - 1, %s, '', ''::bytea, '', '', ''::bytea, '', ''"
            " FROM unnest(%s::bigint[]) WITH ORDINALITY AS u(c, n)",
            [batch_id, BatchCard.Outcome.PENDING.value, card_ids],
        )


def batch_release(*, actor: Any, batch: Batch | int, enqueue: bool = True) -> Job:
    """The Centre releases a planned batch: its file is built (a background job: chunks of cards, then
    the seal) once the batch's card layout has an approved proof.

    Raises:
        ProductionError: not the Centre; the batch is not planned; its layout's proof is not approved.
        OutOfScope: the batch or its province is outside the actor's scope.
    """
    with transaction.atomic():
        locked = batch_locked(actor, batch)  # the scope first: outside it, the same 404 as a missing one
        centre_require(actor)
        problems = []
        if locked.state != Batch.State.PLANNED:
            problems.append(problem("wrong_state", _("Only a planned batch is released.")))
        if not LayoutApproval.objects.filter(layout=locked.layout).exists():
            problems.append(
                problem("layout_not_approved", _("The card layout's proof has not been approved yet."))
            )
        if problems:
            raise ProductionError(problems)
        locked.state = Batch.State.BUILDING
        locked.released_by = actor if getattr(actor, "pk", None) else None
        locked.released_at = clock.now()
        locked.save(update_fields=["state", "released_by", "released_at"])
        audit_record(
            actor=actor, action="production.batch_release", obj=locked, changes={"state": "building"}
        )
        return job_start(actor=actor, kind=BUILD, batch=locked, enqueue=enqueue)
