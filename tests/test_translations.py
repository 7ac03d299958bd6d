"""The Vietnamese catalogue: complete, safe to format, compiled, and what the UI actually shows.

When a test here fails after msgids changed, refresh the catalogue (see scripts/compile_messages.py)::

    cd src/partycard && ../../.venv/bin/partycard makemessages -l vi --ignore 'migrations/*' && cd ../..
    # translate the new / fuzzy entries in src/partycard/locale/vi/LC_MESSAGES/django.po
    .venv/bin/python scripts/compile_messages.py
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

import partycard

PACKAGE_DIR = Path(partycard.__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
PO_PATH = LOCALE_DIR / "vi" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
REFRESH = "refresh with: python scripts/compile_messages.py (see tests/test_translations.py docstring)"

# A %-conversion as Python's % operator reads it; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\(([^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")


def _placeholders(text: str) -> Counter[str]:
    """Named placeholders by name; positional ones in order, as "#1:d", "#2:s", …"""
    found: Counter[str] = Counter()
    position = 0
    for name, conversion in PLACEHOLDER.findall(text):
        if conversion == "%":
            continue
        if name:
            found[f"%({name}){conversion}"] += 1
        else:
            position += 1
            found[f"#{position}:{conversion}"] += 1
    return found


def _live_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def _key(entry: polib.POEntry | polib.MOEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def _catalogue(entries: list[polib.POEntry] | polib.MOFile) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """key → translations (one per plural form), for comparing a .po's meaning with a .mo's."""
    return {
        _key(e): (
            tuple(e.msgstr_plural[k] for k in sorted(e.msgstr_plural)) if e.msgid_plural else (e.msgstr,)
        )
        for e in entries
        if e.msgid  # the header
    }


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def test_header_declares_vietnamese_utf8_and_one_plural_form(po: polib.POFile) -> None:
    assert po.metadata.get("Language") == "vi"
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")
    assert po.metadata.get("Plural-Forms") == "nplurals=1; plural=0;"
    assert not po.metadata_is_fuzzy, "remove '#, fuzzy' above the header"


def test_every_entry_is_translated_and_none_is_fuzzy(po: polib.POFile) -> None:
    entries = _live_entries(po)
    assert len(entries) > 100  # the catalogue was extracted, not left empty
    fuzzy = [e.msgid for e in entries if e.fuzzy]
    untranslated = [e.msgid for e in entries if not e.fuzzy and not e.translated()]
    assert fuzzy == [], f"fuzzy entries (check the translation, then delete the '#, fuzzy' line): {fuzzy}"
    assert untranslated == [], f"untranslated entries: {untranslated}"


def test_plural_entries_have_exactly_one_form(po: polib.POFile) -> None:
    bad = [e.msgid for e in _live_entries(po) if e.msgid_plural and sorted(e.msgstr_plural) != [0]]
    assert bad == [], f"Vietnamese has one plural form: give exactly msgstr[0] for {bad}"


def test_python_format_placeholders_survive_translation(po: polib.POFile) -> None:
    problems = []
    for entry in _live_entries(po):
        if "python-format" not in entry.flags:
            continue
        wanted = _placeholders(entry.msgid_plural or entry.msgid)
        allowed = set(wanted) | set(_placeholders(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            got = _placeholders(text)
            missing = set(wanted) - set(got)
            unknown = set(got) - allowed
            if missing or unknown:
                problems.append(
                    f"{entry.msgid!r} → {text!r}: missing {sorted(missing)}, unknown {sorted(unknown)}"
                )
    assert problems == []


def test_no_placeholder_is_added_to_an_entry_that_is_not_formatted(po: polib.POFile) -> None:
    """A msgstr with %(x)s whose msgid has none would print the placeholder literally."""
    problems = [
        f"{e.msgid!r} → {e.msgstr!r}"
        for e in _live_entries(po)
        if "python-format" not in e.flags and not e.msgid_plural and _placeholders(e.msgstr)
    ]
    assert problems == []


def test_committed_mo_is_compiled_from_the_current_po(po: polib.POFile, tmp_path: Path) -> None:
    assert MO_PATH.exists(), f"{MO_PATH} is missing; {REFRESH}"
    fresh = tmp_path / "django.mo"
    po.save_as_mofile(str(fresh))
    committed = polib.mofile(str(MO_PATH))
    expected = _catalogue([e for e in po if e.translated()])
    assert _catalogue(polib.mofile(str(fresh))) == expected  # polib's own round trip
    assert _catalogue(committed) == expected, f"django.mo is out of date; {REFRESH}"
    for name in ("Content-Type", "Plural-Forms", "Language"):
        assert committed.metadata.get(name) == po.metadata.get(name), f"django.mo header {name}; {REFRESH}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_catalogue_has_every_msgid_of_the_source(po: polib.POFile, tmp_path: Path, monkeypatch) -> None:
    """makemessages on a copy of the package finds no msgid that the committed catalogue lacks."""
    copy = tmp_path / "partycard"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "*.pyc"))
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=["vi"], ignore_patterns=["migrations/*"], verbosity=0)
    extracted = {_key(e) for e in polib.pofile(str(copy / "locale" / "vi" / "LC_MESSAGES" / "django.po"))}
    committed = {_key(e) for e in _live_entries(po)}
    new = sorted(k[1] for k in extracted - committed)
    gone = sorted(k[1] for k in committed - extracted)
    assert new == [], f"msgids in the source but not in django.po (run makemessages, translate): {new}"
    assert gone == [], f"msgids in django.po that the source no longer has (run makemessages): {gone}"


@pytest.mark.parametrize(
    ("english", "vietnamese"),
    [
        ("Party cell", "Chi bộ"),
        ("Official member", "Đảng viên chính thức"),
        ("Committee directly under the Centre", "Đảng bộ trực thuộc Trung ương"),
        ("Log in", "Đăng nhập"),
        ("Log out", "Đăng xuất"),
        ("Member list", "Danh sách đảng viên"),
    ],
)
def test_gettext_speaks_vietnamese(english: str, vietnamese: str) -> None:
    with translation.override("vi"):
        assert gettext(english) == vietnamese
    with translation.override("en"):
        assert gettext(english) == english


def test_choice_labels_and_field_names_are_vietnamese() -> None:
    from partycard.registry.choices import MemberStatus, OrgLevel
    from partycard.registry.models import Member

    with translation.override("vi"):
        assert str(OrgLevel.CELL.label) == "Chi bộ"
        assert str(OrgLevel.GRASSROOTS_CELL.label) == "Chi bộ cơ sở"
        assert str(OrgLevel.COMMUNE.label) == "Cấp ủy cấp trên trực tiếp của tổ chức cơ sở đảng"
        assert str(MemberStatus.OFFICIAL.label) == "Đảng viên chính thức"
        assert str(MemberStatus.PROBATIONARY.label) == "Đảng viên dự bị"
        assert str(Member._meta.get_field("citizen_id").verbose_name) == "số CCCD"
        assert str(Member._meta.get_field("date_admitted").verbose_name) == "ngày vào Đảng"
    with translation.override("en"):
        assert str(OrgLevel.CELL.label) == "Party cell"


def test_formatted_messages_are_vietnamese() -> None:
    import datetime as dt

    from partycard.registry.rules import MemberFacts, member_issues

    facts = MemberFacts(
        full_name="Nguyễn Văn An",
        gender="M",
        date_of_birth=dt.date(1990, 5, 1),
        citizen_id="001090000001",
        date_admitted=dt.date(2000, 1, 1),
        date_official=None,
        status="probationary",
    )
    with translation.override("vi"):
        messages = [i.message for i in member_issues(facts, today=dt.date(2025, 1, 1))]
    assert messages == ["Ngày vào Đảng 01/01/2000 là trước ngày đủ 18 tuổi (01/05/2008)."]


def test_login_page_is_served_in_vietnamese(client) -> None:
    content = client.get(reverse("login")).content.decode()
    assert "Đăng nhập" in content
    assert "Mật khẩu" in content
    assert "Log in" not in content
