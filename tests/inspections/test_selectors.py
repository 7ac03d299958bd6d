"""The summary the reports show (``inspection_summary``): counts by state, findings by kind and cases sampled,
over the subtree asked for and only as far as the actor may see inspections."""

from __future__ import annotations

from typing import Any

import pytest

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.inspections.choices import FindingKind
from partycard.inspections.models import Inspection, SampledCase
from partycard.inspections.selectors import InspectionSummary, inspection_summary
from partycard.inspections.services import (
    finding_record,
    inspection_conclude,
    inspection_respond,
    inspection_sample,
)
from tests.inspections.conftest import open_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspections(people: Any, tree: Any, campaign: Any, cases: Any) -> None:
    """Hà Nội: one open (cell_b), one being verified (school, 3 cases, one finding), one concluded and one
    responded (cell_a, 2 cases each). Huế: one concluded by the Centre (1 case)."""
    open_inspection(people.inspector, tree.cell_b, campaign, number="1")
    verifying = inspection_sample(
        actor=people.inspector,
        inspection=open_inspection(people.inspector, tree.school, campaign, number="2"),
        size=3,
    )
    first = SampledCase.objects.filter(inspection=verifying).first()
    assert first is not None
    finding_record(actor=people.inspector, inspection=verifying, case=first.case, kind=FindingKind.CORRECT)
    kinds = [(FindingKind.DATA_WRONG, "Sai tên."), (FindingKind.CORRECT, "")]
    for number in ("3", "4"):
        opened = open_inspection(people.inspector, tree.cell_a, campaign, number=number)
        inspection = inspection_sample(actor=people.inspector, inspection=opened, size=2)
        for row, (kind, note) in zip(SampledCase.objects.filter(inspection=inspection), kinds, strict=True):
            finding_record(actor=people.inspector, inspection=inspection, case=row.case, kind=kind, note=note)
        inspection_conclude(actor=people.inspector, inspection=inspection, conclusion="Kết luận.")
    opened = open_inspection(people.centre_inspector, tree.hue_cell, campaign, number="TW-1")
    hue = inspection_sample(actor=people.centre_inspector, inspection=opened, size=1)
    row = SampledCase.objects.get(inspection=hue)
    finding_record(
        actor=people.centre_inspector, inspection=hue, case=row.case, kind=FindingKind.PROCEDURE_NOT_FOLLOWED,
        note="Thiếu biên bản.",
    )  # fmt: skip
    inspection_conclude(actor=people.centre_inspector, inspection=hue, conclusion="Kết luận.")


def test_the_summary_counts_the_subtree(people: Any, tree: Any, inspections: None) -> None:
    # cell_a's report on remedying, by an officer placed at the cell (the inspected organisation).
    cell_officer = User.objects.create_user(
        "ub_chi_bo_a", password="x", role=Role.GRASSROOTS_OFFICER, organisation=tree.cell_a
    )
    inspection_respond(
        actor=cell_officer, inspection=Inspection.objects.get(number="4"), response="Đã khắc phục."
    )

    summary = inspection_summary(people.inspector, path=tree.hanoi.path)
    assert (summary.open, summary.concluded, summary.responded, summary.closed) == (2, 1, 1, 0)
    assert summary.total == 4
    assert summary.cases_sampled == 3 + 2 + 2
    assert summary.findings_recorded == 1 + 2 + 2
    assert summary.findings == {
        "correct": 3, "eligibility_wrong": 0, "data_wrong": 2, "procedure_not_followed": 0,
        "handover_improper": 0,
    }  # fmt: skip
    assert summary.findings_wrong == 2

    # A narrower path counts its own subtree only: cell_a's two inspections.
    cell_a = inspection_summary(people.inspector, path=tree.cell_a.path)
    assert (cell_a.open, cell_a.concluded, cell_a.responded, cell_a.cases_sampled) == (0, 1, 1, 4)

    # The Centre sees both provinces; Huế's inspector asking for Hà Nội's path sees nothing of it.
    whole = inspection_summary(people.centre_inspector, path="")
    assert whole.total == 5 and whole.findings["procedure_not_followed"] == 1 and whole.cases_sampled == 8
    assert inspection_summary(people.hue_inspector, path=tree.hanoi.path) == InspectionSummary()
    hue = inspection_summary(people.hue_inspector, path="")
    assert (hue.total, hue.concluded, hue.cases_sampled) == (1, 1, 1)


def test_roles_without_the_right_see_an_empty_summary(people: Any, tree: Any, inspections: None) -> None:
    assert inspection_summary(people.secretary, path="") == InspectionSummary()
    assert inspection_summary(None, path="") == InspectionSummary()
    # The school's officer sees the inspections of the school and of its cells, not Huế's.
    school = inspection_summary(people.school, path="")
    assert (school.total, school.open, school.concluded, school.cases_sampled) == (4, 2, 2, 7)


def test_the_report_page_shows_the_subtree_inspections_and_their_findings(
    people: Any, tree: Any, inspections: None, login: Any
) -> None:
    """Issue 15: "inspections and their findings appear in the reports" — Hà Nội's report counts Hà Nội's
    inspections (two concluded, one being verified, one open) and not Huế's; a cell secretary, who may not
    see inspections, gets no inspections section."""
    from django.test import Client

    client = Client()
    login(client, people.hanoi)
    page = client.get(f"/bao-cao/{tree.hanoi.code}/").content.decode()
    section = page[page.index('id="inspections-card"') :]
    section = section[: section.index("</section>")]
    assert "Sai tên" not in section  # counts only, no case detail
    cells = [c.split("</td>")[0] for c in section.split('<td class="num">')[1:]]
    # open (2: the open one and the one being verified), concluded 2, responded 0, closed 0, sampled 7
    assert cells[:5] == ["2", "2", "0", "0", "7"]
    secretary = Client()
    login(secretary, people.secretary)
    assert 'id="inspections-card"' not in secretary.get("/bao-cao/").content.decode()
