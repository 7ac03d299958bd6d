"""The manufacturer's answers, checked line by line against the batch (pass two, and the end).

The key report says, for each card of a sealed batch, which chip it went on and the public key the chip
generated (DG15), or that it was spoiled. partycard then signs each personalised card's EF.SOD over the
data groups it put in the batch and that DG15, and seals them back to the manufacturer (a job). The
production report closes the batch: each card produced (the same chip, the same key) or spoiled.

A report is refused whole (nothing written) when it cannot be trusted or does not fit: not signed by the
registered manufacturer, not about a batch waiting for it, about another file than the one sent
(``batch_sha256``/``sod_sha256``), already imported (its id or its bytes: a replay), a line twice, a card
that is not in the batch, a key that is not a P-256 point or repeats. What is only incomplete is
imported and listed: a card missing from the report, or produced on another chip or key than reported,
is spoiled and made again in a later batch with the same number (``cards.lifecycle`` SPOIL).

A batch /2 (issue 18) is answered by a key report /2: each personalised chip also reports its
chip-authentication public key (generated on the chip) and the DG14 the factory wrote. partycard signs
only a DG14 it would have built itself for that key (``lds.dg14_build``: ActiveAuthenticationInfo and
the key's ChipAuthenticationInfo + ChipAuthenticationPublicKeyInfo, 9303-11 §9.2.5-9.2.6); anything
else in it (another key, an extra SecurityInfo) refuses the report whole (``dg14_mismatch``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import transaction
from django.utils.translation import gettext as _

from partycard.audit.services import audit_record
from partycard.batches import (
    BatchError,
    BatchFormatError,
    BatchSignatureError,
    KeyLine,
    SodCard,
    SodFile,
    key_report_decode,
    report_decode,
    sha256_hex,
    sod_file_encode,
    verify_report,
)
from partycard.cards.lifecycle import CardLevel, CardState, CardTransition
from partycard.cards.models import Card
from partycard.cards.services import cards_move
from partycard.chip.errors import ChipError
from partycard.chip.lds import DG_TAGS, com_build, dg14_build, dg15_parse
from partycard.chip.sod import SodSigner
from partycard.core import clock
from partycard.core.bulk import rows_update
from partycard.jobs.kinds import ChunkResult
from partycard.production.errors import ProductionError, ProductionProblem
from partycard.production.kinds import SOD, job_start
from partycard.production.models import Batch, BatchCard, ManufacturerFile
from partycard.production.services.building import dg_hashes_decode
from partycard.production.services.common import (
    batch_close_empty,
    batch_locked,
    centre_require,
    manufacturer_open,
    problem,
    sealed_write,
    signing_guard,
    signing_open,
)
from partycard.production.storage import batch_dir, file_write, parts_dir, parts_remove
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation

__all__ = [
    "MAX_REPORT_BYTES",
    "keys_import",
    "listed_message",
    "report_import",
    "sod_chunk",
    "sod_file_path",
    "sod_seal",
]

_R = TypeVar("_R")

MAX_REPORT_BYTES = 16 * 1024 * 1024  # 10,000 lines of ~200 bytes, signed: far below this


def listed_message(code: str) -> str:
    """What a listed (not refused) line of a report means, in the user's language."""
    messages = {
        "missing": _("The card is missing from the report: it is made again."),
        "wrong_key": _("Produced on another chip or key than reported: made again."),
        "card_ended": _("The card was revoked while it was being made: it is not sent down."),
    }
    return str(messages.get(code, code))


def sod_file_path(batch: Batch) -> Any:
    return batch_dir(batch.code) / f"{batch.code}.sod.p7m"


def _opened(data: bytes, at: datetime) -> tuple[bytes, str]:
    """The signed content of a manufacturer's file and the file's SHA-256, or ProductionError."""
    if len(data) > MAX_REPORT_BYTES:
        raise ProductionError([problem("too_large", _("The file is too large to be a report."))])
    digest = sha256_hex(data)
    if ManufacturerFile.objects.filter(sha256=digest).exists():
        raise ProductionError([problem("replayed", _("This file was already imported."))])
    signing_cert, _encryption = manufacturer_open(at)
    try:
        return verify_report(data, trusted=[signing_cert], at=at), digest
    except BatchSignatureError as e:
        raise ProductionError(
            [problem("signature", _("The file is not signed by the registered card manufacturer."))]
        ) from e
    except BatchError as e:
        raise ProductionError([problem("format", _("The file cannot be read: %(e)s") % {"e": e})]) from e


def _batch_for(actor: Any, code: str, state: str, file_hash: str, expected_hash_field: str) -> Batch:
    found = Batch.objects.filter(code=code).values_list("pk", flat=True).first()
    if found is None:
        raise ProductionError([problem("unknown_batch", _("The report names a batch that does not exist."))])
    batch = batch_locked(actor, found)
    if batch.state != state:
        raise ProductionError(
            [
                problem(
                    "wrong_state",
                    _("The batch is not waiting for this report (it is %(s)s).")
                    % {"s": batch.get_state_display()},
                )
            ]
        )
    if file_hash != getattr(batch, expected_hash_field):
        raise ProductionError(
            [problem("wrong_file", _("The report is about another file than the one sent for this batch."))]
        )
    return batch


def _decoded(decode: Callable[[bytes], _R], content: bytes, message: str) -> _R:
    """The report's content decoded, or refused with the decoder's reason (which field, which line)."""
    try:
        return decode(content)
    except BatchFormatError as e:
        raise ProductionError([problem("format", message % {"e": e})]) from e


def _rows(batch: Batch, outcome: str) -> dict[str, BatchCard]:
    """The batch's cards at ``outcome``, by card number."""
    rows = BatchCard.objects.filter(batch=batch, outcome=outcome).select_related("card")
    return {r.card.number: r for r in rows}


def _still_in_production(rows: list[BatchCard], listed: list[ProductionProblem]) -> list[BatchCard]:
    """The rows whose card is still in production; the others (revoked meanwhile: the member died or was
    expelled while the card was being made) are listed, and their card is left as it is: the physical
    card, if made, is destroyed with the revoked ones (docs/production.md)."""
    states = dict(Card.objects.filter(pk__in=[r.card_id for r in rows]).values_list("pk", "state"))
    kept = []
    for row in rows:
        if states.get(row.card_id) == CardState.IN_PRODUCTION:
            kept.append(row)
        else:
            listed.append(problem("card_ended", listed_message("card_ended"), row.card.number))
    return kept


def _replayed(report_id: str) -> None:
    if ManufacturerFile.objects.filter(report_id=report_id).exists():
        raise ProductionError([problem("replayed", _("A report with this id was already imported."))])


def _record(
    actor: Any,
    batch: Batch,
    kind: str,
    report_id: str,
    digest: str,
    lines: int,
    listed: list[ProductionProblem],
    at: datetime,
) -> ManufacturerFile:
    return ManufacturerFile.objects.create(
        batch=batch,
        kind=kind,
        report_id=report_id,
        sha256=digest,
        lines=lines,
        problems=[{"number": p.number, "code": p.code} for p in listed],
        imported_by=actor if getattr(actor, "pk", None) else None,
        imported_at=at,
    )


def _with_dg14(hashes: dict[int, bytes], dg14: bytes) -> bytes:
    """The stored hashes (building.dg_hashes_encode's layout) with the reported DG14's SHA-256 added."""
    hashes = {**hashes, 14: hashlib.sha256(dg14).digest()}
    return b"".join(bytes([n]) + hashes[n] for n in sorted(hashes))


def _ca_problems(line: KeyLine, dg15_point: bytes) -> list[ProductionProblem]:
    """A key report /2 line's chip-authentication key and DG14: a P-256 point (SEC 1 v2 §2.3.4), not the
    AA key, and DG14 exactly what partycard builds for it (so EF.SOD vouches for that key only)."""
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), line.ca_key)
    except ValueError:
        return [problem("bad_key", _("The chip's chip-authentication key cannot be read."), line.number)]
    if line.ca_key == dg15_point:
        # 9303-11 allows one key for both; partycard's chips keep two (docs/trust.md), so this is a fault.
        return [problem("duplicate_key", _("Two cards report the same chip key."), line.number)]
    if line.dg14 != dg14_build(ca_public_key=key):
        return [
            problem(
                "dg14_mismatch",
                _("The DG14 reported does not carry the chip's chip-authentication key."),
                line.number,
            )
        ]
    return []


def keys_import(
    *, actor: Any, data: bytes, at: datetime | None = None, enqueue: bool = True
) -> ManufacturerFile:
    """Import the manufacturer's key report of a sealed batch (see the module docstring); then the job
    that signs the personalised cards' SODs starts.

    Raises:
        ProductionError: the report is refused, with every reason (nothing is written then).
    """
    centre_require(actor)
    at = at or clock.now()
    content, digest = _opened(data, at)
    report = _decoded(key_report_decode, content, _("The key report cannot be read: %(e)s"))
    with transaction.atomic():
        batch = _batch_for(actor, report.batch, Batch.State.SEALED, report.batch_sha256, "batch_sha256")
        _replayed(report.report_id)
        rows = _rows(batch, BatchCard.Outcome.PENDING)
        # A batch /2's cards were given a CAN at the build; its key report must be a /2, and a /1's a /1.
        wanted = 2 if any(row.can for row in rows.values()) else 1
        if rows and report.version != wanted:
            raise ProductionError(
                [
                    problem(
                        "format",
                        _(
                            "The key report's format (version %(got)s) does not answer"
                            " this batch (version %(want)s)."
                        )
                        % {"got": report.version, "want": wanted},
                    )
                ]
            )
        refused: list[ProductionProblem] = []
        seen: set[str] = set()
        serials: set[str] = set()
        keys: set[bytes] = set()
        for line in report.lines:
            if line.number in seen:
                refused.append(problem("duplicate", _("The card appears twice in the report."), line.number))
                continue
            seen.add(line.number)
            if line.number not in rows:
                refused.append(problem("extra_card", _("The card is not in this batch."), line.number))
                continue
            if line.outcome != "personalised":
                continue
            try:
                aa_key = dg15_parse(line.dg15).public_key
            except ChipError:
                refused.append(
                    problem("bad_key", _("The chip's public key (DG15) cannot be read."), line.number)
                )
                continue
            if report.version >= 2:
                point = aa_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
                ca_problems = _ca_problems(line, point)
                if ca_problems:
                    refused += ca_problems
                    continue
                if line.ca_key in keys:
                    refused.append(
                        problem("duplicate_key", _("Two cards report the same chip key."), line.number)
                    )
                keys.add(line.ca_key)
            if not line.chip_serial or line.chip_serial in serials:
                refused.append(
                    problem("duplicate_serial", _("The chip serial is empty or repeated."), line.number)
                )
            if line.dg15 in keys:
                refused.append(
                    problem("duplicate_key", _("Two cards report the same chip key."), line.number)
                )
            serials.add(line.chip_serial)
            keys.add(line.dg15)
        if refused:
            raise ProductionError(refused)
        listed = [
            problem("missing", _("The card is missing from the report: it is made again."), number)
            for number in rows
            if number not in seen
        ]
        personalised, spoiled = [], []
        for line in report.lines:
            row = rows[line.number]
            if line.outcome == "personalised":
                row.outcome, row.chip_serial = BatchCard.Outcome.PERSONALISED, line.chip_serial
                row.dg15, row.aa_fingerprint = line.dg15, hashlib.sha256(line.dg15).hexdigest()
                if line.dg14:  # key report /2: the SOD will be signed over the chip's DG14 (9303-11 §6.2)
                    hashes = dg_hashes_decode(row.dg_hashes)
                    row.dg_hashes = _with_dg14(hashes, line.dg14)
                personalised.append(row)
            else:
                row.outcome, row.reason = BatchCard.Outcome.SPOILED, (line.reason or "spoiled")[:200]
                spoiled.append(row)
        for p in listed:
            row = rows[p.number]
            row.outcome, row.reason = BatchCard.Outcome.SPOILED, "missing_from_key_report"
            spoiled.append(row)
        rows_update(
            BatchCard,
            ["outcome", "reason", "chip_serial", "dg15", "aa_fingerprint", "dg_hashes"],
            (
                (r.pk, r.outcome, r.reason, r.chip_serial, r.dg15, r.aa_fingerprint, r.dg_hashes)
                for r in personalised + spoiled
            ),
        )
        moving = _still_in_production(spoiled, listed)
        for reason in sorted({r.reason for r in moving}):
            cards_move(
                actor=actor,
                card_ids=[r.card_id for r in moving if r.reason == reason],
                transition=CardTransition.SPOIL,
                reason=f"{batch.code}: {reason}",
                at=at,
            )
        file_write(batch_dir(batch.code) / f"{batch.code}.keys.p7s", data)
        record = _record(
            actor, batch, ManufacturerFile.Kind.KEYS, report.report_id, digest, len(report.lines), listed, at
        )
        batch.keys_sha256 = digest
        batch.spoiled = len(spoiled)
        batch.state = Batch.State.KEYS_IMPORTED
        batch.save(update_fields=["keys_sha256", "spoiled", "state"])
        audit_record(
            actor=actor,
            action="production.keys_import",
            obj=batch,
            changes={
                "report": report.report_id,
                "personalised": len(personalised),
                "spoiled": len(spoiled),
                "listed": len(listed),
            },
        )
        job_start(actor=actor, kind=SOD, batch=batch, enqueue=enqueue)
    return record


def _sod_part(batch: Batch, index: int) -> Any:
    return parts_dir(batch.code, "sod") / f"{index:05d}.cbor"


def sod_chunk(*, actor: Any, batch_id: int, index: int, size: int, at: datetime | None = None) -> ChunkResult:
    """Sign the SODs of chunk ``index`` of a batch's personalised cards (by place in the batch) over the
    hashes kept from pass one and the DG15 each chip reported; record each card's chip."""
    batch = Batch.objects.get(pk=batch_id)
    if batch.state != Batch.State.KEYS_IMPORTED:
        raise ProductionError([problem("wrong_state", _("The batch is not waiting for its chip data."))])
    at = at or clock.now()
    rows = list(
        BatchCard.objects.filter(
            batch=batch,
            seq__gte=index * size,
            seq__lt=(index + 1) * size,
            outcome=BatchCard.Outcome.PERSONALISED,
        )
        .select_related("card")
        .order_by("seq")
    )
    store, ds = signing_open(at)
    part: list[list[Any]] = []
    with signing_guard(store):  # every card of the chunk signed, or none recorded
        signer = SodSigner(store=store, signer_label=ds.label, signer_cert=ds.certificate)
        for row in rows:
            hashes = dg_hashes_decode(row.dg_hashes)
            hashes[15] = hashlib.sha256(bytes(row.dg15)).digest()
            sod = signer.build_hashed(hashes, at)
            com = com_build(tags=tuple(DG_TAGS[n] for n in sorted(hashes)))
            part.append([row.card.number, row.chip_serial, com, sod])
            row.sod_sha256 = hashlib.sha256(sod).hexdigest()
    with transaction.atomic():
        # The card records its chip once it is produced (report_import); the batch keeps the SOD's hash.
        rows_update(BatchCard, ["sod_sha256"], ((r.pk, r.sod_sha256) for r in rows))
        file_write(_sod_part(batch, index), cbor2.dumps(part))
    return ChunkResult(succeeded=len(rows))


def sod_seal(*, actor: Any, batch_id: int, chunks: int, at: datetime | None = None) -> ChunkResult:
    """Seal the batch's signed chip data back to the manufacturer."""
    at = at or clock.now()
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch_id)
        if batch.state != Batch.State.KEYS_IMPORTED:
            return ChunkResult()
        cards: list[SodCard] = []
        for index in range(chunks):
            path = _sod_part(batch, index)
            for number, serial, com, sod in cbor2.loads(path.read_bytes()) if path.exists() else []:
                cards.append(SodCard(number=number, chip_serial=serial, com=com, sod=sod))
        if not cards:  # every card was spoiled in pass one: they are back in the queue, the batch is done
            batch_close_empty(actor=actor, batch=batch, action="production.sod_seal", at=at)
        else:
            content = sod_file_encode(
                SodFile(batch=batch.code, keys_sha256=batch.keys_sha256, created_at=at, cards=tuple(cards))
            )
            batch.sod_sha256, _signer = sealed_write(content=content, path=sod_file_path(batch), at=at)
            batch.state = Batch.State.SOD_SEALED
            batch.save(update_fields=["sod_sha256", "state"])
            audit_record(
                actor=actor,
                action="production.sod_seal",
                obj=batch,
                changes={"cards": len(cards), "sha256": batch.sod_sha256},
            )
    parts_remove(batch.code, "sod")
    return ChunkResult()


def report_import(*, actor: Any, data: bytes, at: datetime | None = None) -> ManufacturerFile:
    """Import the production report that closes a batch: produced cards go to the Centre, ready to be
    sent down the tree; spoiled ones (and any missing or made on another chip than reported) go back to
    the queue, their status entry retired (their signed chip, should it survive, never verifies).

    Raises:
        ProductionError: the report is refused, with every reason (nothing is written then).
    """
    centre_require(actor)
    at = at or clock.now()
    content, digest = _opened(data, at)
    report = _decoded(report_decode, content, _("The production report cannot be read: %(e)s"))
    with transaction.atomic():
        batch = _batch_for(actor, report.batch, Batch.State.SOD_SEALED, report.sod_sha256, "sod_sha256")
        _replayed(report.report_id)
        rows = _rows(batch, BatchCard.Outcome.PERSONALISED)
        # A card spoiled in pass one may be reported spoiled again (the report covers the whole batch).
        spoiled_before = set(
            BatchCard.objects.filter(batch=batch, outcome=BatchCard.Outcome.SPOILED).values_list(
                "card__number", flat=True
            )
        )
        refused: list[ProductionProblem] = []
        seen: set[str] = set()
        for line in report.lines:
            if line.number in seen:
                refused.append(problem("duplicate", _("The card appears twice in the report."), line.number))
            elif line.number in spoiled_before and line.outcome != "produced":
                pass
            elif line.number not in rows:
                refused.append(
                    problem("extra_card", _("The card is not waiting in this batch."), line.number)
                )
            seen.add(line.number)
        if refused:
            raise ProductionError(refused)
        listed: list[ProductionProblem] = []
        produced, spoiled = [], []
        for line in report.lines:
            row = rows.get(line.number)
            if row is None:  # spoiled in pass one, and reported so again
                continue
            if line.outcome == "produced" and (line.chip_serial, line.aa_fingerprint) != (
                row.chip_serial,
                row.aa_fingerprint,
            ):
                listed.append(
                    problem(
                        "wrong_key",
                        _("Produced on another chip or key than reported: made again."),
                        line.number,
                    )
                )
                row.outcome, row.reason = BatchCard.Outcome.SPOILED, "wrong_key"
                spoiled.append(row)
            elif line.outcome == "produced":
                row.outcome = BatchCard.Outcome.PRODUCED
                produced.append(row)
            else:
                row.outcome, row.reason = BatchCard.Outcome.SPOILED, (line.reason or "spoiled")[:200]
                spoiled.append(row)
        for number, row in rows.items():
            if number not in seen:
                listed.append(
                    problem("missing", _("The card is missing from the report: it is made again."), number)
                )
                row.outcome, row.reason = BatchCard.Outcome.SPOILED, "missing_from_report"
                spoiled.append(row)
        rows_update(
            BatchCard, ["outcome", "reason"], ((r.pk, r.outcome, r.reason) for r in produced + spoiled)
        )
        centre = Organisation.objects.filter(level=OrgLevel.CENTRE).order_by("path").first()
        made = _still_in_production(produced, listed)
        spoiled_moving = _still_in_production(spoiled, listed)
        cards_move(
            actor=actor,
            card_ids=[r.card_id for r in made],
            chips={r.card_id: (r.aa_fingerprint, r.sod_sha256) for r in made},
            transition=CardTransition.MARK_PRODUCED,
            reason=batch.code,
            level=CardLevel.CENTRE,
            holder_id=centre.pk if centre else None,
            at=at,
        )
        for reason in sorted({r.reason for r in spoiled_moving}):
            cards_move(
                actor=actor,
                card_ids=[r.card_id for r in spoiled_moving if r.reason == reason],
                transition=CardTransition.SPOIL,
                reason=f"{batch.code}: {reason}",
                retire_status=True,
                at=at,
            )
        file_write(batch_dir(batch.code) / f"{batch.code}.report.p7s", data)
        record = _record(
            actor,
            batch,
            ManufacturerFile.Kind.REPORT,
            report.report_id,
            digest,
            len(report.lines),
            listed,
            at,
        )
        batch.report_sha256 = digest
        batch.produced = len(produced)
        batch.spoiled += len(spoiled)
        batch.state = Batch.State.CLOSED
        batch.closed_at = at
        batch.save(update_fields=["report_sha256", "produced", "spoiled", "state", "closed_at"])
        audit_record(
            actor=actor,
            action="production.report_import",
            obj=batch,
            changes={
                "report": report.report_id,
                "produced": len(produced),
                "spoiled": len(spoiled),
                "listed": len(listed),
            },
        )
    return record
