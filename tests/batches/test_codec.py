"""The manufacturer files' CBOR, written from the contract (docs/production.md): round trips, the manifest,
the format tags, each field's error naming the field and its line, and nothing but BatchError on junk."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partycard import batches
from partycard.batches import (
    MAX_CARDS,
    BatchError,
    BatchFormatError,
    ManifestMismatch,
    batch_decode,
    batch_encode,
    card_digest,
    card_encode,
    key_report_decode,
    key_report_encode,
    report_decode,
    report_encode,
    sha256_hex,
    sod_file_decode,
    sod_file_encode,
)
from tests.batches import samples


def _raw(data: bytes) -> Any:
    return cbor2.loads(data)


def _dump(obj: Any) -> bytes:
    return cbor2.dumps(obj, canonical=True)


# --- round trips ------------------------------------------------------------------------------------------


def test_batch_round_trip() -> None:
    batch = samples.batch(3)
    data = batch_encode(batch)
    assert batch_decode(data) == batch
    assert batch_encode(batch_decode(data)) == data


@pytest.mark.parametrize(
    ("make", "encode", "decode"),
    [
        (samples.key_report, key_report_encode, key_report_decode),
        (samples.sod_file, sod_file_encode, sod_file_decode),
        (samples.production_report, report_encode, report_decode),
    ],
)
def test_report_round_trips(make: Any, encode: Any, decode: Any) -> None:
    value = make()
    data = encode(value)
    assert decode(data) == value
    assert encode(decode(data)) == data


def test_datetimes_are_rfc3339_utc_and_keep_their_instant() -> None:
    hanoi = timezone(timedelta(hours=7))
    moment = datetime(2026, 3, 2, 16, 30, 15, 250000, tzinfo=hanoi)
    report = dataclasses.replace(samples.key_report(), created_at=moment)
    data = key_report_encode(report)
    assert _raw(data)["created_at"] == "2026-03-02T09:30:15.250000Z"
    assert key_report_decode(data).created_at == moment
    assert _raw(key_report_encode(samples.key_report()))["created_at"] == "2026-03-02T09:30:15Z"


def test_batch_is_canonical_cbor_with_the_contract_layout() -> None:
    batch = samples.batch(2)
    data = batch_encode(batch)
    raw = _raw(data)
    assert data == _dump(raw)  # canonical: re-encoding the decoded value gives the same bytes
    assert raw["format"] == "partycard-batch/1"
    assert raw["created_at"] == "2026-03-02T09:30:15Z"
    first = raw["cards"][0]
    assert first["print"]["date_of_birth"] == "1980-02-29"
    assert first["print"]["photo_jpeg"] == samples.JPEG
    assert sorted(first["files"]) == [0x0101, 0x0102, 0x010E]  # integer FIDs, no DG15/SOD/COM
    # The manifest: the count, and each card's canonical CBOR hashed with SHA-256, in order.
    assert raw["manifest"]["count"] == 2
    assert raw["manifest"]["digests"] == [hashlib.sha256(_dump(c)).hexdigest() for c in raw["cards"]]
    assert card_encode(batch.cards[0], version=1) == _dump(first)
    assert card_digest(batch.cards[1], version=1) == hashlib.sha256(_dump(raw["cards"][1])).hexdigest()
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --- the manifest -----------------------------------------------------------------------------------------


def test_changed_card_is_a_manifest_mismatch_naming_it() -> None:
    raw = _raw(batch_encode(samples.batch(3)))
    raw["cards"][1]["print"]["full_name"] = "Trần Văn Nam"
    with pytest.raises(ManifestMismatch, match=r"01\.000002.*line 2"):
        batch_decode(_dump(raw))


def test_removed_card_is_a_manifest_mismatch() -> None:
    raw = _raw(batch_encode(samples.batch(3)))
    del raw["cards"][2]
    with pytest.raises(ManifestMismatch, match="counts 3"):
        batch_decode(_dump(raw))
    raw["manifest"]["count"] = 2  # the count fixed, the digest of the removed card still listed
    with pytest.raises(ManifestMismatch, match="3 digests"):
        batch_decode(_dump(raw))
    del raw["manifest"]["digests"][0]  # both fixed, but the wrong digest dropped: card 1 no longer matches
    with pytest.raises(ManifestMismatch, match=r"01\.000001"):
        batch_decode(_dump(raw))


def test_count_alone_changed_is_a_manifest_mismatch() -> None:
    raw = _raw(batch_encode(samples.batch(3)))
    raw["manifest"]["count"] = 4
    with pytest.raises(ManifestMismatch, match="counts 4"):
        batch_decode(_dump(raw))


def test_repeated_card_number_is_refused() -> None:
    batch = samples.batch(2)
    twice = dataclasses.replace(batch, cards=(batch.cards[0], batch.cards[0]))
    with pytest.raises(BatchFormatError, match=r"line 2.*repeats"):
        batch_decode(batch_encode(twice))


# --- format tags ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "decode"),
    [
        (lambda: key_report_encode(samples.key_report()), batch_decode),
        (lambda: batch_encode(samples.batch(1)), key_report_decode),
        (lambda: report_encode(samples.production_report()), sod_file_decode),
        (lambda: sod_file_encode(samples.sod_file()), report_decode),
    ],
)
def test_wrong_format_tag_is_refused(data: Any, decode: Any) -> None:
    with pytest.raises(BatchFormatError, match="'format'") as caught:
        decode(data())
    assert caught.value.field == "format"


def test_next_version_of_the_format_is_refused() -> None:
    raw = _raw(batch_encode(samples.batch(1)))
    raw["format"] = "partycard-batch/3"
    with pytest.raises(BatchFormatError, match="partycard-batch/3") as caught:
        batch_decode(_dump(raw))
    assert caught.value.field == "format"


# --- every field: its type error names it and its line ----------------------------------------------------

_BATCH_TOP = ["code", "province", "layout", "created_at", "cards"]
_CARD_FIELDS = ["number", "files"] + [
    f"print.{name}"
    for name in (
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
]


_KEY_LINE = ["number", "outcome", "reason", "chip_serial", "dg15"]
_SOD_CARD = ["number", "chip_serial", "com", "sod"]
_REPORT_LINE = ["number", "outcome", "reason", "chip_serial", "aa_fingerprint"]
_KEYS_TOP = ["batch", "batch_sha256", "report_id", "created_at", "lines"]
_SOD_TOP = ["batch", "keys_sha256", "created_at", "cards"]
_REPORT_TOP = ["batch", "sod_sha256", "report_id", "created_at", "lines"]


def _set(obj: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for parent in parents:
        obj = obj[parent]
    obj[last] = value


def _mistyped(path: str) -> Any:
    # A value of another CBOR type than the field's: bytes for text fields, text for the others.
    return "not this" if path.endswith(("photo_jpeg", "files", "cards", "dg15", "com", "sod")) else b"\x00"


@pytest.mark.parametrize("path", _BATCH_TOP)
def test_batch_field_type_error_names_the_field(path: str) -> None:
    raw = _raw(batch_encode(samples.batch(2)))
    _set(raw, path, _mistyped(path))
    with pytest.raises(BatchFormatError, match=f"^batch: field '{path}'") as caught:
        batch_decode(_dump(raw))
    assert (caught.value.field, caught.value.line) == (path, None)


@pytest.mark.parametrize("path", _CARD_FIELDS)
def test_card_field_type_error_names_the_field_and_line(path: str) -> None:
    raw = _raw(batch_encode(samples.batch(3)))
    _set(raw["cards"][2], path, _mistyped(path))
    with pytest.raises(BatchFormatError, match=f"^cards line 3: field '{path}'") as caught:
        batch_decode(_dump(raw))
    assert (caught.value.field, caught.value.line) == (path, 3)


@pytest.mark.parametrize("path", _CARD_FIELDS)
def test_card_field_missing_names_the_field_and_line(path: str) -> None:
    raw = _raw(batch_encode(samples.batch(2)))
    *parents, last = path.split(".")
    target = raw["cards"][1]
    for parent in parents:
        target = target[parent]
    del target[last]
    with pytest.raises(BatchFormatError, match=f"^cards line 2: field '{path}' is missing"):
        batch_decode(_dump(raw))


@pytest.mark.parametrize(
    ("encode", "decode", "make", "section", "fields"),
    [
        (key_report_encode, key_report_decode, samples.key_report, "lines", _KEY_LINE),
        (sod_file_encode, sod_file_decode, samples.sod_file, "cards", _SOD_CARD),
        (report_encode, report_decode, samples.production_report, "lines", _REPORT_LINE),
    ],
)
def test_line_field_type_error_names_the_field_and_line(
    encode: Any, decode: Any, make: Any, section: str, fields: list[str]
) -> None:
    for field in fields:
        raw = _raw(encode(make()))
        raw[section][0][field] = _mistyped(field)
        with pytest.raises(BatchFormatError, match=f"^{section} line 1: field '{field}'") as caught:
            decode(_dump(raw))
        assert (caught.value.field, caught.value.line) == (field, 1)


@pytest.mark.parametrize(
    ("encode", "decode", "make", "fields"),
    [
        (key_report_encode, key_report_decode, samples.key_report, _KEYS_TOP),
        (sod_file_encode, sod_file_decode, samples.sod_file, _SOD_TOP),
        (report_encode, report_decode, samples.production_report, _REPORT_TOP),
    ],
)
def test_report_top_field_type_error_names_the_field(
    encode: Any, decode: Any, make: Any, fields: list[str]
) -> None:
    for field in fields:
        raw = _raw(encode(make()))
        raw[field] = _mistyped(field) if field in ("lines", "cards") else 17
        with pytest.raises(BatchFormatError, match=f"field '{field}'") as caught:
            decode(_dump(raw))
        assert (caught.value.field, caught.value.line) == (field, None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gender": "X"}, "'print.gender' must be one of 'F', 'M'"),
        ({"date_of_birth": "1980-02-30"}, "'print.date_of_birth' must be a date"),
        ({"photo_jpeg": b"\x89PNG\r\n"}, "'print.photo_jpeg' must be a JPEG"),
        ({"full_name": ""}, "'print.full_name' must not be empty"),
        ({"full_name": "Nguyễn\nVăn A"}, "control characters"),
    ],
)
def test_card_field_values_are_checked(change: dict[str, Any], message: str) -> None:
    raw = _raw(batch_encode(samples.batch(1)))
    raw["cards"][0]["print"].update(change)
    with pytest.raises(BatchFormatError, match=message):
        batch_decode(_dump(raw))


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({0x010F: b"\x6f\x00"}, "'files.010F' is not a pass-1 chip file"),  # DG15 comes in pass 2
        ({0x011D: b"\x77\x00"}, "'files.011D' is not a pass-1 chip file"),  # so does EF.SOD
        ({0x011E: b"\x60\x00"}, "'files.011E' is not a pass-1 chip file"),  # and EF.COM
        ({0x0101: b"\x75\x00"}, "'files.0101' must be a file with tag 61"),
        ({0x0102: b""}, "'files.0102' must be a non-empty byte string"),
        ({"257": b"\x61\x00"}, "'files.257' is not a pass-1"),
    ],
)
def test_card_files_are_the_pass_1_files(files: dict[Any, bytes], message: str) -> None:
    raw = _raw(batch_encode(samples.batch(1)))
    raw["cards"][0]["files"].update(files)
    with pytest.raises(BatchFormatError, match=message):
        batch_decode(_dump(raw))
    raw = _raw(batch_encode(samples.batch(1)))
    del raw["cards"][0]["files"][0x010E]
    with pytest.raises(BatchFormatError, match=r"'files\.010E' is missing"):
        batch_decode(_dump(raw))


def test_outcome_rules_of_the_reports() -> None:
    report = samples.key_report()
    spoiled_with_key = dataclasses.replace(report.lines[1], dg15=samples.DG15)
    with pytest.raises(BatchFormatError, match="line 2: field 'dg15' must be empty"):
        key_report_encode(dataclasses.replace(report, lines=(report.lines[0], spoiled_with_key)))
    without_key = dataclasses.replace(report.lines[0], dg15=b"")
    with pytest.raises(BatchFormatError, match="line 1: field 'dg15' must not be empty"):
        key_report_encode(dataclasses.replace(report, lines=(without_key,)))
    produced = samples.production_report()
    no_fingerprint = dataclasses.replace(produced.lines[0], aa_fingerprint="")
    with pytest.raises(BatchFormatError, match="line 1: field 'aa_fingerprint' must be 64"):
        report_encode(dataclasses.replace(produced, lines=(no_fingerprint,)))
    no_reason = dataclasses.replace(produced.lines[1], reason="")
    with pytest.raises(BatchFormatError, match="line 1: field 'reason' must not be empty"):
        report_encode(dataclasses.replace(produced, lines=(no_reason,)))


def test_unknown_field_is_refused() -> None:
    raw = _raw(batch_encode(samples.batch(1)))
    raw["cards"][0]["dg15"] = b"\x6f\x00"
    with pytest.raises(BatchFormatError, match="cards line 1: field 'dg15' is not a field"):
        batch_decode(_dump(raw))


# --- encoders refuse what decoders refuse -----------------------------------------------------------------


def test_encoders_refuse_what_decoders_refuse() -> None:
    batch = samples.batch(2)
    bad_card = dataclasses.replace(
        batch.cards[1], print=dataclasses.replace(batch.cards[1].print, gender="m")
    )
    with pytest.raises(BatchFormatError, match=r"cards line 2: field 'print\.gender'"):
        batch_encode(dataclasses.replace(batch, cards=(batch.cards[0], bad_card)))
    with pytest.raises(BatchFormatError, match="field 'created_at'"):
        batch_encode(dataclasses.replace(batch, created_at=datetime(2026, 3, 2)))
    with pytest.raises(BatchFormatError, match=r"field 'print\.issue_date'"):
        batch_encode(
            dataclasses.replace(
                batch,
                cards=(
                    dataclasses.replace(
                        batch.cards[0],
                        print=dataclasses.replace(batch.cards[0].print, issue_date=datetime.now(UTC)),
                    ),
                ),
            )
        )
    with pytest.raises(BatchFormatError, match="'cards' must hold at least one"):
        batch_encode(dataclasses.replace(batch, cards=()))
    with pytest.raises(BatchFormatError, match="report_id"):
        key_report_encode(dataclasses.replace(samples.key_report(), report_id="ABC"))


def test_sizes_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _raw(batch_encode(samples.batch(1)))
    raw["cards"] = raw["cards"] * (MAX_CARDS + 1)
    with pytest.raises(BatchFormatError, match=f"more than {MAX_CARDS}"):
        batch_decode(_dump(raw))
    # MAX_BATCH_BYTES is 512 MiB; the check is the same at any size, so it is tried at a small one.
    data = batch_encode(samples.batch(2))
    monkeypatch.setattr(batches.codec, "MAX_BATCH_BYTES", len(data) - 1)
    with pytest.raises(BatchFormatError, match="more than"):
        batch_decode(data)


# --- junk in, BatchError out ------------------------------------------------------------------------------

_DECODERS = (batch_decode, key_report_decode, sod_file_decode, report_decode)

_cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12) | st.integers(0, 300), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=400))
def test_decoders_raise_only_batch_errors_on_bytes(data: bytes) -> None:
    for decode in _DECODERS:
        with contextlib.suppress(BatchError):
            decode(data)


@settings(max_examples=300, deadline=None)
@given(value=_cbor_values, key=st.sampled_from(["format", "cards", "lines", "manifest", "created_at"]))
def test_decoders_raise_only_batch_errors_on_cbor(value: Any, key: str) -> None:
    for decode, make, encode in (
        (batch_decode, lambda: samples.batch(2), batch_encode),
        (key_report_decode, samples.key_report, key_report_encode),
        (sod_file_decode, samples.sod_file, sod_file_encode),
        (report_decode, samples.production_report, report_encode),
    ):
        raw = _raw(encode(make()))
        if key in raw:
            raw[key] = value
        for data in (_dump(value), _dump(raw)):
            with contextlib.suppress(BatchError):
                decode(data)


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, 10**6), xor=st.integers(1, 255), cut=st.booleans())
def test_decoders_raise_only_batch_errors_on_damaged_files(index: int, xor: int, cut: bool) -> None:
    for decode, data in (
        (batch_decode, batch_encode(samples.batch(2))),
        (key_report_decode, key_report_encode(samples.key_report())),
        (sod_file_decode, sod_file_encode(samples.sod_file())),
        (report_decode, report_encode(samples.production_report())),
    ):
        i = index % len(data)
        damaged = data[:i] if cut else data[:i] + bytes([data[i] ^ xor]) + data[i + 1 :]
        with contextlib.suppress(BatchError):
            decode(damaged)
