"""Canonical CBOR (RFC 8949 §4.2.3, cbor2's ``canonical``) of the four manufacturer files, and back.

Every map has text keys (the chip files map has FID integers); binary is a CBOR byte string; dates are
"YYYY-MM-DD" text and datetimes RFC 3339 UTC text. Encoders check what they write through the same
readers the decoders use, so a round trip never fails; decoders raise only :class:`BatchError`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import cbor2

from partycard.batches._fields import FieldMap, date_text, datetime_text
from partycard.batches.errors import BatchFormatError, ManifestMismatch
from partycard.batches.model import (
    BATCH_FILES,
    BATCH_FILES_2,
    BATCH_FORMAT,
    BATCH_FORMAT_1,
    KEY_OUTCOMES,
    KEYS_FORMAT,
    KEYS_FORMAT_1,
    MAX_BATCH_BYTES,
    MAX_CARDS,
    REPORT_FORMAT,
    REPORT_OUTCOMES,
    REQUIRED_BATCH_FILES,
    REQUIRED_BATCH_FILES_2,
    SOD_FORMAT,
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
from partycard.chip.can import can_check
from partycard.chip.errors import ChipError
from partycard.chip.lds import DG_TAGS, TAG_COM
from partycard.chip.securityinfos import card_access_parse
from partycard.chip.sod import TAG_SOD

__all__ = [
    "batch_decode",
    "batch_encode",
    "card_digest",
    "card_encode",
    "key_report_decode",
    "key_report_encode",
    "report_decode",
    "report_encode",
    "sha256_hex",
    "sod_file_decode",
    "sod_file_encode",
]

T = TypeVar("T")

_SHA256_HEX = 64
_REPORT_ID_HEX = 32
_JPEG_SOI = b"\xff\xd8"  # ISO/IEC 10918-1 B.2.1: every JPEG starts with SOI
_FID_DG = {0x0101: 1, 0x0102: 2, 0x010D: 13, 0x010E: 14}  # 9303-10 Table 39 (the batch's files only)
_TAG_DG15 = DG_TAGS[15]
_PRINT_KEYS = (
    "card_number",
    "full_name",
    "date_of_birth",
    "gender",
    "date_admitted",
    "date_official",
    "issuing_committee",
    "issue_date",
    "photo_jpeg",
)
_PRINT_KEYS_2 = (*_PRINT_KEYS, "can")
_CARD_KEYS = ("number", "print", "files")
_CARD_KEYS_2 = (*_CARD_KEYS, "card_access")
_BATCH_KEYS = ("format", "code", "province", "layout", "created_at", "cards", "manifest")
_KEYS_KEYS = ("format", "batch", "batch_sha256", "report_id", "created_at", "lines")
_KEY_LINE_KEYS = ("number", "outcome", "reason", "chip_serial", "dg15")
_KEY_LINE_KEYS_2 = (*_KEY_LINE_KEYS, "ca_key", "dg14")
_BATCH_FORMATS = {1: BATCH_FORMAT_1, 2: BATCH_FORMAT}
_KEYS_FORMATS = {1: KEYS_FORMAT_1, 2: KEYS_FORMAT}
_TAG_DG14 = DG_TAGS[14]
_EC_POINT_BYTES = 65  # SEC 1 v2 §2.3.3: 04 || X || Y for a 256-bit curve (the CA key, uncompressed)
_SOD_KEYS = ("format", "batch", "keys_sha256", "created_at", "cards")
_SOD_CARD_KEYS = ("number", "chip_serial", "com", "sod")
_REPORT_KEYS = ("format", "batch", "sod_sha256", "report_id", "created_at", "lines")
_REPORT_LINE_KEYS = ("number", "outcome", "reason", "chip_serial", "aa_fingerprint")
# cbor2 raises these (and its own CBORError) on bytes that are not well-formed CBOR.
_CBOR_ERRORS = (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError, EOFError, MemoryError)


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` as 64 lower-case hex digits (the manifest's and the reports' digests)."""
    return hashlib.sha256(data).hexdigest()


def _dumps(value: Any) -> bytes:
    return bytes(cbor2.dumps(value, canonical=True))


def _loads(data: bytes, what: str) -> Any:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BatchFormatError(f"{what}: the file must be bytes")
    if len(data) > MAX_BATCH_BYTES:
        raise BatchFormatError(f"{what}: the file is {len(data)} bytes, more than {MAX_BATCH_BYTES}")
    try:
        return cbor2.loads(bytes(data))
    except _CBOR_ERRORS as e:
        raise BatchFormatError(f"{what}: not well-formed CBOR: {e}") from e


def _top(raw: Any, keys: tuple[str, ...], format_tag: str, section: str) -> FieldMap:
    # The format tag first: a file of another kind is named as such, not as a missing field.
    if isinstance(raw, dict) and raw.get("format") != format_tag:
        raise BatchFormatError(
            f"{section}: field 'format' is {str(raw.get('format'))[:40]!r}, not {format_tag!r}",
            field="format",
        )
    return FieldMap.of(raw, keys, section=section)


def _version(raw: Any, formats: Mapping[int, str], section: str) -> int:
    """The format version a file's tag names (the versions still read); the newest for anything else,
    so that the refusal names the tag expected."""
    tag = raw.get("format") if isinstance(raw, dict) else None
    for version, name in formats.items():
        if tag == name:
            return version
    if isinstance(raw, dict):
        raise BatchFormatError(
            f"{section}: field 'format' is {str(tag)[:40]!r}, not one of"
            f" {', '.join(repr(f) for f in sorted(formats.values()))}",
            field="format",
        )
    return max(formats)


def _lines(
    fields: FieldMap, name: str, read: Callable[[Any, int], T], *, at_least_one: bool = False
) -> tuple[T, ...]:
    items = fields.array(name, limit=MAX_CARDS)
    if at_least_one and not items:
        raise fields.fail(name, "must hold at least one entry")
    return tuple(read(item, index) for index, item in enumerate(items, start=1))


def _unique(numbers: list[str], section: str) -> None:
    seen: set[str] = set()
    for line, number in enumerate(numbers, start=1):
        if number in seen:
            raise BatchFormatError(
                f"{section} line {line}: field 'number' repeats card {number}", field="number", line=line
            )
        seen.add(number)


def _file_tag(fields: FieldMap, name: str, value: bytes, tag: int) -> None:
    # 9303-10 Table 33: each file is one TLV whose first byte is its own tag.
    if value[0] != tag:
        raise fields.fail(name, f"must be a file with tag {tag:02X}, found {value[0]:02X}")


# --- the batch -------------------------------------------------------------------------------------------


def _print_obj(fields: PrintFields | Any, version: int) -> Any:
    if not isinstance(fields, PrintFields):
        return fields
    obj = {
        "card_number": fields.card_number,
        "full_name": fields.full_name,
        "date_of_birth": date_text(fields.date_of_birth),
        "gender": fields.gender,
        "date_admitted": date_text(fields.date_admitted),
        "date_official": date_text(fields.date_official),
        "issuing_committee": fields.issuing_committee,
        "issue_date": date_text(fields.issue_date),
        "photo_jpeg": fields.photo_jpeg,
    }
    if version >= 2:
        obj["can"] = fields.can
    return obj


def _card_obj(card: BatchCard | Any, version: int) -> Any:
    if not isinstance(card, BatchCard):
        return card
    files = dict(card.files) if isinstance(card.files, Mapping) else card.files
    obj = {"number": card.number, "print": _print_obj(card.print, version), "files": files}
    if version >= 2:
        obj["card_access"] = card.card_access
    return obj


def _card_read(raw: Any, line: int, version: int = 2) -> BatchCard:
    card = FieldMap.of(raw, _CARD_KEYS_2 if version >= 2 else _CARD_KEYS, section="cards", line=line)
    p = FieldMap.of(
        raw["print"], _PRINT_KEYS_2 if version >= 2 else _PRINT_KEYS, section="cards", line=line, name="print"
    )
    photo = p.binary("photo_jpeg")
    if not photo.startswith(_JPEG_SOI):
        raise p.fail("photo_jpeg", "must be a JPEG image (FF D8)")
    printed = PrintFields(
        card_number=p.text("card_number"),
        full_name=p.text("full_name"),
        date_of_birth=p.day("date_of_birth"),
        gender=p.choice("gender", ("M", "F")),
        date_admitted=p.day("date_admitted"),
        date_official=p.day("date_official"),
        issuing_committee=p.text("issuing_committee"),
        issue_date=p.day("issue_date"),
        photo_jpeg=photo,
        can=_can_read(p) if version >= 2 else "",
    )
    card_access = _card_access_read(card) if version >= 2 else b""
    allowed, required = (
        (BATCH_FILES_2, REQUIRED_BATCH_FILES_2) if version >= 2 else (BATCH_FILES, REQUIRED_BATCH_FILES)
    )
    raw_files = raw["files"]
    if not isinstance(raw_files, dict):
        raise card.fail("files", "must be a map of file identifier to bytes")
    files: dict[int, bytes] = {}
    for fid, data in raw_files.items():
        if not isinstance(fid, int) or isinstance(fid, bool) or fid not in allowed:
            shown = (
                f"{fid:04X}"[:20] if isinstance(fid, int) and not isinstance(fid, bool) else f"{fid!s:.20}"
            )
            which = "DG1, DG2, DG13" if version >= 2 else "DG1, DG2, DG13, DG14"
            raise card.fail(f"files.{shown}", f"is not a pass-1 chip file ({which})")
        name = f"files.{fid:04X}"
        if not isinstance(data, bytes) or not data:
            raise card.fail(name, "must be a non-empty byte string")
        _file_tag(card, name, data, DG_TAGS[_FID_DG[fid]])
        files[fid] = data
    missing = sorted(required - files.keys())
    if missing:
        raise card.fail(f"files.{missing[0]:04X}", "is missing")
    return BatchCard(number=card.text("number"), print=printed, files=files, card_access=card_access)


def _can_read(p: FieldMap) -> str:
    value = p.raw["can"]
    try:
        return can_check(value)
    except ValueError:
        raise p.fail("can", "must be six decimal digits (the card access number)") from None


def _card_access_read(card: FieldMap) -> bytes:
    # 9303-11 §9.2: EF.CardAccess is a SecurityInfos SET announcing PACE (a PACEInfo with its parameters).
    data = card.binary("card_access")
    try:
        card_access_parse(data)
    except (ChipError, ValueError) as e:
        raise card.fail("card_access", f"is not an EF.CardAccess announcing PACE: {e}") from None
    return data


def _card_bytes(card: BatchCard, line: int, version: int = 2) -> bytes:
    obj = _card_obj(card, version)
    _card_read(obj, line, version)
    return _dumps(obj)


def card_encode(card: BatchCard, *, version: int = 2) -> bytes:
    """Canonical CBOR of one card (what the manifest's digest covers), in format ``version``.

    Raises:
        BatchFormatError: a field has the wrong type or value (named, line 1).
    """
    return _card_bytes(card, 1, version)


def card_digest(card: BatchCard, *, version: int = 2) -> str:
    """SHA-256 hex of :func:`card_encode` (the manifest's entry for the card)."""
    return sha256_hex(card_encode(card, version=version))


def _array_head(count: int) -> bytes:
    # RFC 8949 §3.1: major type 4 (array) with the shortest argument encoding (§4.2.1).
    if count < 24:
        return bytes((0x80 | count,))
    for code, size in ((24, 1), (25, 2), (26, 4)):
        if count < 1 << (8 * size):
            return bytes((0x80 | code,)) + count.to_bytes(size, "big")
    raise BatchFormatError("too many cards")


def batch_encode(batch: Batch) -> bytes:
    """The batch file's content: the cards and their manifest (count, per-card digests, same order).

    Each card is encoded once; its bytes are both hashed for the manifest and spliced into the file.

    Raises:
        BatchFormatError: a field is mistyped or invalid (named, with its line in "cards"), no cards,
            more than MAX_CARDS, a repeated card number, or a file over MAX_BATCH_BYTES.
    """
    if not isinstance(batch, Batch):
        raise BatchFormatError("batch: not a Batch")
    if not isinstance(batch.cards, tuple | list):
        raise BatchFormatError("batch: field 'cards' must be a sequence of BatchCard", field="cards")
    if len(batch.cards) > MAX_CARDS:
        raise BatchFormatError(f"batch: field 'cards' holds more than {MAX_CARDS} cards", field="cards")
    version = batch.version
    if version not in _BATCH_FORMATS:
        raise BatchFormatError(f"batch: version {version!r} is not 1 or 2", field="format")
    encoded = [_card_bytes(card, line, version) for line, card in enumerate(batch.cards, start=1)]
    # A placeholder of random bytes (it cannot occur elsewhere by chance) stands for the cards array.
    placeholder = os.urandom(32)
    obj = {
        "format": _BATCH_FORMATS[version],
        "code": batch.code,
        "province": batch.province,
        "layout": batch.layout,
        "created_at": datetime_text(batch.created_at),
        "cards": [None] * len(encoded),
        "manifest": {"count": len(encoded), "digests": [sha256_hex(c) for c in encoded]},
    }
    _batch_fields(obj, read_card=lambda raw, line: None)
    data = _dumps({**obj, "cards": placeholder})
    marker = _dumps(placeholder)
    if data.count(marker) != 1:  # pragma: no cover - 2^-256
        raise BatchFormatError("batch: placeholder collision, encode again")
    data = data.replace(marker, _array_head(len(encoded)) + b"".join(encoded))
    if len(data) > MAX_BATCH_BYTES:
        raise BatchFormatError(f"batch: {len(data)} bytes, more than {MAX_BATCH_BYTES}")
    return data


def _batch_fields(raw: Any, *, read_card: Callable[[Any, int], Any]) -> tuple[FieldMap, tuple[Any, ...]]:
    fields = _top(raw, _BATCH_KEYS, _BATCH_FORMATS[_version(raw, _BATCH_FORMATS, "batch")], "batch")
    for name in ("code", "province", "layout"):
        fields.text(name)
    fields.moment("created_at")
    cards = _lines(fields, "cards", read_card, at_least_one=True)
    manifest = FieldMap.of(raw["manifest"], ("count", "digests"), section="batch", name="manifest")
    manifest.integer("count")
    digests = manifest.array("digests", limit=MAX_CARDS)
    for index, digest in enumerate(digests, start=1):
        if not isinstance(digest, str) or len(digest) != _SHA256_HEX or digest.strip("0123456789abcdef"):
            raise BatchFormatError(
                f"batch: field 'manifest.digests' entry {index} is not a SHA-256 hex digest",
                field="manifest.digests",
            )
    return fields, cards


def batch_decode(data: bytes) -> Batch:
    """Read a batch file's content and check its manifest against its cards.

    Raises:
        BatchFormatError: not CBOR, not a batch, or a field missing or mistyped (named, with its line).
        ManifestMismatch: the manifest's count or a card's digest differs from the cards (card named).
    """
    raw = _loads(data, "batch")
    version = _version(raw, _BATCH_FORMATS, "batch")
    fields, cards = _batch_fields(raw, read_card=lambda item, line: _card_read(item, line, version))
    _unique([card.number for card in cards], "cards")
    count, digests = raw["manifest"]["count"], raw["manifest"]["digests"]
    if count != len(cards) or len(digests) != len(cards):
        raise ManifestMismatch(
            f"the manifest counts {count} cards and lists {len(digests)} digests;"
            f" the batch holds {len(cards)}"
        )
    for line, (card_raw, card, digest) in enumerate(zip(raw["cards"], cards, digests, strict=True), start=1):
        if sha256_hex(_dumps(card_raw)) != digest:
            raise ManifestMismatch(
                f"card {card.number} (cards line {line}) does not match its manifest digest"
            )
    return Batch(
        code=fields.text("code"),
        province=fields.text("province"),
        layout=fields.text("layout"),
        created_at=fields.moment("created_at"),
        cards=cards,
        version=version,
    )


# --- the key report ----------------------------------------------------------------------------------------


def _key_line_read(raw: Any, line: int, version: int = 2) -> KeyLine:
    f = FieldMap.of(raw, _KEY_LINE_KEYS_2 if version >= 2 else _KEY_LINE_KEYS, section="lines", line=line)
    outcome = f.choice("outcome", KEY_OUTCOMES)
    personalised = outcome == "personalised"
    dg15 = f.binary("dg15", empty=not personalised)
    if personalised:
        _file_tag(f, "dg15", dg15, _TAG_DG15)
    elif dg15:
        raise f.fail("dg15", "must be empty for a spoiled chip")
    ca_key = dg14 = b""
    if version >= 2:
        ca_key, dg14 = f.binary("ca_key", empty=not personalised), f.binary("dg14", empty=not personalised)
        if personalised:
            if len(ca_key) != _EC_POINT_BYTES or ca_key[0] != 0x04:
                raise f.fail("ca_key", f"must be an uncompressed EC point ({_EC_POINT_BYTES} bytes, 04 X Y)")
            _file_tag(f, "dg14", dg14, _TAG_DG14)
        elif ca_key or dg14:
            raise f.fail("ca_key" if ca_key else "dg14", "must be empty for a spoiled chip")
    return KeyLine(
        number=f.text("number"),
        outcome=outcome,
        reason=f.text("reason", empty=personalised),
        chip_serial=f.text("chip_serial", empty=not personalised),
        dg15=dg15,
        ca_key=ca_key,
        dg14=dg14,
    )


def _key_report_read(raw: Any) -> KeyReport:
    version = _version(raw, _KEYS_FORMATS, "key report")
    f = _top(raw, _KEYS_KEYS, _KEYS_FORMATS[version], "key report")
    return KeyReport(
        batch=f.text("batch"),
        batch_sha256=f.hex("batch_sha256", _SHA256_HEX),
        report_id=f.hex("report_id", _REPORT_ID_HEX),
        created_at=f.moment("created_at"),
        lines=_lines(f, "lines", lambda item, line: _key_line_read(item, line, version)),
        version=version,
    )


def key_report_encode(report: KeyReport) -> bytes:
    """The key report's content (pass 1's outcome per chip, with each chip's DG15).

    Raises:
        BatchFormatError: a field is mistyped or invalid (named, with its line in "lines").
    """
    if report.version not in _KEYS_FORMATS:
        raise BatchFormatError(f"key report: version {report.version!r} is not 1 or 2", field="format")
    obj = {
        "format": _KEYS_FORMATS[report.version],
        "batch": report.batch,
        "batch_sha256": report.batch_sha256,
        "report_id": report.report_id,
        "created_at": datetime_text(report.created_at),
        "lines": _objects(report.lines, KeyLine, _KEY_LINE_KEYS_2 if report.version >= 2 else _KEY_LINE_KEYS),
    }
    _key_report_read(obj)
    return _dumps(obj)


def key_report_decode(data: bytes) -> KeyReport:
    """Read a key report. Lines are returned as written: reconciliation judges repeats and gaps.

    Raises:
        BatchFormatError: not CBOR, not a key report, or a field missing or mistyped (named, with its line).
    """
    return _key_report_read(_loads(data, "key report"))


def _objects(items: Any, kind: type, keys: tuple[str, ...]) -> Any:
    if not isinstance(items, tuple | list):
        return items
    return [{k: getattr(item, k) for k in keys} if isinstance(item, kind) else item for item in items]


# --- the SOD file ------------------------------------------------------------------------------------------


def _sod_card_read(raw: Any, line: int) -> SodCard:
    f = FieldMap.of(raw, _SOD_CARD_KEYS, section="cards", line=line)
    com, sod = f.binary("com"), f.binary("sod")
    _file_tag(f, "com", com, TAG_COM)  # 9303-10 §4.6.1
    _file_tag(f, "sod", sod, TAG_SOD)  # 9303-10 §4.6.2
    return SodCard(number=f.text("number"), chip_serial=f.text("chip_serial"), com=com, sod=sod)


def _sod_file_read(raw: Any) -> SodFile:
    f = _top(raw, _SOD_KEYS, SOD_FORMAT, "SOD file")
    cards = _lines(f, "cards", _sod_card_read)
    _unique([card.number for card in cards], "cards")
    return SodFile(
        batch=f.text("batch"),
        keys_sha256=f.hex("keys_sha256", _SHA256_HEX),
        created_at=f.moment("created_at"),
        cards=cards,
    )


def sod_file_encode(sod_file: SodFile) -> bytes:
    """The SOD file's content (pass 2: EF.COM and EF.SOD per personalised chip).

    Raises:
        BatchFormatError: a field is mistyped or invalid (named, with its line in "cards").
    """
    obj = {
        "format": SOD_FORMAT,
        "batch": sod_file.batch,
        "keys_sha256": sod_file.keys_sha256,
        "created_at": datetime_text(sod_file.created_at),
        "cards": _objects(sod_file.cards, SodCard, _SOD_CARD_KEYS),
    }
    _sod_file_read(obj)
    return _dumps(obj)


def sod_file_decode(data: bytes) -> SodFile:
    """Read a SOD file.

    Raises:
        BatchFormatError: not CBOR, not a SOD file, a field missing or mistyped, or a repeated card.
    """
    return _sod_file_read(_loads(data, "SOD file"))


# --- the production report ---------------------------------------------------------------------------------


def _report_line_read(raw: Any, line: int) -> ReportLine:
    f = FieldMap.of(raw, _REPORT_LINE_KEYS, section="lines", line=line)
    outcome = f.choice("outcome", REPORT_OUTCOMES)
    produced = outcome == "produced"
    return ReportLine(
        number=f.text("number"),
        outcome=outcome,
        reason=f.text("reason", empty=produced),
        chip_serial=f.text("chip_serial", empty=not produced),
        aa_fingerprint=f.hex("aa_fingerprint", _SHA256_HEX, empty=not produced),
    )


def _report_read(raw: Any) -> ProductionReport:
    f = _top(raw, _REPORT_KEYS, REPORT_FORMAT, "production report")
    return ProductionReport(
        batch=f.text("batch"),
        sod_sha256=f.hex("sod_sha256", _SHA256_HEX),
        report_id=f.hex("report_id", _REPORT_ID_HEX),
        created_at=f.moment("created_at"),
        lines=_lines(f, "lines", _report_line_read),
    )


def report_encode(report: ProductionReport) -> bytes:
    """The production report's content (per card: produced or spoiled, chip serial, AA key fingerprint).

    Raises:
        BatchFormatError: a field is mistyped or invalid (named, with its line in "lines").
    """
    obj = {
        "format": REPORT_FORMAT,
        "batch": report.batch,
        "sod_sha256": report.sod_sha256,
        "report_id": report.report_id,
        "created_at": datetime_text(report.created_at),
        "lines": _objects(report.lines, ReportLine, _REPORT_LINE_KEYS),
    }
    _report_read(obj)
    return _dumps(obj)


def report_decode(data: bytes) -> ProductionReport:
    """Read a production report. Lines are returned as written: reconciliation judges repeats and gaps.

    Raises:
        BatchFormatError: not CBOR, not a production report, or a field missing or mistyped (named).
    """
    return _report_read(_loads(data, "production report"))
