"""Data groups: each round-trips byte for byte, and each parser refuses what its builder never writes."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date

import pytest
from asn1crypto import keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from partycard.chip import lds
from partycard.chip.errors import ChipFormatError
from partycard.chip.lds import CardData
from partycard.chip.tlv import tlv_encode, tlv_parse


def test_com_round_trip_and_known_bytes() -> None:
    data = lds.com_build(tags=(0x61, 0x75, 0x6E, 0x6F))
    # 9303-10 §4.6.1: 60 { 5F01 "0108", 5F36 "040000", 5C tag list }.
    assert data.hex() == "60165f0104303130385f36063034303030305c0461756e6f"
    assert lds.com_parse(data) == lds.EfCom("0108", "040000", (0x61, 0x75, 0x6E, 0x6F))


@pytest.mark.parametrize(
    "data",
    [
        "6000",  # empty
        "600f5f36063034303030305c0461756e6f",  # LDS version missing
        "60165f0104303130385f36063034303030305c0461616e6f",  # a tag twice
        "60165f0104303130385f36063034303030305c0461756e99",  # not a data group tag
        "60165f010430313038",  # truncated
    ],
)
def test_com_refuses(data: str) -> None:
    with pytest.raises(ChipFormatError):
        lds.com_parse(bytes.fromhex(data))


def test_dg1_round_trip(card: CardData) -> None:
    data = lds.dg1_build(card)
    assert data[0] == 0x61
    assert lds.dg1_parse(data) == card
    root = tlv_parse(data)
    assert root.one(0x81).value.decode("utf-8") == "Nguyễn Thị Minh Khai"
    assert root.one(0x82).value == b"19850714"
    assert lds.dg1_build(lds.dg1_parse(data)) == data


@pytest.mark.parametrize(
    ("field", "value"),
    [("gender", "X"), ("full_name", ""), ("full_name", " An"), ("issuing_committee", "a\nb")],
)
def test_dg1_refuses_bad_card_data(card: CardData, field: str, value: str) -> None:
    with pytest.raises(ChipFormatError):
        lds.dg1_build(dataclasses.replace(card, **{field: value}))


def _dg1_with(card: CardData, tag: int, value: bytes) -> bytes:
    root = tlv_parse(lds.dg1_build(card))
    return tlv_encode(0x61, [tlv_encode(c.tag, value if c.tag == tag else c.value) for c in root.children])


@pytest.mark.parametrize(
    ("tag", "value", "message"),
    [
        (0x82, b"19850230", "not a calendar date"),
        (0x82, b"1985-7-1", "8 ASCII digits"),
        (0x81, b"\xff\xfe", "not UTF-8"),
        (0x83, b"m", "gender"),
        (0x86, b"", "non-empty"),
    ],
)
def test_dg1_parse_refuses_bad_values(card: CardData, tag: int, value: bytes, message: str) -> None:
    with pytest.raises(ChipFormatError, match=message):
        lds.dg1_parse(_dg1_with(card, tag, value))


def test_dg1_parse_refuses_wrong_layout(card: CardData) -> None:
    children = tlv_parse(lds.dg1_build(card)).children
    reordered = tlv_encode(0x61, [c.encode() for c in (children[1], children[0], *children[2:])])
    with pytest.raises(ChipFormatError, match="in order"):
        lds.dg1_parse(reordered)
    with pytest.raises(ChipFormatError, match="in order"):
        lds.dg1_parse(tlv_encode(0x61, [c.encode() for c in children[:-1]]))
    with pytest.raises(ChipFormatError, match="expected tag 61"):
        lds.dg1_parse(tlv_encode(0x6B, [c.encode() for c in children]))


def test_dg2_round_trip(photo_jpeg: bytes) -> None:
    data = lds.dg2_build(photo_jpeg)
    root = tlv_parse(data)
    assert root.tag == 0x75
    assert root.one(0x7F61).one(0x7F60).one(0x5F2E).value == photo_jpeg
    assert lds.dg2_parse(data) == lds.Dg2(photo_jpeg)


def test_dg2_refuses(photo_jpeg: bytes) -> None:
    with pytest.raises(ChipFormatError, match="JPEG"):
        lds.dg2_build(b"\x89PNG\r\n")
    good = lds.dg2_build(photo_jpeg)
    with pytest.raises(ChipFormatError, match="JPEG"):
        lds.dg2_parse(good.replace(photo_jpeg[:3], b"\x00\x00\x00", 1))
    two = tlv_encode(0x75, [tlv_parse(good).children[0].encode()] * 2)
    with pytest.raises(ChipFormatError, match="one biometric"):
        lds.dg2_parse(two)


STATUS_URI = "https://thedangvien.example/api/v1/status-lists/7"


def test_dg13_round_trip_and_known_bytes() -> None:
    data = lds.dg13_build(uri="https://a.vn/s/1", index=1_048_575)
    # 6D { A0 { 80 URI (ASCII), 81 index (unsigned big-endian, minimal) } } (chip/lds.py, DG13).
    assert data.hex() == "6d19" + "a017" + "8010" + b"https://a.vn/s/1".hex() + "81030fffff"
    assert lds.dg13_parse(data) == lds.StatusReference("https://a.vn/s/1", 1_048_575)
    for index in (0, 1, 255, 256, 65_535, 65_536, lds.MAX_STATUS_INDEX):
        again = lds.dg13_build(uri=STATUS_URI, index=index)
        assert lds.dg13_parse(again) == lds.StatusReference(STATUS_URI, index)
    assert lds.dg13_build(uri=STATUS_URI, index=0).endswith(bytes.fromhex("810100"))  # zero is one byte


@pytest.mark.parametrize(
    ("uri", "index"),
    [
        ("", 0),
        ("no-scheme/status/1", 0),
        ("https://a.vn/trạng-thái", 0),  # RFC 3986 URIs are ASCII (an IRI must be percent-encoded)
        ("https://a.vn/a b", 0),
        ("https://a.vn/" + "x" * 500, 0),  # over 512 bytes
        (STATUS_URI, -1),
        (STATUS_URI, lds.MAX_STATUS_INDEX + 1),
        (STATUS_URI, True),
    ],
)
def test_dg13_build_refuses(uri: str, index: int) -> None:
    with pytest.raises(ChipFormatError, match="status list"):
        lds.dg13_build(uri=uri, index=index)


def _dg13(*fields: bytes, outer: int = 0xA0) -> bytes:
    return tlv_encode(0x6D, tlv_encode(outer, list(fields)))


_URI_FIELD = tlv_encode(0x80, STATUS_URI.encode())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_dg13(_URI_FIELD, tlv_encode(0x81, b"\x00\x05")), "minimal form"),  # a leading zero byte
        (_dg13(_URI_FIELD, tlv_encode(0x81, b"")), "minimal form"),
        (_dg13(_URI_FIELD, tlv_encode(0x81, b"\x01\x00\x00\x00\x00")), "minimal form"),  # 5 bytes
        (_dg13(tlv_encode(0x80, "https://a.vn/ộ".encode()), tlv_encode(0x81, b"\x01")), "not ASCII"),
        (_dg13(tlv_encode(0x80, b"status 1"), tlv_encode(0x81, b"\x01")), "RFC 3986"),
        (_dg13(tlv_encode(0x81, b"\x01"), _URI_FIELD), "in order"),
        (_dg13(_URI_FIELD), "in order"),
        (_dg13(_URI_FIELD, tlv_encode(0x81, b"\x01"), tlv_encode(0x82, b"x")), "in order"),
        (_dg13(_URI_FIELD, tlv_encode(0x81, b"\x01"), outer=0xA1), "one status list reference"),
        (tlv_encode(0x6D, b""), "one status list reference"),
        (tlv_encode(0x6C, tlv_encode(0xA0, [_URI_FIELD, tlv_encode(0x81, b"\x01")])), "expected tag 6D"),
    ],
)
def test_dg13_parse_refuses(data: bytes, message: str) -> None:
    with pytest.raises(ChipFormatError, match=message):
        lds.dg13_parse(data)


@given(
    st.from_regex(r"[a-z][a-z0-9+.-]{0,9}:[\x21-\x7e]{1,80}", fullmatch=True),
    st.integers(0, lds.MAX_STATUS_INDEX),
)
def test_dg13_round_trip_property(uri: str, index: int) -> None:
    data = lds.dg13_build(uri=uri, index=index)
    assert lds.dg13_parse(data) == lds.StatusReference(uri, index)
    assert lds.dg13_build(uri=uri, index=index) == data


def test_dg14_round_trip() -> None:
    data = lds.dg14_build()
    # 6E { SET { SEQUENCE { id-AA, INTEGER 1, ecdsa-plain-SHA256 } } } (9303-11 §9.2.9).
    assert data.hex() == "6e1b311930170606678108010105020101060a04007f00070101040103"
    assert lds.dg14_parse(data) == lds.Dg14(lds.ECDSA_PLAIN_SHA256, (lds.ID_AA,))


def test_dg14_other_protocols_listed_and_bad_aa_refused() -> None:
    # A SecurityInfo for another protocol (PACE, 0.4.0.127.0.7.2.2.4.2.2) alongside: listed, not understood.
    pace = bytes.fromhex("300f060a04007f00070202040202020102")
    aa = bytes.fromhex("30170606678108010105020101060a04007f00070101040103")
    data = tlv_encode(0x6E, tlv_encode(0x31, pace + aa))
    assert lds.dg14_parse(data).protocols == ("0.4.0.127.0.7.2.2.4.2.2", lds.ID_AA)
    aa_v2 = bytes.fromhex("30170606678108010105020102060a04007f00070101040103")
    with pytest.raises(ChipFormatError, match="version 1"):
        lds.dg14_parse(tlv_encode(0x6E, tlv_encode(0x31, aa_v2)))
    with pytest.raises(ChipFormatError, match="not DER SecurityInfos"):
        lds.dg14_parse(tlv_encode(0x6E, b"\x31\x03\x02\x01\x01"))


def test_dg15_round_trip() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    data = lds.dg15_build(key)
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert data == tlv_encode(0x6F, spki)
    parsed = lds.dg15_parse(data)
    assert parsed.spki_der == spki
    assert lds.dg15_build(parsed.public_key) == data


def test_dg15_refuses_other_curves_truncation_and_compressed_points() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    with pytest.raises(ChipFormatError, match="P-256"):
        lds.dg15_parse(lds.dg15_build(p384))  # built anyway, to test the parser
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ChipFormatError, match="not a SubjectPublicKeyInfo"):
        lds.dg15_parse(tlv_encode(0x6F, spki[:-1]))
    info = keys.PublicKeyInfo.load(spki)
    point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    compressed = keys.PublicKeyInfo({"algorithm": info["algorithm"], "public_key": point}).dump()
    with pytest.raises(ChipFormatError, match="canonical"):
        lds.dg15_parse(tlv_encode(0x6F, compressed))


_parsers = [lds.com_parse, lds.dg1_parse, lds.dg2_parse, lds.dg13_parse, lds.dg14_parse, lds.dg15_parse]


@given(
    st.sampled_from(_parsers), st.sampled_from([0x60, 0x61, 0x75, 0x6D, 0x6E, 0x6F]), st.binary(max_size=200)
)
def test_parsers_raise_only_chip_format_error(parse: object, tag: int, body: bytes) -> None:
    assert callable(parse)
    for data in (body, tlv_encode(tag, body)):
        with contextlib.suppress(ChipFormatError):
            parse(data)


_texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60).filter(
    lambda t: t == t.strip() and not t.startswith("\ufeff")
)
_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(
    st.builds(CardData, _texts, _texts, _dates, st.sampled_from(["M", "F"]), _dates, _dates, _texts, _dates)
)
def test_dg1_round_trip_property(card: CardData) -> None:
    data = lds.dg1_build(card)
    assert lds.dg1_parse(data) == card
    assert lds.dg1_build(lds.dg1_parse(data)) == data


def test_dg15_with_an_unknown_curve_is_a_format_error() -> None:
    """Found by atheris (fuzz/fuzz_chip.py lds): one bit in the curve OID made cryptography raise
    UnsupportedAlgorithm, which escaped the parser and would have crashed a verifier."""
    spki = bytes.fromhex(
        "3059301306072a8648ce3d020106082a8448ce3d030107034200041d2252b826f9341fedc653c5123135c4657fa4df3430b4"
        "d801e9ab272a24d0ee07ffdee0eb25b65cda4350eb286530e1848f22025b80bf09c92f3a92f24ed5fe"
    )
    with pytest.raises(ChipFormatError, match="SubjectPublicKeyInfo"):
        lds.dg15_parse(b"\x6f\x5b" + spki)
