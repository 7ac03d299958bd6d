"""The check-in page refuses an older trust list than one it accepted (trust/trustlist.py, rollback): the
server's list number 2 is taken and remembered (shared with the offline verifier, store.js); a refresh
served list number 1 is refused with ``TrustListRollback`` and list 2 stays in use."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from partycard.core import clock, signing
from partycard.meetings.services import meeting_open
from tests.exchange.conftest import Officers
from tests.web.browser import page, require_chromium
from tests.web.office import sign_in

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["page"]

READY = "() => document.documentElement.dataset.ready === '1'"


def test_an_older_trust_list_is_refused(
    live_server: Any, page: Any, authority: Path, tree: Any, officers: Officers, login: Any, tmp_path: Path
) -> None:
    first = tmp_path / "first.json"
    shutil.copy(authority / "trustlist.json", first)  # number 1, from `pki init`
    call_command("pki", "publish", stdout=io.StringIO())  # number 2: what the server serves
    signing._trust_cache.clear()
    meeting = meeting_open(
        actor=officers.cell,
        cell=tree.cell_a,
        kind="study_session",
        title="Sinh hoạt chi bộ",
        starts_at=clock.now(),
    )
    sign_in(page, live_server.url, officers.cell, login)
    page.goto(f"{live_server.url}/hop-chi-bo/{meeting.pk}/diem-danh/")
    page.wait_for_function(READY)
    store = "import('/static/verifier/store.js')"
    kept = f"async () => (await {store}).trustSequenceGet()"
    for _ in range(50):  # the page fetches and keeps the list after it is ready
        if page.evaluate(kept) == 2:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(kept) == 2
    older = first.read_text(encoding="utf-8")
    page.context.route(
        "**/api/v1/trust-list",
        lambda route: route.fulfill(status=200, content_type="application/json", body=older),
    )
    page.evaluate("() => self.partycardCheckin.refresh()")
    expect(page.locator("#data-error")).to_contain_text("TrustListRollback")
    assert page.evaluate("() => self.partycardCheckin.state.trust.sequence") == 2
    assert page.evaluate(kept) == 2
