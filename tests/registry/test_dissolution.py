"""Dissolving an organisation (``dissolved_on``): only an empty one, on a real day, by every door.

Found by the hardening review: a cell with members and a commune with live cells under it could be
dissolved (the members would belong to a body that no longer exists), and the API read ``0`` as
1 January 1970.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from partycard.accounts.models import Role, User
from partycard.core.errors import DomainError, ErrorCode
from partycard.registry import services
from partycard.registry.choices import MemberStatus
from partycard.registry.models import Organisation

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 7, 1)  # the communes merged: a real dissolution day


def _dissolve(org: Organisation, day: Any = DAY) -> Organisation:
    return services.organisation_update(actor=None, organisation=org, changes={"dissolved_on": day})


def test_a_cell_with_members_is_not_dissolved(tree: Any, make_member: Any) -> None:
    make_member()
    with pytest.raises(DomainError) as refused:
        _dissolve(tree.cell_a)
    assert refused.value.code == ErrorCode.CONFLICT and refused.value.field == "dissolved_on"
    assert Organisation.objects.get(pk=tree.cell_a.pk).dissolved_on is None


def test_an_organisation_with_live_children_is_not_dissolved(tree: Any) -> None:
    with pytest.raises(DomainError):
        _dissolve(tree.school)  # two cells under it, neither dissolved
    assert Organisation.objects.get(pk=tree.school.pk).dissolved_on is None


def test_an_emptied_organisation_is_dissolved(tree: Any, make_member: Any) -> None:
    """Members who left (or died) do not hold an organisation open; dissolved children do not either."""
    member = make_member()
    died = {"status": MemberStatus.DECEASED, "status_changed_on": dt.date(2025, 1, 2)}
    services.member_update(actor=None, member=member, changes=died)
    _dissolve(tree.cell_a)
    _dissolve(tree.cell_b)
    assert _dissolve(tree.school).dissolved_on == DAY


@pytest.mark.parametrize("day", [dt.date(1929, 12, 31), dt.date(1970, 1, 1) + dt.timedelta(days=365 * 80)])
def test_a_dissolution_day_is_after_the_founding_and_not_in_the_future(tree: Any, day: dt.date) -> None:
    with pytest.raises(ValidationError) as refused:
        _dissolve(tree.cell_b, day)
    assert "dissolved_on" in refused.value.message_dict


@pytest.mark.parametrize("value", [0, 1735689600, "0", True, "2025-7-1"])
def test_the_api_reads_only_an_iso_date(tree: Any, value: Any) -> None:
    officer = User.objects.create_user("hn-dissolver", password="mat-khau-dai-1", role=Role.COMMITTEE_OFFICER,
                                       organisation=tree.hanoi)  # fmt: skip
    from partycard.api.services import token_issue

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(actor=None, user=officer, name='t')[1]}")
    response = client.patch(
        f"/api/v1/organisations/{tree.cell_b.code}", {"dissolved_on": value}, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert Organisation.objects.get(pk=tree.cell_b.pk).dissolved_on is None
    ok = client.patch(
        f"/api/v1/organisations/{tree.cell_b.code}",
        {"dissolved_on": "2025-07-01"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["dissolved_on"] == "2025-07-01"


def test_the_admin_shows_the_refusal_on_the_field(tree: Any, make_member: Any, login: Any) -> None:
    make_member()
    admin = User.objects.create_superuser(
        "root-dissolver", password="mat-khau-dai-1", role=Role.CENTRAL_ADMIN
    )
    client = Client()
    login(client, admin)
    response = client.post(
        f"/admin/registry/organisation/{tree.cell_a.pk}/change/",
        {"name": tree.cell_a.name, "parent": tree.school.pk, "dissolved_on": "01/07/2025"},
    )
    assert response.status_code == 200
    assert "vẫn còn đảng viên" in response.content.decode()
    assert Organisation.objects.get(pk=tree.cell_a.pk).dissolved_on is None
