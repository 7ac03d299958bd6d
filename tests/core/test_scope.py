"""``core.scope`` asks a pluggable policy (the role table is above core): accounts registers its own, and
without one every scoped call refuses loudly instead of allowing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from partycard.accounts.roles import Role, RoleTable
from partycard.core import scope


def _officer(role: str = Role.CELL_SECRETARY, path: str = "0001.0002.") -> Any:
    return SimpleNamespace(
        is_authenticated=True,
        is_active=True,
        is_superuser=False,
        role=role,
        organisation=SimpleNamespace(path=path),
    )


def test_accounts_registers_its_role_table_at_start_up() -> None:
    assert isinstance(scope._policy, RoleTable)


def test_without_a_policy_a_scoped_call_raises_never_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scope, "_policy", None)
    with pytest.raises(ImproperlyConfigured):
        scope.scope_path(_officer())
    assert scope.role_of(None) is None  # nobody acts: no policy needed to say so


def test_the_registered_policy_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    class NothingButOwn:
        def role_of(self, actor: Any) -> str:
            return "anyone"

        def allowed(self, role: str, action: str) -> bool:
            return action == "x.view_thing"

        def scope_kind(self, role: str) -> scope.ScopeKind:
            return scope.ScopeKind.OWN

        def whole_tree(self, role: str) -> bool:
            return False

    monkeypatch.setattr(scope, "_policy", None)
    scope.scope_policy_register(NothingButOwn())
    assert scope.role_of(_officer()) == "anyone"
    assert scope.scope_path(_officer()) is None  # an own-record role has no subtree


def test_role_table_policy_answers_as_the_table() -> None:
    table = RoleTable()
    admin = SimpleNamespace(is_superuser=True, role=Role.MEMBER)
    assert table.role_of(admin) == Role.CENTRAL_ADMIN
    assert table.whole_tree(Role.CENTRAL_ADMIN) and not table.whole_tree(Role.COMMITTEE_OFFICER)
    assert table.scope_kind(Role.MEMBER) == scope.ScopeKind.OWN
    assert scope.scope_path(_officer()) == "0001.0002."
