"""What the browser tests share: Debian's Chromium (headless, driven by Playwright), the ``page`` fixture,
and the authenticator key of their officers. A test module calls :func:`require_chromium` first: without
Chromium it is skipped, saying why, except in CI (``PARTYCARD_REQUIRE_BROWSER=1``), where that fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["ARGS", "CHROMIUM", "OTP_KEY", "page", "require_chromium"]

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
OTP_KEY = b"12345678901234567890"  # the RFC 6238 test key, on the officers' authenticator


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("PARTYCARD_REQUIRE_BROWSER") == "1":
            raise RuntimeError(f"PARTYCARD_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium)", allow_module_level=True)


@pytest.fixture
def page() -> Iterator[Any]:
    """A phone-sized page in Vietnamese."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
        yield context.new_page()
        browser.close()
