"""Screenshots of the running demo (``make run``) for the README and docs: headless Debian Chromium.

Usage: .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]

Logs in as the demo committee officer ``tinh`` (password, then the TOTP code from the demo secret) and
captures the dashboard, the tree, the member list, a member's detail with its history, an edit refused
with a field error, the import preview, and the dashboard and list on a phone-sized screen.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
OUT = Path(__file__).resolve().parent.parent / "docs" / "img"
ROOT = Path(__file__).resolve().parent.parent


def demo_code() -> str:
    """The demo officer's current code, from the same command ``make run`` tells a newcomer to use."""
    out = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [str(ROOT / ".venv/bin/partycard"), "demo_otp", "tinh"], check=True, capture_output=True, text=True
    )
    return out.stdout.strip().split()[-1]


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
        page.wait_for_url("**/dang-nhap/xac-thuc/**")
        page.screenshot(path=OUT / "totp.png")
        page.fill("#id_otp_token", demo_code())
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.screenshot(path=OUT / "home.png", full_page=True)
        page.goto(f"{base}/to-chuc/")
        page.locator("button.toggle").first.click()
        page.wait_for_timeout(600)
        page.screenshot(path=OUT / "tree.png")
        page.goto(f"{base}/dang-vien/?q=nguyen+van&status=official")
        page.screenshot(path=OUT / "member-list.png")
        page.locator("table.members tbody a").first.click()
        page.wait_for_url("**/dang-vien/*/")
        detail = page.url
        page.click("text=Sửa")
        page.fill("#id_phone", "0912 345 678")
        page.fill("#id_reason", "Rà soát hồ sơ")
        page.click("form.member-form button[type=submit]")
        page.fill("#id_phone", "0912345678")
        page.fill("#id_reason", "Rà soát hồ sơ")
        page.click("form.member-form button[type=submit]")
        page.wait_for_url(detail)
        page.screenshot(path=OUT / "member-detail.png", full_page=True)
        page.click("text=Sửa")
        page.fill("#id_citizen_id", "0010800123")
        page.click("form.member-form button[type=submit]")
        page.locator("#error-citizen_id").scroll_into_view_if_needed()
        page.screenshot(path=OUT / "member-edit-error.png")
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/")
        page.screenshot(path=OUT / "home-phone.png", full_page=True)
        page.goto(f"{base}/dang-vien/?q=tran+thi")
        page.screenshot(path=OUT / "member-list-phone.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
