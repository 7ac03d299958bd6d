"""The pages at each level (Vietnamese, dd/mm/yyyy): the cell reports for a member with the two photos,
each committee sees its queue and its step, the forms to download, a report's photos served privately,
and the recovery of an ended member's card recorded on the member's recovery page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from partycard.audit.models import AuditEvent
from partycard.cards.lifecycle import CardState
from partycard.cards.models import Card
from partycard.core import clock
from partycard.losses.models import CardRecovery, LossReport
from partycard.registry import services as registry
from partycard.registry.choices import MemberStatus
from tests.exchange.conftest import Officers
from tests.losses.conftest import Holder, photo

pytestmark = pytest.mark.django_db


def _as(user: Any, login: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def test_the_cell_reports_and_each_level_takes_its_step(
    holder: Holder, officers: Officers, login: Any
) -> None:
    cell = _as(officers.cell, login)
    home = cell.get("/cap-lai-the/", {"q": "Mai"})
    assert home.status_code == 200 and f"/cap-lai-the/bao-mat/{holder.member.pk}/" in home.content.decode()
    assert 'href="/cap-lai-the/"' in home.content.decode()  # the menu link
    files = [SimpleUploadedFile("a.jpg", photo()), SimpleUploadedFile("b.png", photo(300, 450, "PNG"))]
    sent = cell.post(
        f"/cap-lai-the/bao-mat/{holder.member.pk}/",
        {"kind": "lost", "circumstances": "Mất khi đi công tác", "good_reason": "true", "photos": files},
    )
    report = LossReport.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/cap-lai-the/{report.pk}/"
    assert report.card.state == CardState.SUSPENDED and report.good_reason is True
    page = cell.get(f"/cap-lai-the/{report.pk}/").content.decode()
    assert clock.today().strftime("%d/%m/%Y") in page and "step-list" not in page
    photo_id = report.photos.order_by("pk").first().pk
    shown = cell.get(f"/cap-lai-the/{report.pk}/anh/{photo_id}/")
    assert (
        shown.status_code == 200
        and shown["Content-Type"] == "image/jpeg"
        and "no-store" in shown["Cache-Control"]
    )
    assert _as(officers.other_cell, login).get(f"/cap-lai-the/{report.pk}/anh/{photo_id}/").status_code == 404

    grassroots = _as(officers.grassroots, login)
    assert "step-list" in grassroots.get(f"/cap-lai-the/{report.pk}/").content.decode()
    assert grassroots.post(f"/cap-lai-the/{report.pk}/buoc/list/").status_code == 302
    home = grassroots.get("/cap-lai-the/").content.decode()
    assert "/cap-lai-the/bieu-mau/2-TDV/" in home
    upper = _as(officers.upper, login)
    upper.post(f"/cap-lai-the/{report.pk}/buoc/compile/", {"good_reason": "unknown"})
    upper.post(f"/cap-lai-the/{report.pk}/buoc/decide/", {"decision_number": "3-QĐ/ĐU"})
    report.refresh_from_db()
    assert report.state == "decided" and report.new_card is not None and report.good_reason is True
    assert _as(officers.hue_upper, login).get(f"/cap-lai-the/{report.pk}/").status_code == 404


def test_a_refused_step_says_why(holder: Holder, officers: Officers, login: Any) -> None:
    from partycard.losses.services import loss_report
    from tests.losses.conftest import photos

    report = loss_report(
        actor=officers.cell, member=holder.member, kind="lost", circumstances="x", photos=photos()
    )
    upper = _as(officers.upper, login)
    answer = upper.post(f"/cap-lai-the/{report.pk}/buoc/compile/", follow=True)
    assert answer.status_code == 200 and LossReport.objects.get().state == "reported"
    assert [m.level_tag for m in answer.context["messages"]] == ["error"]


def test_recovery_recorded_on_the_members_page(holder: Holder, officers: Officers, login: Any) -> None:
    registry.member_update(
        actor=officers.upper,
        member=holder.member,
        changes={"status": MemberStatus.DECEASED},
        reason="từ trần",
    )
    cell = _as(officers.cell, login)
    waiting = cell.get("/cap-lai-the/thu-hoi/").content.decode()
    assert f"/cap-lai-the/thu-hoi/{holder.member.pk}/" in waiting
    assert _as(officers.hue_cell, login).get(f"/cap-lai-the/thu-hoi/{holder.member.pk}/").status_code == 404
    done = cell.post(
        f"/cap-lai-the/thu-hoi/{holder.member.pk}/", {"card": holder.card.number, "note": "Gia đình giữ"}
    )
    assert done.status_code == 302
    recovery = CardRecovery.objects.get()
    assert recovery.outcome == "kept_by_family" and recovery.recorded_by == officers.cell
    assert AuditEvent.objects.filter(action="losses.recovery").count() == 1
    # The member's old 8-digit card was still in their hands too (the fixture does not supersede it): it
    # waits for its own record, and then the member leaves the list.
    waiting = cell.get("/cap-lai-the/thu-hoi/").content.decode().split("<h2>")[0]
    assert f"/cap-lai-the/thu-hoi/{holder.member.pk}/" in waiting
    old = Card.objects.get(member=holder.member, kind="old")
    cell.post(f"/cap-lai-the/thu-hoi/{holder.member.pk}/", {"card": old.number})
    waiting = cell.get("/cap-lai-the/thu-hoi/").content.decode().split("<h2>")[0]
    assert f"/cap-lai-the/thu-hoi/{holder.member.pk}/" not in waiting
