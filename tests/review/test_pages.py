"""The review pages (``/ra-soat/``) and routes (``/api/v1/review/…``): hand out, bring back, decide, apply;
a bad workbook is a Vietnamese list of problems, never a server error."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from partycard.api.services import token_issue
from partycard.registry import services as registry
from partycard.registry.models import Member
from partycard.review.models import ReviewExport, ReviewImport
from partycard.review.workbook import BASE_SHEET
from tests.review.conftest import HEADERS, cell_of, edit

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def web(officers: Any, login: Any) -> Client:
    client = Client()
    login(client, officers["grassroots"])
    return client


def _upload(content: bytes) -> Any:
    return SimpleUploadedFile("ra-soat.xlsx", content, content_type=XLSX)


def test_the_home_page_lists_the_organisations_in_scope(web: Client, tree: Any, members: Any) -> None:
    page = web.get("/ra-soat/")
    assert page.status_code == 200
    text = page.content.decode()
    assert tree.school.code in text and tree.cell_a.code in text and tree.hue_cell.code not in text


def test_workbook_round_trip_through_the_pages(web: Client, tree: Any, members: dict[str, Member]) -> None:
    an = members["an"]
    response = web.post(f"/ra-soat/to-chuc/{tree.school.code}/bang-tinh/")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    returned = edit(
        response.content,
        lambda b: setattr(cell_of(b[tree.cell_a.code], an.pk, HEADERS["occupation"]), "value", "Giáo viên"),
    )
    response = web.post("/ra-soat/nop-lai/", {"file": _upload(returned)})
    assert response.status_code == 302, response.content.decode()[:3000]
    review = ReviewImport.objects.get()
    page = web.get(response["Location"])
    assert page.status_code == 200 and "Giáo viên" in page.content.decode()
    response = web.post(f"/ra-soat/{review.pk}/ap-dung/")
    assert response.status_code == 302
    assert Member.objects.get(pk=an.pk).occupation == "Giáo viên"


def test_a_conflict_is_decided_on_the_page(
    web: Client, tree: Any, members: dict[str, Member], officers: Any
) -> None:
    an = members["an"]
    content = web.post(f"/ra-soat/to-chuc/{tree.cell_a.code}/bang-tinh/").content
    registry.member_update(actor=officers["grassroots"], member=an, changes={"occupation": "Kỹ sư"})
    returned = edit(
        content,
        lambda b: setattr(cell_of(b[tree.cell_a.code], an.pk, HEADERS["occupation"]), "value", "Giáo viên"),
    )
    web.post("/ra-soat/nop-lai/", {"file": _upload(returned)})
    review = ReviewImport.objects.get()
    page = web.get(f"/ra-soat/{review.pk}/").content.decode()
    assert f'name="d-{an.pk}:occupation"' in page
    web.post(f"/ra-soat/{review.pk}/ap-dung/")  # undecided: refused, nothing written
    assert Member.objects.get(pk=an.pk).occupation == "Kỹ sư"
    web.post(f"/ra-soat/{review.pk}/ap-dung/", {f"d-{an.pk}:occupation": "theirs"})
    assert Member.objects.get(pk=an.pk).occupation == "Giáo viên"


def test_a_bad_workbook_is_a_list_of_problems(web: Client, tree: Any, members: dict[str, Member]) -> None:
    content = web.post(f"/ra-soat/to-chuc/{tree.cell_a.code}/bang-tinh/").content

    def bad(book: Any) -> None:
        cell_of(book[tree.cell_a.code], members["an"].pk, HEADERS["date_of_birth"]).value = "32/13/1980"
        book[BASE_SHEET]["C2"] = "đã sửa"

    for body in (edit(content, bad), b"not a workbook", edit(content, lambda b: b.remove(b[BASE_SHEET]))):
        response = web.post("/ra-soat/nop-lai/", {"file": _upload(body)})
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    response = web.post(
        "/ra-soat/nop-lai/",
        {
            "file": _upload(
                edit(
                    content,
                    lambda b: setattr(
                        cell_of(b[tree.cell_a.code], members["an"].pk, HEADERS["date_of_birth"]),
                        "value",
                        "32/13/1980",
                    ),
                )
            )
        },
    )
    text = response.content.decode()
    assert "32/13/1980" in text and tree.cell_a.code in text  # the row's sheet and reason
    assert not ReviewImport.objects.exists()


def test_the_paper_form_is_a_pdf(web: Client, tree: Any, members: dict[str, Member]) -> None:
    response = web.post(f"/ra-soat/to-chuc/{tree.school.code}/phieu-giay/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert ReviewExport.objects.get().kind == ReviewExport.Kind.PAPER
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "PHIẾU RÀ SOÁT" in text and "Nguyễn Văn An" in text and "Phạm Văn Dũng" in text
    assert "BÍ THƯ" in text and "NGƯỜI RÀ SOÁT" in text


def test_other_provinces_are_404(web: Client, tree: Any, members: Any, officers: Any) -> None:
    assert web.post(f"/ra-soat/to-chuc/{tree.hue_cell.code}/bang-tinh/").status_code == 404
    assert web.post(f"/ra-soat/to-chuc/{tree.hue_cell.code}/phieu-giay/").status_code == 404
    from partycard.review.services import review_export, review_import

    _e, content = review_export(actor=officers["hue"], organisation=tree.hue_cell)
    review = review_import(actor=officers["hue"], file=content)
    assert web.get(f"/ra-soat/{review.pk}/").status_code == 404
    assert web.post(f"/ra-soat/{review.pk}/ap-dung/").status_code == 404


# ---- the API ----------------------------------------------------------------------------------------


def _api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(actor=None, user=user, name='t')[1]}")


def test_the_api_round_trip(tree: Any, members: dict[str, Member], officers: Any) -> None:
    an, api = members["an"], _api(officers["grassroots"])
    response = api.post(f"/api/v1/review/organisations/{tree.school.code}/workbook")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    registry.member_update(actor=officers["grassroots"], member=an, changes={"occupation": "Kỹ sư"})
    returned = edit(
        response.content,
        lambda b: (
            setattr(cell_of(b[tree.cell_a.code], an.pk, HEADERS["occupation"]), "value", "Giáo viên"),
            setattr(cell_of(b[tree.cell_a.code], an.pk, HEADERS["home_town"]), "value", "Nam Định"),
        ),
    )
    response = api.post("/api/v1/review/imports", {"file": _upload(returned)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["change_count"] == 1 and body["conflict_count"] == 1
    conflict = next(c for c in body["changes"] if c["outcome"] == "conflict")
    assert api.get(f"/api/v1/review/imports/{body['id']}").json()["id"] == body["id"]
    refused = api.post(f"/api/v1/review/imports/{body['id']}/apply", "{}", content_type="application/json")
    assert refused.status_code == 422
    done = api.post(
        f"/api/v1/review/imports/{body['id']}/apply",
        json.dumps({"decisions": {conflict["key"]: "ours"}}),
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json() == {"applied": 1, "status": "applied"}
    an.refresh_from_db()
    assert (an.occupation, an.home_town) == ("Kỹ sư", "Nam Định")


def test_the_api_lists_every_problem(tree: Any, members: dict[str, Member], officers: Any) -> None:
    api = _api(officers["grassroots"])
    content = api.post(f"/api/v1/review/organisations/{tree.cell_a.code}/workbook").content
    returned = edit(
        content,
        lambda b: setattr(cell_of(b[tree.cell_a.code], members["an"].pk, HEADERS["gender"]), "value", "X"),
    )
    response = api.post("/api/v1/review/imports", {"file": _upload(returned)})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    row = cell_of(openpyxl.load_workbook(io.BytesIO(content))[tree.cell_a.code], members["an"].pk, "x").row
    assert error["field"] == f"{tree.cell_a.code}:{row}:{HEADERS['gender']}"
    assert api.post(f"/api/v1/review/organisations/{tree.hue_cell.code}/workbook").status_code == 404
    inspector = _api(officers["inspector"])
    assert inspector.post(f"/api/v1/review/organisations/{tree.school.code}/workbook").status_code == 403


def test_the_workbook_opens_in_openpyxl_with_its_sheets(web: Client, tree: Any, members: Any) -> None:
    content = web.post(f"/ra-soat/to-chuc/{tree.school.code}/bang-tinh/").content
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert tree.cell_a.code in book.sheetnames and tree.cell_b.code in book.sheetnames


def test_the_home_page_finds_an_organisation(web: Client, tree: Any, members: Any) -> None:
    text = web.get("/ra-soat/", {"q": "giao vien 2"}).content.decode()
    assert tree.cell_b.code in text and f"to-chuc/{tree.cell_a.code}/" not in text
    text = web.get("/ra-soat/", {"q": "hn-bd-01-01"}).content.decode()
    assert f"to-chuc/{tree.cell_a.code}/" in text and f"to-chuc/{tree.cell_b.code}/" not in text
