import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from partycard.accounts.models import Role, User
from partycard.registry import services
from partycard.registry.choices import MemberStatus
from partycard.registry.models import Member, Organisation
from tests.conftest import member_data


def count(org: Organisation) -> int:
    return Organisation.objects.get(pk=org.pk).member_count


def test_create_folds_the_name_and_counts(tree, make_member) -> None:
    member = make_member()
    assert member.name_search == "nguyen van an"
    assert count(tree.cell_a) == 1


def test_invalid_citizen_id_is_refused_with_the_field_in_vietnamese(tree) -> None:
    with translation.override("vi"), pytest.raises(ValidationError) as e:
        services.member_create(actor=None, data=member_data(tree.cell_a, citizen_id="001180012345"))
    errors = e.value.message_dict
    assert list(errors) == ["citizen_id"]
    assert "CCCD" in errors["citizen_id"][0] and "1980" in errors["citizen_id"][0]
    assert not Member.objects.exists() and count(tree.cell_a) == 0


def test_duplicate_citizen_id(tree, make_member) -> None:
    make_member()
    with translation.override("en"):
        with pytest.raises(ValidationError) as e:
            make_member(org=tree.cell_b, full_name="Trần Văn Bình")
        assert e.value.message_dict == {"citizen_id": ["Another member already has this citizen ID."]}
    assert Member.objects.count() == 1


def test_member_must_sit_in_a_cell(tree) -> None:
    with pytest.raises(ValidationError) as e:
        services.member_create(actor=None, data=member_data(tree.school))
    assert "organisation" in e.value.message_dict


def test_history_records_who_changed_what(tree, make_member) -> None:
    officer = User.objects.create_user("officer", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER)
    member = make_member()
    services.member_update(
        actor=officer,
        member=member,
        changes={"phone": "0912345678", "home_town": "Huế"},
        reason="roster review",
    )
    newest, oldest = member.history.order_by("-history_date")[:2]
    assert newest.history_user == officer and newest.history_change_reason == "roster review"
    delta = newest.diff_against(oldest)
    assert {(c.field, c.old, c.new) for c in delta.changes} == {
        ("phone", "", "0912345678"),
        ("home_town", "Hà Nội", "Huế"),
    }


def test_counters_follow_status_and_cell(tree, make_member) -> None:
    member = make_member()
    services.member_update(actor=None, member=member, changes={"organisation": tree.cell_b})
    assert (count(tree.cell_a), count(tree.cell_b)) == (0, 1)
    services.member_update(
        actor=None,
        member=member,
        changes={"status": MemberStatus.DECEASED, "status_changed_on": dt.date(2026, 1, 2)},
    )
    assert count(tree.cell_b) == 0
    services.member_update(actor=None, member=member, changes={"organisation": tree.hue_cell})
    assert count(tree.hue_cell) == 0  # not counted: deceased
    assert services.organisations_recount() == 0  # the kept counters equal a fresh count


def test_failed_update_changes_nothing(tree, make_member) -> None:
    member = make_member()
    with pytest.raises(ValidationError):
        services.member_update(
            actor=None,
            member=member,
            changes={"organisation": tree.cell_b, "date_official": dt.date(2005, 6, 1)},
        )
    member.refresh_from_db()
    assert member.organisation_id == tree.cell_a.pk and count(tree.cell_a) == 1 and count(tree.cell_b) == 0
    assert member.history.count() == 1


def test_recount_repairs_drift(tree, make_member) -> None:
    make_member()
    Organisation.objects.filter(pk=tree.cell_a.pk).update(member_count=7)
    assert services.organisations_recount() == 1
    assert count(tree.cell_a) == 1


def test_first_change_of_a_bulk_loaded_record_keeps_the_state_before(tree, make_member) -> None:
    from partycard.registry import selectors

    member = make_member()
    member.history.all().delete()  # as the seed's COPY leaves it: no history row
    officer = User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )
    services.member_update(actor=officer, member=member, changes={"phone": "0912345678"}, reason="rà soát")
    timeline = selectors.member_timeline(member)
    assert [e.kind for e in timeline] == ["~", "+"]
    assert [(c.old, c.new) for c in timeline[0].changes] == [("", "0912345678")]
    assert timeline[0].reason == "rà soát"
    assert timeline[1].user == ""  # the bulk-loaded state is nobody's edit


def test_a_full_width_card_number_cannot_be_stored_beside_its_ascii_twin(tree, make_member) -> None:
    """Issue 12: "１２３４５６７８" passed ``\\d{8}``; the unique constraint saw two different numbers."""
    make_member(old_card_number="12345678", file_number="000123HN")
    for field, value in (("old_card_number", "１２３４５６７８"), ("file_number", "０００１２３HN")):
        with pytest.raises(ValidationError) as e:
            make_member(citizen_id="001080012346", **{field: value})
        assert field in e.value.message_dict
    assert Member.objects.count() == 1


def test_a_name_with_a_bidi_override_is_refused(tree, make_member) -> None:
    with translation.override("vi"), pytest.raises(ValidationError) as e:
        make_member(full_name="Nguyễn Văn \u202enA")
    assert "ký tự ẩn hoặc ký tự đổi chiều" in e.value.message_dict["full_name"][0]
    member = make_member()
    with pytest.raises(ValidationError) as e:
        services.member_update(actor=None, member=member, changes={"alias": "An\u200b"})
    assert "alias" in e.value.message_dict
    assert not Member.objects.filter(alias__contains="\u200b").exists()
