"""The 2×3 cm photo upload: JPEG or PNG only, a size limit, a 2:3 portrait, decoded safely (a
decompression bomb refused before its pixels are decoded), and its metadata stripped."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from partycard.losses.photos import MAX_BYTES, PhotoProblem, photo_clean
from tests.losses.conftest import photo


def _problem(raw: bytes) -> str:
    with pytest.raises(PhotoProblem) as refused:
        photo_clean(raw)
    return refused.value.code


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` and whose tiny IDAT decompresses to a flood of
    zeros: the shape of a decompression bomb, a few hundred bytes on the wire."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\0" * (1024 * 1024), 9)  # 1 MB of zeros in ~1 kB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_portrait_jpeg_and_png_are_accepted_and_become_jpeg() -> None:
    for raw in (photo(), photo(400, 600, "PNG")):
        clean = photo_clean(raw)
        assert clean.content.startswith(b"\xff\xd8\xff")
        with Image.open(io.BytesIO(clean.content)) as image:
            assert image.format == "JPEG" and image.size == (clean.width, clean.height)


def test_a_file_that_is_not_an_image_is_refused() -> None:
    assert _problem(b"%PDF-1.7\n1 0 obj << >> endobj\n") == "not_image"
    assert _problem(b"") == "not_image"
    assert _problem(photo()[:200]) == "not_image"  # truncated JPEG


def test_other_image_formats_are_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (240, 360)).save(out, "GIF")
    assert _problem(out.getvalue()) == "not_image"  # only JPEG and PNG are even tried


def test_an_oversized_file_is_refused_before_decoding() -> None:
    assert _problem(photo() + b"\0" * MAX_BYTES) == "too_large"


def test_a_decompression_bomb_is_refused() -> None:
    assert _problem(_png_header_only(30_000, 45_000)) == "too_many_pixels"  # 1.35 gigapixels claimed


def test_a_landscape_or_tiny_photo_is_refused() -> None:
    assert _problem(photo(360, 240)) == "not_portrait"
    assert _problem(photo(300, 300)) == "not_portrait"
    assert _problem(photo(80, 120)) == "too_small"


def test_exif_is_stripped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "secret-serial"  # Software
    raw = photo(exif=exif.tobytes())
    with Image.open(io.BytesIO(raw)) as sent:
        assert sent.getexif().get(0x010F) == "PhoneMaker"  # the upload carries it
    clean = photo_clean(raw)
    assert b"Exif" not in clean.content and b"PhoneMaker" not in clean.content
    with Image.open(io.BytesIO(clean.content)) as kept:
        assert not kept.getexif() and "exif" not in kept.info
