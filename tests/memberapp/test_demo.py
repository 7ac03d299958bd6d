"""The member's app in the demo (``partycard demo`` runs ``memberapp_demo``): the member login gets a phone
number, so that its login sends the SMS code the console sender prints."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.memberapp.demo import DEMO_MEMBER_PHONE

pytestmark = pytest.mark.django_db


def test_the_demo_member_gets_a_phone_and_the_hint(tree: Any, make_member: Any) -> None:
    User.objects.create_user(
        "dangvien", password="x", role=Role.MEMBER, organisation=tree.cell_a, member=make_member()
    )
    for _ in range(2):  # idempotent
        out = io.StringIO()
        call_command("memberapp_demo", stdout=out)
        assert "/so-tay/" in out.getvalue() and "console sender" in out.getvalue()
    assert User.objects.get(username="dangvien").phone == DEMO_MEMBER_PHONE


def test_without_the_demo_member_nothing_is_printed(db: Any) -> None:
    out = io.StringIO()
    call_command("memberapp_demo", stdout=out)
    assert out.getvalue() == ""
