"""The volunteer's assigned scope (issue 17: "assigned by a committee to named cells for a period … sees
those members … the assignment expires by itself"): the union of the cells of the unexpired assignments,
nothing before or after the period or once revoked, never a cell that was not assigned."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404

from partycard.accounts.models import User, VolunteerAssignment
from partycard.accounts.roles import Action, Role
from partycard.core import clock
from partycard.core.scope import ScopeKind, get_scoped_or_404, scope_path
from partycard.registry.models import Member, Organisation

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 8, 1)


@pytest.fixture
def world(tree: Any, make_member: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(clock, "today", lambda: DAY)
    members = {
        "a": make_member(tree.cell_a, full_name="Lê Văn A"),
        "b": make_member(tree.cell_b, full_name="Lê Văn B", citizen_id="001080012340"),
        "hue": make_member(tree.hue_cell, full_name="Lê Văn Huế", citizen_id="001080012341"),
    }
    volunteer = User.objects.create_user(
        "tnv", password="mat-khau-dai-1", role=Role.YOUTH_VOLUNTEER, organisation=tree.school
    )
    return {"tree": tree, "members": members, "volunteer": volunteer, "monkeypatch": monkeypatch}


def assign(world: dict[str, Any], cell: Organisation, starts: dt.date, ends: dt.date) -> VolunteerAssignment:
    return VolunteerAssignment.objects.create(
        volunteer=world["volunteer"],
        organisation=cell,
        starts_on=starts,
        ends_on=ends,
        created_at=clock.now(),
    )


def seen(world: dict[str, Any], action: str = Action.VIEW_MEMBER) -> set[str]:
    return set(Member.objects.scoped(world["volunteer"], action).values_list("full_name", flat=True))


def at(world: dict[str, Any], day: dt.date) -> None:
    world["monkeypatch"].setattr(clock, "today", lambda: day)


def test_an_active_assignment_shows_that_cells_members_only(world: dict[str, Any]) -> None:
    assign(world, world["tree"].cell_a, DAY, DAY + dt.timedelta(days=30))
    assert seen(world) == {"Lê Văn A"}
    orgs = set(Organisation.objects.scoped(world["volunteer"], Action.VIEW_ORGANISATION))
    assert orgs == {world["tree"].cell_a}  # not the grassroots committee their account belongs to


def test_no_assignment_no_scope(world: dict[str, Any]) -> None:
    assert seen(world) == set()
    assert not Organisation.objects.scoped(world["volunteer"], Action.VIEW_ORGANISATION).exists()


def test_the_period_bounds_are_inclusive_and_the_scope_expires_by_itself(world: dict[str, Any]) -> None:
    assign(world, world["tree"].cell_a, DAY, DAY + dt.timedelta(days=10))
    at(world, DAY - dt.timedelta(days=1))
    assert seen(world) == set()  # before starts_on
    at(world, DAY)
    assert seen(world) == {"Lê Văn A"}
    at(world, DAY + dt.timedelta(days=10))
    assert seen(world) == {"Lê Văn A"}  # the last day still counts
    at(world, DAY + dt.timedelta(days=11))
    assert seen(world) == set()  # after ends_on: nothing, with nothing run in between
    with pytest.raises(Http404):
        get_scoped_or_404(Member, world["volunteer"], Action.VIEW_MEMBER, pk=world["members"]["a"].pk)


def test_a_revoked_assignment_gives_nothing_at_once(world: dict[str, Any]) -> None:
    row = assign(world, world["tree"].cell_a, DAY, DAY + dt.timedelta(days=30))
    volunteer = world["volunteer"]
    assert seen(world) == {"Lê Văn A"}
    row.revoked_at = clock.now()
    row.save()
    # The same actor object (a request or a job already running): nothing remembered from before.
    assert not Member.objects.scoped(volunteer, Action.VIEW_MEMBER).exists()


def test_two_assignments_give_the_union(world: dict[str, Any]) -> None:
    assign(world, world["tree"].cell_a, DAY, DAY + dt.timedelta(days=30))
    assign(world, world["tree"].cell_b, DAY - dt.timedelta(days=5), DAY + dt.timedelta(days=3))
    assert seen(world) == {"Lê Văn A", "Lê Văn B"}
    at(world, DAY + dt.timedelta(days=4))
    assert seen(world) == {"Lê Văn A"}  # the shorter one ended, the other still runs


def test_a_cell_of_the_other_province_is_never_seen(world: dict[str, Any]) -> None:
    assign(world, world["tree"].cell_a, DAY, DAY + dt.timedelta(days=30))
    other = world["members"]["hue"]
    for action in (Action.VIEW_MEMBER, Action.SEARCH_MEMBER, Action.EXPORT_REVIEW, Action.IMPORT_REVIEW):
        assert not Member.objects.scoped(world["volunteer"], action).filter(pk=other.pk).exists()
    with pytest.raises(Http404):
        get_scoped_or_404(Member, world["volunteer"], Action.VIEW_MEMBER, pk=other.pk)


def test_the_volunteer_decides_nothing(world: dict[str, Any]) -> None:
    """Their cells are in scope only for the actions of their row of the role table: no change, no apply."""
    assign(world, world["tree"].cell_a, DAY, DAY + dt.timedelta(days=30))
    for action in (
        Action.CHANGE_MEMBER,
        Action.APPLY_REVIEW,
        Action.RESOLVE_DATA_TASK,
        Action.ASSIGN_VOLUNTEER,
    ):
        assert seen(world, action) == set()
    assert seen(world, Action.EXPORT_REVIEW) == {"Lê Văn A"}


def test_a_volunteer_has_no_single_subtree(world: dict[str, Any]) -> None:
    """``scope_path`` is None: a caller that needs one subtree (a tree's top, a job's path) refuses them."""
    from partycard.accounts.roles import scope_kind

    assign(world, world["tree"].cell_a, DAY, DAY + dt.timedelta(days=30))
    assert scope_kind(Role.YOUTH_VOLUNTEER) == ScopeKind.ASSIGNED
    assert scope_path(world["volunteer"]) is None


def test_another_role_keeps_its_subtree_whatever_rows_name_it(world: dict[str, Any]) -> None:
    """Assignments of an account whose role was changed to an officer's do not widen or narrow it."""
    assign(world, world["tree"].hue_cell, DAY, DAY + dt.timedelta(days=30))
    volunteer = world["volunteer"]
    volunteer.role = Role.CELL_SECRETARY
    volunteer.organisation = world["tree"].cell_b
    volunteer.save()
    assert seen(world) == {"Lê Văn B"}
