"""The member page of issue 15: "shows the member's exchange case, eligibility with reasons and card(s), with
a way back to the list; the history of seeded members says so instead of 'no history'", the list's filters
kept on the way back."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from tests.web.office import Office, campaign, office, officers

pytestmark = pytest.mark.django_db

__all__ = ["campaign", "office", "officers"]


@pytest.fixture
def grassroots(client: Client, login: Any, office: Office) -> Client:
    login(client, office.officers.grassroots)
    return client


def _page(client: Client, url: str, **extra: Any) -> str:
    response = client.get(url, **extra)
    assert response.status_code == 200
    return response.content.decode()


def _back(page: str) -> str:
    found = re.search(r'<p class="back"><a href="([^"]*)">← Quay lại danh sách đảng viên</a>', page)
    assert found is not None
    return found.group(1).replace("&amp;", "&")


def test_the_page_shows_the_card_the_verdict_and_the_case(grassroots: Client, office: Office) -> None:
    page = _page(grassroots, f"/dang-vien/{office.an.pk}/")
    cards = page.index("Thẻ đảng viên</h2>")
    exchange = page.index("Đổi thẻ đảng viên</h2>")
    history = page.index("Lịch sử hồ sơ đảng viên</h2>")
    assert cards < exchange < history  # the card, then the exchange, then the record's history
    assert "12345678" in page[cards:exchange]  # the old card, in use
    panel = page[exchange:history]
    assert "Đợt đổi thẻ 2026" in panel and "Đủ điều kiện" in panel
    assert "Chi bộ đã đề nghị" in panel  # the case's state
    assert f'href="/doi-the/ho-so/{office.case.pk}/"' in panel


def test_a_member_not_eligible_now_shows_every_reason_in_vietnamese(
    grassroots: Client, office: Office
) -> None:
    page = _page(grassroots, f"/dang-vien/{office.reviewed.pk}/")
    panel = page[page.index("Đổi thẻ đảng viên</h2>") : page.index("Lịch sử hồ sơ đảng viên</h2>")]
    assert "Tạm hoãn" in panel
    assert "Đang trong thời gian xem xét kỷ luật: hoãn đổi thẻ đến khi có kết luận." in panel
    assert "Chưa được đề nghị." in panel and "/doi-the/ho-so/" not in panel  # no case yet


def test_a_member_sees_their_own_verdict_and_case(client: Client, login: Any, office: Office) -> None:
    """The role table lets a member see their own case (``Role.MEMBER``: VIEW_CASE, own scope)."""
    member = User.objects.create_user("dangvien", password="x", role=Role.MEMBER, member=office.an)
    login(client, member)
    page = _page(client, f"/dang-vien/{office.an.pk}/")
    assert "Đủ điều kiện" in page and f'href="/doi-the/ho-so/{office.case.pk}/"' in page
    assert client.get(f"/doi-the/ho-so/{office.case.pk}/").status_code == 200
    assert client.get(f"/doi-the/ho-so/{office.other_case.pk}/").status_code == 404


def test_back_to_the_list_keeps_its_filters(grassroots: Client, office: Office) -> None:
    url = f"/dang-vien/{office.an.pk}/"
    listed = "/dang-vien/?q=nguyen&status=official&after=abc"
    assert _back(_page(grassroots, url, data={"next": listed})) == listed
    assert _back(_page(grassroots, url, HTTP_REFERER=f"http://testserver{listed}")) == listed
    # Anywhere else, or another site: the list itself (no open redirect).
    for elsewhere in ("https://evil.example/dang-vien/?q=x", "//evil.example/dang-vien/", "/doi-the/?x=1"):
        assert _back(_page(grassroots, url, data={"next": elsewhere})) == "/dang-vien/"
    assert _back(_page(grassroots, url, HTTP_REFERER="https://evil.example/dang-vien/?q=x")) == "/dang-vien/"


def test_a_seeded_record_says_it_was_loaded_not_that_it_has_no_history(
    grassroots: Client, office: Office
) -> None:
    office.an.history.all().delete()  # as the seed's bulk load leaves a record: no history rows
    page = _page(grassroots, f"/dang-vien/{office.an.pk}/")
    day = timezone.localtime(office.an.created_at).strftime("%d/%m/%Y")
    assert f"Hồ sơ được nạp từ dữ liệu ban đầu ngày {day}; chưa thay đổi lần nào kể từ đó." in page
    assert "Chưa có lịch sử" not in page
