"""The e-card follows the member's card in use (issue 13): issued only for it, with its number, and it
stops verifying when the card does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from partycard.cards.lifecycle import CardTransition
from partycard.cards.services import card_transition
from partycard.credentials.models import CredentialStatus
from partycard.credentials.services import CredentialError, credential_issue
from partycard.registry.choices import MemberStatus
from tests.cards.conftest import card_in_hands, new_card
from tests.exchange.conftest import Officers, card_holder

pytestmark = pytest.mark.django_db


def test_the_e_card_carries_the_number_of_the_card_in_use(
    authority: Path, officers: Officers, make_member: Any
) -> None:
    member = card_holder(make_member)
    card = card_in_hands(member, officers)
    credential = credential_issue(actor=None, member=member)
    assert credential.card_number == card.number != member.old_card_number
    assert credential.status == CredentialStatus.VALID


def test_no_e_card_for_an_old_card_or_a_card_not_yet_handed_over(authority: Path, make_member: Any) -> None:
    member = card_holder(make_member)
    with pytest.raises(CredentialError):
        credential_issue(actor=None, member=member)  # only the old 8-digit card: no e-card for it
    new_card(member)
    with pytest.raises(CredentialError):
        credential_issue(actor=None, member=member)  # allocated, not in the member's hands


def test_no_e_card_for_a_probationary_member(authority: Path, make_member: Any) -> None:
    """Directive 51-CT/TW: cards are for official members."""
    member = make_member(status=MemberStatus.PROBATIONARY, date_official=None, old_card_number=None)
    new_card(member)
    with pytest.raises(CredentialError):
        credential_issue(actor=None, member=member)


def test_the_e_card_stops_when_its_card_is_reported_lost(
    authority: Path, officers: Officers, make_member: Any
) -> None:
    member = card_holder(make_member)
    card = card_in_hands(member, officers)
    credential = credential_issue(actor=None, member=member)
    card_transition(actor=officers.cell, card=card, transition=CardTransition.REPORT_LOST, reason="mất thẻ")
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.REVOKED and credential.status_reason == "card_lost"


def test_the_e_card_is_suspended_and_reinstated_with_its_card(
    authority: Path, officers: Officers, make_member: Any
) -> None:
    member = card_holder(make_member)
    card = card_in_hands(member, officers)
    credential = credential_issue(actor=None, member=member)
    card_transition(actor=None, card=card, transition=CardTransition.SUSPEND, reason="đình chỉ", system=True)
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.SUSPENDED
    card_transition(actor=None, card=card, transition=CardTransition.REINSTATE, system=True)
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.VALID
