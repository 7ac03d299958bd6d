"""A real browser (Debian's Chromium, headless, driven by Playwright): log in, see the scope, search."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from partycard.accounts.models import Role, User

CHROMIUM = os.environ.get("PARTYCARD_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not os.path.exists(CHROMIUM):
    if os.environ.get("PARTYCARD_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"PARTYCARD_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}")
    pytest.skip(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page() -> Iterator[Any]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")  # a phone
        yield context.new_page()
        browser.close()


@pytest.fixture
def officer(tree, make_member) -> User:
    """Data first, outside Playwright's event loop: a connection opened inside it outlives the test."""
    make_member(full_name="Nguyễn Văn An")
    return User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )


def test_login_and_search_by_unaccented_name(live_server: Any, officer: User, page: Any) -> None:
    page.goto(f"{live_server.url}/")
    assert "/dang-nhap/" in page.url
    page.fill("#id_username", "tinh")
    page.fill("#id_password", "mat-khau-dai-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "Đảng bộ thành phố Hà Nội" in page.inner_text("main")
    page.goto(f"{live_server.url}/registry/members/")
    page.fill("#q", "nguyen van an")
    page.click("form.search button[type=submit]")
    page.wait_for_selector("table tbody tr")
    assert "Nguyễn Văn An" in page.inner_text("table")
