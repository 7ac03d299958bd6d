"""The member's app end to end in a real phone-sized browser (Debian's Chromium, headless, Playwright),
against the live server: log in with the password and the SMS code (the memory sender), the app installs
(manifest, service worker in control), the phone makes a non-extractable P-256 key and registers it, the
rotating QR the page draws is decoded and judged by the Python verifier (valid now, refused as a
screenshot two windows later), the SD-JWT presentation verifies, the app works offline with a fresh QR,
and revoking the phone makes its e-card read revoked."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from partycard.core import clock
from partycard.credentials import publishing
from partycard.credentials.models import CredentialStatus
from partycard.credentials.publishing import verdict_for
from partycard.ecard.device import WINDOW_SECONDS, window_at
from partycard.memberapp.models import Device
from partycard.verify.verdict import Outcome
from tests.memberapp.browser import DECODE, QR_SHOWN, READY, member_logs_in
from tests.web.browser import page, require_chromium

require_chromium()

__all__ = ["page"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _decoded(page: Any) -> str:
    text = page.evaluate(DECODE)
    assert text and text.startswith("PC1R:"), text
    return str(text)


def test_the_member_app_on_a_phone(
    authority: Path, holder: Any, live_server: Any, page: Any, settings: Any
) -> None:
    settings.PARTYCARD_MESSAGE_SENDER = "partycard.accounts.sender.MemorySender"
    base = live_server.url
    message = member_logs_in(page, base)
    assert message.to == "0912345678"

    # Installable: the manifest, and the service worker in control of /so-tay/.
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["start_url"] == "/so-tay/" and manifest["display"] == "standalone"
    assert (
        page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)") == f"{base}/so-tay/sw.js"
    )
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert page.text_content("#record-body") and "Trần Thị Bích" in page.text_content("#record-body")
    assert "0000" in page.text_content("#cards-body")  # the card in use, with its way to the member
    # Routes of apps not on this branch answer 404: their sections say "not available", nothing breaks.
    for section in ("meetings", "dues", "transfers", "losses"):
        assert page.locator(f"#{section}-body p.muted").text_content() not in ("", "…")

    # The device key: made on the phone, registered, never extractable.
    page.fill("#device-label", "Điện thoại của tôi")
    page.click("#activate")
    page.wait_for_function(QR_SHOWN)
    key = page.evaluate("""async () => {
        const keys = await import('/static/memberapp/keys.js');
        const pair = await keys.deviceKey();
        let exported = 'exported';
        try { await crypto.subtle.exportKey('pkcs8', pair.privateKey); } catch (e) { exported = e.name; }
        return {extractable: pair.privateKey.extractable, exported};
    }""")
    assert key == {"extractable": False, "exported": "InvalidAccessError"}
    device = Device.objects.get(member=holder.member)
    assert device.label == "Điện thoại của tôi" and device.credential.device_key is not None

    # The rotating QR: valid now; the same image two windows later is a screenshot, refused offline.
    text = _decoded(page)
    now = clock.now()
    verdict = verdict_for(qr=text, sd_jwt=None, audience=None, nonce=None, at=now)
    assert verdict.outcome is Outcome.VALID, verdict.reasons
    later = verdict_for(
        qr=text, sd_jwt=None, audience=None, nonce=None, at=now + timedelta(seconds=2 * WINDOW_SECONDS)
    )
    assert "device_proof_expired" in later.codes

    # The SD-JWT VC: only what the member chose, bound to the phone's key.
    page.fill("#audience", "https://kiem-tra.example")
    page.fill("#nonce", "n-12345")
    page.click("#present-form button[type=submit]")
    presentation = page.input_value("#presentation")
    shown = verdict_for(
        qr=None, sd_jwt=presentation, audience="https://kiem-tra.example", nonce="n-12345", at=clock.now()
    )
    assert shown.outcome is Outcome.VALID, shown.reasons
    assert shown.holder["membership.status"] == "official" and "date_of_birth" not in shown.holder

    # Offline: the app still opens, shows the card and a fresh QR computed on the phone.
    page.context.set_offline(True)
    page.reload()
    page.wait_for_function(QR_SHOWN)
    page.wait_for_function(READY)
    assert "Trần Thị Bích" in page.text_content("#record-body")
    offline_text = _decoded(page)
    window = int(page.get_attribute("#qr", "data-window"))
    assert abs(window - window_at(clock.now())) <= 1
    assert (
        verdict_for(qr=offline_text, sd_jwt=None, audience=None, nonce=None, at=clock.now()).outcome
        is Outcome.VALID
    )

    # Losing the phone: revoked from the app; its e-card reads revoked, the QR no longer verifies.
    page.context.set_offline(False)
    page.reload()
    page.wait_for_function(QR_SHOWN)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#revoke-this")
    page.wait_for_selector("#card-none:not([hidden])")
    device.refresh_from_db()
    assert device.revoked_at is not None and device.credential.status == CredentialStatus.REVOKED
    publishing.caches_clear()  # a verifier that fetches the status list now (its copy lives for its TTL)
    assert "revoked" in verdict_for(qr=text, sd_jwt=None, audience=None, nonce=None, at=clock.now()).codes
    assert json.loads(page.evaluate("JSON.stringify(navigator.onLine)")) is True
