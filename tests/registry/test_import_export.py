"""Import validates every row first and writes all or nothing; export writes what import reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from partycard.cards.models import Card
from partycard.registry import services
from partycard.registry.exporting import export_roster
from partycard.registry.importing import import_roster
from partycard.registry.models import Member, Organisation
from partycard.registry.roster import COLUMNS

HEADER = ",".join(c.header for c in COLUMNS)


def csv_file(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def row(**kw: str) -> str:
    values = {
        "organisation_code": "HN-BD-01-01",
        "full_name": "Trần Thị Thu",
        "birth_name": "",
        "gender": "Nữ",
        "date_of_birth": "02/09/1985",
        "place_of_birth": "Hà Nội",
        "home_town": "Nam Định",
        "ethnicity": "Kinh",
        "religion": "Không",
        "general_education": "12/12",
        "qualification": "Đại học",
        "occupation": "Giáo viên",
        "citizen_id": "001185000123",
        "file_number": "000123HN",
        "old_card_number": "12345678",
        "date_admitted": "19/05/2010",
        "date_official": "19/05/2011",
        "status": "Đảng viên chính thức",
        "phone": "0912345678",
    }
    values.update(kw)
    return ",".join(values[c.field] for c in COLUMNS)


def problems_of(result) -> dict[int, dict[str, str]]:
    return {r.row: {i.field: i.message for i in r.issues} for r in result.problems}


def test_every_bad_row_is_reported_and_nothing_is_written(tree, make_member, tmp_path: Path) -> None:
    make_member(citizen_id="001080099999")
    path = csv_file(
        tmp_path,
        row(),  # row 2: fine
        row(date_of_birth="31/02/1985", citizen_id="001185000124", file_number="", old_card_number=""),  # 3
        row(citizen_id="001085000125", file_number="", old_card_number=""),  # 4: man's digit for a woman
        row(organisation_code="NOPE", citizen_id="001185000126", file_number="", old_card_number=""),  # 5
        row(citizen_id="001185000123", file_number="", old_card_number=""),  # 6: repeats row 2
        row(
            citizen_id="001080099999",
            gender="Nam",
            date_of_birth="01/01/1980",
            file_number="",
            old_card_number="",
        ),  # 7: already in the registry
        row(
            date_admitted="01/01/2002",
            date_official="01/01/2003",
            citizen_id="001185000127",
            file_number="",
            old_card_number="",
        ),  # 8: admitted at 16
        row(full_name="", citizen_id="001185000128", file_number="", old_card_number=""),  # 9
        row(
            organisation_code="HN-BD-01", citizen_id="001185000129", file_number="", old_card_number=""
        ),  # 10
        row(status="Đang công tác", citizen_id="001185000130", file_number="", old_card_number=""),  # 11
    )
    with translation.override("en"):
        result = import_roster(path, actor=None)
    problems = problems_of(result)
    assert set(problems) == {3, 4, 5, 6, 7, 8, 9, 10, 11}
    assert "31/02/1985" in problems[3]["Ngày sinh"]
    assert "digit 4" in problems[4]["Số CCCD"]
    assert "NOPE" in problems[5]["Mã chi bộ"]
    assert "row 2" in problems[6]["Số CCCD"]
    assert "already belongs" in problems[7]["Số CCCD"]
    assert "18th birthday" in problems[8]["Ngày vào Đảng"]
    assert "required" in problems[9]["Họ và tên"]
    assert "not a party cell" in problems[10]["Mã chi bộ"]
    assert "not one of" in problems[11]["Trạng thái"]
    assert Member.objects.count() == 1 and result.created == 0


def test_a_clean_file_is_written_with_history_and_counters(tree, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        row(),
        row(
            full_name="Lê Văn Hùng",
            gender="Nam",
            date_of_birth="1979-12-01",
            citizen_id="038079000001",
            file_number="000124HN",
            old_card_number="",
            status="probationary",
            date_official="",
            date_admitted="01/03/2026",
            organisation_code="HUE-TH-01",
            ethnicity="Mường",
        ),
    )
    result = import_roster(path, actor=None)
    assert result.ok and result.created == 2
    thu = Member.objects.get(citizen_id="001185000123")
    assert (thu.full_name, thu.date_of_birth, thu.name_search) == (
        "Trần Thị Thu",
        dt.date(1985, 9, 2),
        "tran thi thu",
    )
    assert thu.history.get().history_change_reason == "import"
    hung = Member.objects.get(citizen_id="038079000001")
    assert hung.ethnicity.name == "Mường" and hung.status == "probationary"
    assert Organisation.objects.get(code="HUE-TH-01").member_count == 1
    assert services.organisations_recount() == 0


def test_header_problems(tree, tmp_path: Path) -> None:
    path = csv_file(tmp_path, "x", header="Họ và tên,Nickname")
    with translation.override("en"):
        result = import_roster(path, actor=None)
    (only,) = result.problems
    messages = " | ".join(i.message for i in only.issues)
    assert only.row == 1 and "Nickname" in messages and "Mã chi bộ" in messages and "Ngày sinh" in messages


def test_semicolon_csv_and_unaccented_headers(tree, tmp_path: Path) -> None:
    header = ";".join(c.header for c in COLUMNS).replace("Họ và tên", "ho va ten")
    path = tmp_path / "r.csv"
    path.write_text(header + "\n" + row().replace(",", ";") + "\n", encoding="utf-8-sig")
    assert import_roster(path, actor=None).created == 1


def test_export_then_import_round_trips(tree, make_member, tmp_path: Path) -> None:
    make_member(old_card_number="00012345", phone="0345678901", file_number="000001HN")
    make_member(
        org=tree.cell_b,
        full_name="Vũ Thị Lan",
        gender="F",
        citizen_id="001180000777",
        status="probationary",
        date_official=None,
        date_admitted=dt.date(2026, 3, 1),
    )
    make_member(org=tree.hue_cell, full_name="Ngoài Phạm Vi", citizen_id="001080055555")
    fields = [
        "organisation__code",
        "full_name",
        "gender",
        "date_of_birth",
        "citizen_id",
        "old_card_number",
        "phone",
        "file_number",
        "status",
        "date_admitted",
        "date_official",
        "ethnicity",
        "home_town",
    ]
    before = sorted(
        Member.objects.filter(organisation__path__startswith=tree.hanoi.path).values_list(*fields)
    )
    out = tmp_path / "hn.xlsx"
    assert export_roster(tree.hanoi, out) == 2
    Card.objects.filter(member__organisation__path__startswith=tree.hanoi.path).delete()  # their old cards
    Member.objects.filter(organisation__path__startswith=tree.hanoi.path).delete()
    services.organisations_recount()
    result = import_roster(out, actor=None)
    assert result.ok, result.problems
    after = sorted(Member.objects.filter(organisation__path__startswith=tree.hanoi.path).values_list(*fields))
    assert after == before


def test_import_command_reports_rows_and_exits_non_zero(tree, tmp_path: Path, capsys) -> None:
    path = csv_file(tmp_path, row(citizen_id="12"))
    with pytest.raises(CommandError) as e:
        call_command("import", str(path), "--lang", "en")
    assert "nothing was imported" in str(e.value)
    err = capsys.readouterr().err
    assert "row 2, column 'Số CCCD'" in err and "12 digits" in err
    path.write_text(HEADER + "\n" + row() + "\n", encoding="utf-8")
    call_command("import", str(path))
    assert Member.objects.count() == 1


def test_export_command(tree, make_member, tmp_path: Path) -> None:
    make_member()
    out = tmp_path / "tw.xlsx"
    call_command("export", "--org", "TW", "-o", str(out), "--no-progress")
    from openpyxl import load_workbook

    sheet = load_workbook(out).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Mã chi bộ", "Họ và tên") and rows[1][1] == "Nguyễn Văn An" and len(rows) == 2
    with pytest.raises(CommandError):
        call_command("export", "--org", "NOPE", "-o", str(out))


def test_a_csv_that_is_not_utf8_is_refused_clearly(tree, tmp_path: Path) -> None:
    path = tmp_path / "cp1258.csv"
    path.write_bytes((HEADER + "\n" + row() + "\n").encode("utf-16"))
    with translation.override("en"), pytest.raises(CommandError, match="not UTF-8"):
        call_command("import", str(path), "--lang", "en")
    assert Member.objects.count() == 0
