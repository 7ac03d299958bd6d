"""``registry.hooks``: the registry's writers call the registered member-change handlers explicitly, in a
fixed order, inside the writer's transaction, so a handler that fails undoes the member change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_record
from partycard.registry import hooks, services
from partycard.registry.hooks import member_change_handler_register, member_change_handlers, members_changed
from partycard.registry.models import Member


@pytest.fixture
def own_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register on a copy: the apps' own handlers come back afterwards."""
    monkeypatch.setattr(hooks, "_HANDLERS", dict(hooks._HANDLERS))


def test_the_apps_register_their_handlers_in_the_documented_order() -> None:
    assert member_change_handlers() == [
        ("exchange.reevaluate", 100),
        ("cards.follow", 150),
        ("credentials.revoke", 200),
    ]


@pytest.mark.django_db
def test_handlers_run_in_order_with_the_members_and_the_actor(own_handlers: None, make_member: Any) -> None:
    member = make_member()
    calls: list[tuple[str, list[int], Any]] = []

    def recorder(name: str) -> Any:
        def handler(*, member_ids: Sequence[int], actor: Any) -> None:
            calls.append((name, list(member_ids), actor))

        return handler

    member_change_handler_register("test.late", recorder("late"), order=900)
    member_change_handler_register("test.early", recorder("early"), order=1)
    member_change_handler_register("test.also_early", recorder("also_early"), order=1)
    services.member_update(actor=None, member=member, changes={"occupation": "Giáo viên"})
    assert calls == [
        ("also_early", [member.pk], None),
        ("early", [member.pk], None),
        ("late", [member.pk], None),
    ]


@pytest.mark.django_db
def test_a_handler_that_raises_rolls_the_member_change_back(own_handlers: None, make_member: Any) -> None:
    member = make_member(occupation="Kỹ sư")
    ran: list[str] = []

    def writes(*, member_ids: Sequence[int], actor: Any) -> None:
        ran.append("writes")
        audit_record(actor=None, action="test.handler", obj=Member.objects.get(pk=member_ids[0]), changes={})

    def fails(*, member_ids: Sequence[int], actor: Any) -> None:
        ran.append("fails")
        raise RuntimeError("the handler refused")

    def after(*, member_ids: Sequence[int], actor: Any) -> None:
        ran.append("after")

    member_change_handler_register("test.writes", writes, order=1)
    member_change_handler_register("test.fails", fails, order=2)
    member_change_handler_register("test.after", after, order=3)
    with pytest.raises(RuntimeError, match="the handler refused"):
        services.member_update(actor=None, member=member, changes={"occupation": "Giáo viên"})
    assert ran == ["writes", "fails"]  # the handlers after the failing one do not run
    assert Member.objects.get(pk=member.pk).occupation == "Kỹ sư"  # the change rolled back …
    assert not AuditEvent.objects.filter(action="test.handler").exists()  # … with what the handlers wrote
    assert not AuditEvent.objects.filter(action="change", object_id=str(member.pk)).exists()


@pytest.mark.django_db
def test_an_organisation_change_tells_no_member_handler(
    own_handlers: None, tree: Any, make_member: Any
) -> None:
    """Renaming an organisation changes no member. (It used to pass the organisation's id as a member id.)"""
    make_member()
    calls: list[list[int]] = []

    def handler(*, member_ids: Sequence[int], actor: Any) -> None:
        calls.append(list(member_ids))

    member_change_handler_register("test.record", handler, order=1)
    services.organisation_update(actor=None, organisation=tree.cell_a, changes={"name": "Chi bộ đổi tên"})
    assert calls == []


def test_members_changed_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        members_changed(member_ids=[1], actor=None)
