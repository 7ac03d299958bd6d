"""The Inspection Commission's pages at /uy-ban-kiem-tra/: the whole inspection walked through the forms, the
sample table linking to each case's page, the conclusion notice as a Party document, and every door closed
(the same 404 as a missing page) to another province and to roles without the right."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from partycard.inspections.choices import FindingKind
from partycard.inspections.models import Finding, Inspection, SampledCase
from partycard.inspections.services import finding_record, inspection_conclude, inspection_sample
from partycard.inspections.workflow import State
from tests.inspections.conftest import open_inspection

pytestmark = pytest.mark.django_db


def _as(login: Any, user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def test_an_inspection_walked_through_the_pages(
    people: Any, tree: Any, campaign: Any, cases: Any, login: Any
) -> None:
    inspector = _as(login, people.inspector)
    assert inspector.get("/uy-ban-kiem-tra/").status_code == 200
    assert inspector.get("/uy-ban-kiem-tra/mo/").status_code == 200
    form = {
        "organisation_code": "hn-bd", "campaign": campaign.pk, "number": "12-QĐ/UBKT",
        "decided_on": "01/09/2026", "subject": "Việc đổi thẻ đảng viên", "period_start": "01/01/2026",
        "period_end": "31/08/2026", "place": "Hà Nội",
    }  # fmt: skip
    # The period backwards, and an organisation of another province: said on the form, nothing written.
    page = inspector.post("/uy-ban-kiem-tra/mo/", {**form, "period_end": "31/12/2025"})
    assert page.status_code == 400 and "period_end" in page.context["form"].errors
    page = inspector.post("/uy-ban-kiem-tra/mo/", {**form, "organisation_code": "HUE-TH"})
    assert page.status_code == 400 and "organisation_code" in page.context["form"].errors
    page = inspector.post("/uy-ban-kiem-tra/mo/", {**form, "organisation_code": "HN"})  # its own committee
    assert page.status_code == 400 and "organisation_code" in page.context["form"].errors
    assert not Inspection.objects.exists()

    response = inspector.post("/uy-ban-kiem-tra/mo/", form)
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/uy-ban-kiem-tra/{inspection.pk}/"
    assert inspection.organisation == tree.ba_dinh
    page = inspector.post(
        "/uy-ban-kiem-tra/mo/", {**form, "organisation_code": "HN-BD-01"}
    )  # the same number
    assert page.status_code == 400 and "number" in page.context["form"].errors
    assert Inspection.objects.count() == 1

    page = inspector.post(f"/uy-ban-kiem-tra/{inspection.pk}/chon-mau/", {"method": "size", "size": "99"})
    assert page.status_code == 400 and "size" in page.context["sample_form"].errors
    page = inspector.post(f"/uy-ban-kiem-tra/{inspection.pk}/chon-mau/", {"method": "percent", "percent": ""})
    assert page.status_code == 400 and "percent" in page.context["sample_form"].errors
    response = inspector.post(
        f"/uy-ban-kiem-tra/{inspection.pk}/chon-mau/",
        {"method": "percent", "percent": "40", "stratified": "on"},
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert (inspection.state, inspection.sample_size, inspection.stratified) == (State.SAMPLED, 4, True)

    # The sample table links each case to its exchange page and to its finding form.
    page = inspector.get(f"/uy-ban-kiem-tra/{inspection.pk}/").content.decode()
    rows = list(SampledCase.objects.filter(inspection=inspection).select_related("case__member"))
    for row in rows:
        assert reverse("exchange:case_detail", args=[row.case_id]) in page
        assert f"/uy-ban-kiem-tra/{inspection.pk}/ho-so/{row.case_id}/" in page
        assert row.case.member.full_name in page
        assert inspector.get(reverse("exchange:case_detail", args=[row.case_id])).status_code == 200

    # Concluding before the findings: refused on the form, the state unchanged.
    page = inspector.post(f"/uy-ban-kiem-tra/{inspection.pk}/ket-luan/", {"conclusion": "Sớm quá."})
    assert page.status_code == 400 and page.context["conclude_form"].non_field_errors()
    finding_url = f"/uy-ban-kiem-tra/{inspection.pk}/ho-so/{rows[0].case_id}/"
    page = inspector.post(finding_url, {"kind": FindingKind.ELIGIBILITY_WRONG, "note": ""})
    assert page.status_code == 400 and "note" in page.context["form"].errors
    assert (
        inspector.post(
            finding_url,
            {"kind": FindingKind.ELIGIBILITY_WRONG, "note": "Đảng viên đang bị thi hành kỷ luật."},
        ).status_code
        == 302
    )
    for row in rows[1:]:
        url = f"/uy-ban-kiem-tra/{inspection.pk}/ho-so/{row.case_id}/"
        assert inspector.post(url, {"kind": FindingKind.CORRECT}).status_code == 302
    assert Finding.objects.filter(sampled__inspection=inspection).count() == 4

    response = inspector.post(
        f"/uy-ban-kiem-tra/{inspection.pk}/ket-luan/", {"number": "05-TB/UBKT", "conclusion": "Cơ bản đúng."}
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.state == State.CONCLUDED

    # The inspector may not report on remedying; Ba Đình's officer does, on the same page.
    assert "bao-cao-khac-phuc" not in inspector.get(f"/uy-ban-kiem-tra/{inspection.pk}/").content.decode()
    officer = _as(login, people.ba_dinh)
    assert "bao-cao-khac-phuc" in officer.get(f"/uy-ban-kiem-tra/{inspection.pk}/").content.decode()
    page = inspector.post(f"/uy-ban-kiem-tra/{inspection.pk}/bao-cao-khac-phuc/", {"response": "Thay."})
    assert page.status_code == 404
    assert (
        officer.post(
            f"/uy-ban-kiem-tra/{inspection.pk}/bao-cao-khac-phuc/",
            {"response": "Đã kiểm điểm, rút kinh nghiệm."},
        ).status_code
        == 302
    )
    assert officer.post(f"/uy-ban-kiem-tra/{inspection.pk}/dong/").status_code == 404  # not the commission
    assert inspector.post(f"/uy-ban-kiem-tra/{inspection.pk}/dong/").status_code == 302
    inspection.refresh_from_db()
    assert inspection.state == State.CLOSED and inspection.response == "Đã kiểm điểm, rút kinh nghiệm."


def test_the_conclusion_notice_is_a_party_document(
    people: Any, tree: Any, campaign: Any, cases: Any, login: Any
) -> None:
    inspection = open_inspection(people.inspector, tree.ba_dinh, campaign)
    inspection = inspection_sample(actor=people.inspector, inspection=inspection, size=2)
    url = f"/uy-ban-kiem-tra/{inspection.pk}/thong-bao-ket-luan.pdf"
    inspector = _as(login, people.inspector)
    assert inspector.get(url).status_code == 404  # no conclusion yet
    rows = list(SampledCase.objects.filter(inspection=inspection).select_related("case__member"))
    finding_record(
        actor=people.inspector, inspection=inspection, case=rows[0].case, kind=FindingKind.DATA_WRONG,
        note="Sai năm sinh.",
    )  # fmt: skip
    finding_record(actor=people.inspector, inspection=inspection, case=rows[1].case, kind=FindingKind.CORRECT)
    inspection_conclude(
        actor=people.inspector, inspection=inspection, number="05-TB/UBKT", conclusion="Cần đính chính hồ sơ."
    )
    response = inspector.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    for expected in (
        "ĐẢNG CỘNG SẢN VIỆT NAM", "ĐẢNG BỘ THÀNH PHỐ HÀ NỘI", "ỦY BAN KIỂM TRA", "Số 05-TB/UBKT",
        "Hà Nội, ngày", "THÔNG BÁO", "KẾT LUẬN KIỂM TRA", "Đảng bộ phường Ba Đình", "12-QĐ/UBKT",
        "Cần đính chính hồ sơ.", "Sai năm sinh.", rows[0].case.member.full_name, "T/M ỦY BAN KIỂM TRA",
        "Nơi nhận:",
    ):  # fmt: skip
        assert expected in text, expected
    assert rows[1].case.member.full_name not in text  # only the cases found wrong are listed by name
    # The inspected organisation's officer reads it too; Huế's inspector gets the 404 of a missing one.
    assert _as(login, people.ba_dinh).get(url).status_code == 200
    assert _as(login, people.hue_inspector).get(url).status_code == 404


def _routes(inspection: Inspection, case_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    base = f"/uy-ban-kiem-tra/{inspection.pk}/"
    return [
        ("get", base, {}),
        ("get", f"{base}ho-so/{case_id}/", {}),
        ("post", f"{base}ho-so/{case_id}/", {"kind": FindingKind.CORRECT}),
        ("post", f"{base}chon-mau/", {"method": "percent", "percent": "100"}),
        ("post", f"{base}ket-luan/", {"conclusion": "x"}),
        ("post", f"{base}bao-cao-khac-phuc/", {"response": "x"}),
        ("post", f"{base}dong/", {}),
        ("get", f"{base}thong-bao-ket-luan.pdf", {}),
    ]


def test_every_door_is_a_404_to_another_province_and_to_those_below(
    people: Any, tree: Any, campaign: Any, cases: Any, login: Any
) -> None:
    inspection = open_inspection(people.inspector, tree.ba_dinh, campaign)
    inspection = inspection_sample(actor=people.inspector, inspection=inspection, size=3)
    case_id = SampledCase.objects.filter(inspection=inspection).values_list("case_id", flat=True)[0]
    missing = _routes(Inspection(pk=inspection.pk + 1000), case_id)
    for who in ("hue_inspector", "hue_officer", "school", "secretary"):
        client = _as(login, getattr(people, who))
        for (method, url, data), (_m, missing_url, _d) in zip(
            _routes(inspection, case_id), missing, strict=True
        ):
            answer = getattr(client, method)(url, data)
            assert answer.status_code == 404, (who, method, url, answer.status_code)
            assert inspection.organisation.name not in answer.content.decode()
            assert getattr(client, method)(missing_url, data).status_code == 404
    assert Inspection.objects.get(pk=inspection.pk).state == State.SAMPLED
    assert not Finding.objects.exists()
    # A case of the inspection's sample through another inspection's URL: not its sample, a 404.
    other = open_inspection(people.inspector, tree.cell_b, campaign, number="99-QĐ/UBKT")
    assert _as(login, people.inspector).get(f"/uy-ban-kiem-tra/{other.pk}/ho-so/{case_id}/").status_code in (
        404,
    )


def test_the_list_shows_the_scope_and_roles_without_the_right_get_404(
    people: Any, tree: Any, campaign: Any, cases: Any, login: Any
) -> None:
    hn = open_inspection(people.inspector, tree.ba_dinh, campaign)
    hue = open_inspection(people.centre_inspector, tree.thuan_hoa, campaign, number="1-QĐ/UBKTTW")
    page = _as(login, people.inspector).get("/uy-ban-kiem-tra/")
    assert list(page.context["inspections"]) == [hn]
    page = _as(login, people.hue_officer).get("/uy-ban-kiem-tra/")
    assert list(page.context["inspections"]) == [hue]
    assert "Đảng bộ phường Ba Đình" not in page.content.decode()
    page = _as(login, people.centre_inspector).get("/uy-ban-kiem-tra/?trang_thai=open")
    assert set(page.context["inspections"]) == {hn, hue}
    assert _as(login, people.secretary).get("/uy-ban-kiem-tra/").status_code == 404
    assert _as(login, people.ba_dinh).get("/uy-ban-kiem-tra/mo/").status_code == 404  # sees, does not open
    assert _as(login, people.ba_dinh).get(f"/uy-ban-kiem-tra/{hn.pk}/").status_code == 200
    anonymous = Client().get("/uy-ban-kiem-tra/")
    assert anonymous.status_code == 302 and "/dang-nhap/" in anonymous["Location"]
