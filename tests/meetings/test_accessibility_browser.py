"""The meeting pages pass the accessibility check the main pages pass (axe-core, vendored; no serious or
critical violation), as the cell secretary who works there sees them, the phone's check-in page included."""

from __future__ import annotations

from typing import Any

import pytest

from partycard.core import clock
from partycard.meetings.choices import CheckinMethod
from partycard.meetings.services import attendance_record, excuse_record, meeting_open
from tests.exchange.conftest import Officers, officers
from tests.web.browser import page, require_chromium
from tests.web.office import sign_in
from tests.web.test_accessibility import _audit

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["officers", "page"]


def test_the_meeting_pages_have_no_serious_accessibility_violation(
    live_server: Any, page: Any, tree: Any, officers: Officers, make_member: Any, login: Any
) -> None:
    an = make_member(full_name="Nguyễn Văn An")
    binh = make_member(full_name="Trần Văn Bình", citizen_id="001080054321")
    make_member(full_name="Lê Văn Cường", citizen_id="001080054322")
    meeting = meeting_open(
        actor=officers.cell, cell=tree.cell_a, title="Sinh hoạt tháng", starts_at=clock.now()
    )
    attendance_record(actor=officers.cell, meeting=meeting, member=an, method=CheckinMethod.MANUAL)
    excuse_record(actor=officers.cell, meeting=meeting, member=binh, reason="Đi công tác")
    base = live_server.url
    sign_in(page, base, officers.cell, login)
    paths = ["/hop-chi-bo/", "/hop-chi-bo/mo/", f"/hop-chi-bo/{meeting.pk}/", "/hop-chi-bo/thong-ke/"]
    found = _audit(page, base, [*paths, f"/hop-chi-bo/{meeting.pk}/diem-danh/"])
    sign_in(page, base, officers.grassroots, login)
    found |= {f"{k} (grassroots)": v for k, v in _audit(page, base, ["/hop-chi-bo/thong-ke/"]).items()}
    assert found == {}
