"""``partycard report progress`` for scripts (the issue: "--org CODE [--date D] [--format xlsx|pdf|json]
-o FILE"): the figures of the organisation and its children as JSON, the official report as .xlsx or PDF;
the operator acts as the system unless ``--as`` names an officer, whose scope then applies."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from partycard.audit.models import AuditEvent
from partycard.core import clock
from partycard.exchange.models import Case
from partycard.exchange.workflow import State
from partycard.reports.services import tallies_rebuild

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(tree: Any, campaign: Any, make_member: Any) -> None:
    a = make_member(full_name="Nguyễn Văn An", citizen_id="001080012345")
    b = make_member(tree.cell_b, full_name="Trần Văn Bình", citizen_id="001080012346")
    for m, state in ((a, State.ACCEPTED), (b, State.PROPOSED)):
        cell = m.organisation
        Case.objects.create(campaign=campaign, member=m, organisation=cell, path=cell.path, state=state)
    tallies_rebuild(actor=None)  # rows written directly, as a bulk load: the counters recounted from them


def run(*args: str) -> str:
    err = io.StringIO()
    call_command("report", "progress", *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def test_json_has_the_organisation_and_its_children(cases: None, tmp_path: Path) -> None:
    out = tmp_path / "hn.json"
    run("--org", "hn", "--format", "json", "-o", str(out))
    data = json.loads(out.read_text())
    assert data["as_of"] == clock.today().isoformat()
    assert data["campaign"] == "dot-2026"
    org = data["organisation"]
    assert (org["code"], org["name"], org["members"]) == ("HN", "Đảng bộ thành phố Hà Nội", 2)
    assert org["counts"]["case_accepted"] == 1 and org["counts"]["case_proposed"] == 1
    assert org["stages"]["proposed"]["reached"] == 2 and org["stages"]["accepted"]["reached"] == 1
    assert [c["code"] for c in data["children"]] == ["HN-BD"]


def test_xlsx_is_the_official_report_and_the_export_is_audited_as_the_system(
    cases: None, tmp_path: Path
) -> None:
    out = tmp_path / "hn.xlsx"
    day = clock.today() - dt.timedelta(days=1)
    run("--org", "HN", "--format", "xlsx", "--date", day.strftime("%d/%m/%Y"), "-o", str(out))
    values = [c.value for row in openpyxl.load_workbook(out).active.iter_rows() for c in row if c.value]
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in values and "THÀNH ỦY HÀ NỘI" in values
    assert f"tiến độ đổi thẻ đảng viên đến ngày {day:%d/%m/%Y}" in values
    assert "Đảng bộ phường Ba Đình" in values
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor, event.actor_id) == ("export", "system", None)
    assert event.changes["as_of"] == [None, day.isoformat()]


def test_pdf_and_an_iso_date(cases: None, tmp_path: Path) -> None:
    out = tmp_path / "bd.pdf"
    run("--org", "HN-BD", "--format", "pdf", "--date", clock.today().isoformat(), "-o", str(out))
    assert out.read_bytes().startswith(b"%PDF")


def test_as_an_officer_the_scope_applies(cases: None, officers: Any, tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    run("--org", "HN-BD-01-01", "-o", str(out), "--as", officers.cell.username)
    assert json.loads(out.read_text())["organisation"]["members"] == 1
    for code in ("HN-BD-01-02", "HUE", "NOPE"):  # a sibling cell, another province, nothing: all the same
        with pytest.raises(CommandError, match=f"no such organisation: {code}"):
            run("--org", code, "-o", str(out), "--as", officers.cell.username)


def test_bad_arguments_say_what_is_wrong(tree: Any, tmp_path: Path) -> None:
    out = str(tmp_path / "x.json")
    with pytest.raises(CommandError, match="dd/mm/yyyy"):
        run("--org", "HN", "--date", "31/02/2026", "-o", out)
    with pytest.raises(CommandError, match="a day to come"):
        run("--org", "HN", "--date", (clock.today() + dt.timedelta(days=1)).isoformat(), "-o", out)
    with pytest.raises(CommandError, match="no active user"):
        run("--org", "HN", "-o", out, "--as", "ghost")
    with pytest.raises(CommandError, match="only JSON"):
        run("--org", "HN", "--format", "pdf", "-o", "-")
