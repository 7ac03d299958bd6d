"""Issue 15: "Everything in Vietnamese, consistently": the pages and the admin as each role sees them, with
"đồng chí" and never "bạn", no "lúc" before a date that has no time, "1.860 đảng viên" (not "số đảng
viên"), no English left (the third-party apps' included: axes, OTP, tasks, "historical …", "chain head"),
the brand in Vietnamese, the site's own 404 and 500 pages, and a Vietnamese page for a stale form."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import path

from partycard import urls as site_urls
from partycard.accounts.models import TOTPDevice, User
from partycard.accounts.roles import Role
from tests.web.office import Office, campaign, office, officers

pytestmark = pytest.mark.django_db

__all__ = ["campaign", "office", "officers"]

# English words a Vietnamese page has no use for (acronyms such as API, QR, TOTP, SD-JWT are not here).
ENGLISH = re.compile(
    r"\b(the|and|of|your|you|this|with|for|from|can|add|change|delete|view|select|show|hide|welcome|"
    r"toggle|skip|historical|history|chain|head|task|results?|access|attempts?|logs?|failures?|none|"
    r"filter|search|save|home|model|link|theme|navigation|sidebar|enabled|disabled|password|user|"
    r"username|time|data|queue|priority|status|page|record|card|member|members)\b",
    re.IGNORECASE,
)
BAN = re.compile(r"\bbạn\b", re.IGNORECASE)
# "lúc" (at a time) before a date that has no time after it: "Cấp lúc 07/12/2026".
LUC_WITHOUT_TIME = re.compile(r"\blúc\s*:?\s*(\d{1,2}/\d{1,2}/\d{4})(?!\s*\d{1,2}:\d{2})", re.IGNORECASE)
COUNT_OF = re.compile(r"\d[\d.]*\s+số đảng viên")


def visible_text(page: str) -> str:
    """The text a reader sees: no script, style, code or tags; entities decoded; spaces collapsed."""
    page = re.sub(r"<(script|style|code|pre|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def problems(url: str, page: str) -> list[str]:
    text = visible_text(page)
    found = [
        f"{url}: 'bạn' in …{m.string[max(0, m.start() - 40) : m.end() + 40]}…" for m in BAN.finditer(text)
    ]
    found += [
        f"{url}: 'lúc' before a date without time: {m.group(0)!r}" for m in LUC_WITHOUT_TIME.finditer(text)
    ]
    found += [f"{url}: {m.group(0)!r}" for m in COUNT_OF.finditer(text)]
    found += [
        f"{url}: English {m.group(0)!r} in …{text[max(0, m.start() - 40) : m.end() + 40]}…"
        for m in ENGLISH.finditer(text)
    ]
    if "partycard" in text.lower():
        found.append(f"{url}: the brand is not in Vietnamese")
    return found


def _get(client: Client, url: str, statuses: tuple[int, ...] = (200,)) -> str:
    response = client.get(url)
    assert response.status_code in statuses, (url, response.status_code)
    return response.content.decode()


def test_the_pages_speak_vietnamese_to_every_role(client: Client, login: Any, office: Office) -> None:
    found = problems("/dang-nhap/", _get(Client(), "/dang-nhap/"))
    o = office.officers
    pages = {
        o.grassroots: [
            "/",
            "/to-chuc/",
            "/dang-vien/",
            f"/dang-vien/{office.an.pk}/",
            f"/dang-vien/{office.reviewed.pk}/",
            f"/dang-vien/{office.an.pk}/sua/",
            "/dang-vien/them/",
            "/nhap-du-lieu/",
            "/doi-the/",
            "/doi-the/?trang_thai=accepted&to_chuc=HUE-TH",
            f"/doi-the/ho-so/{office.case.pk}/",
            f"/the-dang-vien/{office.card.number}/",
            f"/tac-vu/{office.job_pk}/",
            "/tai-khoan/api/",
            "/phan-phoi/",
        ],
        o.cell: ["/", "/doi-the/", "/doi-the/chi-bo/"],
        o.province: ["/", "/to-chuc/", "/doi-the/", "/doi-the/chi-bo/"],
        o.centre: ["/", "/doi-the/"],
    }
    for user, urls in pages.items():
        signed_in = Client()
        login(signed_in, user)
        for url in urls:
            found += problems(f"{user.username} {url}", _get(signed_in, url))
        found += problems(f"{user.username} 404", _get(signed_in, "/khong-co-trang-nay/", (404,)))
    member = Client()
    login(member, User.objects.create_user("dangvien", password="x", role=Role.MEMBER, member=office.an))
    for url in ("/", f"/dang-vien/{office.an.pk}/", "/the-dien-tu/"):
        found += problems(f"member {url}", _get(member, url))
    assert found == []


def test_the_admin_speaks_vietnamese(client: Client, login: Any, office: Office) -> None:
    login(client, office.admin)
    urls = [
        "/admin/",
        "/admin/registry/member/",
        f"/admin/registry/member/{office.an.pk}/change/",
        f"/admin/registry/member/{office.an.pk}/history/",
        "/admin/registry/organisation/",
        "/admin/auth/group/add/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{office.admin.pk}/change/",
        "/admin/accounts/totpdevice/",
        "/admin/axes/accessattempt/",
        "/admin/axes/accesslog/",
        "/admin/axes/accessfailurelog/",
        "/admin/django_tasks_database/dbtaskresult/",
        "/admin/exchange/campaign/",
        "/admin/cards/card/",
    ]
    found = []
    for url in urls:
        page = _get(client, url)
        # The admin's own acronyms and the names of fields it shows as code are not words to translate.
        found += [p for p in problems(url, page) if "HTTP Accept" not in p]
    assert found == []
    group = visible_text(_get(client, "/admin/auth/group/add/"))
    assert "Đảng viên | Được xem đảng viên" in group  # a permission, in Vietnamese
    assert "historical" not in group and "chain head" not in group and "Can add" not in group


def test_the_two_factor_page_has_no_menu_and_no_log_out_above_the_form(client: Client, tree: Any) -> None:
    user = User.objects.create_user(
        "coso", password="x", role=Role.GRASSROOTS_OFFICER, organisation=tree.school
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)  # the password step passed, not the code
    page = _get(client, "/dang-nhap/xac-thuc/")
    assert "<nav" not in page and "Trình đơn chính" not in page
    code, logout = page.index('name="otp_token"'), page.index('action="/dang-xuat/"')
    assert code < logout  # the only way out is below the code form
    assert problems("otp", page) == []


def _boom(request: Any) -> Any:
    raise RuntimeError("boom")


# This module is also a URLconf: the site's, with its error handlers, plus a page that fails.
urlpatterns = [path("thu-loi/", _boom), *site_urls.urlpatterns]
handler404 = site_urls.handler404
handler500 = site_urls.handler500


@override_settings(ROOT_URLCONF=__name__)
def test_a_failing_page_and_a_missing_one_are_the_site_s_own(
    client: Client, login: Any, office: Office
) -> None:
    login(client, office.officers.grassroots)
    missing = _get(client, "/khong-co-trang-nay/", (404,))
    assert "Không tìm thấy trang (404)" in missing and 'class="brand"' in missing
    client.raise_request_exception = False
    failed = _get(client, "/thu-loi/", (500,))
    assert "Lỗi máy chủ (500)" in failed and "Hệ thống thẻ đảng viên" in failed
    assert "Traceback" not in failed and "RuntimeError" not in failed


def test_make_run_serves_the_site_s_error_pages(tmp_path: Path) -> None:
    """``make run`` sets PARTYCARD_DEBUG=0: the dev settings then turn Django's English debug pages off."""
    code = "from partycard.settings import dev; print(dev.DEBUG)"
    env = {**os.environ, "PARTYCARD_DEBUG": "0", "PARTYCARD_VAR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "run: export PARTYCARD_DEBUG ?= 0" in makefile and "--insecure" in makefile


def test_a_stale_form_gets_a_vietnamese_page(login: Any, office: Office) -> None:
    client = Client(enforce_csrf_checks=True)
    login(client, office.officers.grassroots)
    response = client.post(f"/doi-the/ho-so/{office.case.pk}/chuyen/", {"transition": "confirm"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Biểu mẫu được gửi từ một trang không còn hiệu lực" in page and problems("csrf", page) == []
