"""The e-card demo: an authority and a member login with an e-card, once, and only with a passphrase."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.credentials.demo import DEMO_MEMBER_LOGIN, load_ecard_demo
from partycard.credentials.models import Credential
from tests.exchange.conftest import card_holder
from tests.factories import card_active

pytestmark = pytest.mark.django_db


def test_demo_makes_the_authority_and_a_member_with_an_e_card(
    tmp_path: Path, monkeypatch: Any, make_member: Any
) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    card_holder(make_member, full_name="Trần Văn Cũ", citizen_id="001080012399")  # only the old card
    member = card_holder(make_member, old_card_number="12345679")
    card = card_active(member)
    first = load_ecard_demo()
    assert first is not None and first.card_number == card.number  # the member with a new card in use
    assert (tmp_path / "trustlist.json").exists()
    user = User.objects.get(username=DEMO_MEMBER_LOGIN)
    assert (user.role, user.member_id) == (Role.MEMBER, member.pk)
    assert load_ecard_demo() == first  # idempotent: the same e-card, not a second one
    assert Credential.objects.filter(member=member).count() == 1


def test_demo_without_a_passphrase_does_nothing(tmp_path: Path, monkeypatch: Any, make_member: Any) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.delenv("PARTYCARD_PKI_PASSPHRASE", raising=False)
    card_active(card_holder(make_member))
    assert load_ecard_demo() is None
    assert not (tmp_path / "state.json").exists() and not Credential.objects.exists()


def test_member_page_offers_the_sd_jwt_only_when_bound(
    tmp_path: Path, monkeypatch: Any, make_member: Any, client: Any, login: Any
) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    card_active(card_holder(make_member))
    load_ecard_demo()
    login(client, User.objects.get(username=DEMO_MEMBER_LOGIN))  # password and SMS code
    page = client.get("/the-dien-tu/").content.decode()
    assert "Thẻ đảng viên điện tử" in page and "<svg" in page
    assert "/the-dien-tu/sd-jwt/" not in page  # an unbound e-card has no SD-JWT to download
    assert client.get("/the-dien-tu/sd-jwt/").status_code == 404
