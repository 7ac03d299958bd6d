"""The party-database sync (issue 17), from the issue's words: "upserts by a stable key (file number,
citizen ID): a preview of every change per field (added, changed, unchanged, missing from the export),
conflicts with changes made in partycard since the last sync listed for a decision, then applied in one
transaction with history and audit; ``partycard sync export`` the other way" (docs/sync.md)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partycard.audit.models import AuditEvent
from partycard.core.errors import DomainError
from partycard.core.scope import OutOfScope
from partycard.partysync import services
from partycard.partysync.choices import RowKind, RunStatus
from partycard.partysync.models import SyncBaseline, SyncRow
from partycard.registry.models import Member
from partycard.registry.services import member_update
from tests.partysync.conftest import (
    apply,
    export,
    preview,
    read_csv,
    read_jsonl,
    write_csv,
    write_jsonl,
)

pytestmark = pytest.mark.django_db

NAME, BIRTH, CELL, FILE_NO, CID = "Họ và tên", "Ngày sinh", "Mã chi bộ", "Số lý lịch", "Số CCCD"


def by_number(run: Any) -> dict[int, SyncRow]:
    return {r.number: r for r in SyncRow.objects.filter(run=run)}


def test_an_export_imported_back_is_all_unchanged(tree, officer, three, tmp_path) -> None:
    path = tmp_path / "hn.csv"
    out = export(officer, tree.hanoi, path)
    assert out.rows == 3 and SyncBaseline.objects.count() == 3
    run = preview(officer, tree.hanoi, path)
    assert run.status == RunStatus.PREVIEW, run.error
    assert (run.rows, run.unchanged, run.changed, run.added, run.missing, run.bad) == (3, 3, 0, 0, 0, 0)
    assert not SyncRow.objects.filter(run=run, data__isnull=False).exists()  # nothing to write or move


def test_added_changed_unchanged_and_missing(tree, officer, three, tmp_path) -> None:
    path = tmp_path / "hn.csv"
    export(officer, tree.hanoi, path)
    rows = read_csv(path)
    an, binh, _cuong = sorted(rows, key=lambda r: r[FILE_NO])
    binh[NAME] = "Trần Thị Bình An"
    new = {**an, NAME: "Phạm Văn Mới", FILE_NO: "000009HN", CID: "001085012399", BIRTH: "01/02/1985"}
    write_csv(path, [an, binh, new])  # Cường left out
    run = preview(officer, tree.hanoi, path)
    assert (run.unchanged, run.changed, run.added, run.missing, run.conflicts) == (1, 1, 1, 1, 0)
    changed = SyncRow.objects.get(run=run, kind=RowKind.CHANGED)
    assert changed.member_id == three[1].pk
    assert changed.changes == {
        "full_name": {
            "old": "Trần Thị Bình",
            "new": "Trần Thị Bình An",
            "base": "Trần Thị Bình",
            "outcome": "theirs",
        }
    }
    assert [m.pk for m in services.missing_members(run)] == [three[2].pk]
    run = apply(officer, run)
    assert run.status == RunStatus.APPLIED, run.error
    assert Member.objects.get(pk=three[1].pk).full_name == "Trần Thị Bình An"
    created = Member.objects.get(file_number="000009HN")
    assert created.organisation_id == tree.cell_a.pk
    assert Member.objects.filter(pk=three[2].pk).exists()  # missing: listed, never deleted
    reason = services.history_reason(run)
    assert reason == f"Đồng bộ với cơ sở dữ liệu đảng viên (lần #{run.pk})"
    latest = Member.history.filter(id=three[1].pk).order_by("-history_id").first()
    assert latest.history_change_reason == reason and latest.history_user_id == officer.pk
    assert Member.history.filter(id=created.pk).first().history_change_reason == reason
    assert SyncBaseline.objects.get(member=three[1]).data["full_name"] == "Trần Thị Bình An"
    assert SyncBaseline.objects.filter(member=created).exists()
    assert AuditEvent.objects.filter(action="partysync.apply", object_id=str(run.pk)).exists()
    assert AuditEvent.objects.filter(action="change", object_id=str(three[1].pk)).exists()
    # The same file again: everything unchanged now, nothing to write.
    again = preview(officer, tree.hanoi, path)
    assert (again.unchanged, again.changed, again.added) == (3, 0, 0)


def test_first_sync_without_baseline_the_party_database_wins(tree, officer, three, tmp_path) -> None:
    path = tmp_path / "hn.csv"
    export(officer, tree.hanoi, path)
    SyncBaseline.objects.all().delete()  # as if partycard had never synchronised
    rows = read_csv(path)
    rows[0][NAME] = "Tên Từ Cơ Sở Dữ Liệu"
    write_csv(path, rows)
    run = preview(officer, tree.hanoi, path)
    assert (run.changed, run.conflicts) == (1, 0)
    apply(officer, run)
    assert Member.objects.filter(full_name="Tên Từ Cơ Sở Dữ Liệu").count() == 1
    assert SyncBaseline.objects.count() == 3  # every matched member now has its baseline


def test_a_field_both_sides_changed_is_a_conflict_not_applied_without_a_decision(
    tree, officer, three, tmp_path
) -> None:
    path = tmp_path / "hn.csv"
    export(officer, tree.hanoi, path)
    member_update(actor=officer, member=three[0], changes={"full_name": "Nguyễn Văn Ân"})  # ours
    member_update(actor=officer, member=three[1], changes={"occupation": "Giáo viên"})  # ours only
    rows = read_csv(path)
    an = next(r for r in rows if r[FILE_NO] == "000001HN")
    an[NAME] = "Nguyễn Văn Anh"  # theirs, differently
    write_csv(path, rows)
    run = preview(officer, tree.hanoi, path)
    assert (run.conflicts, run.changed, run.unchanged) == (1, 0, 2)
    conflict = SyncRow.objects.get(run=run, kind=RowKind.CONFLICT)
    assert conflict.changes["full_name"] == {
        "old": "Nguyễn Văn Ân",
        "new": "Nguyễn Văn Anh",
        "base": "Nguyễn Văn An",
        "outcome": "conflict",
    }
    kept = SyncRow.objects.get(run=run, member=three[1])  # only partycard changed it: ours is kept
    assert kept.kind == RowKind.UNCHANGED and kept.changes["occupation"]["outcome"] == "ours"
    run = apply(officer, run)
    assert run.status == RunStatus.APPLIED
    assert Member.objects.get(pk=three[0].pk).full_name == "Nguyễn Văn Ân"  # not applied: no decision
    assert Member.objects.get(pk=three[1].pk).occupation == "Giáo viên"


def test_a_decision_takes_theirs(tree, officer, three, tmp_path) -> None:
    path = tmp_path / "hn.csv"
    export(officer, tree.hanoi, path)
    member_update(actor=officer, member=three[0], changes={"full_name": "Nguyễn Văn Ân"})
    rows = read_csv(path)
    next(r for r in rows if r[FILE_NO] == "000001HN")[NAME] = "Nguyễn Văn Anh"
    write_csv(path, rows)
    run = preview(officer, tree.hanoi, path)
    with pytest.raises(DomainError):
        services.sync_decide(actor=officer, run=run, decisions={"000001HN": {"home_town": "theirs"}})
    with pytest.raises(DomainError):
        services.sync_decide(actor=officer, run=run, decisions={"000001HN": {"full_name": "both"}})
    assert services.sync_decide(actor=officer, run=run, decisions={"000001HN": {"full_name": "theirs"}}) == 1
    apply(officer, run)
    assert Member.objects.get(pk=three[0].pk).full_name == "Nguyễn Văn Anh"
    assert SyncBaseline.objects.get(member=three[0]).data["full_name"] == "Nguyễn Văn Anh"


def test_file_number_and_citizen_id_of_two_members_is_a_key_conflict_never_merged(
    tree, officer, three, tmp_path
) -> None:
    path = tmp_path / "hn.csv"
    export(officer, tree.hanoi, path)
    rows = read_csv(path)
    an = next(r for r in rows if r[FILE_NO] == "000001HN")
    an[CID] = "001080012347"  # Cường's citizen ID on An's file number
    write_csv(path, rows)
    run = preview(officer, tree.hanoi, path)
    assert run.key_conflicts == 1
    row = SyncRow.objects.get(run=run, kind=RowKind.KEY_CONFLICT)
    assert row.member_id is None and "000001HN" in row.problems[0][1]
    run = apply(officer, run)
    assert Member.objects.get(pk=three[0].pk).citizen_id == "001080012345"
    assert Member.objects.get(pk=three[2].pk).citizen_id == "001080012347"


def test_bad_rows_are_listed_with_row_column_and_reason_and_block_the_apply(
    tree, officer, three, tmp_path
) -> None:
    path = tmp_path / "hn.csv"
    export(officer, tree.hanoi, path)
    rows = sorted(read_csv(path), key=lambda r: r[FILE_NO])
    rows[0][BIRTH] = "31/02/1980"
    rows[1][CELL] = "KHONG-CO"
    rows[2][NAME] = "Lê Văn Cường Mới"  # a good change, not applied while a row is bad
    write_csv(path, [*rows, {**rows[2], NAME: "Bản sao"}])  # the same file number twice
    run = preview(officer, tree.hanoi, path)
    bad = {r.number: r.problems for r in SyncRow.objects.filter(run=run, kind=RowKind.BAD)}
    assert bad[2] == [[BIRTH, "'31/02/1980' không phải là ngày hợp lệ (cần theo dạng dd/mm/yyyy)"]]
    assert bad[3] == [[CELL, "không có tổ chức đảng nào mang mã 'KHONG-CO'"]]
    assert bad[5] == [[FILE_NO, "'000003HN' bị trùng: dòng 4 cũng có giá trị này"]]
    assert run.bad == 3
    run = apply(officer, run)
    assert run.status == RunStatus.REFUSED and "3" in run.error
    assert Member.objects.get(pk=three[2].pk).full_name == "Lê Văn Cường"


def test_a_refusal_in_the_middle_of_the_apply_writes_nothing(
    tree, officer, three, tmp_path, monkeypatch
) -> None:
    """Two batches: the first's member changes, the second's has left the province since the preview."""
    monkeypatch.setattr(services, "BATCH", 1)
    path = tmp_path / "hn.csv"
    export(officer, tree.hanoi, path)
    rows = read_csv(path)
    for row in rows:
        row[NAME] += " Mới"
    write_csv(path, rows)
    run = preview(officer, tree.hanoi, path)
    assert run.changed == 3
    member_update(actor=None, member=three[2], changes={"organisation": tree.hue_cell})
    before = list(Member.objects.order_by("pk").values())
    history = Member.history.count()
    run = apply(officer, run)
    assert run.status == RunStatus.REFUSED and run.written == 0
    assert list(Member.objects.order_by("pk").values()) == before
    assert Member.history.count() == history
    assert all(
        b.data["full_name"] == b.member.full_name for b in SyncBaseline.objects.select_related("member")
    )


def test_a_record_changed_after_the_preview_refuses_the_apply(tree, officer, three, tmp_path) -> None:
    path = tmp_path / "hn.csv"
    export(officer, tree.hanoi, path)
    rows = read_csv(path)
    rows[0][NAME] = "Tên Mới"
    write_csv(path, rows)
    run = preview(officer, tree.hanoi, path)
    target = SyncRow.objects.get(run=run, kind=RowKind.CHANGED).member
    member_update(actor=None, member=target, changes={"full_name": "Đổi Sau Xem Trước"})
    run = apply(officer, run)
    assert run.status == RunStatus.REFUSED and "Đổi Sau Xem Trước" in run.error
    assert Member.objects.get(pk=target.pk).full_name == "Đổi Sau Xem Trước"


def test_an_officer_of_one_province_cannot_sync_a_row_into_another(
    tree, officer, three, make_member, tmp_path
) -> None:
    hue_member = make_member(
        org=tree.hue_cell, full_name="Hoàng Văn Huế", citizen_id="001080099999", file_number="000001HUE"
    )
    path = tmp_path / "hn.csv"
    export(officer, tree.hanoi, path)
    an, binh, cuong = sorted(read_csv(path), key=lambda r: r[FILE_NO])
    moved = dict(cuong, **{CELL: tree.hue_cell.code})  # own member into Huế's cell
    theirs = dict(an, **{FILE_NO: "000001HUE", CID: "001080099999", NAME: "Đã Bị Sửa"})  # Huế's member
    new = dict(binh, **{CELL: tree.hue_cell.code, FILE_NO: "000077HN", CID: "001180055555"})
    write_csv(path, [moved, theirs, new])
    run = preview(officer, tree.hanoi, path)
    bad = {r.number: r.problems[0] for r in SyncRow.objects.filter(run=run, kind=RowKind.BAD)}
    assert set(bad) == {2, 3, 4}
    assert bad[2][0] == CELL and bad[4][0] == CELL
    assert bad[3][0] == FILE_NO and "Hoàng" not in bad[3][1]
    assert run.missing == 3  # Hà Nội's members only
    apply(officer, run)
    assert Member.objects.get(pk=hue_member.pk).full_name == "Hoàng Văn Huế"
    assert not Member.objects.filter(file_number="000077HN").exists()
    with pytest.raises(OutOfScope):
        export(officer, tree.hue, tmp_path / "hue.csv")
    with pytest.raises(OutOfScope):
        preview(officer, tree.hue, path)


def test_json_lines_round_trip_edit_and_bad_line(tree, officer, three, tmp_path) -> None:
    path = tmp_path / "hn.jsonl"
    export(officer, tree.hanoi, path)
    items = read_jsonl(path)
    assert items[0]["date_of_birth"] == "1980-03-12" and items[0]["organisation_code"] == "HN-BD-01-01"
    assert set(items[0]) == {c for c in services.F.FIELDS}
    run = preview(officer, tree.hanoi, path)
    assert (run.unchanged, run.bad) == (3, 0)
    items[1]["home_town"] = "Huế"
    write_jsonl(path, [*items, "{not json", {"ho_ten": "x"}])
    run = preview(officer, tree.hanoi, path)
    assert (run.changed, run.bad) == (1, 2)
    bad = {r.number: r.problems[0] for r in SyncRow.objects.filter(run=run, kind=RowKind.BAD)}
    assert bad[5][1].startswith("không") or "JSON" in bad[4][1]
    assert "ho_ten" in bad[5][1]


def test_the_preview_resumes_after_a_kill_without_duplicates(
    tree, officer, three, tmp_path, settings
) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "SYNC_CHUNK_ROWS": 1}
    path = tmp_path / "hn.csv"
    export(officer, tree.hanoi, path)
    run = preview(officer, tree.hanoi, path, stop_after=2)  # killed after two chunks
    assert run.status == RunStatus.READING and SyncRow.objects.filter(run=run).count() == 2
    from partycard.jobs.runner import job_run

    job = job_run(run.preview_job_id)
    run.refresh_from_db()
    assert job.status == "done" and run.status == RunStatus.PREVIEW
    assert sorted(SyncRow.objects.filter(run=run).values_list("number", flat=True)) == [2, 3, 4]
    assert (run.rows, run.unchanged) == (3, 3)


def test_the_command_line_previews_decides_and_applies(tree, officer, three, tmp_path) -> None:
    path = tmp_path / "hn.csv"
    out = io.StringIO()
    call_command("sync", "export", str(path), "--root", "HN", "--as", officer.username, stdout=out)
    member_update(actor=officer, member=three[0], changes={"full_name": "Nguyễn Văn Ân"})
    rows = read_csv(path)
    next(r for r in rows if r[FILE_NO] == "000001HN")[NAME] = "Nguyễn Văn Anh"
    write_csv(path, rows)
    decisions = tmp_path / "d.json"
    decisions.write_text(json.dumps({"000001HN": {"full_name": "theirs"}}))
    out = io.StringIO()
    call_command(
        "sync", "import", str(path), "--as", officer.username, "--decisions", str(decisions), "--apply",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert "1" in out.getvalue()
    assert Member.objects.get(pk=three[0].pk).full_name == "Nguyễn Văn Anh"
    with pytest.raises(CommandError):
        call_command(
            "sync", "import", str(path), "--root", "HUE", "--as", officer.username, stdout=io.StringIO()
        )


def test_an_xlsx_export_imports_back_unchanged(tree, officer, three, tmp_path: Path) -> None:
    path = tmp_path / "hn.xlsx"
    export(officer, tree.hanoi, path)
    run = preview(officer, tree.hanoi, path)
    assert (run.unchanged, run.bad) == (3, 0), list(SyncRow.objects.filter(run=run).values("problems"))


def test_a_json_lines_file_saved_with_a_bom_reads_the_same(tree, officer, three, tmp_path) -> None:
    path = tmp_path / "hn.jsonl"
    export(officer, tree.hanoi, path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    run = preview(officer, tree.hanoi, path)
    assert (run.unchanged, run.bad) == (3, 0)
