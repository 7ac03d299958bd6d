"""Roster import at its edges (issue 12): limits, broken files, missing optional columns, control,
invisible and non-ASCII characters, and the actor's scope. Each refusal is a clear message (a
``ParseError`` for the whole file, or a row problem), never a crash or a half-written import."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from partycard.accounts.models import Role, User
from partycard.cards.models import Card
from partycard.registry.choices import Religion
from partycard.registry.importing import MAX_PROBLEM_ROWS, import_roster
from partycard.registry.models import Member
from partycard.registry.roster import COLUMNS, ParseError
from tests.registry.test_import_export import csv_file, problems_of, row

pytestmark = pytest.mark.django_db


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def good_xlsx(tmp_path: Path, name: str = "r.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(xlsx_bytes([[c.header for c in COLUMNS], row().split(",")]))
    return path


# --- a missing optional column takes its default --------------------------------------------------


def test_a_roster_without_the_religion_column_imports_with_the_default(tree, tmp_path: Path) -> None:
    """Today the preview passes and the write fails with IntegrityError (religion NULL)."""
    headers = [c.header for c in COLUMNS if c.field != "religion"]
    values = [v for c, v in zip(COLUMNS, row().split(","), strict=True) if c.field != "religion"]
    path = tmp_path / "no-religion.csv"
    path.write_text(",".join(headers) + "\n" + ",".join(values) + "\n", encoding="utf-8")
    preview = import_roster(path, actor=None, dry_run=True)
    assert preview.ok and preview.rows == 1
    result = import_roster(path, actor=None)
    assert result.ok and result.created == 1
    assert Member.objects.get().religion == Religion.NONE


def test_the_old_card_header_reads_in_the_directive_s_words_and_as_exported_before(
    tree, tmp_path: Path
) -> None:
    """Directive 51-CT/TW writes "thẻ đảng viên"; a roster exported with the earlier header still imports,
    and a file saying "transferred out" is refused (a transfer is a change of cell, not a status)."""
    assert next(c.header for c in COLUMNS if c.field == "old_card_number") == "Số thẻ đảng viên cũ"
    headers = [c.header if c.field != "old_card_number" else "Số thẻ đảng cũ" for c in COLUMNS]
    path = tmp_path / "old-header.csv"
    path.write_text(",".join(headers) + "\n" + row() + "\n", encoding="utf-8")
    result = import_roster(path, actor=None)
    assert result.ok and Member.objects.get().old_card_number
    moved = row(citizen_id="001185000999", file_number="", old_card_number="", status="Chuyển đi")
    path.write_text(",".join(headers) + "\n" + moved + "\n", encoding="utf-8")
    assert list(problems_of(import_roster(path, actor=None, dry_run=True))[2]) == ["Trạng thái"]  # status


def test_the_cli_imports_a_roster_without_the_religion_column(tree, tmp_path: Path) -> None:
    headers = [c.header for c in COLUMNS if c.field not in ("religion", "qualification", "occupation")]
    values = [
        v
        for c, v in zip(COLUMNS, row().split(","), strict=True)
        if c.field not in ("religion", "qualification", "occupation")
    ]
    path = tmp_path / "few.csv"
    path.write_text(",".join(headers) + "\n" + ",".join(values) + "\n", encoding="utf-8")
    call_command("import", str(path))
    member = Member.objects.get()
    assert (member.religion, member.qualification, member.occupation) == (Religion.NONE, "", "")


# --- broken files: a clear message, no traceback -----------------------------------------------------


def _truncated(tmp_path: Path) -> Path:
    data = good_xlsx(tmp_path, "whole.xlsx").read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
    return path


def _other_zip(tmp_path: Path) -> Path:
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    return path


def _bad_sheet_xml(tmp_path: Path) -> Path:
    """A real workbook whose sheet is cut mid-element: the damage shows only while the rows are read."""
    source = good_xlsx(tmp_path, "source.xlsx")
    path = tmp_path / "bad-sheet.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) - 40]
            out.writestr(item, data)
    return path


BROKEN = {"truncated": _truncated, "garbage": _garbage, "other zip": _other_zip, "bad sheet": _bad_sheet_xml}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_broken_xlsx_is_refused_clearly(tree, tmp_path: Path, kind: str) -> None:
    path = BROKEN[kind](tmp_path)
    with translation.override("vi"), pytest.raises(ParseError) as e:
        import_roster(path, actor=None)
    assert "không phải là một bảng tính .xlsx đọc được" in str(e.value)
    with pytest.raises(CommandError, match=r"không phải là một bảng tính \.xlsx"):
        call_command("import", str(path))
    assert not Member.objects.exists()


def test_a_csv_field_over_the_csv_limit_is_refused_clearly(tree, tmp_path: Path) -> None:
    path = csv_file(tmp_path, row(), row(occupation="x" * 131_073, citizen_id="001185000124"))
    with translation.override("en"), pytest.raises(ParseError, match=r"Line 3 .* longer than 131\.072"):
        import_roster(path, actor=None)
    with pytest.raises(CommandError, match="Dòng 3"):
        call_command("import", str(path))
    assert not Member.objects.exists()


def test_nul_and_control_characters_are_refused_per_row(tree, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        row(full_name="Trần\x00Thị Thu"),
        row(occupation="Giáo\x1bviên", citizen_id="001185000124", file_number="", old_card_number=""),
        row(place_of_birth="Hà Nội\nNam Định", citizen_id="001185000125", file_number="", old_card_number=""),
    )
    path.write_text(path.read_text().replace("Hà Nội\nNam Định", '"Hà Nội\nNam Định"'), encoding="utf-8")
    with translation.override("en"):
        result = import_roster(path, actor=None)
    problems = problems_of(result)
    assert set(problems) == {2, 3}  # a line break in free text is allowed
    assert "U+0000" in problems[2]["Họ và tên"] and "U+001B" in problems[3]["Nghề nghiệp"]
    assert not Member.objects.exists()


def test_a_value_longer_than_its_field_is_a_row_problem(tree, tmp_path: Path) -> None:
    """Today: nothing checks it; SQLite stores it and PostgreSQL fails the whole import with DataError."""
    path = csv_file(tmp_path, row(full_name="A" * 101), row(citizen_id="001185000124", home_town="B" * 201))
    with translation.override("en"):
        result = import_roster(path, actor=None)
    problems = problems_of(result)
    assert "at most 100" in problems[2]["Họ và tên"] and "at most 200" in problems[3]["Quê quán"]
    assert not Member.objects.exists()


# --- limits ------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    tree, tmp_path: Path, settings, monkeypatch
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "IMPORT_MAX_BYTES": 1024}
    big = good_xlsx(tmp_path)
    assert big.stat().st_size > 1024
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("the file was parsed"))
    with translation.override("vi"), pytest.raises(ParseError, match="tối đa 1 KB"):
        import_roster(big, actor=None)
    path = csv_file(
        tmp_path, *[row(citizen_id=f"0011850{i:05d}", file_number="", old_card_number="") for i in range(20)]
    )
    with pytest.raises(ParseError):
        import_roster(path, actor=None)


def test_more_rows_than_the_limit_are_refused_and_nothing_is_written(tree, tmp_path: Path, settings) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "IMPORT_MAX_ROWS": 3}
    rows = [row(citizen_id=f"0011850{i:05d}", file_number="", old_card_number="") for i in range(4)]
    with translation.override("en"), pytest.raises(ParseError, match="more than 3 rows"):
        import_roster(csv_file(tmp_path, *rows), actor=None)
    assert import_roster(csv_file(tmp_path, *rows[:3]), actor=None).created == 3


def test_a_sheet_declaring_a_million_rows_stops_at_the_limit(tree, tmp_path: Path, settings) -> None:
    """A cell in row 1,048,576 makes openpyxl yield every empty row before it; they count too."""
    settings.PARTYCARD = {**settings.PARTYCARD, "IMPORT_MAX_ROWS": 1000}
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([c.header for c in COLUMNS])
    sheet.append(row().split(","))
    sheet.cell(row=1_048_576, column=1, value="x")
    path = tmp_path / "tall.xlsx"
    book.save(path)
    with (
        translation.override("en"),
        pytest.raises(ParseError, match=r"more than 1\.000 rows"),
    ):
        import_roster(path, actor=None)
    assert not Member.objects.exists()


def _bomb(tmp_path: Path, member: str, size: int) -> Path:
    """A real workbook (cells as shared strings) with one part of ``size`` bytes that compress to almost
    nothing: an extra sheet, or the shared strings padded with blanks."""
    path = shared_strings_xlsx(tmp_path / "source.xlsx", [[c.header for c in COLUMNS], row().split(",")])
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == member:
                data = data.replace(b"</sst>", b" " * size + b"</sst>")
            out.writestr(item.filename, data)
        if member not in src.namelist():
            out.writestr(member, b" " * size)
    return bomb


@pytest.mark.parametrize("member", ["xl/worksheets/sheet2.xml", "xl/sharedStrings.xml"])
def test_a_zip_bomb_is_refused_before_parsing(
    tree, tmp_path: Path, settings, monkeypatch, member: str
) -> None:
    settings.PARTYCARD = {
        **settings.PARTYCARD,
        "IMPORT_MAX_UNPACKED_BYTES": 4 * 1024 * 1024,
        "IMPORT_MAX_SHARED_STRINGS_BYTES": 1024 * 1024,
    }
    size = 5 * 1024 * 1024 if member.endswith("sheet2.xml") else 2 * 1024 * 1024
    path = _bomb(tmp_path, member, size)
    assert path.stat().st_size < 100_000  # megabytes unpacked from a few kilobytes
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("the file was parsed"))
    with translation.override("vi"), pytest.raises(ParseError, match="giải nén"):
        import_roster(path, actor=None)


def test_every_bad_row_is_counted_and_the_first_ones_listed(tree, tmp_path: Path) -> None:
    rows = [row(citizen_id="12", file_number="", old_card_number="") for _ in range(MAX_PROBLEM_ROWS + 5)]
    result = import_roster(csv_file(tmp_path, *rows), actor=None)
    assert result.bad_rows == MAX_PROBLEM_ROWS + 5 and len(result.problems) == MAX_PROBLEM_ROWS
    assert result.unlisted == 5 and not result.ok and result.rows == MAX_PROBLEM_ROWS + 5


def test_a_large_clean_file_is_written_in_batches_all_or_nothing(tree, tmp_path: Path) -> None:
    rows = [
        row(citizen_id=f"0011850{i:05d}", file_number=f"{i:06d}HN", old_card_number=f"{i:08d}")
        for i in range(2500)
    ]
    result = import_roster(csv_file(tmp_path, *rows), actor=None)
    assert result.ok and result.created == 2500 and Member.objects.count() == 2500
    # a problem in the last batch leaves nothing of the earlier ones
    Card.objects.all().delete()  # the members' old cards, recorded on import
    Member.objects.all().delete()
    rows[-1] = row(citizen_id="001185002498", file_number="", old_card_number="")  # repeats row 2,500
    result = import_roster(csv_file(tmp_path, *rows), actor=None)
    assert problems_of(result).keys() == {2501} and not Member.objects.exists()


# --- codes: ASCII digits only; names: no invisible characters ----------------------------------------


def test_unicode_digits_are_refused_in_every_code(tree, make_member, tmp_path: Path) -> None:
    """Today "１２３４５６７８" passes ``\\d{8}`` and sits beside "12345678" as a second number."""
    make_member(old_card_number="12345678", file_number="000123HN", phone="0912345678")
    path = csv_file(
        tmp_path,
        row(
            citizen_id="001185000124",
            old_card_number="１２３４５６７８",  # full-width
            file_number="٠٠٠١٢٣HN",  # Arabic-Indic
            phone="０９１２３４５６７８",
        ),
    )
    with translation.override("en"):
        result = import_roster(path, actor=None)
    problems = problems_of(result)[2]
    assert "8 digits" in problems["Số thẻ đảng viên cũ"]
    assert "6 digits" in problems["Số lý lịch"]
    assert "10 digits" in problems["Điện thoại"]
    assert Member.objects.count() == 1


@pytest.mark.parametrize(
    "name", ["Nguyễn Văn\u202e An", "Nguyễn\u200bVăn An", "Nguyễn Văn An\u2066", "\ufeffNguyễn Văn An"]
)
def test_a_name_with_invisible_characters_is_refused(tree, tmp_path: Path, name: str) -> None:
    path = csv_file(
        tmp_path,
        row(full_name=name),
        row(birth_name=name, citizen_id="001185000124", file_number="", old_card_number=""),
    )
    with translation.override("en"):
        result = import_roster(path, actor=None)
    problems = problems_of(result)
    assert "invisible or direction-changing" in problems[2]["Họ và tên"]
    assert "invisible or direction-changing" in problems[3]["Họ tên khai sinh"]
    assert not Member.objects.exists()


# --- the actor's scope -------------------------------------------------------------------------------


def test_an_organisation_outside_the_actors_scope_reads_as_missing(tree, tmp_path: Path) -> None:
    officer = User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )
    path = csv_file(
        tmp_path,
        row(),
        row(organisation_code="HUE-TH-01", citizen_id="001185000124", file_number="", old_card_number=""),
    )
    with translation.override("en"):
        result = import_roster(path, actor=officer)
    problems = problems_of(result)
    assert problems == {3: {"Mã chi bộ": "no organisation has code 'HUE-TH-01'"}}
    assert not Member.objects.exists()
    inspector = User.objects.create_user(
        "tra", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.INSPECTOR
    )  # reads its scope, may not import into it
    with translation.override("en"):
        result = import_roster(csv_file(tmp_path, row()), actor=inspector)
    assert "no organisation has code 'HN-BD-01-01'" in problems_of(result)[2]["Mã chi bộ"]


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def shared_strings_xlsx(
    path: Path, rows: list[list[str]], *, extra: int = 0, part: str = "xl/sharedStrings.xml"
) -> Path:
    """A minimal workbook (as Excel saves one) whose cells are shared strings, in the part named ``part``,
    followed by ``extra`` one-character strings no cell uses."""
    strings: list[str] = []
    xml_rows = []
    for r, values in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(values):
            cells.append(f'<c r="{chr(65 + c % 26) * (1 + c // 26)}{r}" t="s"><v>{len(strings)}</v></c>')
            strings.append(value)
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    sst = "".join(f"<si><t>{escape(v)}</t></si>" for v in strings) + "<si><t>ộ</t></si>" * extra
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{_PKG}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
            '+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/{part}" ContentType="{_CT}.sharedStrings+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
            f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="{part[3:]}"/></Relationships>',
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{_MAIN}"><sheetData>{"".join(xml_rows)}</sheetData></worksheet>',
        )
        archive.writestr(part, f'<sst xmlns="{_MAIN}">{sst}</sst>')
    return path


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/harmless.xml"])
def test_too_many_shared_texts_are_refused_before_parsing(
    tree, tmp_path: Path, settings, monkeypatch, part: str
) -> None:
    """openpyxl keeps every shared string (~190 bytes each, however short); the part is found as openpyxl
    finds it, through [Content_Types].xml, so renaming it does not get past the count."""
    settings.PARTYCARD = {**settings.PARTYCARD, "IMPORT_MAX_SHARED_STRINGS": 1000}
    roster = [[c.header for c in COLUMNS], row().split(",")]
    fine = shared_strings_xlsx(tmp_path / "fine.xlsx", roster, extra=900, part=part)
    assert import_roster(fine, actor=None).created == 1  # openpyxl reads the renamed part
    Card.objects.all().delete()  # the members' old cards, recorded on import
    Member.objects.all().delete()
    path = shared_strings_xlsx(tmp_path / "many.xlsx", roster, extra=1000, part=part)
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("the file was parsed"))
    with translation.override("en"), pytest.raises(ParseError, match=r"holds 1\.0\d\d texts"):
        import_roster(path, actor=None)
