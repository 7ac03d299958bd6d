"""The card's page and the cell's cards: shown in Vietnamese, scoped, and the hand-over from the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.cards.conftest import card_in_hands, new_card
from tests.exchange.conftest import Officers, card_holder
from tests.factories import card_walk

pytestmark = pytest.mark.django_db


def _step_of(form: str) -> str:
    """The step a card page's form posts (its hidden ``transition`` field)."""
    marker = 'name="transition" value="'
    start = form.index(marker) + len(marker)
    return form[start : form.index('"', start)]


def test_the_cell_hands_the_card_over_from_its_page(
    officers: Officers, make_member: Any, campaign: Any, login: Any
) -> None:
    member = card_holder(make_member, full_name="Lê Thị Trao")
    card = card_walk(new_card(member), officers, hand_over=False)
    client = Client()
    login(client, officers.cell)
    page = client.get("/doi-the/chi-bo/").content.decode()
    assert "Lê Thị Trao" in page and "Trao thẻ cho đảng viên" in page
    response = client.post(
        f"/the-dang-vien/{card.number}/buoc/", {"transition": "hand_over", "next": "/doi-the/chi-bo/"}
    )
    assert response.status_code == 302 and response["Location"] == "/doi-the/chi-bo/"
    card.refresh_from_db()
    assert card.state == "active"
    # The old card, now replaced, waits for the cell to take it back (the campaign recovers old cards).
    page = client.get("/doi-the/chi-bo/").content.decode()
    assert "Ghi nhận đã thu hồi thẻ" in page


def test_the_card_page_shows_the_history_in_vietnamese(
    officers: Officers, make_member: Any, login: Any
) -> None:
    card = card_in_hands(card_holder(make_member), officers)
    client = Client()
    login(client, officers.upper)
    page = client.get(f"/the-dang-vien/{card.number}/").content.decode()
    assert "Đã trao, đang sử dụng" in page and "Đảng bộ phường Ba Đình" in page


def test_a_card_out_of_scope_is_missing_and_cannot_be_changed(
    officers: Officers, make_member: Any, login: Any
) -> None:
    card = card_in_hands(card_holder(make_member), officers)
    client = Client()
    login(client, officers.hue_upper)
    assert client.get(f"/the-dang-vien/{card.number}/").status_code == 404
    response = client.post(f"/the-dang-vien/{card.number}/buoc/", {"transition": "revoke", "reason": "x"})
    assert response.status_code == 404
    card.refresh_from_db()
    assert card.state == "active"


def test_an_unknown_step_is_refused_with_a_message(officers: Officers, make_member: Any, login: Any) -> None:
    card = card_in_hands(card_holder(make_member), officers)
    client = Client()
    login(client, officers.cell)
    response = client.post(f"/the-dang-vien/{card.number}/buoc/", {"transition": "supersede"}, follow=True)
    assert "Hãy chọn một bước trong danh sách." in response.content.decode()
    card.refresh_from_db()
    assert card.state == "active"


def test_the_member_page_shows_the_members_cards(officers: Officers, make_member: Any, login: Any) -> None:
    member = card_holder(make_member, old_card_number="24681357")
    card = card_in_hands(member, officers)
    client = Client()
    login(client, officers.cell)
    page = client.get(f"/dang-vien/{member.pk}/").content.decode()
    panel = page[page.index("<h2>Thẻ đảng viên</h2>") :]
    assert f"/the-dang-vien/{card.number}/" in panel
    assert "/the-dang-vien/24681357/" in panel and "Đã được thay bằng thẻ mới" in panel  # the old card
    assert panel.index(f"/the-dang-vien/{card.number}/") < panel.index("24681357")  # the card in use first


def test_a_step_that_cannot_be_undone_asks_for_a_ticked_box_which_the_server_requires(
    officers: Officers, make_member: Any, login: Any
) -> None:
    """Issue 15: "a confirmation step for irreversible actions". A revoked card never verifies again (no step
    leads back to active), so the page asks for a ticked box, and a POST without it changes nothing."""
    card = card_in_hands(card_holder(make_member), officers)
    client = Client()
    login(client, officers.upper)
    page = client.get(f"/the-dang-vien/{card.number}/").content.decode()
    forms = {_step_of(form): form for form in page.split("<form")[1:] if 'name="transition"' in form}
    assert 'name="confirmed"' in forms["revoke"] and "required" in forms["revoke"]
    assert "Tôi xác nhận: thao tác này không thể hoàn tác." in forms["revoke"]
    assert 'name="confirmed"' not in forms["suspend"]  # reinstating undoes a suspension: no box

    url = f"/the-dang-vien/{card.number}/buoc/"
    refused = client.post(url, {"transition": "revoke", "reason": "Khai trừ"}, follow=True)
    assert "Hãy đánh dấu ô xác nhận để «Thu hồi»" in refused.content.decode()
    card.refresh_from_db()
    assert card.state == "active"
    client.post(url, {"transition": "revoke", "reason": "Khai trừ", "confirmed": "1"})
    card.refresh_from_db()
    assert card.state == "revoked"
    # Suspending, which can be undone, needs no box.
    other = card_in_hands(
        card_holder(make_member, citizen_id="001080000999", old_card_number="87654321"), officers
    )
    client.post(f"/the-dang-vien/{other.number}/buoc/", {"transition": "suspend", "reason": "Đình chỉ"})
    other.refresh_from_db()
    assert other.state == "suspended"
