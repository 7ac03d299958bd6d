"""The volunteers' assignments (issue 17: "a Youth Union volunteer role: assigned by a committee to named
cells for a period, can export and import their review workbooks and see those members, decides nothing,
every action audited; the assignment expires by itself"): the services, the pages, the API, the officer
page that makes a volunteer's account, and the menu a volunteer sees."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from partycard.accounts.models import User, VolunteerAssignment
from partycard.accounts.roles import Role
from partycard.api.services import token_issue
from partycard.audit.models import AuditEvent
from partycard.core import clock
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.scope import OutOfScope
from partycard.review.assignments_services import assignment_create, assignment_revoke, max_days

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 8, 3)


@pytest.fixture
def world(tree: Any, make_member: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(clock, "today", lambda: TODAY)

    def user(name: str, role: str, org: Any) -> User:
        return User.objects.create_user(name, password="mat-khau-dai-1", role=role, organisation=org)

    return {
        "tree": tree,
        "a": make_member(tree.cell_a, full_name="Phạm Thị Ô Một"),
        "b": make_member(tree.cell_b, full_name="Phạm Thị Ô Hai", citizen_id="001080012340"),
        "hue_member": make_member(tree.hue_cell, full_name="Phạm Thị Huế", citizen_id="001080012341"),
        "committee": user("bd-cb", Role.GRASSROOTS_OFFICER, tree.school),
        "province": user("hn-cb", Role.COMMITTEE_OFFICER, tree.hanoi),
        "secretary": user("bt", Role.CELL_SECRETARY, tree.cell_a),
        "hue_officer": user("hue-cb", Role.COMMITTEE_OFFICER, tree.hue),
        "volunteer": user("tnv", Role.YOUTH_VOLUNTEER, tree.school),
        "hue_volunteer": user("tnv-hue", Role.YOUTH_VOLUNTEER, tree.hue_cell),
        "monkeypatch": monkeypatch,
    }


def create(world: dict[str, Any], actor: str = "committee", **overrides: Any) -> list[VolunteerAssignment]:
    args: dict[str, Any] = {
        "volunteer": world["volunteer"],
        "cells": [world["tree"].cell_a],
        "starts_on": TODAY,
        "ends_on": TODAY + dt.timedelta(days=29),
        "note": "Rà soát xã biên giới",
    }
    args.update(overrides)
    return assignment_create(actor=world[actor], **args)


# ---- services -------------------------------------------------------------------------------------------


def test_a_committee_assigns_a_volunteer_to_cells_audited(world: dict[str, Any]) -> None:
    made = create(world, cells=[world["tree"].cell_a, world["tree"].cell_b])
    assert sorted(a.organisation.code for a in made) == ["HN-BD-01-01", "HN-BD-01-02"]
    events = AuditEvent.objects.filter(action="review.assignment_create").order_by("seq")
    assert [e.object_id for e in events] == [str(a.pk) for a in made]
    assert events[0].changes["volunteer"] == "tnv" and events[0].changes["ends_on"] == "2026-09-01"
    assert events[0].actor == "bd-cb"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_on": TODAY - dt.timedelta(days=1)}, "starts_on"),
        ({"ends_on": TODAY - dt.timedelta(days=1)}, "ends_on"),
        ({"ends_on": TODAY + dt.timedelta(days=183)}, "ends_on"),  # 184 days, one over the maximum
        ({"cells": []}, "cells"),
    ],
)
def test_the_period_and_the_cells_are_checked(world: dict[str, Any], overrides: Any, field: str) -> None:
    with pytest.raises(DomainError) as e:
        create(world, **overrides)
    assert e.value.field == field and not isinstance(e.value, OutOfScope)
    assert not VolunteerAssignment.objects.exists()


def test_the_longest_period_is_accepted(world: dict[str, Any]) -> None:
    assert max_days() == 183
    (row,) = create(world, ends_on=TODAY + dt.timedelta(days=182))
    assert (row.ends_on - row.starts_on).days + 1 == 183


def test_only_cells_are_assigned(world: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as e:
        create(world, cells=[world["tree"].school])
    assert e.value.field == "cells" and world["tree"].school.name in e.value.message


def test_only_a_volunteers_account_is_assigned(world: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as e:
        create(world, volunteer=world["secretary"])
    assert e.value.field == "volunteer" and not isinstance(e.value, OutOfScope)
    world["volunteer"].is_active = False
    world["volunteer"].save()
    with pytest.raises(DomainError) as e:
        create(world)
    assert e.value.field == "volunteer" and not isinstance(e.value, OutOfScope)


def test_an_overlapping_assignment_of_the_same_cell_is_refused(world: dict[str, Any]) -> None:
    create(world)
    with pytest.raises(DomainError) as e:
        create(world, starts_on=TODAY + dt.timedelta(days=10), ends_on=TODAY + dt.timedelta(days=50))
    assert e.value.code == ErrorCode.CONFLICT and "03/08/2026" in e.value.message
    create(world, starts_on=TODAY + dt.timedelta(days=30), ends_on=TODAY + dt.timedelta(days=50))  # after it


@pytest.mark.parametrize("who", ["secretary", "volunteer", "hue_officer"])
def test_who_may_not_assign_gets_the_404_of_a_missing_record(world: dict[str, Any], who: str) -> None:
    with pytest.raises(OutOfScope):
        create(world, actor=who)
    assert not VolunteerAssignment.objects.exists()


def test_neither_a_cell_nor_a_volunteer_of_another_subtree(world: dict[str, Any]) -> None:
    with pytest.raises(OutOfScope):
        create(world, cells=[world["tree"].cell_a, world["tree"].hue_cell])
    with pytest.raises(OutOfScope):
        create(world, volunteer=world["hue_volunteer"])
    # The grassroots committee cannot take a volunteer of its province above it either.
    world["volunteer"].organisation = world["tree"].hanoi
    world["volunteer"].save()
    with pytest.raises(OutOfScope):
        create(world)
    create(world, actor="province")  # the province may
    assert not AuditEvent.objects.filter(action="review.assignment_create", actor="bd-cb").exists()


def test_revoke_ends_the_scope_at_once_audited(world: dict[str, Any]) -> None:
    from partycard.accounts.roles import Action
    from partycard.registry.models import Member

    (row,) = create(world)
    volunteer = world["volunteer"]
    assert set(Member.objects.scoped(volunteer, Action.VIEW_MEMBER)) == {world["a"]}
    assignment_revoke(actor=world["committee"], assignment=row, reason="Đã xong")
    assert not Member.objects.scoped(volunteer, Action.VIEW_MEMBER).exists()
    event = AuditEvent.objects.get(action="review.assignment_revoke")
    assert event.object_id == str(row.pk) and event.changes["reason"] == "Đã xong"
    with pytest.raises(DomainError) as e:
        assignment_revoke(actor=world["committee"], assignment=row)
    assert e.value.code == ErrorCode.CONFLICT
    (other,) = create(world, cells=[world["tree"].cell_b])
    with pytest.raises(OutOfScope):
        assignment_revoke(actor=world["hue_officer"], assignment=other)
    with pytest.raises(OutOfScope):
        assignment_revoke(actor=world["volunteer"], assignment=other)  # the volunteer decides nothing
    assert VolunteerAssignment.objects.get(pk=other.pk).revoked_at is None


# ---- pages ----------------------------------------------------------------------------------------------


def test_the_page_assigns_lists_and_revokes(world: dict[str, Any], login: Any) -> None:
    client = Client()
    login(client, world["committee"])
    page = client.get("/ra-soat/tinh-nguyen-vien/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Chi bộ Giáo viên 1" in text and "Chi bộ cơ sở Bệnh viện" not in text  # the cells of the scope
    assert "tnv-hue" not in text
    form = {
        "volunteer": world["volunteer"].pk,
        "cells": [world["tree"].cell_a.pk],
        "codes": "hn-bd-01-02",
        "starts_on": "03/08/2026",
        "ends_on": "31/10/2026",
        "note": "Đợt 1",
    }
    response = client.post("/ra-soat/tinh-nguyen-vien/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    rows = VolunteerAssignment.objects.order_by("organisation__path")
    assert [r.organisation.code for r in rows] == ["HN-BD-01-01", "HN-BD-01-02"]
    assert rows[0].ends_on == dt.date(2026, 10, 31)
    listing = client.get("/ra-soat/tinh-nguyen-vien/").content.decode()
    assert "31/10/2026" in listing and "Đợt 1" in listing
    assert client.post(f"/ra-soat/tinh-nguyen-vien/{rows[0].pk}/thu-hoi/").status_code == 302
    assert VolunteerAssignment.objects.get(pk=rows[0].pk).revoked_at is not None


def test_the_page_refuses_a_cell_of_the_other_province_by_code(world: dict[str, Any], login: Any) -> None:
    client = Client()
    login(client, world["committee"])
    form = {
        "volunteer": world["volunteer"].pk,
        "codes": world["tree"].hue_cell.code,
        "starts_on": "03/08/2026",
        "ends_on": "31/10/2026",
    }
    response = client.post("/ra-soat/tinh-nguyen-vien/", form)
    assert response.status_code == 400
    text = response.content.decode()
    assert 'class="errorlist"' in text  # the code named, in the form's error on the codes field
    assert "Chi bộ cơ sở Bệnh viện" not in text
    assert not VolunteerAssignment.objects.exists()
    response = client.post("/ra-soat/tinh-nguyen-vien/", {**form, "codes": "", "ends_on": "01/03/2027"})
    assert response.status_code == 400 and "183" in response.content.decode()


def test_the_volunteer_sees_their_assignments_and_their_cells_members_only(
    world: dict[str, Any], login: Any
) -> None:
    create(world)
    create(world, actor="hue_officer", volunteer=world["hue_volunteer"], cells=[world["tree"].hue_cell])
    client = Client()
    login(client, world["volunteer"])
    page = client.get("/ra-soat/tinh-nguyen-vien/").content.decode()
    assert "Chi bộ Giáo viên 1" in page and "/thu-hoi/" not in page and 'name="volunteer"' not in page
    assert client.post("/ra-soat/tinh-nguyen-vien/", {"volunteer": world["volunteer"].pk}).status_code == 404
    members = client.get("/dang-vien/", {"q": "pham thi"}).content.decode()
    assert "Phạm Thị Ô Một" in members
    assert "Phạm Thị Ô Hai" not in members and "Phạm Thị Huế" not in members
    assert client.get(f"/dang-vien/{world['a'].pk}/").status_code == 200
    assert client.get(f"/dang-vien/{world['b'].pk}/").status_code == 404
    # The assignment ends by itself: the day after its last day, nothing.
    world["monkeypatch"].setattr(clock, "today", lambda: TODAY + dt.timedelta(days=30))
    assert client.get(f"/dang-vien/{world['a'].pk}/").status_code == 404
    assert "Phạm Thị Ô Một" not in client.get("/dang-vien/", {"q": "pham thi"}).content.decode()


def test_the_menu_shows_a_volunteer_only_what_they_can_use(world: dict[str, Any], login: Any) -> None:
    create(world)
    client = Client()
    login(client, world["volunteer"])
    menu = client.get("/").content.decode().split('class="menu"')[1].split("</ul>")[0]
    assert "/dang-vien/" in menu and "/ra-soat/tinh-nguyen-vien/" in menu
    for hidden in ("/doi-the/", "/bao-cao/", "/dang-phi/", "/can-bo/"):
        assert hidden not in menu, hidden
    login(client, world["committee"])
    assert "/ra-soat/tinh-nguyen-vien/" in client.get("/").content.decode()


# ---- API ------------------------------------------------------------------------------------------------


def test_the_api_assigns_lists_and_revokes(world: dict[str, Any]) -> None:
    token = token_issue(actor=None, user=world["committee"], name="t")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {
        "volunteer": world["volunteer"].pk,
        "cells": ["HN-BD-01-01"],
        "starts_on": "2026-08-03",
        "ends_on": "2026-09-01",
    }
    response = api.post("/api/v1/assignments", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    (made,) = response.json()
    assert made["organisation"] == "HN-BD-01-01" and made["volunteer_username"] == "tnv"
    assert [a["id"] for a in api.get("/api/v1/assignments").json()] == [made["id"]]
    other = {**body, "cells": [world["tree"].hue_cell.code]}
    assert (
        api.post("/api/v1/assignments", json.dumps(other), content_type="application/json").status_code == 404
    )
    other = {**body, "volunteer": world["hue_volunteer"].pk, "cells": ["HN-BD-01-02"]}
    assert (
        api.post("/api/v1/assignments", json.dumps(other), content_type="application/json").status_code == 404
    )
    response = api.post(
        f"/api/v1/assignments/{made['id']}/revoke", json.dumps({}), content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["revoked_at"]
    volunteer_api = Client(
        HTTP_AUTHORIZATION=f"Bearer {token_issue(actor=None, user=world['volunteer'], name='t')[1]}"
    )
    assert (
        volunteer_api.post(
            "/api/v1/assignments", json.dumps(body), content_type="application/json"
        ).status_code
        == 403
    )


# ---- the volunteer's account (officer pages) -------------------------------------------------------------


def test_a_committee_officer_makes_a_volunteer_account_at_their_committee(world: dict[str, Any]) -> None:
    from partycard.accounts.two_factor import needs_two_factor
    from partycard.officers.errors import WrongLevel
    from partycard.officers.rules import grantable_roles
    from partycard.officers.services import Delivery, OfficerDetails, officer_create

    assert Role.YOUTH_VOLUNTEER in grantable_roles(world["province"])
    assert Role.YOUTH_VOLUNTEER not in grantable_roles(world["secretary"])
    details = OfficerDetails(
        "Nguyễn Thanh Niên", "tn@example.vn", "", Role.YOUTH_VOLUNTEER, world["tree"].ba_dinh
    )
    issued = officer_create(
        actor=world["province"], username="tnv-moi", details=details, delivery=Delivery.TEMPORARY
    )
    volunteer = User.objects.get(username="tnv-moi")
    assert volunteer.role == Role.YOUTH_VOLUNTEER and volunteer.password_change_required
    assert needs_two_factor(volunteer)  # TOTP like an officer: a volunteer sees personal data
    assert issued is not None
    cell = OfficerDetails("X", "x@example.vn", "", Role.YOUTH_VOLUNTEER, world["tree"].cell_a)
    with pytest.raises(WrongLevel):
        officer_create(
            actor=world["province"], username="tnv-chi-bo", details=cell, delivery=Delivery.TEMPORARY
        )
