"""A Youth Union volunteer in the offline review (issue 17): assigned to a cell, they hand out and bring
back its workbook, see the proposal, and decide nothing; the officer applies, and history names both. The
assignment's scope ends with it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.core import clock
from partycard.core.scope import OutOfScope
from partycard.registry.models import Member
from partycard.review.assignments_services import assignment_create
from partycard.review.services import review_apply, review_export, review_import
from tests.review.conftest import HEADERS, cell_of, edit

pytestmark = pytest.mark.django_db


@pytest.fixture
def volunteer(tree: Any, officers: Any) -> User:
    user = User.objects.create_user(
        "rs-volunteer", password="mat-khau-dai-1", role=Role.YOUTH_VOLUNTEER, organisation=tree.school,
        first_name="Đoàn Viên Tình Nguyện",
    )  # fmt: skip
    today = clock.today()
    assignment_create(
        actor=officers["grassroots"], volunteer=user, cells=[tree.cell_a], starts_on=today,
        ends_on=today + dt.timedelta(days=30),
    )  # fmt: skip
    return user


def _occupation(tree: Any, member: Member, value: str) -> Any:
    def change(book: Any) -> None:
        cell_of(book[tree.cell_a.code], member.pk, HEADERS["occupation"]).value = value

    return change


def test_the_volunteer_brings_back_and_the_officer_applies(
    tree: Any, members: dict[str, Member], officers: Any, volunteer: User
) -> None:
    an = members["an"]
    _export, content = review_export(actor=volunteer, organisation=tree.cell_a)
    review = review_import(actor=volunteer, file=edit(content, _occupation(tree, an, "Nông dân")))
    assert review.imported_by_name == "Đoàn Viên Tình Nguyện"
    with pytest.raises(OutOfScope):  # decides nothing
        review_apply(actor=volunteer, review_import=review, decisions={})
    assert Member.objects.get(pk=an.pk).occupation == ""
    review_apply(actor=officers["grassroots"], review_import=review, decisions={})
    an.refresh_from_db()
    assert an.occupation == "Nông dân"
    reason = an.history.order_by("-history_id").first().history_change_reason
    assert reason == "Rà soát ngoại tuyến bởi Đoàn Viên Tình Nguyện; áp dụng bởi Lê Thị Cơ Sở"


def test_the_volunteer_reaches_only_their_cells(
    tree: Any, members: dict[str, Member], officers: Any, volunteer: User, login: Any
) -> None:
    with pytest.raises(OutOfScope):
        review_export(actor=volunteer, organisation=tree.school)  # the grassroots: not assigned
    with pytest.raises(OutOfScope):
        review_export(actor=volunteer, organisation=tree.cell_b)
    _export, school = review_export(actor=officers["grassroots"], organisation=tree.school)
    with pytest.raises(OutOfScope):  # the school's workbook names an export outside their scope
        review_import(actor=volunteer, file=school)
    client = Client()
    login(client, volunteer)
    page = client.get("/ra-soat/").content.decode()
    assert f"to-chuc/{tree.cell_a.code}/" in page and f"to-chuc/{tree.cell_b.code}/" not in page
    assert client.post(f"/ra-soat/to-chuc/{tree.cell_a.code}/bang-tinh/").status_code == 200
    assert client.post(f"/ra-soat/to-chuc/{tree.cell_b.code}/bang-tinh/").status_code == 404


def test_the_proposal_page_offers_the_volunteer_no_apply(
    tree: Any, members: dict[str, Member], volunteer: User, login: Any
) -> None:
    _export, content = review_export(actor=volunteer, organisation=tree.cell_a)
    review = review_import(actor=volunteer, file=edit(content, _occupation(tree, members["an"], "Y tá")))
    client = Client()
    login(client, volunteer)
    page = client.get(f"/ra-soat/{review.pk}/").content.decode()
    assert "Y tá" in page and "/ap-dung/" not in page
    assert client.post(f"/ra-soat/{review.pk}/ap-dung/").status_code == 404
