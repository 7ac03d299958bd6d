"""``services.member_transfer``: a transfer of membership (chuyển sinh hoạt đảng) within the national
registry. DOMAIN.md: "A transfer is **not** leaving the Party: in a national registry it is a change of
cell, and the member's record, exchange case and card follow them"; "A member under inspection or complaint
review is not transferred"."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from partycard.accounts.models import Role, User
from partycard.audit.models import AuditEvent
from partycard.core.errors import DomainError
from partycard.core.scope import OutOfScope
from partycard.registry import services
from partycard.registry.choices import MemberStatus
from partycard.registry.models import Member, Organisation

pytestmark = pytest.mark.django_db


def _count(org: Organisation) -> int:
    return Organisation.objects.get(pk=org.pk).member_count


def test_a_transfer_is_a_change_of_cell_not_leaving(tree: Any, make_member: Any) -> None:
    member = make_member(transfer_in_progress=True)
    centre = User.objects.create_user("tw", password="x", role=Role.CENTRAL_ADMIN, organisation=tree.centre)
    moved = services.member_transfer(
        actor=centre, member=member, to_cell=tree.hue_cell, reason="Chuyển công tác"
    )
    fresh = Member.objects.get(pk=member.pk)
    assert (fresh.organisation_id, fresh.status, fresh.transfer_in_progress) == (
        tree.hue_cell.pk,
        MemberStatus.OFFICIAL,
        False,
    )
    assert moved.pk == member.pk  # the same record, its history with it
    assert (_count(tree.cell_a), _count(tree.hue_cell)) == (0, 1)
    latest = fresh.history.order_by("-history_date", "-history_id").first()
    assert latest.history_change_reason == "Chuyển công tác" and latest.history_user == centre
    event = AuditEvent.objects.get(action="transfer", object_id=str(member.pk))
    assert event.changes["organisation_id"] == [tree.cell_a.pk, tree.hue_cell.pk]
    assert event.changes["reason"] == [None, "Chuyển công tác"]


def test_the_member_and_the_destination_must_both_be_in_scope(tree: Any, make_member: Any) -> None:
    member = make_member()
    hanoi = User.objects.create_user("hn", password="x", role=Role.COMMITTEE_OFFICER, organisation=tree.hanoi)
    with pytest.raises(OutOfScope):
        services.member_transfer(actor=hanoi, member=member, to_cell=tree.hue_cell, reason="")
    hue = User.objects.create_user("hue", password="x", role=Role.COMMITTEE_OFFICER, organisation=tree.hue)
    with pytest.raises(OutOfScope):
        services.member_transfer(actor=hue, member=member, to_cell=tree.hue_cell, reason="")
    assert Member.objects.get(pk=member.pk).organisation_id == tree.cell_a.pk
    services.member_transfer(actor=hanoi, member=member, to_cell=tree.cell_b, reason="")  # within Hà Nội
    assert Member.objects.get(pk=member.pk).organisation_id == tree.cell_b.pk


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"under_inspection": True}, "under_inspection"),  # DOMAIN.md: "is not transferred"
        ({"status": MemberStatus.DECEASED}, "status"),
    ],
)
def test_who_is_not_transferred(tree: Any, make_member: Any, changes: dict[str, Any], field: str) -> None:
    member = services.member_update(actor=None, member=make_member(), changes=changes)
    with pytest.raises(DomainError) as e:
        services.member_transfer(actor=None, member=member, to_cell=tree.hue_cell, reason="")
    assert e.value.field == field
    assert Member.objects.get(pk=member.pk).organisation_id == tree.cell_a.pk


def test_a_transfer_goes_to_another_cell_that_holds_members(tree: Any, make_member: Any) -> None:
    member = make_member()
    with pytest.raises(DomainError):
        services.member_transfer(actor=None, member=member, to_cell=tree.cell_a, reason="")
    with pytest.raises(ValidationError) as e:  # the model's own rule: a cell, not a committee
        services.member_transfer(actor=None, member=member, to_cell=tree.school, reason="")
    assert "organisation" in e.value.message_dict
    assert Member.objects.get(pk=member.pk).organisation_id == tree.cell_a.pk


def test_transferred_out_is_no_status() -> None:
    assert "transferred_out" not in MemberStatus.values
