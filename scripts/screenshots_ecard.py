"""Screenshots of the e-card in the running demo (``make run``): headless Debian Chromium.

Usage: .venv/bin/python scripts/screenshots_ecard.py [http://127.0.0.1:8000]

The member ``dangvien`` opens their e-card; the offline verifier checks its (static) QR.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"


def _qr_of(username: str) -> str:
    """The member's QR text, read from the demo database (the page shows it as an image)."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.dev")
    django.setup()
    from partycard.credentials.models import Credential

    credential = Credential.objects.filter(member__user__username=username).order_by("-issued_at").first()
    assert credential is not None, f"{username} has no e-card: run make run first"
    return credential.qr


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    text = _qr_of("dangvien")  # before Playwright's event loop, which Django's ORM refuses to run in
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_context(viewport={"width": 1000, "height": 900}, locale="vi-VN").new_page()
        page.goto(f"{base}/dang-nhap/")
        page.fill("#id_username", "dangvien")
        page.fill("#id_password", "doithe-2025")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/**")
        page.goto(f"{base}/the-dien-tu/")
        page.screenshot(path=OUT / "ecard-member.png", full_page=True)
        qr = page.evaluate("() => document.querySelector('figure.ecard-qr svg') ? 'ok' : ''")
        assert qr, "no QR on the member's page"
        phone = browser.new_context(viewport={"width": 420, "height": 900}, locale="vi-VN").new_page()
        phone.goto(f"{base}/kiem-tra/")
        phone.wait_for_timeout(1500)
        phone.fill("#qr-text", text)
        phone.check("#allow-static")
        phone.click("#verify-button")
        phone.wait_for_selector("#verdict:not(:empty)")
        phone.screenshot(path=OUT / "ecard-verifier.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
