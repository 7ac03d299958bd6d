"""An inspection's workflow, from the rules' text (Regulation 22-QĐ/TW and the procedure under it): the
commission decides to inspect an organisation below it, the team draws its cases and records a finding on
each, the commission concludes, the inspected organisation reports on remedying, the file is closed. Each
step is checked for who may take it, where, and when; each writes its audit row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.core.errors import ErrorCode
from partycard.core.scope import OutOfScope
from partycard.inspections import sampling
from partycard.inspections.choices import FindingKind
from partycard.inspections.errors import (
    CaseNotInSample,
    FindingsMissing,
    NotALowerOrganisation,
    NothingToSample,
    NotTheInspectedOrganisation,
    NumberTaken,
    SampleTooLarge,
    WrongState,
)
from partycard.inspections.models import Finding, Inspection, SampledCase
from partycard.inspections.services import (
    finding_record,
    inspection_close,
    inspection_conclude,
    inspection_respond,
    inspection_sample,
)
from partycard.inspections.workflow import State
from tests.inspections.conftest import open_inspection

pytestmark = pytest.mark.django_db


def _record_all(actor: Any, inspection: Inspection, kind: str = FindingKind.CORRECT) -> None:
    for row in SampledCase.objects.filter(inspection=inspection):
        finding_record(
            actor=actor, inspection=inspection, case=row.case, kind=kind, note="Đã đối chiếu hồ sơ."
        )


def test_the_whole_inspection_from_decision_to_closing(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    start = AuditEvent.objects.count()
    inspection = open_inspection(people.inspector, tree.ba_dinh, campaign)
    assert (inspection.state, inspection.commission, inspection.path) == (
        State.OPEN,
        tree.hanoi,
        tree.ba_dinh.path,
    )

    inspection = inspection_sample(actor=people.inspector, inspection=inspection, percent=50)
    assert inspection.state == State.SAMPLED
    assert inspection.population == 9  # cell_a's six and cell_b's three: Ba Đình's cases, not Huế's
    assert inspection.sample_size == 5  # 50 % of 9, rounded up
    assert len(inspection.sample_seed) == 32

    rows = list(SampledCase.objects.filter(inspection=inspection).select_related("case"))
    first, *others = rows
    finding_record(
        actor=people.inspector, inspection=inspection, case=first.case, kind=FindingKind.DATA_WRONG,
        note="Ngày vào Đảng ghi sai so với lý lịch.",
    )  # fmt: skip
    for row in others:
        finding_record(actor=people.inspector, inspection=inspection, case=row.case, kind=FindingKind.CORRECT)

    inspection = inspection_conclude(
        actor=people.inspector, inspection=inspection, number="05-TB/UBKT",
        conclusion="Đảng bộ phường Ba Đình thực hiện cơ bản đúng quy định; một hồ sơ ghi sai ngày vào Đảng.",
    )  # fmt: skip
    assert inspection.state == State.CONCLUDED and inspection.concluded_by == people.inspector

    inspection = inspection_respond(
        actor=people.ba_dinh, inspection=inspection, response="Đã đính chính ngày vào Đảng của đồng chí."
    )
    assert inspection.state == State.RESPONDED and inspection.responded_by == people.ba_dinh

    inspection = inspection_close(actor=people.inspector, inspection=inspection)
    assert inspection.state == State.CLOSED and inspection.closed_at is not None

    actions = list(AuditEvent.objects.order_by("seq")[start:].values_list("action", "object_type"))
    assert actions == [
        ("inspection.open", "inspections.inspection"),
        ("inspection.sample", "inspections.inspection"),
        *[("inspection.finding", "inspections.finding")] * 5,
        ("inspection.conclude", "inspections.inspection"),
        ("inspection.respond", "inspections.inspection"),
        ("inspection.close", "inspections.inspection"),
    ]
    # The names fit the audit log's column (SQLite does not enforce its length; PostgreSQL does).
    assert all(len(a) <= AuditEvent._meta.get_field("action").max_length for a, _t in actions)
    sampled = AuditEvent.objects.get(action="inspection.sample")
    assert sampled.changes["cases"] == [r.case_id for r in rows]
    assert sampled.changes["sample_seed"] == ["", inspection.sample_seed]
    assert audit_verify().ok


def test_the_sample_is_drawn_again_from_its_recorded_seed(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    """Anyone holding the recorded seed and the population draws the same cases (sampling.draw)."""
    inspection = open_inspection(people.inspector, tree.ba_dinh, campaign)
    inspection = inspection_sample(actor=people.inspector, inspection=inspection, size=4)
    population = [(c.pk, c.path) for c in cases["cell_a"] + cases["cell_b"]]
    assert sampling.population_digest([pk for pk, _ in population]) == inspection.population_digest
    again = sampling.draw(inspection.sample_seed, population, 4, stratified=True)
    drawn = list(SampledCase.objects.filter(inspection=inspection).values_list("position", "case_id"))
    assert drawn == [(d.position, d.case_id) for d in again]

    # A second inspection given the same seed (the re-draw door of the services) draws the same cases.
    twin = open_inspection(people.inspector, tree.ba_dinh, campaign, number="13-QĐ/UBKT")
    twin = inspection_sample(actor=people.inspector, inspection=twin, size=4, seed=inspection.sample_seed)
    assert list(SampledCase.objects.filter(inspection=twin).values_list("position", "case_id")) == drawn


def test_the_sample_is_confined_to_the_inspected_subtree(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    inspection = open_inspection(people.inspector, tree.cell_a, campaign)
    inspection = inspection_sample(
        actor=people.inspector, inspection=inspection, percent=100, stratified=False
    )
    sampled = set(SampledCase.objects.filter(inspection=inspection).values_list("case_id", flat=True))
    assert sampled == {c.pk for c in cases["cell_a"]}
    assert inspection.population == 6


def test_a_stratified_sample_covers_each_cell_in_proportion(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    inspection = open_inspection(people.inspector, tree.school, campaign)
    inspection_sample(actor=people.inspector, inspection=inspection, size=3)
    cells = list(SampledCase.objects.filter(inspection=inspection).values_list("cell_id", flat=True))
    assert sorted(cells) == sorted([tree.cell_a.pk, tree.cell_a.pk, tree.cell_b.pk])  # 6 : 3 of 9


def test_the_commission_inspects_only_organisations_below_its_committee(
    people: Any, tree: Any, campaign: Any
) -> None:
    with pytest.raises(NotALowerOrganisation):  # Party Charter Art. 32: lower-level organisations
        open_inspection(people.inspector, tree.hanoi, campaign)
    with pytest.raises(OutOfScope):
        open_inspection(people.inspector, tree.hue, campaign)
    with pytest.raises(OutOfScope):
        open_inspection(people.inspector, tree.thuan_hoa, campaign)
    assert not Inspection.objects.exists()
    # A central administrator at the Centre acts for the Centre's commission anywhere below it.
    assert open_inspection(people.centre_inspector, tree.hue, campaign).commission == tree.centre


@pytest.mark.parametrize("who", ["ba_dinh", "hanoi", "school", "secretary", "hue_officer"])
def test_only_inspectors_open_inspections(people: Any, tree: Any, campaign: Any, who: str) -> None:
    with pytest.raises(OutOfScope):
        open_inspection(getattr(people, who), tree.cell_a, campaign)


def test_the_decision_is_checked(people: Any, tree: Any, campaign: Any) -> None:
    from partycard.inspections.services import inspection_open

    good = {
        "actor": people.inspector, "organisation": tree.ba_dinh, "campaign": campaign, "number": "1-QĐ/UBKT",
        "decided_on": dt.date(2026, 9, 1), "subject": "Đổi thẻ", "period_start": dt.date(2026, 1, 1),
        "period_end": dt.date(2026, 6, 30), "place": "Hà Nội",
    }  # fmt: skip
    with pytest.raises(ValidationError) as bad:
        inspection_open(**{**good, "period_end": dt.date(2025, 12, 31)})
    assert "period_end" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        inspection_open(**{**good, "subject": "   "})
    assert "subject" in bad.value.message_dict
    inspection_open(**good)
    with pytest.raises(NumberTaken) as taken:  # the commission's numbers are its own, each used once
        inspection_open(**{**good, "number": " 1-QĐ/UBKT "})
    assert taken.value.field == "number"
    # Another commission (the Centre's) may use the same number.
    inspection_open(**{**good, "actor": people.centre_inspector})
    assert Inspection.objects.count() == 2


def test_no_finding_before_the_sample_nor_after_the_conclusion(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    inspection = open_inspection(people.inspector, tree.cell_a, campaign)
    case = cases["cell_a"][0]
    with pytest.raises(WrongState) as refused:
        finding_record(actor=people.inspector, inspection=inspection, case=case, kind=FindingKind.CORRECT)
    assert refused.value.code == ErrorCode.CONFLICT
    inspection = inspection_sample(actor=people.inspector, inspection=inspection, percent=100)
    _record_all(people.inspector, inspection)
    inspection = inspection_conclude(
        actor=people.inspector, inspection=inspection, conclusion="Đúng quy định."
    )
    with pytest.raises(WrongState):
        finding_record(
            actor=people.inspector,
            inspection=inspection,
            case=case,
            kind=FindingKind.DATA_WRONG,
            note="Sửa sau.",
        )
    assert set(Finding.objects.values_list("kind", flat=True)) == {FindingKind.CORRECT}


def test_no_conclusion_before_every_sampled_case_has_a_finding(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    inspection = open_inspection(people.inspector, tree.cell_a, campaign)
    with pytest.raises(WrongState):
        inspection_conclude(actor=people.inspector, inspection=inspection, conclusion="Quá sớm.")
    inspection = inspection_sample(actor=people.inspector, inspection=inspection, size=3)
    first = SampledCase.objects.filter(inspection=inspection).first()
    assert first is not None
    finding_record(actor=people.inspector, inspection=inspection, case=first.case, kind=FindingKind.CORRECT)
    with pytest.raises(FindingsMissing) as refused:
        inspection_conclude(actor=people.inspector, inspection=inspection, conclusion="Thiếu.")
    assert refused.value.missing == 2
    assert Inspection.objects.get(pk=inspection.pk).state == State.SAMPLED
    _record_all(people.inspector, inspection)
    with pytest.raises(ValidationError):  # a conclusion says something
        inspection_conclude(actor=people.inspector, inspection=inspection, conclusion="   ")
    assert (
        inspection_conclude(actor=people.inspector, inspection=inspection, conclusion="Xong.").state
        == "concluded"
    )


def test_a_finding_is_corrected_while_verifying_and_a_wrong_one_says_what(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    inspection = open_inspection(people.inspector, tree.cell_a, campaign)
    inspection = inspection_sample(actor=people.inspector, inspection=inspection, size=1)
    case = SampledCase.objects.get(inspection=inspection).case
    with pytest.raises(ValidationError) as bad:
        finding_record(
            actor=people.inspector, inspection=inspection, case=case, kind=FindingKind.HANDOVER_IMPROPER
        )
    assert "note" in bad.value.message_dict
    with pytest.raises(ValidationError):
        finding_record(actor=people.inspector, inspection=inspection, case=case, kind="made_up", note="x")
    finding_record(actor=people.inspector, inspection=inspection, case=case, kind=FindingKind.CORRECT)
    finding_record(
        actor=people.inspector, inspection=inspection, case=case, kind=FindingKind.HANDOVER_IMPROPER,
        note="Trao thẻ ngoài buổi sinh hoạt chi bộ.",
    )  # fmt: skip
    assert Finding.objects.get().kind == FindingKind.HANDOVER_IMPROPER
    last = AuditEvent.objects.filter(action="inspection.finding").order_by("-seq").first()
    assert last is not None and last.changes["kind"] == ["correct", "handover_improper"]


def test_no_finding_on_a_case_outside_the_inspected_subtree(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    inspection = open_inspection(people.inspector, tree.cell_a, campaign)
    inspection = inspection_sample(actor=people.inspector, inspection=inspection, size=2)
    in_scope_elsewhere = cases["cell_b"][0]  # Hà Nội's, but not under cell_a
    with pytest.raises(CaseNotInSample):
        finding_record(
            actor=people.inspector, inspection=inspection, case=in_scope_elsewhere, kind=FindingKind.CORRECT
        )
    with pytest.raises(OutOfScope):  # Huế's: as missing
        finding_record(
            actor=people.inspector, inspection=inspection, case=cases["hue"][0], kind=FindingKind.CORRECT
        )
    not_drawn = next(
        c for c in cases["cell_a"] if not SampledCase.objects.filter(inspection=inspection, case=c).exists()
    )
    with pytest.raises(CaseNotInSample):
        finding_record(
            actor=people.inspector, inspection=inspection, case=not_drawn, kind=FindingKind.CORRECT
        )
    assert not Finding.objects.exists()


def test_the_sample_is_drawn_once_and_from_cases_that_exist(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    inspection = open_inspection(people.inspector, tree.cell_a, campaign)
    with pytest.raises(SampleTooLarge) as too_many:
        inspection_sample(actor=people.inspector, inspection=inspection, size=7)
    assert too_many.value.field == "size"
    inspection = inspection_sample(actor=people.inspector, inspection=inspection, size=2)
    seed = inspection.sample_seed
    with pytest.raises(WrongState):
        inspection_sample(actor=people.inspector, inspection=inspection, size=2)
    assert Inspection.objects.get(pk=inspection.pk).sample_seed == seed
    assert SampledCase.objects.filter(inspection=inspection).count() == 2


def test_nothing_to_sample_in_an_organisation_without_cases(people: Any, tree: Any, campaign: Any) -> None:
    inspection = open_inspection(people.inspector, tree.cell_b, campaign)
    with pytest.raises(NothingToSample):
        inspection_sample(actor=people.inspector, inspection=inspection, percent=10)
    assert Inspection.objects.get(pk=inspection.pk).state == State.OPEN


def _concluded(people: Any, tree: Any, campaign: Any) -> Inspection:
    inspection = open_inspection(people.inspector, tree.ba_dinh, campaign)
    inspection = inspection_sample(actor=people.inspector, inspection=inspection, size=2)
    _record_all(people.inspector, inspection)
    return inspection_conclude(actor=people.inspector, inspection=inspection, conclusion="Đúng quy định.")


def test_only_the_inspected_organisations_officers_report_on_remedying(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    inspection = _concluded(people, tree, campaign)
    with pytest.raises(NotTheInspectedOrganisation):  # the committee above Ba Đình sees it, but is not it
        inspection_respond(actor=people.hanoi, inspection=inspection, response="Thay mặt.")
    for outsider in (people.inspector, people.centre_inspector):  # the commission does not answer itself
        with pytest.raises((OutOfScope, NotTheInspectedOrganisation)):
            inspection_respond(actor=outsider, inspection=inspection, response="Tự trả lời.")
    for outsider in (people.school, people.secretary, people.hue_officer):  # below it, or elsewhere
        with pytest.raises(OutOfScope):
            inspection_respond(actor=outsider, inspection=inspection, response="Không phải.")
    assert Inspection.objects.get(pk=inspection.pk).state == State.CONCLUDED
    inspection_respond(actor=people.ba_dinh, inspection=inspection, response="Đã khắc phục.")
    with pytest.raises(WrongState):
        inspection_respond(actor=people.ba_dinh, inspection=inspection, response="Lần hai.")


def test_the_report_waits_for_the_conclusion_and_the_closing_for_the_report(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    inspection = open_inspection(people.inspector, tree.ba_dinh, campaign)
    with pytest.raises(WrongState):
        inspection_respond(actor=people.ba_dinh, inspection=inspection, response="Sớm.")
    with pytest.raises(WrongState):
        inspection_close(actor=people.inspector, inspection=inspection)
    inspection = inspection_sample(actor=people.inspector, inspection=inspection, size=1)
    _record_all(people.inspector, inspection)
    inspection = inspection_conclude(actor=people.inspector, inspection=inspection, conclusion="Kết luận.")
    with pytest.raises(WrongState):
        inspection_close(actor=people.inspector, inspection=inspection)
    with pytest.raises(ValidationError):
        inspection_respond(actor=people.ba_dinh, inspection=inspection, response="  ")
    inspection = inspection_respond(actor=people.ba_dinh, inspection=inspection, response="Đã khắc phục.")
    inspection = inspection_close(actor=people.inspector, inspection=inspection)
    with pytest.raises(WrongState):
        inspection_close(actor=people.inspector, inspection=inspection)


def test_the_other_province_and_the_inspected_change_nothing(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    """Every changing step, by Huế's inspector (another province: the same 404 as missing) and by the
    officers of the inspected organisation (who may see it, not change it)."""
    inspection = open_inspection(people.inspector, tree.ba_dinh, campaign)
    case = cases["cell_a"][0]
    before = AuditEvent.objects.count()
    for actor in (people.hue_inspector, people.ba_dinh, people.hanoi, people.school):
        with pytest.raises(OutOfScope):
            inspection_sample(actor=actor, inspection=inspection, percent=100)
        with pytest.raises(OutOfScope):
            finding_record(actor=actor, inspection=inspection, case=case, kind=FindingKind.CORRECT)
        with pytest.raises(OutOfScope):
            inspection_conclude(actor=actor, inspection=inspection, conclusion="x")
        with pytest.raises(OutOfScope):
            inspection_close(actor=actor, inspection=inspection)
    assert AuditEvent.objects.count() == before
    assert Inspection.objects.get(pk=inspection.pk).state == State.OPEN


def test_a_lower_commission_does_not_change_the_centres_inspection(
    people: Any, tree: Any, campaign: Any, cases: Any
) -> None:
    """Hà Nội's inspector sees the Centre's inspection of Ba Đình (it is in Hà Nội's subtree) but the
    inspecting committee, the Centre, is outside Hà Nội's scope: the inspection is not Hà Nội's to change."""
    inspection = open_inspection(people.centre_inspector, tree.ba_dinh, campaign)
    with pytest.raises(OutOfScope):
        inspection_sample(actor=people.inspector, inspection=inspection, percent=100)
    assert (
        inspection_sample(actor=people.centre_inspector, inspection=inspection, percent=100).state
        == "sampled"
    )
