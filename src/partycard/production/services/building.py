"""Building a released batch's file, a chunk of cards at a time, then sealing it (pass one of two).

Each chunk (one job chunk, one transaction) reads its cards' members, takes each card's status entry
(the DG13 it will carry), builds DG1, DG2, DG13 and the print fields, writes them to the chunk's part
file, keeps each data group's hash on the card's ``BatchCard`` (what the SOD is signed over in pass
two: the photo is not kept in the database) and moves the cards into production. A chunk that re-runs
after a crash rewrites its part: the database rolled back with it, so no card moves twice. The seal reads
the parts in order, encodes the batch with its manifest, signs it with the document signer and encrypts
it to the manufacturer (``batches.seal``), then deletes the parts (docs/production.md).

A batch whose layout prints the CAN (v2) is a ``partycard-batch/2`` (issue 18): each card gets a CAN
drawn from the OS CSPRNG (chip/can.py), printed and written to the chip, and EF.CardAccess announcing
PACE with ``PARTYCARD["PACE_PARAMETER_ID"]`` (ICAO 9303-11 §9.2.1); its DG14 is left to the factory,
which builds it from the chip-authentication key the chip generates (reconciling.py signs over it). A
batch on a layout without a CAN slot (v1, planned before) is still a ``partycard-batch/1``: plain cards
with one central DG14, as before — a PACE chip whose CAN is not printed would open for no one.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import cbor2
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from partycard.audit.services import audit_record
from partycard.batches import Batch as BatchFile
from partycard.batches import BatchCard as FileCard
from partycard.batches import PrintFields, batch_encode
from partycard.cards.lifecycle import CardState, CardTransition
from partycard.cards.services import cards_move
from partycard.cards.status_lists import status_list_uri
from partycard.chip.can import can_generate
from partycard.chip.image import DEFAULT_PACE_PARAMETER_ID
from partycard.chip.lds import (
    FID_DG1,
    FID_DG2,
    FID_DG13,
    FID_DG14,
    CardData,
    dg1_build,
    dg2_build,
    dg13_build,
    dg14_build,
)
from partycard.chip.securityinfos import card_access_build
from partycard.core import clock
from partycard.core.bulk import rows_update
from partycard.exchange.services.chip_images import chip_card_data, chip_photo
from partycard.exchange.workflow import Problem
from partycard.jobs.kinds import ChunkResult, Failure
from partycard.printing.layout import layout_load
from partycard.production.errors import ProductionError
from partycard.production.models import Batch, BatchCard
from partycard.production.services.common import (
    batch_close_empty,
    problem,
    sealed_write,
    signing_open,
)
from partycard.production.storage import batch_dir, file_write, parts_dir, parts_remove
from partycard.registry.selectors import issuing_committee_name

__all__ = [
    "batch_build_chunk",
    "batch_file_path",
    "batch_format_version",
    "batch_seal",
    "dg_hashes_decode",
    "dg_hashes_encode",
]

# What a build chunk reads of each card, its member and cell (not the member's whole record).
_BUILD_FIELDS = (
    "seq",
    "outcome",
    "reason",
    "dg_hashes",
    "can",
    "card__number",
    "card__state",
    "card__member__full_name",
    "card__member__gender",
    "card__member__date_of_birth",
    "card__member__date_admitted",
    "card__member__date_official",
    "card__member__photo",
    "card__member__organisation__name",
    "card__member__organisation__path",
    "card__member__organisation__level",
)
_FIDS = {1: FID_DG1, 2: FID_DG2, 13: FID_DG13, 14: FID_DG14}


@functools.cache
def _dg14() -> bytes:
    return dg14_build()  # the same SecurityInfos on every card (AA with ECDSA, 9303-11 §6.1)


@functools.cache
def _layout_prints_can(layout: str) -> bool:
    return layout_load(layout).prints("can")


def batch_format_version(batch: Batch) -> int:
    """2 (PACE cards: a CAN, EF.CardAccess, the CA key on the chip) when the batch's layout prints the
    CAN, else 1 (plain cards, as before issue 18)."""
    return 2 if _layout_prints_can(batch.layout) else 1


def _card_access() -> bytes:
    # 9303-11 §9.2.1: one PACEInfo, id-PACE-ECDH-GM-AES-CBC-CMAC-128 v2, the setting's domain parameters.
    parameter_id = settings.PARTYCARD.get("PACE_PARAMETER_ID", DEFAULT_PACE_PARAMETER_ID)
    return card_access_build(parameter_id=parameter_id)


def dg_hashes_encode(files: dict[int, bytes]) -> bytes:
    """Each data group's number (1 byte) and SHA-256 (32 bytes), in number order."""
    return b"".join(bytes([n]) + hashlib.sha256(files[n]).digest() for n in sorted(files))


def dg_hashes_decode(data: bytes) -> dict[int, bytes]:
    data = bytes(data)
    if len(data) % 33:
        raise ValueError("stored data group hashes are not whole (number, SHA-256) pairs")
    return {data[i]: data[i + 1 : i + 33] for i in range(0, len(data), 33)}


def batch_file_path(batch: Batch) -> Any:
    return batch_dir(batch.code) / f"{batch.code}.batch.p7m"


def _part_path(batch: Batch, index: int) -> Any:
    return parts_dir(batch.code, "build") / f"{index:05d}.cbor"


def _problems_text(problems: Sequence[Problem]) -> tuple[str, str]:
    return "; ".join(p.message_vi or str(p) for p in problems), "; ".join(str(p) for p in problems)


def batch_build_chunk(*, actor: Any, batch_id: int, index: int, size: int) -> ChunkResult:
    """Build chunk ``index`` (cards ``index*size`` to the next chunk) of a batch being built: see the
    module docstring. A card whose data cannot go on a card (no photo in production, no official date)
    is left out of the batch, its number stays allocated, and the job lists it with the reason."""
    batch = Batch.objects.select_related("province").get(pk=batch_id)
    if batch.state != Batch.State.BUILDING:
        raise ProductionError([problem("wrong_state", _("The batch is not being built."))])
    at = batch.released_at or clock.now()
    rows = list(
        BatchCard.objects.filter(
            batch=batch, seq__gte=index * size, seq__lt=(index + 1) * size, outcome=BatchCard.Outcome.PENDING
        )
        .select_related("card__member__organisation")
        .only(*_BUILD_FIELDS)
        .order_by("seq")
    )
    _store, signer = signing_open(at)
    version = batch_format_version(batch)
    card_access = _card_access() if version >= 2 else b""
    committees: dict[str, str] = {}
    result = ChunkResult()
    ready: list[tuple[BatchCard, CardData, bytes]] = []
    for row in rows:
        card, member = row.card, row.card.member
        if card.state != CardState.ALLOCATED:  # revoked meanwhile (a death, an expulsion): not made
            row.outcome, row.reason = BatchCard.Outcome.REFUSED, f"state:{card.state}"
            result.failures.append(
                Failure(card.pk, _("The card is no longer waiting for production."), "card not allocated")
            )
            continue
        cell = member.organisation
        if cell.path not in committees:
            committees[cell.path] = issuing_committee_name(cell)
        data = chip_card_data(
            number=card.number, member=member, cell=cell, at=at, committee=committees[cell.path]
        )
        photo = chip_photo(member)
        problems = (data if isinstance(data, list) else []) + ([photo] if isinstance(photo, Problem) else [])
        if problems or isinstance(data, list) or isinstance(photo, Problem):
            vi, en = _problems_text(problems)
            row.outcome, row.reason = BatchCard.Outcome.REFUSED, ",".join(p.code for p in problems)[:200]
            result.failures.append(Failure(card.pk, vi, en))
            continue
        ready.append((row, data, photo))
    part: list[list[Any]] = []
    with transaction.atomic():
        # Into production, each card taking its status entry (SUSPENDED until its hand-over): DG13 names it.
        entries = cards_move(
            actor=actor,
            card_ids=[row.card_id for row, _data, _photo in ready],
            transition=CardTransition.START_PRODUCTION,
            reason=batch.code,
            status_signer_label=signer.label,
            at=at,
        )
        for row, data, photo in ready:
            list_id, status_index = entries[row.card_id]
            files = {
                1: dg1_build(data),
                2: dg2_build(photo),
                13: dg13_build(uri=status_list_uri(list_id), index=status_index),
            }
            if version == 1:
                files[14] = _dg14()
            else:
                row.can = can_generate()  # the OS CSPRNG, one per card (ICAO 9303-11 §4.4)
            row.dg_hashes = dg_hashes_encode(files)
            print_fields = [
                data.card_number,
                data.full_name,
                data.date_of_birth.isoformat(),
                data.gender,
                data.date_admitted.isoformat(),
                data.date_official.isoformat(),
                data.issuing_committee,
                data.issue_date.isoformat(),
                photo,
                row.can,
            ]
            files_by_fid = {_FIDS[n]: files[n] for n in files}
            part.append([row.seq, data.card_number, print_fields, files_by_fid, card_access])
        rows_update(
            BatchCard,
            ["outcome", "reason", "dg_hashes", "can"],
            ((r.pk, r.outcome, r.reason, r.dg_hashes, r.can) for r in rows),
        )
        file_write(_part_path(batch, index), cbor2.dumps(part))
    result.succeeded = len(ready)
    return result


def _file_cards(batch: Batch, chunks: int) -> list[FileCard]:
    from datetime import date

    cards: list[FileCard] = []
    for index in range(chunks):
        path = _part_path(batch, index)
        for _seq, number, p, files, card_access in cbor2.loads(path.read_bytes()) if path.exists() else []:
            fields = PrintFields(
                card_number=p[0],
                full_name=p[1],
                date_of_birth=date.fromisoformat(p[2]),
                gender=p[3],
                date_admitted=date.fromisoformat(p[4]),
                date_official=date.fromisoformat(p[5]),
                issuing_committee=p[6],
                issue_date=date.fromisoformat(p[7]),
                photo_jpeg=p[8],
                can=p[9],
            )
            files = {int(k): v for k, v in files.items()}
            cards.append(FileCard(number=number, print=fields, files=files, card_access=card_access))
    return cards


def batch_seal(*, actor: Any, batch_id: int, chunks: int, at: datetime | None = None) -> ChunkResult:
    """Seal a batch whose chunks are built: one signed, encrypted file; the parts deleted."""
    at = at or clock.now()
    with transaction.atomic():
        batch = Batch.objects.select_for_update().select_related("province").get(pk=batch_id)
        if batch.state != Batch.State.BUILDING:
            return ChunkResult()  # sealed already (a re-run after the commit)
        cards = _file_cards(batch, chunks)
        if not cards:  # every card was left out (the job lists why): nothing goes to the manufacturer
            batch.card_count = 0
            batch.save(update_fields=["card_count"])
            batch_close_empty(actor=actor, batch=batch, action="production.batch_seal", at=at)
        else:
            content = batch_encode(
                BatchFile(
                    code=batch.code,
                    province=batch.province.name,
                    layout=batch.layout,
                    created_at=at,
                    cards=tuple(cards),
                    version=batch_format_version(batch),
                )
            )
            batch.batch_sha256, batch.signer_label = sealed_write(
                content=content, path=batch_file_path(batch), at=at
            )
            batch.state, batch.card_count = Batch.State.SEALED, len(cards)
            batch.save(update_fields=["state", "batch_sha256", "signer_label", "card_count"])
            audit_record(
                actor=actor,
                action="production.batch_seal",
                obj=batch,
                changes={"cards": len(cards), "sha256": batch.batch_sha256, "signer": batch.signer_label},
            )
    parts_remove(batch.code, "build")
    return ChunkResult()
