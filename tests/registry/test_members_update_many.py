"""``registry.services.members_update_many`` (issue 17): "applies accepted changes in one transaction with
history (reason) and audit", each member checked as ``member_update`` checks one (scope of the member and of
a new cell, every single-record rule, the unique numbers); a refusal rolls everything back."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.audit.models import AuditEvent
from partycard.core.scope import OutOfScope
from partycard.registry import services
from partycard.registry.choices import MemberStatus
from partycard.registry.models import Member, Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(tree: Any) -> User:
    return User.objects.create_user(
        "many-hn", password="mat-khau-dai-1", role=Role.COMMITTEE_OFFICER, organisation=tree.hanoi
    )


@pytest.fixture
def members(make_member: Any) -> list[Member]:
    return [
        make_member(full_name="Nguyễn Văn An", citizen_id="001080012345"),
        make_member(full_name="Trần Văn Bình", citizen_id="001080012346"),
        make_member(full_name="Lê Văn Cường", citizen_id="001080012347"),
    ]


def rows() -> list[dict[str, Any]]:
    return list(Member.objects.order_by("pk").values())


def test_changes_are_written_with_history_reason_and_audit(officer, members, tree) -> None:
    changes = {members[0].pk: {"full_name": "Nguyễn Văn Ân"}, members[1].pk: {"organisation": tree.cell_b}}
    assert services.members_update_many(actor=officer, changes=changes, reason="Rà soát ngoại tuyến") == 2
    first, second = Member.objects.get(pk=members[0].pk), Member.objects.get(pk=members[1].pk)
    assert first.full_name == "Nguyễn Văn Ân" and first.name_search == "nguyen van an"
    assert second.organisation_id == tree.cell_b.pk
    for member in (first, second):
        latest = Member.history.filter(id=member.pk).order_by("-history_id").first()
        assert latest.history_change_reason == "Rà soát ngoại tuyến"
        assert latest.history_user_id == officer.pk and latest.history_type == "~"
    events = AuditEvent.objects.filter(action="change", object_type="registry.member")
    audited = {e.object_id: e.changes for e in events}
    assert audited[str(first.pk)]["full_name"] == ["Nguyễn Văn An", "Nguyễn Văn Ân"]
    assert str(members[2].pk) not in audited
    cells = Organisation.objects.in_bulk([tree.cell_a.pk, tree.cell_b.pk])
    assert (cells[tree.cell_a.pk].member_count, cells[tree.cell_b.pk].member_count) == (2, 1)


def test_a_member_outside_the_scope_rolls_back_everything(officer, members, make_member, tree) -> None:
    hue = make_member(org=tree.hue_cell, full_name="Hoàng Văn Huế", citizen_id="001080099999")
    before, history, audit = rows(), Member.history.count(), AuditEvent.objects.count()
    with pytest.raises(OutOfScope):
        services.members_update_many(
            actor=officer,
            changes={members[0].pk: {"full_name": "Đã Bị Sửa"}, hue.pk: {"full_name": "Đã Bị Sửa"}},
            reason="x",
        )
    assert rows() == before and Member.history.count() == history and AuditEvent.objects.count() == audit


def test_a_move_into_a_cell_outside_the_scope_is_refused(officer, members, tree) -> None:
    before = rows()
    with pytest.raises(OutOfScope):
        services.members_update_many(
            actor=officer,
            changes={
                members[0].pk: {"full_name": "Mới"},
                members[1].pk: {"organisation_id": tree.hue_cell.pk},
            },
            reason="x",
        )
    assert rows() == before


def test_a_rule_violation_in_a_later_batch_rolls_back_the_first(officer, members, monkeypatch) -> None:
    monkeypatch.setattr(services, "UPDATE_MANY_BATCH", 1)
    before, history = rows(), Member.history.count()
    with pytest.raises(ValidationError) as refused:
        services.members_update_many(
            actor=officer,
            changes={members[0].pk: {"full_name": "Nguyễn Văn Ân"}, members[2].pk: {"citizen_id": "12345"}},
            reason="x",
        )
    assert "citizen_id" in refused.value.message_dict
    assert rows() == before and Member.history.count() == history


def test_a_number_taken_by_another_member_or_twice_in_the_batch_is_refused(officer, members) -> None:
    before = rows()
    with pytest.raises(ValidationError) as taken:
        services.members_update_many(
            actor=officer, changes={members[0].pk: {"citizen_id": "001080012346"}}, reason="x"
        )
    assert "citizen_id" in taken.value.message_dict
    with pytest.raises(ValidationError):
        services.members_update_many(
            actor=officer,
            changes={members[0].pk: {"file_number": "000009HN"}, members[1].pk: {"file_number": "000009HN"}},
            reason="x",
        )
    assert rows() == before
    # Swapping within the batch is two distinct final values: accepted.
    services.members_update_many(
        actor=officer,
        changes={members[0].pk: {"file_number": "000001HN"}, members[1].pk: {"file_number": "000002HN"}},
        reason="x",
    )


def test_an_ended_member_leaves_the_counters(officer, members, tree) -> None:
    services.members_update_many(
        actor=officer,
        changes={
            members[0].pk: {"status": MemberStatus.DECEASED, "status_changed_on": members[0].date_admitted}
        },
        reason="x",
    )
    assert Organisation.objects.get(pk=tree.cell_a.pk).member_count == 2
    assert Organisation.objects.get(pk=tree.ba_dinh.pk).subtree_members == 2


def test_records_loaded_in_bulk_get_their_first_history_row(officer, members) -> None:
    Member.history.filter(id=members[0].pk).delete()  # as the seed's COPY leaves them
    services.members_update_many(actor=officer, changes={members[0].pk: {"occupation": "Kỹ sư"}}, reason="x")
    history = list(Member.history.filter(id=members[0].pk).order_by("history_id"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert history[0].history_user_id is None and history[0].occupation == ""


def test_values_of_every_kind_in_one_batch(officer, members) -> None:
    """Dates, blanks (NULL), JSON lists and booleans side by side (PostgreSQL writes one UPDATE … VALUES)."""
    from tests.conftest import recent_months

    months = recent_months(2)
    services.members_update_many(
        actor=officer,
        changes={
            members[0].pk: {"date_official": None, "status": MemberStatus.PROBATIONARY, "abroad": True},
            members[1].pk: {"dues_unpaid_months": months, "file_number": "000123HN"},
            members[2].pk: {"phone": "0912345678", "file_number": None},
        },
        reason="x",
    )
    first, second, third = (Member.objects.get(pk=m.pk) for m in members)
    assert first.date_official is None and first.abroad and first.status == MemberStatus.PROBATIONARY
    assert second.dues_unpaid_months == months and second.file_number == "000123HN"
    assert second.date_official == members[1].date_official
    assert third.phone == "0912345678" and third.file_number is None
