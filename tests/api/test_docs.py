"""The interactive API docs: Swagger UI from Ninja's own static files, offline, under the strict CSP."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

CHROMIUM = os.environ.get("PARTYCARD_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def test_the_docs_page_uses_no_cdn_and_no_inline_script(client: Any, db: None) -> None:
    response = client.get("/api/v1/docs")
    page = response.content.decode()
    assert response.status_code == 200 and "Content-Security-Policy" in response
    assert "cdn." not in page and "https://" not in page
    assert "/static/ninja/swagger-ui-bundle.js" in page and "/static/ninja/swagger-ui-init.js" in page


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("PARTYCARD_REQUIRE_BROWSER") == "1":
            raise RuntimeError(f"PARTYCARD_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
        yield browser.new_context().new_page()
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_docs_render_offline_without_csp_violations(live_server: Any, browser_page: Any) -> None:
    page, problems, elsewhere = browser_page, [], []
    host = urlparse(live_server.url).netloc

    def only_local(route: Any) -> None:
        if urlparse(route.request.url).netloc not in (host, ""):
            elsewhere.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", only_local)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    from partycard.api.v1 import api

    operations = sum(len(ops) for ops in api.get_openapi_schema()["paths"].values())
    assert operations >= 22 and page.locator(".opblock").count() == operations  # every operation
    assert problems == [] and elsewhere == []
