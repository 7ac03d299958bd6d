"""The party card's data groups as bytes (ICAO 9303-10 LDS v1): EF.COM, DG1, DG2, DG13, DG14, DG15.

Each file has a ``*_build`` that returns its exact bytes (what EF.SOD hashes) and a ``*_parse`` that
accepts only well-formed bytes and returns a frozen dataclass, raising :class:`ChipFormatError`.

DG1 is our own template, since the party card is not an MRTD and has no MRZ. Inside tag 61 each field
is a primitive context-specific TLV whose value is UTF-8 text, in this fixed order:

====  =======================  ==========================================
tag   field                    value
====  =======================  ==========================================
80    card number              text as printed on the card
81    full name                text (Vietnamese, NFC as entered)
82    date of birth            ``YYYYMMDD``
83    gender                   ``M`` or ``F`` (the registry's codes)
84    date admitted            ``YYYYMMDD`` (joined the party)
85    date made official       ``YYYYMMDD`` (cards are issued to official members)
86    issuing committee        text
87    issue date               ``YYYYMMDD``
====  =======================  ==========================================

DG13 (optional) holds the card's status-list reference: where its revocation status is published.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass
from datetime import date
from typing import Any

from asn1crypto import core
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.errors import ChipFormatError
from partycard.chip.securityinfos import SecurityInfo, SecurityInfos, ca_security_infos
from partycard.chip.tlv import Tlv, tlv_encode, tlv_parse, tlv_unwrap

__all__ = [
    "AID_LDS1",
    "DG_TAGS",
    "ECDSA_PLAIN_SHA256",
    "FID_COM",
    "FID_DG1",
    "FID_DG2",
    "FID_DG13",
    "FID_DG14",
    "FID_DG15",
    "FID_SOD",
    "ID_AA",
    "LDS_VERSION",
    "MAX_STATUS_INDEX",
    "MAX_STATUS_URI_BYTES",
    "UNICODE_VERSION",
    "CardData",
    "Dg2",
    "Dg14",
    "Dg15",
    "EfCom",
    "StatusReference",
    "com_build",
    "com_parse",
    "dg1_build",
    "dg1_parse",
    "dg2_build",
    "dg2_parse",
    "dg13_build",
    "dg13_parse",
    "dg14_build",
    "dg14_parse",
    "dg15_build",
    "dg15_parse",
    "face_record_build",
    "face_record_parse",
]

# 9303-10 §4.6 Table 33: the tag of each data group's outer template, by data group number.
DG_TAGS: dict[int, int] = {
    1: 0x61,
    2: 0x75,
    3: 0x63,
    4: 0x76,
    5: 0x65,
    6: 0x66,
    7: 0x67,
    8: 0x68,
    9: 0x69,
    10: 0x6A,
    11: 0x6B,
    12: 0x6C,
    13: 0x6D,
    14: 0x6E,
    15: 0x6F,
    16: 0x70,
}
TAG_COM = 0x60

#: The LDS1 application's AID (9303-10 §3.6.1). The party card is modelled on the eMRTD and keeps its
#: AID, so ICAO tooling selects it; a party-card AID of its own is a registration matter (RID of the
#: Government Cipher Committee), not a code change: pass another ``aid`` to the applet and the reader.
AID_LDS1 = bytes.fromhex("A0000002471001")

# 9303-10 §3.11.2 / Table 39: short EF identifiers of the LDS v1 application's files.
FID_COM = 0x011E
FID_DG1 = 0x0101
FID_DG2 = 0x0102
FID_DG13 = 0x010D
FID_DG14 = 0x010E
FID_DG15 = 0x010F
FID_SOD = 0x011D

LDS_VERSION = "0108"  # 9303-10 §4.6.1: "aabb" = LDS 1.8
UNICODE_VERSION = "040000"  # 9303-10 §4.6.1: "aabbcc", the value the 9303 examples carry

ID_AA = "2.23.136.1.1.5"  # id-icao-mrtd-security-aaProtocolObject, 9303-11 §9.2.9
ECDSA_PLAIN_SHA256 = "0.4.0.127.0.7.1.1.4.1.3"  # ecdsa-plain-SHA256, BSI TR-03111 §5.2.1

_TAG_LDS_VERSION, _TAG_UNICODE_VERSION, _TAG_TAG_LIST = 0x5F01, 0x5F36, 0x5C


def _expect(item: Tlv, tag: int) -> Tlv:
    if item.tag != tag:
        raise ChipFormatError(f"expected tag {tag:02X}, found {item.tag:02X}")
    return item


def _ascii_digits(value: bytes, size: int, what: str) -> str:
    if len(value) != size or not value.isdigit():
        raise ChipFormatError(f"{what} must be {size} ASCII digits, found {value!r}")
    return value.decode("ascii")


# --- EF.COM -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EfCom:
    """EF.COM (9303-10 §4.6.1): LDS and Unicode versions and the tags of the data groups present."""

    lds_version: str
    unicode_version: str
    tags: tuple[int, ...]


def com_build(
    *, tags: tuple[int, ...], lds_version: str = LDS_VERSION, unicode_version: str = UNICODE_VERSION
) -> bytes:
    """EF.COM listing the data group tags present (one byte each, 9303-10 §4.6.1 tag 5C)."""
    com = EfCom(lds_version, unicode_version, tags)
    _com_check(com)
    return tlv_encode(
        TAG_COM,
        [
            tlv_encode(_TAG_LDS_VERSION, lds_version.encode("ascii")),
            tlv_encode(_TAG_UNICODE_VERSION, unicode_version.encode("ascii")),
            tlv_encode(_TAG_TAG_LIST, bytes(tags)),
        ],
    )


def _com_check(com: EfCom) -> None:
    _ascii_digits(com.lds_version.encode(), 4, "LDS version")
    _ascii_digits(com.unicode_version.encode(), 6, "Unicode version")
    known = set(DG_TAGS.values())
    if len(set(com.tags)) != len(com.tags) or not set(com.tags) <= known:
        raise ChipFormatError(f"tag list must name distinct data group tags, found {com.tags!r}")


def com_parse(data: bytes) -> EfCom:
    """Parse EF.COM: exactly 5F01, 5F36, 5C in that order (9303-10 §4.6.1).

    Raises:
        ChipFormatError: anything else.
    """
    root = _expect(tlv_parse(data), TAG_COM)
    if [c.tag for c in root.children] != [_TAG_LDS_VERSION, _TAG_UNICODE_VERSION, _TAG_TAG_LIST]:
        raise ChipFormatError("EF.COM must hold 5F01, 5F36 and 5C in that order")
    lds, uni, tag_list = root.children
    com = EfCom(
        _ascii_digits(lds.value, 4, "LDS version"),
        _ascii_digits(uni.value, 6, "Unicode version"),
        tuple(tag_list.value),
    )
    _com_check(com)
    return com


# --- DG1 ----------------------------------------------------------------------------------------------

_GENDERS = frozenset({"M", "F"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class CardData:
    """What DG1 holds: the printed face of the card. Text is stored as given (callers normalise)."""

    card_number: str
    full_name: str
    date_of_birth: date
    gender: str
    date_admitted: date
    date_official: date
    issuing_committee: str
    issue_date: date


_DG1_FIELDS: tuple[tuple[int, str], ...] = (
    (0x80, "card_number"),
    (0x81, "full_name"),
    (0x82, "date_of_birth"),
    (0x83, "gender"),
    (0x84, "date_admitted"),
    (0x85, "date_official"),
    (0x86, "issuing_committee"),
    (0x87, "issue_date"),
)


def _text_check(value: str, what: str) -> str:
    if not value or value != value.strip() or _CONTROL.search(value):
        raise ChipFormatError(f"{what} must be non-empty text without control or edge whitespace")
    if value.startswith("\ufeff"):
        raise ChipFormatError(f"{what} must not start with a byte order mark")
    return value


def _dg1_value(card: CardData, name: str) -> bytes:
    value: Any = getattr(card, name)
    if isinstance(value, date):
        return value.strftime("%Y%m%d").encode("ascii")
    if name == "gender" and value not in _GENDERS:
        raise ChipFormatError(f"gender must be one of {sorted(_GENDERS)}, found {value!r}")
    return _text_check(value, name).encode("utf-8")


def dg1_build(card: CardData) -> bytes:
    """DG1 (tag 61) in the template of the module docstring.

    Raises:
        ChipFormatError: a text field is empty or has control characters, or the gender is unknown.
    """
    return tlv_encode(DG_TAGS[1], [tlv_encode(tag, _dg1_value(card, name)) for tag, name in _DG1_FIELDS])


def _dg1_field(item: Tlv, name: str) -> Any:
    if name.startswith("date") or name.endswith("date"):
        digits = _ascii_digits(item.value, 8, name)
        try:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError as e:
            raise ChipFormatError(f"{name} is not a calendar date: {digits}") from e
    try:
        text = item.value.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ChipFormatError(f"{name} is not UTF-8") from e
    if name == "gender" and text not in _GENDERS:
        raise ChipFormatError(f"gender must be one of {sorted(_GENDERS)}, found {text!r}")
    return _text_check(text, name)


def dg1_parse(data: bytes) -> CardData:
    """Parse DG1: the eight fields, each once, in order, primitive.

    Raises:
        ChipFormatError: wrong or missing tags, bad UTF-8, bad dates, unknown gender.
    """
    root = _expect(tlv_parse(data), DG_TAGS[1])
    expected = [tag for tag, _ in _DG1_FIELDS]
    if [c.tag for c in root.children] != expected or any(c.constructed for c in root.children):
        raise ChipFormatError(f"DG1 must hold the primitive tags {[f'{t:02X}' for t in expected]} in order")
    values = {
        name: _dg1_field(item, name) for item, (_, name) in zip(root.children, _DG1_FIELDS, strict=True)
    }
    return CardData(**values)


# --- DG2 ---------------------------------------------------------------------------------------------
#
# DG2 is the face as 9303-10 §4.7.2 encodes it, so that any eMRTD reader shows the photo:
#
#     75                          DG2
#       7F61                      Biometric Information Group Template
#         02  01                  number of instances: one face
#         7F60                    Biometric Information Template
#           A1                    Biometric Header Template (ISO/IEC 7816-11 Table C.1 / 9303-10 §4.7.2.1)
#             80  0101            ICAO header version: CBEFF patron header format 1.1 (optional)
#             81  02              biometric type: facial features (optional)
#             82  00              biometric subtype: no information given (optional)
#             87  0101            format owner: ISO/IEC JTC 1/SC 37 (MANDATORY)
#             88  0008            format type: face image, ISO/IEC 19794-5 (MANDATORY)
#           5F2E                  biometric data block: one ISO/IEC 19794-5:2005 facial record
#
# The facial record (19794-5 §5.4-§5.8; all integers big-endian), at byte offset:
#
#      0  4  format identifier 'FAC' 00                   §5.4
#      4  4  version number '010' 00                      §5.4
#      8  4  length of record: all of it, header included §5.4
#     12  2  number of facial images: 1                   §5.4
#     14  4  facial record data length: from here to the end of the image (20 + 8·points + 12 + image)  §5.5
#     18  2  number of feature points: 0                  §5.5
#     20  1  gender 00, 21 eye colour 00, 22 hair colour 00 (unspecified)                            §5.5
#     23  3  feature mask 000000, 26 2 expression 0000, 28 3 pose angles, 31 3 their uncertainty: 0  §5.5
#     34  8·n feature points (none written)               §5.6
#     34  1  face image type: 00 basic                    §5.7 (image information, 12 bytes)
#     35  1  image data type: 00 JPEG (01: JPEG 2000)
#     36  2  width, 38 2 height (pixels, from the JPEG)
#     40  1  image colour space: 01 24-bit RGB, 03 8-bit greyscale, 04 other (from the JPEG)
#     41  1  source type 00, 42 2 device type 0000, 44 2 quality 0000 (unspecified)
#     46  …  the JPEG                                     §5.8
#
# "Basic" (00), not "full frontal" (01): full frontal promises the geometry of 19794-5's full frontal
# clause (head width, eye positions), which no step of ours checks. The layout agrees with JMRTD's
# FaceInfo/FaceImageInfo (readObject/writeObject) and with the BSI TR-03105-5 reference data set's
# Datagroup2.bin (tests/chip/test_lds.py compares the bytes). Cards signed before issue 18 carry the
# older, simplified DG2 (A1 holding 81 only, 5F2E the bare JPEG); :func:`dg2_parse` still reads it
# (``Dg2.standard`` False).

_JPEG_SOI = b"\xff\xd8\xff"
_TAG_BIT_GROUP, _TAG_BIT, _TAG_BHT, _TAG_BDB = 0x7F61, 0x7F60, 0xA1, 0x5F2E
_TAG_COUNT = 0x02
_TAG_HEADER_VERSION, _TAG_BIOMETRIC_TYPE, _TAG_BIOMETRIC_SUBTYPE = 0x80, 0x81, 0x82
_TAG_FORMAT_OWNER, _TAG_FORMAT_TYPE = 0x87, 0x88
_BHT_OPTIONAL = frozenset({0x80, 0x81, 0x82, 0x83, 0x85, 0x86})  # 7816-11 Table C.1 as 9303-10 lists them
_HEADER_VERSION = b"\x01\x01"  # 9303-10 §4.7.2.1: ICAO header version 1.1
_BIOMETRIC_TYPE_FACE = b"\x02"  # CBEFF biometric type "facial features" (NISTIR 6529-A)
_BIOMETRIC_SUBTYPE_NONE = b"\x00"
_FORMAT_OWNER_SC37 = b"\x01\x01"  # CBEFF format owner ISO/IEC JTC 1/SC 37 (IBIA registry)
_FORMAT_TYPE_FACE = b"\x00\x08"  # SC 37's format type for a 19794-5 face image (IBIA registry)

_FAC_HEADER = b"FAC\x00" + b"010\x00"  # 19794-5 §5.4: format identifier, version number
_FAC_HEADER_SIZE = 14  # §5.4: identifier 4, version 4, record length 4, number of images 2
_FACIAL_INFO_SIZE = 20  # §5.5
_FEATURE_POINT_SIZE = 8  # §5.6
_IMAGE_INFO_SIZE = 12  # §5.7
_FACE_IMAGE_TYPE_BASIC = 0x00  # §5.7
_IMAGE_DATA_TYPE_JPEG = 0x00  # §5.7 (01 is JPEG 2000)
_COLOUR_SPACES = {"RGB": 0x01, "L": 0x03}  # §5.7: 24-bit RGB, 8-bit greyscale; else 04 "other"
_COLOUR_SPACE_OTHER = 0x04


@dataclass(frozen=True, slots=True)
class Dg2:
    """DG2: the member's photo as JPEG bytes, with the pixel size its facial record states.

    ``standard`` is False for the simplified DG2 of cards signed before issue 18 (no facial record; the
    size is then None).
    """

    photo_jpeg: bytes
    width: int | None = None
    height: int | None = None
    standard: bool = True


def _jpeg_info(photo_jpeg: bytes) -> tuple[int, int, int]:
    """Width, height and 19794-5 colour space of a JPEG, read from its header (nothing is decoded)."""
    if not photo_jpeg.startswith(_JPEG_SOI):
        raise ChipFormatError("the photo must be a JPEG (starts with FF D8 FF)")
    from PIL import Image, UnidentifiedImageError  # here: readers import lds and never build a DG2

    try:
        with Image.open(io.BytesIO(photo_jpeg), formats=["JPEG"]) as image:
            width, height, mode = image.width, image.height, image.mode
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise ChipFormatError(f"the photo is not a readable JPEG: {e}") from e
    if not (0 < width <= 0xFFFF and 0 < height <= 0xFFFF):  # §5.7: two bytes each
        raise ChipFormatError(f"the photo's size {width}×{height} does not fit a facial record")
    return width, height, _COLOUR_SPACES.get(mode, _COLOUR_SPACE_OTHER)


def face_record_build(photo_jpeg: bytes) -> bytes:
    """The ISO/IEC 19794-5:2005 facial record of the table above: one JPEG face, nothing else specified.

    Raises:
        ChipFormatError: the bytes are not a JPEG whose header Pillow can read, or its size exceeds 65535.
    """
    width, height, colour_space = _jpeg_info(photo_jpeg)
    data_length = _FACIAL_INFO_SIZE + _IMAGE_INFO_SIZE + len(photo_jpeg)
    record_length = _FAC_HEADER_SIZE + data_length
    if record_length > 0xFFFF_FFFF:
        raise ChipFormatError("the photo is too large for a facial record")
    header = _FAC_HEADER + struct.pack(">IH", record_length, 1)
    # §5.5: length, 0 feature points, gender/eye/hair unspecified, feature mask, expression, pose, uncertainty
    facial_information = struct.pack(">IH", data_length, 0) + bytes(14)
    image_information = struct.pack(
        ">BBHHBBHH", _FACE_IMAGE_TYPE_BASIC, _IMAGE_DATA_TYPE_JPEG, width, height, colour_space, 0, 0, 0
    )
    return header + facial_information + image_information + photo_jpeg


def face_record_parse(record: bytes) -> Dg2:
    """Parse a 19794-5:2005 facial record holding exactly one JPEG face; feature points are skipped.

    Raises:
        ChipFormatError: another format or version, lengths that disagree with the bytes, more than one
            face, an image that is not JPEG.
    """
    if len(record) < _FAC_HEADER_SIZE + _FACIAL_INFO_SIZE + _IMAGE_INFO_SIZE:
        raise ChipFormatError("the facial record is shorter than its fixed headers")
    if record[:8] != _FAC_HEADER:
        raise ChipFormatError(f"the facial record does not start with 'FAC' '010': {record[:8].hex()}")
    record_length, faces = struct.unpack_from(">IH", record, 8)
    if record_length != len(record):
        raise ChipFormatError(f"the facial record says {record_length} bytes but holds {len(record)}")
    if faces != 1:
        raise ChipFormatError(f"the facial record must hold one face, found {faces}")
    data_length, points = struct.unpack_from(">IH", record, _FAC_HEADER_SIZE)
    if data_length != record_length - _FAC_HEADER_SIZE:
        raise ChipFormatError("the facial record data length disagrees with the record length")
    image_at = _FAC_HEADER_SIZE + _FACIAL_INFO_SIZE + points * _FEATURE_POINT_SIZE
    if image_at + _IMAGE_INFO_SIZE > len(record):
        raise ChipFormatError(f"{points} feature points overrun the facial record")
    _face_type, data_type, width, height = struct.unpack_from(">BBHH", record, image_at)
    if data_type != _IMAGE_DATA_TYPE_JPEG:
        raise ChipFormatError(f"the face image must be JPEG (image data type 00), found {data_type:02X}")
    photo = record[image_at + _IMAGE_INFO_SIZE :]
    if not photo.startswith(_JPEG_SOI):
        raise ChipFormatError("DG2 data block is not a JPEG")
    return Dg2(photo, width, height)


def dg2_build(photo_jpeg: bytes) -> bytes:
    """DG2 (tag 75): one biometric information template over the facial record (layout above).

    Raises:
        ChipFormatError: the bytes are not a readable JPEG.
    """
    header = tlv_encode(
        _TAG_BHT,
        [
            tlv_encode(_TAG_HEADER_VERSION, _HEADER_VERSION),
            tlv_encode(_TAG_BIOMETRIC_TYPE, _BIOMETRIC_TYPE_FACE),
            tlv_encode(_TAG_BIOMETRIC_SUBTYPE, _BIOMETRIC_SUBTYPE_NONE),
            tlv_encode(_TAG_FORMAT_OWNER, _FORMAT_OWNER_SC37),
            tlv_encode(_TAG_FORMAT_TYPE, _FORMAT_TYPE_FACE),
        ],
    )
    bit = tlv_encode(_TAG_BIT, [header, tlv_encode(_TAG_BDB, face_record_build(photo_jpeg))])
    group = tlv_encode(_TAG_BIT_GROUP, [tlv_encode(_TAG_COUNT, b"\x01"), bit])
    return tlv_encode(DG_TAGS[2], group)


def _bht_check(header: Tlv) -> bool:
    """True for a 9303-10 header (87 0101, 88 0008), False for the pre-issue-18 one (81 02 alone)."""
    tags = [c.tag for c in header.children]
    if tags == [_TAG_BIOMETRIC_TYPE]:
        if header.children[0].value != _BIOMETRIC_TYPE_FACE:
            raise ChipFormatError("DG2 biometric type must be face (02)")
        return False
    if len(set(tags)) != len(tags) or not set(tags) <= _BHT_OPTIONAL | {_TAG_FORMAT_OWNER, _TAG_FORMAT_TYPE}:
        raise ChipFormatError(
            f"DG2 biometric header holds unknown or repeated tags {[f'{t:02X}' for t in tags]}"
        )
    owner, kind = header.find(_TAG_FORMAT_OWNER), header.find(_TAG_FORMAT_TYPE)
    if owner is None or kind is None:  # 9303-10 §4.7.2.1: both mandatory
        raise ChipFormatError("DG2 biometric header lacks the mandatory format owner 87 or format type 88")
    if owner.value != _FORMAT_OWNER_SC37 or kind.value != _FORMAT_TYPE_FACE:
        raise ChipFormatError(
            f"DG2 format {owner.value.hex()}/{kind.value.hex()} is not ISO/IEC 19794-5 (0101/0008)"
        )
    biometric_type = header.find(_TAG_BIOMETRIC_TYPE)
    if biometric_type is not None and biometric_type.value != _BIOMETRIC_TYPE_FACE:
        raise ChipFormatError(f"DG2 biometric type must be face (02), found {biometric_type.value.hex()}")
    return True


def dg2_parse(data: bytes) -> Dg2:
    """Parse DG2: one face, as :func:`dg2_build` writes it or as cards before issue 18 carry it.

    Raises:
        ChipFormatError: another structure, more than one instance, a header without 87/88 or naming
            another format, a facial record that does not parse, or an image that is no JPEG.
    """
    root = _expect(tlv_parse(data), DG_TAGS[2])
    if [c.tag for c in root.children] != [_TAG_BIT_GROUP]:
        raise ChipFormatError("DG2 must hold one biometric information group template 7F61")
    group = root.children[0]
    if [c.tag for c in group.children] != [_TAG_COUNT, _TAG_BIT] or group.children[0].value != b"\x01":
        raise ChipFormatError("DG2 7F61 must hold the instance count 1 and one template 7F60")
    bit = group.children[1]
    if [c.tag for c in bit.children] != [_TAG_BHT, _TAG_BDB]:
        raise ChipFormatError("DG2 7F60 must hold a header A1 and a data block 5F2E")
    block = bit.children[1].value
    if _bht_check(bit.children[0]):
        return face_record_parse(block)
    if not block.startswith(_JPEG_SOI):
        raise ChipFormatError("DG2 data block is not a JPEG")
    return Dg2(block, standard=False)


# --- DG13 ---------------------------------------------------------------------------------------------
#
# Where the card's revocation status is published: the IETF Token Status List's reference (draft-ietf-
# oauth-status-list §6.2/§6.3: ``status_list`` = {``idx``, ``uri``}) in a data group, so that EF.SOD hashes
# it like the card's face. §8.3 step 1 lets "other formats of Referenced Tokens … define other encoding of
# the URI and index"; this is ours:
#
#     6D                        DG13 (9303-10 §4.7.13, "Optional Details": content at the issuer's
#                               discretion; an ICAO reader that does not know it skips it)
#       A0                      status list reference (context-specific, constructed)
#         80  uri               the status list token's URI: RFC 3986, ASCII, at most 512 bytes
#         81  index             the card's index in that list: unsigned, big-endian, minimal, 1-4 bytes
#
# Not DG12 (9303-10 §4.7.12, "Additional Document Details"): its elements are fixed by 9303 (issuing
# authority, date of issue, endorsements, …), so new tags there would misread in an ICAO reader. Not DG1:
# our DG1 is the printed face, every field mandatory; cards signed before the reference existed have no
# DG13 and their DG1 stays as it was.

_TAG_STATUS_REFERENCE, _TAG_STATUS_URI, _TAG_STATUS_INDEX = 0xA0, 0x80, 0x81
MAX_STATUS_URI_BYTES = 512
MAX_STATUS_INDEX = 0xFFFF_FFFF  # 4 bytes: a 2-bit list that long would be 1 GiB, past any verifier's cap
# RFC 3986 §3.1: scheme ":" …; every character of a URI is printable ASCII without space (§2).
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+")


@dataclass(frozen=True, slots=True)
class StatusReference:
    """DG13: the card's entry in a status list — the list token's URI and the card's index in it."""

    uri: str
    index: int


def _status_reference_check(uri: str, index: int) -> None:
    if not isinstance(uri, str) or not _URI.fullmatch(uri) or len(uri) > MAX_STATUS_URI_BYTES:
        raise ChipFormatError(
            f"the status list URI must be an ASCII URI (RFC 3986) of at most {MAX_STATUS_URI_BYTES} bytes"
        )
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= MAX_STATUS_INDEX:
        raise ChipFormatError(f"the status list index must be an integer in 0..{MAX_STATUS_INDEX}")


def dg13_build(*, uri: str, index: int) -> bytes:
    """DG13 (tag 6D) holding the status list reference of the comment above.

    Raises:
        ChipFormatError: ``uri`` is not an ASCII URI of at most 512 bytes, or ``index`` not in 0..2³²-1.
    """
    _status_reference_check(uri, index)
    index_bytes = index.to_bytes(max(1, (index.bit_length() + 7) // 8), "big")
    reference = tlv_encode(
        _TAG_STATUS_REFERENCE,
        [tlv_encode(_TAG_STATUS_URI, uri.encode("ascii")), tlv_encode(_TAG_STATUS_INDEX, index_bytes)],
    )
    return tlv_encode(DG_TAGS[13], reference)


def dg13_parse(data: bytes) -> StatusReference:
    """Parse DG13 as :func:`dg13_build` writes it: one reference A0 holding 80 (URI) and 81 (index).

    Raises:
        ChipFormatError: another layout, a URI that is not one, an index not in minimal form or too large.
    """
    root = _expect(tlv_parse(data), DG_TAGS[13])
    if [c.tag for c in root.children] != [_TAG_STATUS_REFERENCE]:
        raise ChipFormatError("DG13 must hold one status list reference A0")
    fields = root.children[0].children
    if [c.tag for c in fields] != [_TAG_STATUS_URI, _TAG_STATUS_INDEX]:
        raise ChipFormatError("the status list reference must hold 80 (URI) and 81 (index) in order")
    uri_bytes, index_bytes = fields[0].value, fields[1].value
    if not 1 <= len(index_bytes) <= 4 or (len(index_bytes) > 1 and index_bytes[0] == 0):
        raise ChipFormatError("the status list index must be 1-4 bytes in minimal form")
    try:
        uri = uri_bytes.decode("ascii")
    except UnicodeDecodeError as e:
        raise ChipFormatError("the status list URI is not ASCII") from e
    index = int.from_bytes(index_bytes, "big")
    _status_reference_check(uri, index)
    return StatusReference(uri, index)


# --- DG14 ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dg14:
    """DG14: the security protocols the chip supports.

    ``active_auth_algorithm`` is the signature OID of ActiveAuthenticationInfo (9303-11 §9.2.9), which an
    ECDSA chip must declare so the terminal knows how to check INTERNAL AUTHENTICATE; ``protocols``
    lists every SecurityInfo's protocol OID (dotted) in file order.
    """

    active_auth_algorithm: str | None
    protocols: tuple[str, ...]


def dg14_build(
    *,
    active_auth_algorithm: str = ECDSA_PLAIN_SHA256,
    ca_public_key: ec.EllipticCurvePublicKey | None = None,
) -> bytes:
    """DG14 (tag 6E) with one ActiveAuthenticationInfo (id-AA, version 1, the signature algorithm) and,
    given the chip's chip-authentication key, its ChipAuthenticationInfo and
    ChipAuthenticationPublicKeyInfo (9303-11 §9.2.5-9.2.6, ``securityinfos.ca_security_infos``).

    DG14 is hashed into EF.SOD, so the CA key is vouched for by the document signer as DG15's AA key is
    (9303-11 §6.2: the terminal takes the chip's static key from a DG14 that passive authentication
    checked). The SET OF is DER: asn1crypto sorts its members by encoding (X.690 §11.6).
    """
    infos = [
        SecurityInfo(
            {
                "protocol": ID_AA,
                "required_data": core.Integer(1),
                "optional_data": core.ObjectIdentifier(active_auth_algorithm),
            }
        )
    ]
    if ca_public_key is not None:
        infos += [SecurityInfo.load(der) for der in ca_security_infos(ca_public_key)]
    return tlv_encode(DG_TAGS[14], SecurityInfos(infos).dump(force=True))


def dg14_parse(data: bytes) -> Dg14:
    """Parse DG14's SecurityInfos; an ActiveAuthenticationInfo, if present, must be version 1 with an OID.

    Raises:
        ChipFormatError: not DER SecurityInfos, or a malformed ActiveAuthenticationInfo.
    """
    value = tlv_unwrap(data, DG_TAGS[14])
    try:
        infos = SecurityInfos.load(value, strict=True)
        protocols: list[str] = []
        algorithm: str | None = None
        for info in infos:
            protocol = info["protocol"].dotted
            protocols.append(protocol)
            if protocol != ID_AA:
                continue
            if algorithm is not None:
                raise ChipFormatError("DG14 holds two ActiveAuthenticationInfos")
            version = core.Integer.load(info["required_data"].dump(), strict=True).native
            optional = info["optional_data"]
            if version != 1 or isinstance(optional, core.Void):
                raise ChipFormatError("ActiveAuthenticationInfo must be version 1 with a signature algorithm")
            algorithm = core.ObjectIdentifier.load(optional.dump(), strict=True).dotted
    except ChipFormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as e:
        raise ChipFormatError(f"DG14 is not DER SecurityInfos: {e}") from e
    return Dg14(algorithm, tuple(protocols))


# --- DG15 ---------------------------------------------------------------------------------------------


def _spki_der(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True, slots=True)
class Dg15:
    """DG15: the chip's active authentication public key (9303-11 §6.1), P-256 in our profile."""

    public_key: ec.EllipticCurvePublicKey

    @property
    def spki_der(self) -> bytes:
        return _spki_der(self.public_key)


def dg15_build(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """DG15 (tag 6F) wrapping the SubjectPublicKeyInfo DER (9303-10 §4.7.15)."""
    return tlv_encode(DG_TAGS[15], _spki_der(public_key))


def dg15_parse(data: bytes) -> Dg15:
    """Parse DG15: a DER SubjectPublicKeyInfo of a P-256 key, re-encoding to the same bytes.

    Raises:
        ChipFormatError: not DER, not EC, or not P-256.
    """
    value = tlv_unwrap(data, DG_TAGS[15])
    try:
        key = serialization.load_der_public_key(value)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:  # atheris found the last one
        raise ChipFormatError(f"DG15 is not a SubjectPublicKeyInfo: {e}") from e
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ChipFormatError("DG15 must hold a P-256 public key")
    if _spki_der(key) != value:
        raise ChipFormatError("DG15 SubjectPublicKeyInfo is not in canonical DER (uncompressed point)")
    return Dg15(key)
