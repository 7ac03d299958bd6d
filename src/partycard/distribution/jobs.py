"""Distribution's background jobs: sending and receiving shipments, the issuance register, the destruction.

Each is deterministic in its chunks (the targets are fixed in the job's parameters when it is made) and a
chunk's work commits with its ``JobChunk`` row (``jobs.runner``): a job killed half-way resumes with the
chunks not done, so a card is moved once, with one event, whatever the crash. A shipment leaves
"packing" (then "receiving") in the chunk that moves its last card.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partycard.cards.lifecycle import CardKind, CardTransition
from partycard.cards.models import Card
from partycard.cards.services import BulkMove, cards_receive, cards_send, cards_transition, problem_message
from partycard.core import clock
from partycard.distribution import documents, storage
from partycard.distribution.choices import ShipmentState
from partycard.distribution.models import (
    DestroyedCard,
    DestructionRecord,
    IssuanceRegister,
    Shipment,
    ShipmentCard,
)
from partycard.distribution.selectors import register_rows
from partycard.jobs.kinds import JobPage
from partycard.jobs.models import Job
from partycard.jobs.services import ChunkResult, Failure, register

__all__ = ["DESTROY", "RECEIVE", "REGISTER", "SEND", "register_kinds"]

SEND = "distribution.send"
RECEIVE = "distribution.receive"
REGISTER = "distribution.register"
DESTROY = "distribution.destroy"


def _size(job: Job) -> int:
    return int(job.params.get("chunk") or settings.PARTYCARD["JOB_CHUNK_SIZE"])


def _failures(move: BulkMove) -> list[Failure]:
    from django.utils import translation

    out = []
    for card_id, problems in sorted(move.refused.items()):
        with translation.override("vi"):
            vi = " ".join(problem_message(p) for p in problems)
        with translation.override("en"):
            en = " ".join(problem_message(p) for p in problems)
        out.append(Failure(card_id, vi, en))
    return out


class Send:
    """Move the cards of new shipments: ``pairs`` are (card id, shipment id), by shipment then card."""

    def chunk_count(self, job: Job) -> int:
        return math.ceil(len(job.params["pairs"]) / _size(job))

    def total(self, job: Job) -> int:
        return len(job.params["pairs"])

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        size = _size(job)
        pairs = job.params["pairs"][index * size : (index + 1) * size]
        by_shipment: dict[int, list[int]] = {}
        for card_id, shipment_id in pairs:
            by_shipment.setdefault(shipment_id, []).append(card_id)
        result = ChunkResult()
        for shipment_id, card_ids in by_shipment.items():
            shipment = (
                Shipment.objects.select_for_update().select_related("from_org", "to_org").get(pk=shipment_id)
            )
            move = cards_send(
                actor=job.actor, card_ids=card_ids, from_org=shipment.from_org, to_org=shipment.to_org
            )
            ShipmentCard.objects.bulk_create(
                ShipmentCard(shipment=shipment, card_id=pk) for pk in sorted(move.moved)
            )
            result.succeeded += len(move.moved)
            result.failures += _failures(move)
            Shipment.objects.filter(pk=shipment_id).update(
                count_sent=F("count_sent") - len(move.refused),
                count_pending=F("count_pending") - len(card_ids),
            )
            shipment.refresh_from_db()
            if shipment.count_pending == 0:
                shipment.state = ShipmentState.SENT
                shipment.sent_at = clock.now()
                shipment.save(update_fields=["state", "sent_at"])
        return result


class Receive:
    """Receive the cards of one shipment (those not reported missing), a slice per chunk."""

    def chunk_count(self, job: Job) -> int:
        return math.ceil(len(job.params["cards"]) / _size(job))

    def total(self, job: Job) -> int:
        return len(job.params["cards"])

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        size = _size(job)
        card_ids = job.params["cards"][index * size : (index + 1) * size]
        shipment = (
            Shipment.objects.select_for_update().select_related("to_org").get(pk=job.params["shipment"])
        )
        move = cards_receive(actor=job.actor, card_ids=card_ids, at_org=shipment.to_org)
        ShipmentCard.objects.filter(shipment=shipment, card_id__in=list(move.moved)).update(received=True)
        Shipment.objects.filter(pk=shipment.pk).update(
            count_received=F("count_received") + len(move.moved),
            count_pending=F("count_pending") - len(card_ids),
        )
        shipment.refresh_from_db()
        if shipment.count_pending == 0:
            shipment.state = ShipmentState.RECEIVED
            shipment.received_at = clock.now()
            shipment.save(update_fields=["state", "received_at"])
        return ChunkResult(succeeded=len(move.moved), failures=_failures(move))


class Register:
    """Write the issuance register's PDF and .xlsx (one chunk: a document is made whole or not at all)."""

    def chunk_count(self, job: Job) -> int:
        return 1

    def total(self, job: Job) -> int:
        return 1

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        register = IssuanceRegister.objects.select_related("committee").get(pk=job.params["register"])
        committee, today = register.committee, clock.today()
        rows = list(register_rows(committee))
        stem = f"so-phat-the/{committee.code}-{register.pk}"
        register.pdf_file, register.xlsx_file = f"{stem}.pdf", f"{stem}.xlsx"
        register.pdf_sha256 = storage.file_write(
            register.pdf_file, documents.register_pdf(committee=committee.name, made_on=today, rows=rows)
        )
        register.xlsx_sha256 = storage.file_write(
            register.xlsx_file, documents.register_xlsx(committee=committee.name, made_on=today, rows=rows)
        )
        register.rows = len(rows)
        register.save(update_fields=["pdf_file", "pdf_sha256", "xlsx_file", "xlsx_sha256", "rows"])
        return ChunkResult(succeeded=1)


class Destroy:
    """Destroy the recovered cards in chunks, then write the minutes (the last chunk)."""

    def _card_chunks(self, job: Job) -> int:
        return math.ceil(len(job.params["cards"]) / _size(job))

    def chunk_count(self, job: Job) -> int:
        return self._card_chunks(job) + 1

    def total(self, job: Job) -> int:
        return len(job.params["cards"])

    def run_chunk(self, job: Job, index: int) -> ChunkResult:
        record = DestructionRecord.objects.select_related("committee").get(pk=job.params["record"])
        if index < self._card_chunks(job):
            size = _size(job)
            card_ids = job.params["cards"][index * size : (index + 1) * size]
            move = cards_transition(
                actor=job.actor,
                card_ids=card_ids,
                transition=CardTransition.DESTROY,
                reason=f"minutes {record.pk}",
            )
            DestroyedCard.objects.bulk_create(
                DestroyedCard(record=record, card_id=pk) for pk in sorted(move.moved)
            )
            DestructionRecord.objects.filter(pk=record.pk).update(count=F("count") + len(move.moved))
            return ChunkResult(succeeded=len(move.moved), failures=_failures(move))
        cards = (
            Card.objects.filter(pk__in=DestroyedCard.objects.filter(record=record).values("card_id"))
            .select_related("member")
            .order_by("number")
        )
        rows = [
            documents.DestroyedRow(
                c.number, c.member.full_name, "thẻ cũ" if c.kind == CardKind.OLD else "thẻ mới"
            )
            for c in cards
        ]
        record.file = f"bien-ban-huy/{record.committee.code}-{record.pk}.pdf"
        record.sha256 = storage.file_write(
            record.file,
            documents.minutes_pdf(
                committee=record.committee.name,
                destroyed_on=record.destroyed_on,
                council=record.council,
                rows=rows,
            ),
        )
        record.save(update_fields=["file", "sha256"])
        return ChunkResult()


def _page(viewer: Any, job: Job, target_ids: Any) -> JobPage:
    """Failed targets are cards: named by number when the viewer may see them."""
    from partycard.accounts.roles import Action

    names = dict(
        Card.objects.scoped(viewer, Action.VIEW_CARD)
        .filter(pk__in=list(target_ids))
        .values_list("pk", "number")
    )
    return JobPage(back_url=reverse("distribution:home"), target_names=names)


def register_kinds() -> None:
    """Called from ``DistributionConfig.ready``."""
    register(SEND, Send(), label=_("Sending cards down the tree"), page=_page)
    register(RECEIVE, Receive(), label=_("Receiving a shipment of cards"), page=_page)
    register(REGISTER, Register(), label=_("Card issuance register"), page=_page)
    register(DESTROY, Destroy(), label=_("Destruction of recovered cards"), page=_page)
