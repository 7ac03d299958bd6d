"""Data groups: each round-trips byte for byte, and each parser refuses what its builder never writes."""

from __future__ import annotations

import contextlib
import dataclasses
import io
from datetime import date

import pytest
from asn1crypto import keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

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


def _jpeg(mode: str = "RGB", size: tuple[int, int] = (48, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 128 if mode == "L" else (200, 160, 120)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def test_dg2_round_trip(photo_jpeg: bytes) -> None:
    data = lds.dg2_build(photo_jpeg)
    assert lds.dg2_parse(data) == lds.Dg2(photo_jpeg, 48, 64)
    grey = _jpeg("L", (300, 400))
    assert lds.dg2_parse(lds.dg2_build(grey)) == lds.Dg2(grey, 300, 400)


def test_dg2_templates_as_9303_10_lists_them(photo_jpeg: bytes) -> None:
    # 9303-10 §4.7.2.1: 75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E data block } } }.
    root = tlv_parse(lds.dg2_build(photo_jpeg))
    assert root.tag == 0x75 and [c.tag for c in root.children] == [0x7F61]
    group = root.one(0x7F61)
    assert [c.tag for c in group.children] == [0x02, 0x7F60] and group.one(0x02).value == b"\x01"
    bit = group.one(0x7F60)
    assert [c.tag for c in bit.children] == [0xA1, 0x5F2E]
    header = {c.tag: c.value.hex() for c in bit.one(0xA1).children}
    # 87 format owner and 88 format type are the mandatory ones: ISO/IEC JTC 1/SC 37, face image (19794-5).
    assert header == {0x80: "0101", 0x81: "02", 0x82: "00", 0x87: "0101", 0x88: "0008"}


def test_dg2_facial_record_at_the_offsets_of_19794_5() -> None:
    photo = _jpeg("RGB", (360, 480))
    record = tlv_parse(lds.dg2_build(photo)).one(0x7F61).one(0x7F60).one(0x5F2E).value
    # ISO/IEC 19794-5:2005 §5.4 facial record header, 14 bytes.
    assert record[0:4] == b"FAC\x00" and record[4:8] == b"010\x00"
    assert int.from_bytes(record[8:12], "big") == len(record) == 14 + 20 + 12 + len(photo)
    assert record[12:14] == b"\x00\x01"  # one facial image
    # §5.5 facial information, 20 bytes: data length (to the end), 0 feature points, the rest unspecified.
    assert int.from_bytes(record[14:18], "big") == len(record) - 14
    assert record[18:20] == b"\x00\x00"
    assert record[20:34] == bytes(14)  # gender, eyes, hair, feature mask, expression, pose, uncertainty
    # §5.7 image information, 12 bytes: basic face, JPEG, width, height, 24-bit RGB, source/device/quality 0.
    assert record[34] == 0x00 and record[35] == 0x00
    assert int.from_bytes(record[36:38], "big") == 360 and int.from_bytes(record[38:40], "big") == 480
    assert record[40] == 0x01
    assert record[41:46] == bytes(5)
    assert record[46:] == photo  # §5.8
    assert lds.face_record_build(_jpeg("L"))[40] == 0x03  # 8-bit greyscale
    assert lds.face_record_build(_jpeg("CMYK"))[40] == 0x04  # other


# The start of BSI TR-03105-5's reference data set Datagroup2.bin (a German test passport's face, as
# pymrtd's tests/ef/dg2_test.py carries it): DG2 and its templates, the header A1 with 81 02, 82 00,
# 87 0101, 88 0008 (no 80), and the 19794-5 record up to its image: FAC 010, 15,045 bytes, one face,
# data length 15,031, no feature points, all unspecified, full frontal (01), JPEG 2000 (01), 337×449.
_BSI_DG2_HEAD = bytes.fromhex(
    "75823ae77f61823ae20201017f60823adaa10e81010282010087020101880200085f2e823ac5"
    "464143003031300000003ac5000100003ab7000000000000000000000000000000000101015101c1000000000000"
)


def _bsi_dg2() -> bytes:
    """The reference DG2 with its JPEG 2000 image (15,045 − 46 bytes) replaced by a JP2 signature box and
    zeros of the same length, so every length field holds."""
    image = bytes.fromhex("0000000c6a5020200d0a870a")
    return _BSI_DG2_HEAD + image + bytes(0x3AC5 - 46 - len(image))


def test_dg2_agrees_with_the_bsi_reference_data_set(photo_jpeg: bytes) -> None:
    reference = tlv_parse(_bsi_dg2())
    ours = tlv_parse(lds.dg2_build(photo_jpeg))
    their_bit, our_bit = reference.one(0x7F61).one(0x7F60), ours.one(0x7F61).one(0x7F60)
    # The same header bytes, ours adding the optional ICAO header version 80.
    their_header = their_bit.one(0xA1).children
    assert [c for c in our_bit.one(0xA1).children if c.tag != 0x80] == list(their_header)
    theirs, record = their_bit.one(0x5F2E).value, our_bit.one(0x5F2E).value
    assert record[:8] == theirs[:8] and record[12:14] == theirs[12:14] and record[18:34] == theirs[18:34]
    assert record[41:46] == theirs[41:46]
    # Our parser reads the reference record's lengths and header, then refuses its image: JPEG 2000.
    with pytest.raises(ChipFormatError, match="image data type 00\\), found 01"):
        lds.dg2_parse(_bsi_dg2())


def _dg2_with(header: list[bytes], record: bytes) -> bytes:
    bit = tlv_encode(0x7F60, [tlv_encode(0xA1, header), tlv_encode(0x5F2E, record)])
    return tlv_encode(0x75, tlv_encode(0x7F61, [tlv_encode(0x02, b"\x01"), bit]))


def test_dg2_reads_the_simplified_layout_of_cards_before_issue_18(photo_jpeg: bytes) -> None:
    legacy = _dg2_with([tlv_encode(0x81, b"\x02")], photo_jpeg)
    assert lds.dg2_parse(legacy) == lds.Dg2(photo_jpeg, None, None, standard=False)
    with pytest.raises(ChipFormatError, match="face"):
        lds.dg2_parse(_dg2_with([tlv_encode(0x81, b"\x04")], photo_jpeg))


def test_dg2_refuses(photo_jpeg: bytes) -> None:
    with pytest.raises(ChipFormatError, match="JPEG"):
        lds.dg2_build(b"\x89PNG\r\n")
    with pytest.raises(ChipFormatError, match="readable JPEG"):
        lds.dg2_build(b"\xff\xd8\xff\xe0" + bytes(200) + b"\xff\xd9")
    good = lds.dg2_build(photo_jpeg)
    with pytest.raises(ChipFormatError, match="JPEG"):
        lds.dg2_parse(good.replace(photo_jpeg[:3], b"\x00\x00\x00", 1))
    two = tlv_encode(0x75, [tlv_parse(good).children[0].encode()] * 2)
    with pytest.raises(ChipFormatError, match="one biometric"):
        lds.dg2_parse(two)
    bit = tlv_parse(good).one(0x7F61).one(0x7F60)
    header, record = [c.encode() for c in bit.one(0xA1).children], bit.one(0x5F2E).value
    assert lds.dg2_parse(_dg2_with(header, record)).photo_jpeg == photo_jpeg
    without_owner = [h for h in header if h[0] != 0x87]
    with pytest.raises(ChipFormatError, match="mandatory format owner 87"):
        lds.dg2_parse(_dg2_with(without_owner, record))
    with pytest.raises(ChipFormatError, match="mandatory"):
        lds.dg2_parse(_dg2_with([h for h in header if h[0] != 0x88], record))
    other_format = [*header[:-1], tlv_encode(0x88, b"\x00\x05")]
    with pytest.raises(ChipFormatError, match="not ISO/IEC 19794-5"):
        lds.dg2_parse(_dg2_with(other_format, record))
    with pytest.raises(ChipFormatError, match="unknown or repeated"):
        lds.dg2_parse(_dg2_with([*header, tlv_encode(0x87, b"\x01\x01")], record))
    with pytest.raises(ChipFormatError, match="'FAC' '010'"):
        lds.dg2_parse(_dg2_with(header, b"FAC\x00020\x00" + record[8:]))
    with pytest.raises(ChipFormatError, match="says"):
        lds.dg2_parse(_dg2_with(header, record + b"\x00"))
    with pytest.raises(ChipFormatError, match="one face"):
        lds.dg2_parse(_dg2_with(header, record[:12] + b"\x00\x02" + record[14:]))
    with pytest.raises(ChipFormatError, match="data length"):
        lds.dg2_parse(_dg2_with(header, record[:17] + bytes([record[17] ^ 1]) + record[18:]))
    with pytest.raises(ChipFormatError, match="feature points overrun"):
        lds.dg2_parse(_dg2_with(header, record[:18] + b"\xff\xff" + record[20:]))
    with pytest.raises(ChipFormatError, match="found 01"):
        lds.dg2_parse(_dg2_with(header, record[:35] + b"\x01" + record[36:]))


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
