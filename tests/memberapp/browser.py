"""What the browser tests of the member's app share: the page's readiness signals, reading back the QR it
draws, and the member's login (password, then the code the SMS brought)."""

from __future__ import annotations

import re
from typing import Any

from partycard.accounts.sender import Channel, MemorySender, Message

__all__ = ["DECODE", "QR_SHOWN", "READY", "member_logs_in"]

READY = "() => document.documentElement.dataset.ready === '1'"
QR_SHOWN = "() => document.documentElement.dataset.qr === '1'"
# The QR the app shows, read back from its canvas's pixels with the verifier's vendored jsQR.
DECODE = """async () => {
    if (!self.jsQR) await new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = '/static/verifier/vendor/jsQR.js'; s.onload = resolve; s.onerror = reject;
        document.head.appendChild(s);
    });
    const c = document.getElementById('qr');
    const img = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    const found = self.jsQR(img.data, img.width, img.height);
    return found ? found.data : null;
}"""


PASSWORD = "mat-khau-dai-1"  # the test users' password (tests/memberapp/conftest.py)


def member_logs_in(page: Any, base: str, username: str = "dv-a") -> Message:
    """Log in at the app with the password, then the code of the one SMS sent; the SMS, for the caller's
    own checks. Returns once the app is ready."""
    MemorySender.outbox.clear()
    page.goto(f"{base}/so-tay/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dang-nhap/ma-sms/**")
    (message,) = [m for m in MemorySender.outbox if m.channel == Channel.SMS]
    (code,) = re.findall(r"(?<!\d)\d{6}(?!\d)", message.body)  # the six digits, whatever the wording
    page.fill("#id_otp_token", code)
    page.click("form:not(.switch-account) button[type=submit]:not([name=resend])")
    page.wait_for_url(f"{base}/so-tay/")
    page.wait_for_function(READY)
    return message
