"""The web's answers to a request it refuses, in Vietnamese and with the right status: a NUL in the URL
(400, it was a 500 on PostgreSQL), a body over the limit (413, it was Django's English 400), a job over the
user's bound (429), and the error pages themselves (400, 403, 404, 413, 429, 500)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import get_resolver

from partycard.exchange.services import case_propose
from partycard.jobs.models import Job
from tests.exchange import conftest as exchange_fixtures
from tests.exchange.conftest import card_holder

campaign = exchange_fixtures.campaign
officers = exchange_fixtures.officers

pytestmark = pytest.mark.django_db

# Each page's heading and one sentence of it, as an officer reads them.
PAGES = {
    400: ("Yêu cầu không hợp lệ", "Trang không đọc được yêu cầu này."),
    403: ("Không có quyền truy cập", "Đồng chí không được xem hoặc thực hiện việc này."),
    404: ("Không tìm thấy trang", "nằm ngoài phạm vi quản lý của đồng chí"),
    413: ("Dữ liệu quá lớn", "lớn hơn mức máy chủ chấp nhận"),
    429: ("Quá nhiều yêu cầu", "Hãy đợi một lát rồi thử lại."),
    500: ("Lỗi máy chủ", "Lỗi đã được ghi lại"),
}


def _page(response: Any, status: int, sentence: str | None = None) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    heading, usual = PAGES[status]
    sentence = sentence or usual
    assert 'lang="vi"' in page and f"{heading} ({status})" in page and sentence in page
    return page


def test_django_answers_with_the_project_s_handlers() -> None:
    resolver = get_resolver()
    handlers = {code: resolver.resolve_error_handler(code) for code in (400, 403, 404, 500)}
    assert {code: f"{h.__module__}.{h.__name__}" for code, h in handlers.items()} == {
        400: "partycard.error_views.bad_request",
        403: "partycard.error_views.permission_denied",
        404: "partycard.error_views.page_not_found",
        500: "partycard.error_views.server_error",
    }


def test_each_error_page_is_vietnamese() -> None:
    from partycard import error_views

    request = RequestFactory().get("/dang-vien/")
    _page(error_views.bad_request(request, ValueError("x")), 400)
    _page(error_views.bad_request(request, RequestDataTooBig("x")), 413)
    _page(error_views.permission_denied(request, PermissionError("x")), 403)
    _page(error_views.page_not_found(request, LookupError("x")), 404)
    _page(error_views.server_error(request), 500)
    _page(HttpResponse(render_to_string("429.html"), status=429), 429)  # without a refusal's own message
    # The API's paths get problem+json instead.
    api = error_views.server_error(RequestFactory().get("/api/v1/members"))
    assert api.status_code == 500 and api["Content-Type"].startswith("application/problem+json")


def test_a_nul_in_the_query_or_the_path_is_a_400_page(client: Client, login: Any, officers: Any) -> None:
    login(client, officers.province)
    for url in (
        "/dang-vien/?q=a%00b",
        "/to-chuc/HN%00/cap-duoi/",
        "/dang-vien/?q=%00",
        "/tac-vu/%00/",
    ):
        _page(client.get(url), 400)
    _page(Client().get("/dang-nhap/?next=%00"), 400)  # before any login, too
    assert client.get("/dang-vien/?q=a").status_code == 200  # without the NUL, the page


def test_a_body_over_the_limit_is_a_413_page(
    client: Client, login: Any, officers: Any, settings: Any
) -> None:
    login(client, officers.province)
    big = "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    _page(client.post("/dang-vien/them/", {"full_name": big}), 413)
    _page(Client().post("/dang-nhap/", {"username": big, "password": "x"}), 413)


def test_the_fourth_job_of_a_user_is_a_429_page(
    client: Client, login: Any, officers: Any, campaign: Any, make_member: Any
) -> None:
    for i in range(2):
        case_propose(
            actor=officers.cell,
            campaign=campaign,
            member=card_holder(make_member, citizen_id=f"0010800{i:05d}", old_card_number=f"2000000{i}"),
        )
    login(client, officers.grassroots)
    for _ in range(3):
        assert client.post("/doi-the/", {"all_in_queue": "on", "transition": "confirm"}).status_code == 302
    refused = client.post("/doi-the/", {"all_in_queue": "on", "transition": "confirm"})
    _page(refused, 429, "Tài khoản này đang có 3 tác vụ nền đang chờ hoặc đang chạy.")
    assert Job.objects.filter(actor=officers.grassroots).count() == 3
