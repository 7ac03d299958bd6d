"""Screenshots of the exchange in the running demo (``make run``): headless Debian Chromium.

Usage: .venv/bin/python scripts/screenshots_exchange.py [http://127.0.0.1:8000]

The cell secretary ``chibo`` sees the cell's members with their verdicts; the grassroots officer
``coso`` sees the queue, confirms in bulk and watches the job; then a case's timeline.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", "doithe-2025")
    page.click("button[type=submit]")
    page.wait_for_url("**/dang-nhap/xac-thuc/**")
    code = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [str(ROOT / ".venv/bin/partycard"), "demo_otp", username], check=True, capture_output=True, text=True
    ).stdout.strip()
    page.fill("#id_otp_token", code)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_context(viewport={"width": 1100, "height": 760}, locale="vi-VN").new_page()
        log_in(page, base, "chibo")
        page.goto(f"{base}/doi-the/chi-bo/")
        page.screenshot(path=OUT / "exchange-cell.png", full_page=True)
        page = browser.new_context(viewport={"width": 1100, "height": 760}, locale="vi-VN").new_page()
        log_in(page, base, "coso")
        page.goto(f"{base}/doi-the/")
        page.screenshot(path=OUT / "exchange-queue.png", full_page=True)
        page.locator("input[name=cases]").first.check()
        page.select_option("select[name=transition]", "confirm")
        page.locator("form.bulk button[type=submit], form button[type=submit]").last.click()
        page.wait_for_url("**/tac-vu/*/")
        page.wait_for_timeout(2500)
        page.screenshot(path=OUT / "exchange-job.png", full_page=True)
        page.goto(f"{base}/doi-the/")  # a case still waiting for this officer: its action area
        page.locator("table a[href*='/doi-the/ho-so/']").first.click()
        page.wait_for_url("**/doi-the/ho-so/*/")
        page.screenshot(path=OUT / "exchange-case.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
