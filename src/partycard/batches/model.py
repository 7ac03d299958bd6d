"""The content of the four files exchanged with the manufacturer (docs/production.md, "The batch files"):
plain frozen dataclasses, one per CBOR map, named as in the contract both sides build on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "BATCH_FILES",
    "BATCH_FORMAT",
    "BATCH_FORMAT_1",
    "KEYS_FORMAT",
    "KEYS_FORMAT_1",
    "KEY_OUTCOMES",
    "MAX_BATCH_BYTES",
    "MAX_CARDS",
    "REPORT_FORMAT",
    "REPORT_OUTCOMES",
    "REQUIRED_BATCH_FILES",
    "SOD_FORMAT",
    "Batch",
    "BatchCard",
    "KeyLine",
    "KeyReport",
    "PrintFields",
    "ProductionReport",
    "ReportLine",
    "SodCard",
    "SodFile",
]

# Version 2 (issue 18) carries each card's CAN and EF.CardAccess and no DG14: the chip generates its
# chip-authentication key in pass 1 and the factory builds DG14 from it, reported in the key report /2.
# Version 1 (cards read in plain, one central DG14) is still read, for batches already out.
BATCH_FORMAT = "partycard-batch/2"
BATCH_FORMAT_1 = "partycard-batch/1"
KEYS_FORMAT = "partycard-keys/2"
KEYS_FORMAT_1 = "partycard-keys/1"
SOD_FORMAT = "partycard-sod/1"
REPORT_FORMAT = "partycard-report/1"

MAX_BATCH_BYTES = 512 * 1024 * 1024  # any one file, before sealing
MAX_CARDS = 10_000  # cards in a batch, lines in a report

# Pass 1 carries the chip files partycard can write before the chip exists (9303-10 Table 39 FIDs):
# DG1 0101, DG2 0102, DG14 010E (version 1 only) and, optionally, DG13 010D. DG15 (the chip's own AA
# key), EF.SOD (signed over DG15) and EF.COM (which lists DG15) only exist after the key report: they come
# in pass 2. In version 2 DG14 carries the chip's CA key, so it too is the factory's (key report /2).
REQUIRED_BATCH_FILES = frozenset({0x0101, 0x0102, 0x010E})
BATCH_FILES = REQUIRED_BATCH_FILES | {0x010D}
REQUIRED_BATCH_FILES_2 = frozenset({0x0101, 0x0102})
BATCH_FILES_2 = REQUIRED_BATCH_FILES_2 | {0x010D}

KEY_OUTCOMES = frozenset({"personalised", "spoiled"})
REPORT_OUTCOMES = frozenset({"produced", "spoiled"})


@dataclass(frozen=True)
class PrintFields:
    """What is printed on the card body (dates are calendar dates; the photo is the JPEG printed)."""

    card_number: str
    full_name: str
    date_of_birth: date
    gender: str  # "M" or "F"
    date_admitted: date
    date_official: date
    issuing_committee: str
    issue_date: date
    photo_jpeg: bytes
    can: str = ""  # version 2: the card access number, printed and written to the chip (chip/can.py)

    def __repr__(self) -> str:  # the CAN opens the chip and the photo is personal: neither in a log line
        return f"PrintFields(card_number={self.card_number!r})"


@dataclass(frozen=True)
class BatchCard:
    """One card of a batch: its number, its print data and its pass-1 chip files (FID → exact bytes);
    in version 2 also EF.CardAccess (the MF's file announcing PACE, 9303-11 §9.2.1)."""

    number: str
    print: PrintFields
    files: Mapping[int, bytes]
    card_access: bytes = b""


@dataclass(frozen=True)
class Batch:
    code: str
    province: str
    layout: str  # the card layout version, e.g. "v1"
    created_at: datetime
    cards: tuple[BatchCard, ...]
    version: int = 2  # of the format: 1 (plain cards, central DG14) or 2 (PACE, CA key on the chip)


@dataclass(frozen=True)
class KeyLine:
    """One chip after pass 1: personalised with its DG15 (the chip's AA public key), or spoiled. Version 2
    adds the chip's CA public key (the uncompressed point GENERATE ASYMMETRIC KEY PAIR P2 01 returned)
    and the DG14 the factory built from it and wrote."""

    number: str
    outcome: str  # "personalised" | "spoiled"
    reason: str
    chip_serial: str
    dg15: bytes  # empty when spoiled
    ca_key: bytes = b""  # version 2: 65 bytes, 04 X Y; empty when spoiled
    dg14: bytes = b""  # version 2: empty when spoiled


@dataclass(frozen=True)
class KeyReport:
    batch: str
    batch_sha256: str  # of the .p7m file as received
    report_id: str  # 32 hex digits, random
    created_at: datetime
    lines: tuple[KeyLine, ...]
    version: int = 2  # 1 answers a batch /1, 2 a batch /2


@dataclass(frozen=True)
class SodCard:
    number: str
    chip_serial: str
    com: bytes  # EF.COM
    sod: bytes  # EF.SOD


@dataclass(frozen=True)
class SodFile:
    batch: str
    keys_sha256: str  # of the key report file as received
    created_at: datetime
    cards: tuple[SodCard, ...]


@dataclass(frozen=True)
class ReportLine:
    number: str
    outcome: str  # "produced" | "spoiled"
    reason: str
    chip_serial: str
    aa_fingerprint: str  # sha256 hex of the DG15 file bytes


@dataclass(frozen=True)
class ProductionReport:
    batch: str
    sod_sha256: str  # of the SOD file as received
    report_id: str
    created_at: datetime
    lines: tuple[ReportLine, ...]
