"""The layout is data: the shipped v1 loads, and a broken file is refused with the offending key named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from partycard.printing.errors import LayoutError
from partycard.printing.layout import LAYOUTS, layout_load, layout_parse, layout_versions

V1: dict[str, Any] = json.loads((LAYOUTS / "v1.json").read_text(encoding="utf-8"))


def test_v1_is_shipped_and_loads() -> None:
    assert "v1" in layout_versions()
    layout = layout_load("v1")
    assert layout.version == "v1"
    assert layout.bleed_mm == 3.0
    assert layout.front.photo is not None and layout.front.emblem is not None
    assert {t.field for t in layout.front.texts} >= {"full_name", "date_of_birth", "gender", "date_admitted",
                                                     "date_official", "card_number"}  # fmt: skip


def test_v1_keeps_the_photo_emblem_and_qr_inside_the_card() -> None:
    # ISO/IEC 7810 ID-1: 85.60 × 53.98 mm; what must survive cutting stays inside the trim.
    layout = layout_load("v1")
    for box in (layout.front.photo, layout.front.emblem, layout.back.qr):
        assert box is not None
        assert 0 <= box.x_mm <= box.x_mm + box.w_mm <= 85.60
        assert 0 <= box.y_mm <= box.y_mm + box.h_mm <= 53.98


def _broken(edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(V1)
    edit(data)
    return data


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda d: d["front"]["photo"].pop("w_mm"), "front.photo.w_mm"),
        (lambda d: d["front"]["texts"][3].update(size_pt="ten"), "front.texts[3].size_pt"),
        (lambda d: d["front"]["texts"][0].update(font="comic"), "front.texts[0].font"),
        (lambda d: d["back"]["texts"][1].update(field="religion"), "back.texts[1].field"),
        (lambda d: d["back"]["background"].update(cmyk=[0, 0, 0]), "back.background.cmyk"),
        (lambda d: d["front"]["rects"][0]["color"].update(cmyk=[0, 120, 0, 0]), "front.rects[0].color.cmyk"),
        (lambda d: d["front"].update(phot=d["front"]["photo"]), "front.phot"),
        (lambda d: d.pop("bleed_mm"), "bleed_mm"),
        (lambda d: d["front"]["photo"].update(x_mm=70.0), "front.photo"),
        (lambda d: d["back"]["qr"].update(h_mm=15.0), "back.qr"),
        (lambda d: d["fonts"].update(sans="NoSuchFont.ttf"), "fonts.sans"),
        (lambda d: d.update(emblem_image="../../etc/passwd"), "emblem_image"),
        (lambda d: d["front"]["texts"][0].update(field="full_name"), "front.texts[0]"),
        (lambda d: d["front"].update(texts={}), "front.texts"),
        (lambda d: d.update(slug_mm=1.0), "slug_mm"),
    ],
)
def test_a_broken_layout_is_refused_naming_the_key(edit: Any, key: str) -> None:
    with pytest.raises(LayoutError) as caught:
        layout_parse(_broken(edit))
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}: ")


def test_a_broken_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "emblem-placeholder.png").write_bytes((LAYOUTS / "emblem-placeholder.png").read_bytes())
    (tmp_path / "v2.json").write_text(
        json.dumps(_broken(lambda d: d["front"].pop("texts")) | {"version": "v2"})
    )
    with pytest.raises(LayoutError, match=r"^front\.texts: is missing"):
        layout_load("v2", directory=tmp_path)
    (tmp_path / "v3.json").write_text('{"version": "v3",')
    with pytest.raises(LayoutError, match="not readable JSON"):
        layout_load("v3", directory=tmp_path)
    (tmp_path / "v4.json").write_text(json.dumps(V1))  # says "v1" inside
    with pytest.raises(LayoutError) as caught:
        layout_load("v4", directory=tmp_path)
    assert caught.value.key == "version"
    with pytest.raises(LayoutError) as caught:
        layout_load("v99")
    assert caught.value.key == "version"
