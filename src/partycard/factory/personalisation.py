"""Pass 1 at the manufacturer: open a batch, personalise a new chip for each card (its data groups, and
its key pair generated on the chip), print the cards, and sign the key report partycard needs to sign
each chip's EF.SOD over the DG15 the chip reported.

Resumable through the ledger (factory/ledger.py): a card recorded as done is never redone; a card begun
and not recorded (the run was killed) had its chip discarded, and is redone on a new chip. A batch whose
key report was written is refused as a replay, and so is another file carrying the same batch code.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization

from partycard.batches import (
    Batch,
    BatchCard,
    KeyLine,
    KeyReport,
    batch_decode,
    key_report_encode,
    sha256_hex,
)
from partycard.chip.errors import ChipError
from partycard.chip.lds import FID_DG14, FID_DG15, dg14_build, dg15_build
from partycard.chip.perso import KEY_REF_CA, PersoApplet, chip_state_save
from partycard.chip.personalise import (
    AppletTransport,
    chip_application_select,
    chip_can_write,
    chip_card_access_write,
    chip_file_read,
    chip_file_write,
    chip_key_generate,
    chip_serial_read,
)
from partycard.factory.errors import BatchReplayed, FileContentInvalid, UsageError
from partycard.factory.files import content_decode, report_write, sealed_open
from partycard.factory.ledger import BatchRecord, Ledger
from partycard.factory.workshop import Factory, atomic_write, safe_name
from partycard.printing.card import CardPrint, cards_pdf
from partycard.printing.errors import PrintingError
from partycard.printing.layout import layout_load

__all__ = ["Hook", "PersoSummary", "batch_personalise", "chip_discard"]

#: Called with (stage, card number) at fixed points, for tests that stop a run where a crash could:
#: "chip_written" (pass 1: the chip has its files and key, nothing is saved or recorded yet),
#: "chip_activated" (pass 2: EF.SOD written and the chip activated, not saved), "chip_saved" (pass 2:
#: the activated chip saved, the card not yet checked nor recorded).
Hook = Callable[[str, str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class PersoSummary:
    batch: str
    personalised: int
    spoiled: int
    discarded: int
    resumed: int  # cards found done by an earlier run
    key_report: str
    print_file: str


def _when(at: datetime) -> str:
    return at.isoformat()


def chip_discard(factory: Factory, number: str, serial: str) -> None:
    """Move card ``number``'s saved chip (if any) to ``spoiled/<serial>.chip``, for destruction."""
    source = factory.directory / "chips" / f"{number}.chip"
    if source.exists():
        source.replace(factory.path("spoiled", f"{serial}.chip"))


@dataclass(frozen=True)
class _Made:
    """What pass 1 wrote on a chip that the key report carries: DG15 and, for a batch /2, the chip's CA
    public point and the DG14 built from it."""

    dg15: bytes
    ca_key: bytes = b""
    dg14: bytes = b""


def _written(transport: AppletTransport, fid: int, content: bytes, name: str) -> None:
    chip_file_write(transport, fid, content)
    if chip_file_read(transport, fid, len(content)) != content:
        raise ChipError(f"{name} read back from the chip differs from what was written")


def _personalise_chip(chip: PersoApplet, card: BatchCard, version: int, hook: Hook | None) -> _Made:
    """Write the batch's data groups, generate the key on the chip, write DG15 from the public key it
    returned and read it back. For a batch /2 (ICAO 9303-11 §4.4, §6.2) also the CAN (PUT DATA DF21),
    EF.CardAccess in the MF, and the chip-authentication key generated on the chip (P2 01), whose public
    point goes into DG14 (9303-11 §9.2.5-9.2.6) written and read back; PACE is armed at ACTIVATE FILE."""
    transport = AppletTransport(chip)
    chip_application_select(transport)
    for fid, content in sorted(card.files.items()):
        chip_file_write(transport, fid, content)
    dg15 = dg15_build(chip_key_generate(transport))
    _written(transport, FID_DG15, dg15, "DG15")
    made = _Made(dg15)
    if version >= 2:
        chip_can_write(transport, card.print.can)
        chip_card_access_write(transport, card.card_access)
        ca_public = chip_key_generate(transport, KEY_REF_CA)
        dg14 = dg14_build(ca_public_key=ca_public)
        _written(transport, FID_DG14, dg14, "DG14")
        point = ca_public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        made = _Made(dg15, point, dg14)
    if hook is not None:
        hook("chip_written", card.number)
    return made


def _check_names(batch: Batch, name: str) -> None:
    try:
        safe_name(batch.code, "the batch code")
        for card in batch.cards:
            safe_name(card.number, "the card number")
    except ValueError as e:
        raise FileContentInvalid(f"{name}: {e}") from e


def _opened(ledger: Ledger, batch: Batch, sha: str, at: datetime) -> BatchRecord:
    record = ledger.batches.get(batch.code)
    if record is not None and record.sha256 != sha:
        raise BatchReplayed(
            f"batch {batch.code} was already received as another file (sha256 {record.sha256}): refused"
        )
    if record is not None and record.keys_sha256:
        raise BatchReplayed(f"batch {batch.code} was already personalised (key report at {record.keys_at})")
    if record is None:
        ledger.append("batch_opened", batch.code, _when(at), sha256=sha)
    return ledger.batches[batch.code]


def _print(factory: Factory, batch: Batch, record: BatchRecord, ledger: Ledger, at: datetime) -> str:
    """Render the personalised cards into ``print/<code>.pdf``; a card that cannot be printed is spoiled
    (found by rendering cards one by one only when the whole batch fails)."""
    layout = layout_load(batch.layout)
    while True:
        cards = [c for c in batch.cards if record.card(c.number).outcome == "personalised"]
        prints = [CardPrint(**asdict(c.print)) for c in cards]
        try:
            pdf = cards_pdf(prints, layout=layout) if prints else b""
            break
        except PrintingError:
            failed = 0
            for card, printed in zip(cards, prints, strict=True):
                try:
                    cards_pdf([printed], layout=layout)
                except PrintingError as e:
                    serial = record.card(card.number).serial
                    chip_discard(factory, card.number, serial)
                    ledger.append(
                        "card_spoiled",
                        batch.code,
                        _when(at),
                        number=card.number,
                        serial=serial,
                        reason=f"the card cannot be printed: {e}",
                        stage=1,
                    )
                    failed += 1
            if not failed:
                raise  # the batch fails as a whole though each card prints: not a card's fault
    path = factory.path("print", f"{batch.code}.pdf")
    atomic_write(path, pdf)
    return str(path)


def batch_personalise(
    factory: Factory,
    data: bytes,
    *,
    name: str,
    spoil: Mapping[str, str],
    at: datetime,
    progress: Callable[[str], None] = _quiet,
    hook: Hook | None = None,
) -> PersoSummary:
    """Pass 1 for the batch file ``data`` (named ``name`` in messages); see the module docstring.

    Args:
        spoil: card number → reason, for cards the line spoiled (they get no chip, or lose theirs).

    Raises:
        FactoryError subclasses: the file refused (with the exit code that names why), a replay, or
        ``spoil`` naming a card not in the batch.
    """
    ledger = factory.ledger()
    seen = ledger.by_file(sha := sha256_hex(data))
    if seen is not None and seen[0] == "batch" and seen[1].keys_sha256:
        raise BatchReplayed(f"{name} was already personalised as batch {seen[1].code} ({seen[1].keys_at})")
    batch = content_decode(batch_decode, sealed_open(data, factory=factory, at=at, name=name), name)
    _check_names(batch, name)
    unknown = sorted(set(spoil) - {card.number for card in batch.cards})
    if unknown:
        raise UsageError(f"--spoil names cards not in batch {batch.code}: {', '.join(unknown)}")
    try:
        layout = layout_load(batch.layout)
    except PrintingError as e:
        raise FileContentInvalid(f"{name}: card layout {batch.layout!r}: {e}") from e
    if batch.version >= 2 and not layout.prints("can"):
        # A PACE chip whose CAN is not on the card opens for no reader (ICAO 9303-11 §4.4).
        raise FileContentInvalid(f"{name}: card layout {batch.layout!r} does not print the CAN")
    record = _opened(ledger, batch, sha, at)
    when, total = _when(at), len(batch.cards)
    resumed = discarded = 0
    for index, card in enumerate(batch.cards, 1):
        done = record.card(card.number)
        interrupted = done.interrupted
        if interrupted is not None:
            ledger.append(
                "chip_discarded",
                batch.code,
                when,
                number=card.number,
                serial=interrupted,
                reason="interrupted: the run stopped before the chip was finished",
            )
            discarded += 1
            progress(f"[{index}/{total}] {card.number}: chip {interrupted} discarded (interrupted run)")
        if card.number in spoil and done.outcome != "spoiled":
            chip_discard(factory, card.number, done.serial)
            ledger.append(
                "card_spoiled",
                batch.code,
                when,
                number=card.number,
                serial=done.serial,
                reason=spoil[card.number],
                stage=1,
            )
            progress(f"[{index}/{total}] {card.number}: spoiled ({spoil[card.number]})")
            continue
        if done.outcome:
            resumed += 1
            continue
        chip = PersoApplet()
        serial = chip_serial_read(_selected(chip))
        ledger.append("card_started", batch.code, when, number=card.number, serial=serial)
        try:
            made = _personalise_chip(chip, card, batch.version, hook)
        except (ChipError, ValueError) as e:
            chip_state_save(chip, factory.path("spoiled", f"{serial}.chip"))
            ledger.append(
                "card_spoiled",
                batch.code,
                when,
                number=card.number,
                serial=serial,
                reason=f"personalisation failed: {e}",
                stage=1,
            )
            progress(f"[{index}/{total}] {card.number}: spoiled (personalisation failed: {e})")
            continue
        chip_state_save(chip, factory.path("chips", f"{card.number}.chip"))
        extra = (
            {"ca_key": made.ca_key.hex(), "dg14": made.dg14.hex(), "can": card.print.can}
            if batch.version >= 2
            else {}
        )
        ledger.append(
            "card_personalised",
            batch.code,
            when,
            number=card.number,
            serial=serial,
            dg15=made.dg15.hex(),
            **extra,
        )
        progress(f"[{index}/{total}] {card.number}: personalised, chip {serial}")
    print_file = _print(factory, batch, record, ledger, at)
    lines = tuple(_key_line(record, card.number) for card in batch.cards)
    report = KeyReport(
        batch=batch.code,
        batch_sha256=sha,
        report_id=secrets.token_hex(16),
        created_at=at,
        lines=lines,
        version=batch.version,  # a key report /2 answers a batch /2, /1 a batch /1
    )
    path = report_write(
        key_report_encode(report),
        factory=factory,
        ledger=ledger,
        name=f"{batch.code}.keys.p7s",
        event="keys_written",
        batch=batch.code,
        report_id=report.report_id,
        when=when,
        at=at,
    )
    outcomes = [line.outcome for line in lines]
    return PersoSummary(
        batch=batch.code,
        personalised=outcomes.count("personalised"),
        spoiled=outcomes.count("spoiled"),
        discarded=discarded,
        resumed=resumed,
        key_report=str(path),
        print_file=print_file,
    )


def _selected(chip: PersoApplet) -> AppletTransport:
    transport = AppletTransport(chip)
    chip_application_select(transport)
    return transport


def _key_line(record: BatchRecord, number: str) -> KeyLine:
    card = record.card(number)
    if card.outcome == "personalised":
        return KeyLine(
            number=number,
            outcome="personalised",
            reason="",
            chip_serial=card.serial,
            dg15=card.dg15,
            ca_key=card.ca_key,
            dg14=card.dg14,
        )
    return KeyLine(number=number, outcome="spoiled", reason=card.reason, chip_serial=card.serial, dg15=b"")
