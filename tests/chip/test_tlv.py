"""BER-TLV: known encodings, every malformation named, and hypothesis over random bytes and trees."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partycard.chip.errors import ChipFormatError
from partycard.chip.tlv import (
    MAX_DEPTH,
    Tlv,
    length_encode,
    tag_encode,
    tlv_encode,
    tlv_parse,
    tlv_parse_many,
    tlv_unwrap,
)


@pytest.mark.parametrize(
    ("length", "encoded"),
    [
        (0, "00"),
        (0x7F, "7f"),
        (0x80, "8180"),
        (0xFF, "81ff"),
        (0x100, "820100"),
        (0x10000, "83010000"),
        (0xFFFFFFFF, "84ffffffff"),
    ],
)
def test_length_forms(length: int, encoded: str) -> None:
    assert length_encode(length).hex() == encoded


@pytest.mark.parametrize(
    ("tag", "encoded"), [(0x61, "61"), (0x5F01, "5f01"), (0x7F61, "7f61"), (0x5F8101, "5f8101")]
)
def test_tag_forms(tag: int, encoded: str) -> None:
    assert tag_encode(tag).hex() == encoded


@pytest.mark.parametrize("tag", [0x00, 0xFF, 0x5F, 0x5F81, 0x6181, 0x5F818101, 0x5F8001, -1])
def test_bad_tags_refused_on_encode(tag: int) -> None:
    with pytest.raises(ChipFormatError):
        tag_encode(tag)


def test_length_too_long_refused() -> None:
    with pytest.raises(ChipFormatError, match="more than 4"):
        length_encode(1 << 32)


def test_nested_parse_and_lookup() -> None:
    data = bytes.fromhex("7f6109 020101 7f6003 5f2e00")
    root = tlv_parse(data)
    assert root.tag == 0x7F61 and root.constructed
    assert [c.tag for c in root.children] == [0x02, 0x7F60]
    assert root.one(0x02).value == b"\x01"
    assert root.one(0x7F60).one(0x5F2E) == Tlv(0x5F2E, b"")
    assert root.find(0x99) is None
    assert root.encode() == data
    assert tlv_parse_many(data + bytes.fromhex("0100")) == (root, Tlv(0x01, b""))


def test_one_refuses_missing_and_repeated() -> None:
    root = tlv_parse(bytes.fromhex("6106 800100 800100"))
    with pytest.raises(ChipFormatError, match="occurs 2 times"):
        root.one(0x80)
    with pytest.raises(ChipFormatError, match="missing"):
        root.one(0x81)


@pytest.mark.parametrize(
    ("hex_bytes", "message"),
    [
        ("", "truncated: tag"),
        ("61", "truncated: length"),
        ("6105 0101", "truncated: tag 61"),
        ("5f", "tag at offset 0 is incomplete"),
        ("5f8181 00", "longer than 3"),
        ("5f8001 00", "non-minimal tag"),
        ("00 00", "invalid tag byte 00"),
        ("ff 00", "invalid tag byte FF"),
        ("04 80", "indefinite length"),
        ("04 85 0000000001", "at most 4"),
        ("04 82 00", "length at offset 1 is incomplete"),
        ("04 81 05 0000000000", "shortest form"),
        ("04 82 0080" + "00" * 128, "shortest form"),
        ("04 00 00", "1 trailing bytes"),
        ("61 03 04 05 00", "truncated: tag 04"),
    ],
)
def test_malformed_input_named(hex_bytes: str, message: str) -> None:
    with pytest.raises(ChipFormatError, match=message):
        tlv_parse(bytes.fromhex(hex_bytes))


def test_too_deep() -> None:
    data = b""
    for _ in range(MAX_DEPTH + 1):
        data = tlv_encode(0x61, data)
    with pytest.raises(ChipFormatError, match="too deep"):
        tlv_parse(data)
    assert tlv_parse(data, max_depth=MAX_DEPTH + 1).tag == 0x61


def test_unwrap_does_not_descend_but_checks_tag_and_trailing_bytes() -> None:
    # The value 00 00 is no valid TLV, which unwrap does not care about: it is another encoding's.
    assert tlv_unwrap(bytes.fromhex("77020000"), 0x77) == b"\x00\x00"
    with pytest.raises(ChipFormatError, match="expected tag 77, found 6F"):
        tlv_unwrap(bytes.fromhex("6f00"), 0x77)
    with pytest.raises(ChipFormatError, match="trailing"):
        tlv_unwrap(bytes.fromhex("770000"), 0x77)


@given(st.binary(max_size=300))
def test_random_bytes_raise_only_chip_format_error(data: bytes) -> None:
    for parse in (tlv_parse, tlv_parse_many, lambda d: tlv_unwrap(d, 0x77)):
        with contextlib.suppress(ChipFormatError):
            parse(data)


# A valid tag: one byte (not 00/FF, low bits not 1F), or 5F/7F-style plus one or two subsequent bytes.
_one_byte_tags = st.integers(0x01, 0xFE).filter(lambda b: b & 0x1F != 0x1F)
_tag_numbers = st.one_of(
    _one_byte_tags,
    st.tuples(st.sampled_from([0x1F, 0x5F, 0x7F, 0x9F, 0xBF, 0xDF]), st.integers(0x01, 0x7F)).map(
        lambda t: (t[0] << 8) | t[1]
    ),
    st.tuples(st.sampled_from([0x5F, 0x7F]), st.integers(0x81, 0xFF), st.integers(0x00, 0x7F)).map(
        lambda t: (t[0] << 16) | (t[1] << 8) | t[2]
    ),
)


def _is_constructed(tag: int) -> bool:
    return bool(tag.to_bytes((tag.bit_length() + 7) // 8, "big")[0] & 0x20)


def _trees(depth: int) -> st.SearchStrategy[Tlv]:
    primitive = st.builds(Tlv, _tag_numbers.filter(lambda t: not _is_constructed(t)), st.binary(max_size=300))
    if depth == 0:
        return primitive
    children = st.lists(_trees(depth - 1), max_size=3).map(tuple)
    constructed = st.builds(
        lambda tag, kids: Tlv(tag, b"".join(k.encode() for k in kids), kids),
        _tag_numbers.filter(_is_constructed),
        children,
    )
    return st.one_of(primitive, constructed)


@given(_trees(3))
def test_encode_parse_round_trip(tree: Tlv) -> None:
    encoded = tree.encode()
    assert tlv_parse(encoded) == tree
    assert tlv_parse(encoded).encode() == encoded
