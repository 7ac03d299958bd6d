"""Sample content of the four manufacturer files, valid by the contract (docs/production.md)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from partycard.batches import (
    Batch,
    BatchCard,
    KeyLine,
    KeyReport,
    PrintFields,
    ProductionReport,
    ReportLine,
    SodCard,
    SodFile,
)

__all__ = ["CREATED", "DG15", "batch", "card", "key_report", "production_report", "sod_file"]

CREATED = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200)) + b"\xff\xd9"
DG15 = b"\x6f\x05\x30\x03\x02\x01\x00"


def card(number: str, *, dg13: bool = False) -> BatchCard:
    files = {0x0101: b"\x61\x03\x5f\x1f\x00", 0x0102: b"\x75\x02\x7f\x61", 0x010E: b"\x6e\x02\x31\x00"}
    if dg13:
        files[0x010D] = b"\x6d\x01\x00"
    return BatchCard(
        number=number,
        print=PrintFields(
            card_number=number,
            full_name="Nguyễn Thị Hương",
            date_of_birth=date(1980, 2, 29),
            gender="F",
            date_admitted=date(2005, 5, 19),
            date_official=date(2006, 5, 19),
            issuing_committee="Đảng ủy phường Bến Nghé",
            issue_date=date(2026, 3, 3),
            photo_jpeg=JPEG,
        ),
        files=files,
    )


def batch(count: int = 3) -> Batch:
    return Batch(
        code="2026-HN-0001",
        province="01",
        layout="v1",
        created_at=CREATED,
        cards=tuple(card(f"01.{n:06d}", dg13=n % 2 == 0) for n in range(1, count + 1)),
        version=1,
    )


def key_report() -> KeyReport:
    return KeyReport(
        batch="2026-HN-0001",
        batch_sha256=hashlib.sha256(b"batch").hexdigest(),
        report_id="0123456789abcdef0123456789abcdef",
        created_at=CREATED,
        lines=(
            KeyLine("01.000001", "personalised", "", "CHIP-0001", DG15),
            KeyLine("01.000002", "spoiled", "chip failed the ATR test", "CHIP-0002", b""),
        ),
        version=1,
    )


def sod_file() -> SodFile:
    return SodFile(
        batch="2026-HN-0001",
        keys_sha256=hashlib.sha256(b"keys").hexdigest(),
        created_at=CREATED,
        cards=(SodCard("01.000001", "CHIP-0001", b"\x60\x03\x5f\x01\x00", b"\x77\x02\x30\x00"),),
    )


def production_report() -> ProductionReport:
    return ProductionReport(
        batch="2026-HN-0001",
        sod_sha256=hashlib.sha256(b"sod").hexdigest(),
        report_id="fedcba9876543210fedcba9876543210",
        created_at=CREATED,
        lines=(
            ReportLine("01.000001", "produced", "", "CHIP-0001", hashlib.sha256(DG15).hexdigest()),
            ReportLine("01.000003", "spoiled", "print smeared", "", ""),
        ),
    )


def card_access() -> bytes:
    """EF.CardAccess for PACE on NIST P-256 (9303-11 §9.2.1, parameter ID 12), as the Centre ships it."""
    from partycard.chip.securityinfos import card_access_build

    return card_access_build(parameter_id=12)


def card_2(number: str, *, can: str = "123456", dg13: bool = False) -> BatchCard:
    """A version-2 card: the CAN in the print fields, EF.CardAccess, no DG14 (the factory builds it)."""
    from dataclasses import replace

    one = card(number, dg13=dg13)
    files = {fid: data for fid, data in one.files.items() if fid != 0x010E}
    return BatchCard(number=number, print=replace(one.print, can=can), files=files, card_access=card_access())


def batch_2(count: int = 3) -> Batch:
    return Batch(
        code="2026-HN-0002",
        province="01",
        layout="v2",
        created_at=CREATED,
        cards=tuple(card_2(f"01.{n:06d}", can=f"{n:06d}", dg13=n % 2 == 0) for n in range(1, count + 1)),
    )


CA_KEY = b"\x04" + bytes(range(1, 65))
DG14 = b"\x6e\x02\x31\x00"


def key_report_2() -> KeyReport:
    return KeyReport(
        batch="2026-HN-0002",
        batch_sha256=hashlib.sha256(b"batch 2").hexdigest(),
        report_id="0123456789abcdef0123456789abcde2",
        created_at=CREATED,
        lines=(
            KeyLine("01.000001", "personalised", "", "CHIP-0001", DG15, CA_KEY, DG14),
            KeyLine("01.000002", "spoiled", "chip failed the ATR test", "CHIP-0002", b""),
        ),
    )
