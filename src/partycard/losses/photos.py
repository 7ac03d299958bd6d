"""The 2×3 cm photos of a lost or damaged card's report: checked, decoded safely and re-encoded.

DOMAIN.md: "the cell collects 2 photos (2×3 cm)". An upload is believed only after Pillow has decoded it:
JPEG or PNG only, at most ``MAX_BYTES``, at most ``MAX_PIXELS`` pixels (checked from the header before any
pixel is decoded, and Pillow's decompression-bomb guard turned into a refusal), a portrait of about 2:3.
What is kept is a new JPEG drawn from the pixels alone: EXIF (the phone's GPS position, its serial), XMP,
ICC and comments are not carried over. Pure: no Django models.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "MAX_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "MIN_SIZE",
    "CleanPhoto",
    "PhotoProblem",
    "photo_clean",
]

MAX_BYTES = 5 * 1024 * 1024  # a phone photo, cropped: a few hundred kB; 5 MB is generous
MAX_PIXELS = 24_000_000  # 6000×4000: the largest a phone makes; a bigger header is refused undecoded
MAX_SIDE = 1200  # what is kept: 2×3 cm at 600 dpi is 472×709; more adds nothing to a card photo
MIN_SIZE = (160, 240)  # 2×3 cm at ~200 dpi: smaller cannot be printed on the card
# Width / height of a 2×3 cm portrait is 0.667; a phone crop is never exact: 0.6 to 0.75 is accepted.
RATIO_MIN, RATIO_MAX = 0.6, 0.75
FORMATS = frozenset({"JPEG", "PNG"})


class PhotoProblem(Exception):
    """Why an upload is refused: ``code`` (not_image, wrong_format, too_large, too_many_pixels, too_small,
    not_portrait), for the service to word."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes  # JPEG, no metadata
    width: int
    height: int
    sha256: str


def photo_clean(raw: bytes) -> CleanPhoto:
    """Check ``raw`` and return it re-encoded as a metadata-free JPEG, upright (EXIF orientation applied).

    Raises:
        PhotoProblem: the upload is not a JPEG or PNG photo of the expected size and shape.
    """
    if len(raw) > MAX_BYTES:
        raise PhotoProblem("too_large")
    with warnings.catch_warnings():
        # Pillow warns past Image.MAX_IMAGE_PIXELS and raises past twice that; both are refusals here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw), formats=sorted(FORMATS)) as opened:
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise PhotoProblem("too_many_pixels")  # before a pixel is decoded
                if opened.format not in FORMATS:
                    raise PhotoProblem("wrong_format")
                opened.load()
                image = ImageOps.exif_transpose(opened).convert("RGB")
        except PhotoProblem:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise PhotoProblem("too_many_pixels") from e
        except UnidentifiedImageError as e:
            raise PhotoProblem("not_image") from e
        except (OSError, ValueError, SyntaxError) as e:  # truncated or malformed data
            raise PhotoProblem("not_image") from e
    width, height = image.size
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise PhotoProblem("too_small")
    if not RATIO_MIN <= width / height <= RATIO_MAX:
        raise PhotoProblem("not_portrait")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # A new image from the pixels: no exif=, icc_profile= or comment= passed, so none is written.
    Image.frombytes("RGB", image.size, image.tobytes()).save(out, "JPEG", quality=90, optimize=True)
    content = out.getvalue()
    return CleanPhoto(content, image.width, image.height, hashlib.sha256(content).hexdigest())
