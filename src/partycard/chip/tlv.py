"""BER-TLV as ICAO 9303-10 §4.3 uses it for every LDS file: encode, and a strict parser.

The parser is the first thing to touch bytes read from a card, so it accepts only what the spec allows
(tags of 1-3 bytes, definite lengths in minimal form of at most 4 bytes, no trailing bytes, bounded
nesting) and reports anything else as :class:`ChipFormatError`, never as another exception.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from partycard.chip.errors import ChipFormatError

__all__ = [
    "MAX_DEPTH",
    "Tlv",
    "length_encode",
    "tag_encode",
    "tlv_encode",
    "tlv_parse",
    "tlv_parse_many",
    "tlv_unwrap",
]

#: Nesting levels :func:`tlv_parse` descends into; LDS templates are 4 deep at most (DG2), and a bound
#: keeps a hostile card from driving the parser into deep recursion.
MAX_DEPTH = 8

_MAX_TAG_BYTES = 3  # ISO/IEC 7816-4 §5.2 / ICAO 9303-10 §4.3: tags of one to three bytes
_MAX_LENGTH_BYTES = 4  # lengths 81 xx … 84 xx xx xx xx (9303-10 §4.3 allows up to 4 length octets)


@dataclass(frozen=True, slots=True)
class Tlv:
    """One data object: its tag as an int (``0x5F01``), its raw value, and, if constructed, its children."""

    tag: int
    value: bytes
    children: tuple[Tlv, ...] = ()

    @property
    def constructed(self) -> bool:
        """Bit 6 of the first tag byte marks a constructed object (ISO/IEC 7816-4 §5.2)."""
        return _tag_constructed(self.tag)

    def encode(self) -> bytes:
        return tlv_encode(self.tag, self.value)

    def find(self, tag: int) -> Tlv | None:
        """The only child with ``tag``, or None.

        Raises:
            ChipFormatError: the tag occurs more than once.
        """
        found = [child for child in self.children if child.tag == tag]
        if len(found) > 1:
            raise ChipFormatError(f"tag {tag:02X} occurs {len(found)} times in {self.tag:02X}")
        return found[0] if found else None

    def one(self, tag: int) -> Tlv:
        """The only child with ``tag``.

        Raises:
            ChipFormatError: the tag is missing or repeated.
        """
        child = self.find(tag)
        if child is None:
            raise ChipFormatError(f"tag {tag:02X} missing from {self.tag:02X}")
        return child


def _tag_bytes(tag: int) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def _tag_constructed(tag: int) -> bool:
    return bool(_tag_bytes(tag)[0] & 0x20)


def tag_encode(tag: int) -> bytes:
    """The bytes of ``tag``, checked to be a well-formed 1-3 byte BER tag.

    Raises:
        ChipFormatError: the int is not a tag the parser would accept back.
    """
    if tag < 0:
        raise ChipFormatError(f"negative tag {tag}")
    raw = _tag_bytes(tag)
    if len(raw) > _MAX_TAG_BYTES:
        raise ChipFormatError(f"tag {tag:X} is longer than {_MAX_TAG_BYTES} bytes")
    parsed, end = _read_tag(raw, 0)
    if parsed != tag or end != len(raw):
        raise ChipFormatError(f"{tag:X} is not a well-formed BER tag")
    return raw


def length_encode(length: int) -> bytes:
    """Definite length in the shortest form: one byte below 128, else 81-84 plus 1-4 bytes.

    Raises:
        ChipFormatError: negative, or too long for 4 length bytes.
    """
    if length < 0:
        raise ChipFormatError(f"negative length {length}")
    if length < 0x80:
        return bytes([length])
    size = (length.bit_length() + 7) // 8
    if size > _MAX_LENGTH_BYTES:
        raise ChipFormatError(f"length {length} needs more than {_MAX_LENGTH_BYTES} bytes")
    return bytes([0x80 | size]) + length.to_bytes(size, "big")


def tlv_encode(tag: int, value: bytes | Iterable[bytes]) -> bytes:
    """Tag, length and value; an iterable value is concatenated (the children of a template)."""
    body = value if isinstance(value, bytes | bytearray) else b"".join(value)
    return tag_encode(tag) + length_encode(len(body)) + bytes(body)


def _read_tag(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise ChipFormatError(f"truncated: tag expected at offset {offset}")
    first = data[offset]
    if first in (0x00, 0xFF):
        # ISO/IEC 7816-4 §5.2: '00' and 'FF' are padding/invalid as the first tag byte.
        raise ChipFormatError(f"invalid tag byte {first:02X} at offset {offset}")
    tag, pos = first, offset + 1
    if first & 0x1F != 0x1F:
        return tag, pos
    while True:
        if pos >= len(data):
            raise ChipFormatError(f"truncated: tag at offset {offset} is incomplete")
        if pos - offset >= _MAX_TAG_BYTES:
            raise ChipFormatError(f"tag at offset {offset} is longer than {_MAX_TAG_BYTES} bytes")
        byte = data[pos]
        if pos == offset + 1 and byte == 0x80:
            # X.690 §8.1.2.4.2 c): the first subsequent byte may not carry only leading zero bits.
            raise ChipFormatError(f"tag at offset {offset} has a non-minimal tag number")
        tag, pos = (tag << 8) | byte, pos + 1
        if not byte & 0x80:
            return tag, pos


def _read_length(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise ChipFormatError(f"truncated: length expected at offset {offset}")
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    if first == 0x80:
        raise ChipFormatError(f"indefinite length at offset {offset} (LDS files use definite lengths)")
    size = first & 0x7F
    if size > _MAX_LENGTH_BYTES:
        raise ChipFormatError(f"length at offset {offset} has {size} bytes, at most {_MAX_LENGTH_BYTES}")
    end = offset + 1 + size
    if end > len(data):
        raise ChipFormatError(f"truncated: length at offset {offset} is incomplete")
    length = int.from_bytes(data[offset + 1 : end], "big")
    if length < 0x80 or length >> (8 * (size - 1)) == 0:
        # Only the minimal form is accepted (X.690 §10.1 DER, which 9303 files follow).
        raise ChipFormatError(f"length {length} at offset {offset} is not in its shortest form")
    return length, end


def _read_one(data: bytes, offset: int, depth: int, max_depth: int | None) -> tuple[Tlv, int]:
    tag, pos = _read_tag(data, offset)
    length, pos = _read_length(data, pos)
    end = pos + length
    if end > len(data):
        raise ChipFormatError(
            f"truncated: tag {tag:02X} at offset {offset} declares {length} bytes, {len(data) - pos} remain"
        )
    value = data[pos:end]
    children: tuple[Tlv, ...] = ()
    if max_depth is not None and _tag_constructed(tag):
        if depth >= max_depth:
            raise ChipFormatError(f"too deep: tag {tag:02X} at offset {offset} nests over {max_depth} levels")
        children = _read_all(value, depth + 1, max_depth)
    return Tlv(tag, value, children), end


def _read_all(data: bytes, depth: int, max_depth: int | None) -> tuple[Tlv, ...]:
    items, offset = [], 0
    while offset < len(data):
        item, offset = _read_one(data, offset, depth, max_depth)
        items.append(item)
    return tuple(items)


def tlv_parse(data: bytes, *, max_depth: int = MAX_DEPTH) -> Tlv:
    """Exactly one TLV spanning all of ``data``, constructed values parsed into children.

    Raises:
        ChipFormatError: malformed, truncated, trailing bytes, or nested deeper than ``max_depth``.
    """
    item, end = _read_one(bytes(data), 0, 0, max_depth)
    if end != len(data):
        raise ChipFormatError(f"{len(data) - end} trailing bytes after tag {item.tag:02X}")
    return item


def tlv_parse_many(data: bytes, *, max_depth: int = MAX_DEPTH) -> tuple[Tlv, ...]:
    """A concatenation of TLVs filling ``data`` exactly (the value of a template).

    Raises:
        ChipFormatError: as :func:`tlv_parse`.
    """
    return _read_all(bytes(data), 1, max_depth)


def tlv_unwrap(data: bytes, tag: int) -> bytes:
    """The value of the single TLV ``data``, which must carry ``tag``; the value is not descended into.

    For wrappers whose content is another encoding (EF.SOD's CMS, DG15's SubjectPublicKeyInfo).

    Raises:
        ChipFormatError: wrong tag, malformed header, or trailing bytes.
    """
    item, end = _read_one(bytes(data), 0, 0, None)
    if item.tag != tag:
        raise ChipFormatError(f"expected tag {tag:02X}, found {item.tag:02X}")
    if end != len(data):
        raise ChipFormatError(f"{len(data) - end} trailing bytes after tag {item.tag:02X}")
    return item.value
