"""``partycard-factory show``: a plain-text summary of a batch, key report, SOD file, production report or
saved chip, for the operator (no personal data beyond card numbers: names and photos stay in the file).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import cbor2

from partycard.batches import (
    BATCH_FORMAT,
    BATCH_FORMAT_1,
    KEYS_FORMAT,
    KEYS_FORMAT_1,
    REPORT_FORMAT,
    SOD_FORMAT,
    batch_decode,
    key_report_decode,
    report_decode,
    sod_file_decode,
)
from partycard.chip.lds import dg15_build
from partycard.chip.perso import PersoApplet
from partycard.factory.errors import FileMalformed
from partycard.factory.files import content_decode, report_open, sealed_open
from partycard.factory.workshop import Factory

__all__ = ["chip_summary", "file_summary"]


def _counts(outcomes: Iterable[str]) -> str:
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(Counter(outcomes).items())) or "no lines"


def chip_summary(data: bytes) -> list[str]:
    """A saved chip (chip/perso.py): serial, life cycle, files, the AA key's fingerprint."""
    chip = PersoApplet.from_state(data)
    lines = [f"chip {chip.serial}", f"life cycle: {chip.life_cycle.name.lower()}"]
    key = chip.public_key
    if key is not None:
        lines.append(f"AA key (sha256 of DG15): {hashlib.sha256(dg15_build(key)).hexdigest()}")
    for fid, content in sorted(chip.files.items()):
        lines.append(f"  EF {fid:04X}: {len(content)} bytes")
    return lines


def _content(raw: bytes, factory: Factory, at: datetime, name: str) -> bytes:
    try:
        return report_open(raw, factory=factory, at=at, name=name)
    except FileMalformed:
        return sealed_open(raw, factory=factory, at=at, name=name)


def file_summary(path: Path, *, factory: Factory, at: datetime) -> list[str]:
    """Open any of the four files (verifying and, for partycard's, decrypting) and summarise it."""
    name, raw = path.name, path.read_bytes()
    content = _content(raw, factory, at, name)
    try:
        kind: Any = cbor2.loads(content).get("format")
    except Exception:  # decode below names the problem
        kind = None
    if kind in (BATCH_FORMAT, BATCH_FORMAT_1):
        batch = content_decode(batch_decode, content, name)
        return [
            f"batch {batch.code} ({batch.province}), format /{batch.version}, layout {batch.layout},"
            f" created {batch.created_at:%Y-%m-%d %H:%M}",
            f"{len(batch.cards)} cards: {', '.join(c.number for c in batch.cards[:5])}"
            + (" ..." if len(batch.cards) > 5 else ""),
        ]
    if kind in (KEYS_FORMAT, KEYS_FORMAT_1):
        keys = content_decode(key_report_decode, content, name)
        return [
            f"key report /{keys.version} {keys.report_id} for batch {keys.batch},"
            f" created {keys.created_at:%Y-%m-%d %H:%M}",
            f"batch file sha256 {keys.batch_sha256}",
            _counts(line.outcome for line in keys.lines),
            *(
                f"  {line.number}: {line.outcome} {line.chip_serial} {line.reason}".rstrip()
                for line in keys.lines
            ),
        ]
    if kind == SOD_FORMAT:
        sods = content_decode(sod_file_decode, content, name)
        return [
            f"SOD file for batch {sods.batch}, created {sods.created_at:%Y-%m-%d %H:%M}",
            f"answers key report sha256 {sods.keys_sha256}",
            f"{len(sods.cards)} cards",
            *(f"  {card.number}: chip {card.chip_serial}" for card in sods.cards),
        ]
    if kind == REPORT_FORMAT:
        report = content_decode(report_decode, content, name)
        return [
            f"production report {report.report_id} for batch {report.batch}, "
            f"created {report.created_at:%Y-%m-%d %H:%M}",
            f"SOD file sha256 {report.sod_sha256}",
            _counts(line.outcome for line in report.lines),
            *(
                f"  {line.number}: {line.outcome} {line.chip_serial} {line.reason}".rstrip()
                for line in report.lines
            ),
        ]
    raise FileMalformed(f"{name} is not a batch, key report, SOD file or production report")
