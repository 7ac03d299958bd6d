"""The card's layout as versioned data: where every field, the photo and the emblem go, front and back.

The real design is not public (DOMAIN.md), so the layout lives in ``layouts/<version>.json``, not in
code: a new design is a new file and a batch records the version it was printed with. Coordinates are
millimetres from the top-left corner of the trim box (the finished card), y downwards, as a designer
measures a card; a text's ``y_mm`` is its baseline. Colours are CMYK percentages, the inks the card is
printed with. The loader refuses any key that is absent, unknown or of the wrong shape, naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from partycard.printing import FONTS
from partycard.printing.errors import LayoutError

__all__ = [
    "FIELDS",
    "ID1_HEIGHT_MM",
    "ID1_WIDTH_MM",
    "LAYOUTS",
    "Box",
    "Cmyk",
    "Face",
    "Layout",
    "Rect",
    "TextItem",
    "layout_load",
    "layout_parse",
    "layout_versions",
]

# ISO/IEC 7810, the ID-1 format: 85.60 mm × 53.98 mm nominal. The trim box of every card page is this size.
ID1_WIDTH_MM = 85.60
ID1_HEIGHT_MM = 53.98

LAYOUTS = Path(__file__).resolve().parent / "layouts"

# The member summary fields a layout may print (DOMAIN.md: the e-handbook's member summary, plus the card's
# issuing committee and date), and the card access number that opens the chip (ICAO 9303-11 §4.4; layout
# v2 prints it, chip/can.py). The photo and the card number's QR code have their own boxes.
FIELDS = frozenset(
    {
        "can",
        "full_name",
        "date_of_birth",
        "gender",
        "date_admitted",
        "date_official",
        "card_number",
        "issuing_committee",
        "issue_date",
    }
)

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Cmyk:
    """A process colour, each ink 0..1 (the file says percentages)."""

    c: float
    m: float
    y: float
    k: float


@dataclass(frozen=True)
class Box:
    """A rectangle in mm from the trim box's top-left corner, y downwards."""

    x_mm: float
    y_mm: float
    w_mm: float
    h_mm: float


@dataclass(frozen=True)
class Rect:
    """A filled rectangle (a band of colour); it may run into the bleed."""

    box: Box
    color: Cmyk


@dataclass(frozen=True)
class TextItem:
    """One line of text: fixed wording (``text``) or a card field (``field``), never both.

    A field's text shrinks to ``max_width_mm`` when it is longer (a long name or committee), never below
    60 % of ``size_pt``; past that the card is refused rather than printed over its neighbours.
    """

    x_mm: float
    y_mm: float
    font: str
    size_pt: float
    color: Cmyk
    align: Align
    text: str | None
    field: str | None
    max_width_mm: float | None


@dataclass(frozen=True)
class Face:
    """One side of the card."""

    background: Cmyk
    rects: tuple[Rect, ...]
    texts: tuple[TextItem, ...]
    photo: Box | None
    emblem: Box | None
    qr: Box | None


@dataclass(frozen=True)
class Layout:
    """A versioned card design: both faces, the fonts they name, bleed and slug around the trim box."""

    version: str
    bleed_mm: float
    slug_mm: float
    fonts: Mapping[str, Path]
    emblem_image: Path
    front: Face
    back: Face
    width_mm: float = ID1_WIDTH_MM
    height_mm: float = ID1_HEIGHT_MM

    def prints(self, field: str) -> bool:
        """Whether either face prints card field ``field`` (e.g. "can": a PACE card needs its CAN printed,
        or no reader can open it)."""
        return any(t.field == field for face in (self.front, self.back) for t in face.texts)


def layout_versions(*, directory: Path = LAYOUTS) -> list[str]:
    """The versions in ``directory`` (the shipped ``layouts/`` by default), sorted."""
    return sorted(p.stem for p in directory.glob("*.json"))


def layout_load(version: str = "v1", *, directory: Path = LAYOUTS) -> Layout:
    """Load and validate ``<directory>/<version>.json`` (the shipped ``layouts/`` by default).

    Raises:
        LayoutError: no such version, not JSON, or a key absent, unknown or of the wrong shape.
    """
    known = layout_versions(directory=directory)
    if version not in known:
        raise LayoutError("version", f"no layout {version!r} (known: {', '.join(known) or 'none'})")
    path = directory / f"{version}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LayoutError("<file>", f"{path.name} is not readable JSON: {e}") from e
    layout = layout_parse(data, base=directory)
    if layout.version != version:
        raise LayoutError("version", f"{layout.version!r} in a file named {path.name}")
    return layout


def layout_parse(data: object, *, base: Path = LAYOUTS) -> Layout:
    """Validate a decoded layout document; ``base`` is where its ``emblem_image`` is looked up.

    Raises:
        LayoutError: naming the first key that is absent, unknown or of the wrong shape.
    """
    root = _obj(data, "<root>", {"version", "bleed_mm", "slug_mm", "fonts", "emblem_image", "front", "back"})
    version = _str(root, "version", "")
    fonts_obj = _obj(root["fonts"], "fonts", None)
    fonts: dict[str, Path] = {}
    for name, file in fonts_obj.items():
        if not isinstance(file, str) or not (FONTS / file).is_file() or "/" in file:
            raise LayoutError(f"fonts.{name}", f"{file!r} is not a font file in {FONTS}")
        fonts[name] = FONTS / file
    if not fonts:
        raise LayoutError("fonts", "names no font")
    emblem = _str(root, "emblem_image", "")
    if "/" in emblem or not (base / emblem).is_file():
        raise LayoutError("emblem_image", f"{emblem!r} is not a file beside the layout")
    bleed = _num(root, "bleed_mm", "", low=0.0, high=10.0)
    slug = _num(root, "slug_mm", "", low=0.0, high=30.0)
    # PDF 1.7 §14.11.2: the bleed box lies inside the media box, and the crop marks go outside the bleed,
    # so the slug must leave them room.
    if slug < 3.0:
        raise LayoutError("slug_mm", "must be at least 3 mm to hold the crop marks outside the bleed")
    limits = (-bleed, -bleed, ID1_WIDTH_MM + bleed, ID1_HEIGHT_MM + bleed)
    return Layout(
        version=version,
        bleed_mm=bleed,
        slug_mm=slug,
        fonts=MappingProxyType(fonts),
        emblem_image=base / emblem,
        front=_face(root["front"], "front", fonts, limits),
        back=_face(root["back"], "back", fonts, limits),
    )


_FACE_KEYS = {"background", "rects", "texts", "photo", "emblem", "qr"}
_TEXT_KEYS = {"x_mm", "y_mm", "font", "size_pt", "color", "align", "text", "field", "max_width_mm"}


def _face(value: object, key: str, fonts: Mapping[str, Path], limits: tuple[float, ...]) -> Face:
    obj = _obj(value, key, _FACE_KEYS, optional={"photo", "emblem", "qr", "rects"})
    trim = (0.0, 0.0, ID1_WIDTH_MM, ID1_HEIGHT_MM)
    rects = tuple(
        Rect(
            box=_box(r, f"{key}.rects[{i}]", limits, extra=frozenset({"color"})),
            color=_cmyk(
                _obj(r, f"{key}.rects[{i}]", {"x_mm", "y_mm", "w_mm", "h_mm", "color"})["color"],
                f"{key}.rects[{i}].color",
            ),
        )
        for i, r in enumerate(_list(obj.get("rects", []), f"{key}.rects"))
    )
    texts = tuple(
        _text(t, f"{key}.texts[{i}]", fonts) for i, t in enumerate(_list(obj["texts"], f"{key}.texts"))
    )
    # The photo, emblem and QR code sit inside the trim box: nothing that must survive cutting goes into
    # the bleed.
    boxes = {
        name: _box(obj[name], f"{key}.{name}", trim) if obj.get(name) is not None else None
        for name in ("photo", "emblem", "qr")
    }
    qr = boxes["qr"]
    if qr is not None and abs(qr.w_mm - qr.h_mm) > 1e-6:
        raise LayoutError(
            f"{key}.qr", "must be square (ISO/IEC 18004: a QR code is a square of square modules)"
        )
    return Face(
        background=_cmyk(obj["background"], f"{key}.background"),
        rects=rects,
        texts=texts,
        photo=boxes["photo"],
        emblem=boxes["emblem"],
        qr=boxes["qr"],
    )


def _text(value: object, key: str, fonts: Mapping[str, Path]) -> TextItem:
    obj = _obj(value, key, _TEXT_KEYS, optional={"text", "field", "max_width_mm", "align"})
    text, field = obj.get("text"), obj.get("field")
    if (text is None) == (field is None):
        raise LayoutError(key, "needs exactly one of 'text' and 'field'")
    if text is not None and (not isinstance(text, str) or not text):
        raise LayoutError(f"{key}.text", "must be a non-empty string")
    if field is not None and field not in FIELDS:
        raise LayoutError(f"{key}.field", f"{field!r} is not one of {', '.join(sorted(FIELDS))}")
    font = _str(obj, "font", key)
    if font not in fonts:
        raise LayoutError(f"{key}.font", f"{font!r} is not declared under 'fonts'")
    align = obj.get("align", "left")
    if align not in ("left", "center", "right"):
        raise LayoutError(f"{key}.align", f"{align!r} is not left, center or right")
    max_width = obj.get("max_width_mm")
    return TextItem(
        x_mm=_num(obj, "x_mm", key, low=0.0, high=ID1_WIDTH_MM),
        y_mm=_num(obj, "y_mm", key, low=0.0, high=ID1_HEIGHT_MM),
        font=font,
        size_pt=_num(obj, "size_pt", key, low=3.0, high=72.0),
        color=_cmyk(obj["color"], f"{key}.color"),
        align=align,
        text=text,
        field=field,
        max_width_mm=None
        if max_width is None
        else _num(obj, "max_width_mm", key, low=1.0, high=ID1_WIDTH_MM),
    )


def _box(value: object, key: str, limits: tuple[float, ...], *, extra: frozenset[str] = frozenset()) -> Box:
    obj = _obj(value, key, {"x_mm", "y_mm", "w_mm", "h_mm"}, extra=extra)
    box = Box(
        x_mm=_num(obj, "x_mm", key, low=-1e3, high=1e3),
        y_mm=_num(obj, "y_mm", key, low=-1e3, high=1e3),
        w_mm=_num(obj, "w_mm", key, low=0.1, high=1e3),
        h_mm=_num(obj, "h_mm", key, low=0.1, high=1e3),
    )
    x0, y0, x1, y1 = limits
    eps = 1e-9
    if (
        box.x_mm < x0 - eps
        or box.y_mm < y0 - eps
        or box.x_mm + box.w_mm > x1 + eps
        or box.y_mm + box.h_mm > y1 + eps
    ):
        raise LayoutError(key, f"box {box} leaves the area ({x0}, {y0})–({x1}, {y1}) mm")
    return box


def _cmyk(value: object, key: str) -> Cmyk:
    obj = _obj(value, key, {"cmyk"})
    inks = obj["cmyk"]
    if (
        not isinstance(inks, list)
        or len(inks) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100 for v in inks)
    ):
        raise LayoutError(f"{key}.cmyk", "must be four ink percentages 0..100")
    c, m, y, k = (float(v) / 100 for v in inks)
    return Cmyk(c, m, y, k)


def _obj(
    value: object,
    key: str,
    keys: set[str] | None,
    *,
    optional: set[str] | frozenset[str] = frozenset(),
    extra: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """``value`` as an object with exactly ``keys`` (less ``optional``, plus any of ``extra``)."""
    if not isinstance(value, dict):
        raise LayoutError(key, "must be an object")
    if keys is None:
        return value
    prefix = "" if key == "<root>" else f"{key}."
    for k in sorted(keys - optional):
        if k not in value:
            raise LayoutError(f"{prefix}{k}", "is missing")
    for k in sorted(set(value) - keys - extra):
        raise LayoutError(f"{prefix}{k}", "is not a known key")
    return value


def _list(value: object, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise LayoutError(key, "must be a list")
    return value


def _str(obj: Mapping[str, Any], name: str, key: str) -> str:
    value = obj[name]
    full = f"{key}.{name}" if key else name
    if not isinstance(value, str) or not value:
        raise LayoutError(full, "must be a non-empty string")
    return value


def _num(obj: Mapping[str, Any], name: str, key: str, *, low: float, high: float) -> float:
    value = obj[name]
    full = f"{key}.{name}" if key else name
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LayoutError(full, "must be a number")
    if not low <= value <= high:
        raise LayoutError(full, f"{value} is outside {low}..{high}")
    return float(value)
