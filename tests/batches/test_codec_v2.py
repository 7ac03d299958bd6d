"""Version 2 of the batch and key report formats (issue 18): the CAN and EF.CardAccess per card, DG14
from the chip's chip-authentication key in the key report; version 1 still read (batches already out)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partycard.batches import (
    BATCH_FORMAT,
    BATCH_FORMAT_1,
    KEYS_FORMAT,
    KEYS_FORMAT_1,
    BatchFormatError,
    ManifestMismatch,
    batch_decode,
    batch_encode,
    key_report_decode,
    key_report_encode,
)
from tests.batches import samples


def _raw(data: bytes) -> Any:
    return cbor2.loads(data)


def _dump(value: Any) -> bytes:
    return bytes(cbor2.dumps(value, canonical=True))


def test_batch_2_round_trip_carries_the_can_and_card_access() -> None:
    batch = samples.batch_2()
    data = batch_encode(batch)
    raw = _raw(data)
    assert raw["format"] == BATCH_FORMAT == "partycard-batch/2"
    assert raw["cards"][0]["print"]["can"] == "000001"
    assert raw["cards"][0]["card_access"] == samples.card_access()
    assert 0x010E not in raw["cards"][0]["files"]
    assert batch_decode(data) == batch


def test_batch_1_is_still_read() -> None:
    batch = samples.batch()
    data = batch_encode(batch)
    assert _raw(data)["format"] == BATCH_FORMAT_1 == "partycard-batch/1"
    decoded = batch_decode(data)
    assert (decoded.version, decoded.cards[0].print.can, decoded.cards[0].card_access) == (1, "", b"")
    assert decoded == batch


@pytest.mark.parametrize("can", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", 123456])
def test_batch_2_card_without_a_six_digit_can_is_refused(can: Any) -> None:
    raw = _raw(batch_encode(samples.batch_2(1)))
    raw["cards"][0]["print"]["can"] = can
    with pytest.raises(BatchFormatError, match=r"print\.can") as caught:
        batch_decode(_dump(raw))
    assert (caught.value.field, caught.value.line) == ("print.can", 1)
    card = replace(samples.batch_2(1).cards[0], print=replace(samples.card_2("01.000001").print, can=can))
    with pytest.raises(BatchFormatError, match=r"print\.can"):
        batch_encode(replace(samples.batch_2(1), cards=(card,)))


@pytest.mark.parametrize("card_access", [b"", b"\x31\x00", b"\x6e\x02\x31\x00", b"\xff"])
def test_batch_2_card_access_must_announce_pace(card_access: bytes) -> None:
    card = replace(samples.card_2("01.000001"), card_access=card_access)
    with pytest.raises(BatchFormatError, match="card_access") as caught:
        batch_encode(replace(samples.batch_2(1), cards=(card,)))
    assert caught.value.field == "card_access"


def test_batch_2_refuses_a_central_dg14() -> None:
    card = samples.card_2("01.000001")
    with_dg14 = replace(card, files={**card.files, 0x010E: b"\x6e\x02\x31\x00"})
    with pytest.raises(BatchFormatError, match=r"files.010E.*DG1, DG2, DG13\)"):
        batch_encode(replace(samples.batch_2(1), cards=(with_dg14,)))


def test_batch_1_fields_are_refused_in_2_and_back() -> None:
    raw = _raw(batch_encode(samples.batch(1)))
    raw["format"] = BATCH_FORMAT  # a /1 card under the /2 tag: no CAN, no EF.CardAccess
    with pytest.raises(BatchFormatError, match="is missing"):
        batch_decode(_dump(raw))
    raw = _raw(batch_encode(samples.batch_2(1)))
    raw["format"] = BATCH_FORMAT_1
    with pytest.raises(BatchFormatError, match="card_access' is not a field"):
        batch_decode(_dump(raw))


def test_key_report_2_round_trip_and_1_still_read() -> None:
    report = samples.key_report_2()
    data = key_report_encode(report)
    assert _raw(data)["format"] == KEYS_FORMAT == "partycard-keys/2"
    assert key_report_decode(data) == report
    old = key_report_encode(samples.key_report())
    assert _raw(old)["format"] == KEYS_FORMAT_1
    assert key_report_decode(old).version == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ca_key": b""}, "ca_key"),
        ({"ca_key": samples.CA_KEY[:-1]}, "ca_key"),
        ({"ca_key": b"\x02" + samples.CA_KEY[1:]}, "ca_key"),
        ({"dg14": b""}, "dg14"),
        ({"dg14": b"\x6f\x02\x31\x00"}, "dg14"),
    ],
)
def test_key_report_2_personalised_line_needs_the_ca_key_and_dg14(change: dict[str, Any], field: str) -> None:
    raw = _raw(key_report_encode(samples.key_report_2()))
    raw["lines"][0].update(change)
    with pytest.raises(BatchFormatError) as caught:
        key_report_decode(_dump(raw))
    assert (caught.value.field, caught.value.line) == (field, 1)


def test_key_report_2_spoiled_line_carries_no_key() -> None:
    raw = _raw(key_report_encode(samples.key_report_2()))
    raw["lines"][1]["dg14"] = samples.DG14
    with pytest.raises(BatchFormatError, match="dg14' must be empty"):
        key_report_decode(_dump(raw))


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_card_access_bytes_give_a_batch_or_a_format_error(data: bytes) -> None:
    raw = _raw(batch_encode(samples.batch_2(1)))
    raw["cards"][0]["card_access"] = data
    try:
        batch_decode(_dump(raw))
    except ManifestMismatch:
        pass  # the card changed under its digest: refused for that, after its fields were read
    except BatchFormatError as e:
        assert e.field == "card_access"
