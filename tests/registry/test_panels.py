"""The member page's extension point (``registry.panels``): apps above the registry add panels, which the
page shows in ``order``, without the registry importing them."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client, RequestFactory

from partycard.exchange.views.member import member_cases_panel
from partycard.registry import panels
from partycard.registry.models import Member
from partycard.registry.panels import PanelContent, member_panel_register, member_panels, member_panels_render
from tests.exchange.conftest import officers

__all__ = ["officers"]  # the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_panels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test registers on a copy: the apps' own panels come back afterwards."""
    monkeypatch.setattr(panels, "_PANELS", dict(panels._PANELS))


def _html(text: str) -> Any:
    def provider(request: HttpRequest, member: Member) -> PanelContent:
        return f'<section class="card" id="{text}">{member.full_name}</section>'

    return provider


def test_the_exchange_registers_its_cases_panel_at_start_up() -> None:
    [exchange] = [p for p in member_panels() if p.name == "exchange.cases"]
    assert exchange.provider is member_cases_panel and exchange.order == 200


def test_panels_come_in_order_then_name_and_none_shows_nothing(make_member: Any) -> None:
    panels._PANELS.clear()
    member = make_member(full_name="Trần Thị Ba")
    member_panel_register("z.late", _html("late"), order=300)
    member_panel_register("b.early", _html("b"), order=100)
    member_panel_register("a.early", _html("a"), order=100)
    member_panel_register("c.nothing", lambda request, member: None, order=50)
    member_panel_register(
        "d.template", lambda request, member: ("exchange/_timeline.html", {"timeline": []}), order=150
    )
    assert [p.name for p in member_panels()] == ["c.nothing", "a.early", "b.early", "d.template", "z.late"]
    shown = member_panels_render(RequestFactory().get("/"), member)
    assert [s[:30] for s in shown][:2] == ['<section class="card" id="a">T', '<section class="card" id="b">T']
    assert '<ol class="timeline">' in shown[2] and 'id="late"' in shown[3] and len(shown) == 4


def test_registering_a_name_again_replaces_it(make_member: Any) -> None:
    panels._PANELS.clear()
    member_panel_register("x.panel", _html("first"), order=1)
    member_panel_register("x.panel", _html("second"), order=2)
    [only] = member_panels_render(RequestFactory().get("/"), make_member())
    assert 'id="second"' in only


def test_the_member_page_shows_a_registered_panel_before_the_history(
    client: Client, login: Any, officers: Any, make_member: Any
) -> None:
    member = make_member(full_name="Lê Văn Tư")
    seen: list[Any] = []

    def card(request: HttpRequest, m: Member) -> PanelContent:
        seen.append((request.user, m.pk))
        return '<section class="card" id="the-card">thẻ đảng viên</section>'

    member_panel_register("cards.card", card, order=100)
    login(client, officers.cell)
    page = client.get(f"/dang-vien/{member.pk}/").content.decode()
    assert 'id="the-card"' in page
    assert page.index('id="the-card"') < page.index('<ol class="timeline">')  # before the history
    assert seen == [(officers.cell, member.pk)]  # asked with the viewer, who is in scope
