"""Pass 2 at the manufacturer: open the SOD file partycard signed over our key report, write EF.COM and
EF.SOD into each chip, end its personalisation, check it as a reader would, and sign the production
report.

The SOD file must answer *our* key report (``keys_sha256`` is the hash of the file we wrote) and may
only name cards we reported as personalised, each with the chip serial we reported. A card whose EF.SOD
is missing, names another chip, or fails the check (factory/check.py) is spoiled with the reason and its
chip set aside for destruction; partycard puts its number in the next batch. Resumable like pass 1: a
card recorded as produced or spoiled is not touched again, and a chip already activated by a killed run
is only checked.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from partycard.batches import (
    ProductionReport,
    ReportLine,
    report_encode,
    sha256_hex,
    sod_file_decode,
)
from partycard.chip.errors import ChipError
from partycard.chip.lds import FID_COM, FID_SOD
from partycard.chip.perso import LifeCycle, chip_state_load, chip_state_save
from partycard.chip.personalise import (
    AppletTransport,
    chip_activate,
    chip_application_select,
    chip_file_write,
)
from partycard.factory.check import chip_check
from partycard.factory.errors import BatchReplayed, SodMismatch
from partycard.factory.files import content_decode, report_write, sealed_open
from partycard.factory.ledger import BatchRecord, CardRecord
from partycard.factory.personalisation import Hook, chip_discard
from partycard.factory.workshop import Factory

__all__ = ["FinishSummary", "batch_finish"]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class FinishSummary:
    batch: str
    produced: int
    spoiled: int
    resumed: int
    report: str


def _record(factory: Factory, sha: str, batch: str, keys_sha256: str, name: str) -> BatchRecord:
    record = factory.ledger().batches.get(batch)
    if record is None or not record.keys_sha256:
        raise SodMismatch(f"{name} is for batch {batch}, for which this factory wrote no key report")
    if record.report_sha256:
        raise BatchReplayed(f"batch {batch} was already finished (production report at {record.report_at})")
    if keys_sha256 != record.keys_sha256:
        raise SodMismatch(
            f"{name} answers key report {keys_sha256}, but ours for batch {batch} is {record.keys_sha256}"
        )
    if record.sod_sha256 and record.sod_sha256 != sha:
        raise BatchReplayed(f"another SOD file for batch {batch} was already received: refused")
    return record


def _finish_chip(factory: Factory, card: CardRecord, com: bytes, sod: bytes, hook: Hook | None) -> None:
    path = factory.directory / "chips" / f"{card.number}.chip"
    chip = chip_state_load(path)
    if chip.life_cycle is LifeCycle.OPERATIONAL:
        return  # activated by a run killed before it recorded the card: only the check remains
    transport = AppletTransport(chip)
    chip_application_select(transport)
    chip_file_write(transport, FID_COM, com)
    chip_file_write(transport, FID_SOD, sod)
    chip_activate(transport)
    if hook is not None:
        hook("chip_activated", card.number)
    chip_state_save(chip, path)
    if hook is not None:
        hook("chip_saved", card.number)


def batch_finish(
    factory: Factory,
    data: bytes,
    *,
    name: str,
    at: datetime,
    progress: Callable[[str], None] = _quiet,
    hook: Hook | None = None,
) -> FinishSummary:
    """Pass 2 for the SOD file ``data``; see the module docstring.

    Raises:
        FactoryError subclasses: the file refused, a replay, or a file that does not answer our report.
    """
    root, _signing, _encryption = factory.trusted()
    sha = sha256_hex(data)
    seen = factory.ledger().by_file(sha)
    if seen is not None and seen[0] == "sod" and seen[1].report_sha256:
        raise BatchReplayed(f"{name} was already finished as batch {seen[1].code} ({seen[1].report_at})")
    sod_file = content_decode(sod_file_decode, sealed_open(data, factory=factory, at=at, name=name), name)
    record = _record(factory, sha, sod_file.batch, sod_file.keys_sha256, name)
    personalised = {number: card for number, card in record.cards.items() if card.outcome == "personalised"}
    strangers = [card.number for card in sod_file.cards if card.number not in personalised]
    if strangers:
        raise SodMismatch(f"{name} has cards we did not report as personalised: {', '.join(strangers)}")
    ledger, when = factory.ledger(), at.isoformat()
    if not record.sod_sha256:
        ledger.append("sod_opened", record.code, when, sha256=sha)
    sent = {card.number: card for card in sod_file.cards}
    resumed, total = 0, len(personalised)
    for index, (number, card) in enumerate(personalised.items(), 1):
        if card.final:
            resumed += 1
            continue
        item = sent.get(number)
        reasons: list[str]
        if item is None:
            reasons = ["partycard sent no EF.SOD for this card"]
        elif item.chip_serial != card.serial:
            reasons = [f"the SOD file names chip {item.chip_serial}, the card has chip {card.serial}"]
        else:
            try:
                _finish_chip(factory, card, item.com, item.sod, hook)
                chip = chip_state_load(factory.directory / "chips" / f"{number}.chip")
                reasons = chip_check(
                    AppletTransport(chip),
                    root=root,
                    at=at,
                    dg15=card.dg15,
                    sod=item.sod,
                    can=card.can,
                    dg14=card.dg14,
                )
            except (ChipError, OSError) as e:  # a refused command, a damaged or missing chip file
                reasons = [f"the chip could not be finished: {e}"]
        fingerprint = sha256_hex(card.dg15)
        if reasons:
            reason = "; ".join(reasons)
            chip_discard(factory, number, card.serial)
            ledger.append(
                "card_spoiled", record.code, when, number=number, serial=card.serial, reason=reason, stage=2
            )
            progress(f"[{index}/{total}] {number}: spoiled ({reason})")
        else:
            ledger.append(
                "card_produced",
                record.code,
                when,
                number=number,
                serial=card.serial,
                aa_fingerprint=fingerprint,
            )
            progress(f"[{index}/{total}] {number}: produced, chip {card.serial}")
    record = ledger.batches[record.code]
    lines = tuple(_report_line(card) for card in record.cards.values())
    report = ProductionReport(
        batch=record.code, sod_sha256=sha, report_id=secrets.token_hex(16), created_at=at, lines=lines
    )
    path = report_write(
        report_encode(report),
        factory=factory,
        ledger=ledger,
        name=f"{record.code}.report.p7s",
        event="report_written",
        batch=record.code,
        report_id=report.report_id,
        when=when,
        at=at,
    )
    outcomes = [line.outcome for line in lines]
    return FinishSummary(
        batch=record.code,
        produced=outcomes.count("produced"),
        spoiled=outcomes.count("spoiled"),
        resumed=resumed,
        report=str(path),
    )


def _report_line(card: CardRecord) -> ReportLine:
    if card.outcome != "personalised":  # spoiled in pass 1: no chip left the line
        return ReportLine(
            number=card.number,
            outcome="spoiled",
            reason=card.reason,
            chip_serial=card.serial,
            aa_fingerprint="",
        )
    fingerprint = sha256_hex(card.dg15)
    if card.final == "produced":
        return ReportLine(
            number=card.number,
            outcome="produced",
            reason="",
            chip_serial=card.serial,
            aa_fingerprint=fingerprint,
        )
    return ReportLine(
        number=card.number,
        outcome="spoiled",
        reason=card.final_reason,
        chip_serial=card.serial,
        aa_fingerprint=fingerprint,
    )
