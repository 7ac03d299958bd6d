"""The campaign's settings in the admin: the committee that holds the cards of members abroad (DOMAIN.md:
"The card is held for them while they are abroad ... a setting, never a refusal") and the Charter's months."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db.models import ProtectedError
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.audit.models import AuditEvent
from partycard.exchange.models import Campaign

pytestmark = pytest.mark.django_db


def test_the_centre_names_the_committee_that_holds_cards_abroad(
    client: Client, tree: Any, campaign: Campaign, login: Any
) -> None:
    admin = User.objects.create_user("tw", password="x", role=Role.CENTRAL_ADMIN, is_staff=True)  # national
    admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="exchange"))
    login(client, admin)
    url = f"/admin/exchange/campaign/{campaign.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="abroad_card_holder"' in page and 'name="removal_months"' in page
    data = {
        "code": campaign.code,
        "name": campaign.name,
        "cut_off": campaign.cut_off.strftime("%d/%m/%Y"),
        "is_open": "on",
        "removal_months": "3",
        "postpone_under_discipline": "on",
        "postpone_under_inspection": "on",
        "postpone_transfer_in_progress": "on",
        "require_citizen_id": "on",
        "abroad_card_holder": str(tree.hanoi.pk),
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign.refresh_from_db()
    assert campaign.abroad_card_holder == tree.hanoi and campaign.removal_months == 3
    event = AuditEvent.objects.filter(action="change", object_type="exchange.campaign").latest("seq")
    assert event.changes["abroad_card_holder_id"] == [None, tree.hanoi.pk]
    # A cell does not hold cards for members abroad: only committees are offered.
    data["abroad_card_holder"] = str(tree.cell_a.pk)
    assert client.post(url, data).status_code == 200
    with pytest.raises(ProtectedError):  # the committee named stays while a campaign names it
        tree.hanoi.delete()
