"""The leak matrix, generated from the role table: every role × every action × two sibling provinces.

For each (role, action) and each of two users in sibling provinces: ``scoped()`` returns nothing of the
other province, and the web pages show nothing of it. An object outside the scope is a 404 with the same
message as a missing one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import Http404
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import ROLE_ACTIONS, Action, Role, allowed
from partycard.core.scope import get_scoped_or_404
from partycard.registry.models import Member, Organisation
from tests.conftest import (
    ROLE_PLACE,
    ModuleWorld,
    TreeFixture,
    module_world,
    siblings_build,
    volunteer_assign,
)

pytestmark = pytest.mark.django_db

ROLES = list(Role)


@pytest.fixture(scope="module")
def _world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[ModuleWorld]:
    """Both provinces and every role's user on each side, built once for the module (``module_world``)."""
    with module_world(django_db_blocker, tmp_path_factory.mktemp("scope-world"), _world_build) as built:
        yield built


@pytest.fixture
def world(_world: ModuleWorld, db: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    return _world.enter(settings, monkeypatch)


def _world_build(tmp_path: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    tree = TreeFixture()
    sides = siblings_build(tree)
    users = {}
    for side, role in itertools.product(sides, ROLES):
        org = sides[side][ROLE_PLACE[role]]
        users[(side, role)] = User.objects.create_user(
            f"{side}-{role}", password="mat-khau-dai-1", role=role, organisation=org,
            member=sides[side]["member"] if role == Role.MEMBER else None,
        )  # fmt: skip
        if role == Role.YOUTH_VOLUNTEER:  # assigned to their own side's cell (issue 17)
            volunteer_assign(users[(side, role)], sides[side]["cell"])
    return {"sides": sides, "users": users, "tree": tree}


@pytest.mark.parametrize(("role", "action"), list(itertools.product(ROLES, list(Action))))
def test_scoped_querysets_never_cross_to_the_sibling(world: dict[str, Any], role: str, action: str) -> None:
    for side, other in (("hn", "hue"), ("hue", "hn")):
        user = world["users"][(side, role)]
        members = Member.objects.scoped(user, action)
        orgs = Organisation.objects.scoped(user, action)
        other_side = world["sides"][other]
        assert not members.filter(pk=other_side["member"].pk).exists()
        assert not orgs.filter(path__startswith=other_side["province"].path).exists()
        with pytest.raises(Http404) as e:
            get_scoped_or_404(Member, user, action, pk=other_side["member"].pk)
        assert str(e.value) == str(_missing(user, action))
        own = world["sides"][side]["member"]
        if allowed(role, action) and action.startswith("registry.") and "member" in action:
            assert members.filter(pk=own.pk).exists()  # the scope is not simply empty
        if not allowed(role, action):
            assert not members.exists() and not orgs.exists()


def _missing(user: User, action: str) -> Http404:
    try:
        get_scoped_or_404(Member, user, action, pk=10**9)
    except Http404 as e:
        return e
    raise AssertionError


@pytest.mark.parametrize("role", ROLES)
def test_pages_show_nothing_of_the_sibling(world: dict[str, Any], role: str, login) -> None:
    for side, other in (("hn", "hue"), ("hue", "hn")):
        client = Client()
        login(client, world["users"][(side, role)])
        other_side = world["sides"][other]
        pages = [
            client.get("/").content.decode(),
            client.get("/dang-vien/", {"q": "hoang van"}).content.decode(),
        ]
        for page in pages:
            assert other_side["member"].full_name not in page
            assert other_side["province"].name not in page
        if Action.SEARCH_MEMBER in ROLE_ACTIONS[role]:
            assert world["sides"][side]["member"].full_name in pages[1]


def test_the_table_covers_every_role() -> None:
    assert set(ROLE_ACTIONS) == set(Role)
    assert ROLE_ACTIONS[Role.INSPECTOR].isdisjoint(
        {Action.ADD_MEMBER, Action.CHANGE_MEMBER, Action.IMPORT_MEMBER}
    )


def test_central_administrator_at_the_centre_sees_the_whole_tree(world: dict[str, Any]) -> None:
    admin = User.objects.create_user("tw", role=Role.CENTRAL_ADMIN, organisation=world["tree"].centre)
    visible = set(Member.objects.scoped(admin, Action.VIEW_MEMBER).values_list("pk", flat=True))
    assert {world["sides"][s]["member"].pk for s in ("hn", "hue")} <= visible
    nobody = User.objects.create_user("nobody", role=Role.COMMITTEE_OFFICER, organisation=None)
    assert not Member.objects.scoped(nobody, Action.VIEW_MEMBER).exists()
    assert not Member.objects.scoped(None, Action.VIEW_MEMBER).exists()


def test_the_admin_is_scoped_for_staff(world: dict[str, Any], login) -> None:
    from django.contrib.auth.models import Permission

    officer = world["users"][("hn", Role.COMMITTEE_OFFICER)]
    officer.is_staff = True
    officer.save()
    officer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_member", "view_organisation"])
    )
    client = Client()
    login(client, officer)
    listing = client.get("/admin/registry/member/").content.decode()
    assert "Hoàng Văn Hà Nội" in listing and "Hoàng Văn Huế" not in listing
    other = world["sides"]["hue"]["member"]
    assert client.get(f"/admin/registry/member/{other.pk}/change/").status_code in (302, 404)
    assert "Huế" not in client.get("/admin/registry/organisation/").content.decode()
