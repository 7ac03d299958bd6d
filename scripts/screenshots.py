"""Screenshots of the running demo (``make run``) for the README: headless Debian Chromium via Playwright.

Usage: .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
OUT = Path(__file__).resolve().parent.parent / "docs" / "img"


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 760}, locale="vi-VN")
        page.goto(f"{base}/dang-nhap/")
        page.screenshot(path=OUT / "login.png")
        page.fill("#id_username", "tinh")
        page.fill("#id_password", "doithe-2025")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.screenshot(path=OUT / "home.png", full_page=True)
        page.goto(f"{base}/registry/members/?q=nguyen+van")
        page.screenshot(path=OUT / "search.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/")
        page.screenshot(path=OUT / "home-phone.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
