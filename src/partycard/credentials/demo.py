"""The e-card in the demo: a signing authority under ``var/pki`` and a member login holding an e-card.

Runs only when ``PARTYCARD_PKI_PASSPHRASE`` is set (``make run`` sets a demo one), so that a demo never
creates keys under a passphrase nobody chose. Idempotent: the authority is made once, the login reset,
and the member's e-card issued once.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

from django.core.management import call_command
from django.db import transaction

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.cards.lifecycle import CardKind, CardState
from partycard.core.signing import MIN_PASSPHRASE, pki_directory
from partycard.credentials.models import Credential
from partycard.credentials.services import credential_issue
from partycard.registry.choices import MemberStatus
from partycard.registry.demo import DEMO_PASSWORD
from partycard.registry.models import Member

__all__ = ["DEMO_MEMBER_LOGIN", "EcardDemo", "load_ecard_demo"]

DEMO_MEMBER_LOGIN = "dangvien"


@dataclass(frozen=True)
class EcardDemo:
    username: str
    member_name: str
    card_number: str


def load_ecard_demo() -> EcardDemo | None:
    """Make the authority if missing, then the member login ``dangvien`` with an e-card (None: no
    passphrase set, nothing done)."""
    if len(os.environ.get("PARTYCARD_PKI_PASSPHRASE", "")) < MIN_PASSPHRASE:
        return None
    if not (pki_directory() / "state.json").exists():
        call_command("pki", "init", stdout=io.StringIO())
    # The member whose new card the exchange demo handed over (exchange.demo): the e-card is for it.
    member = (
        Member.objects.filter(
            status=MemberStatus.OFFICIAL, cards__kind=CardKind.NEW, cards__state=CardState.ACTIVE
        )
        .select_related("organisation")
        .order_by("id")
        .first()
    )
    if member is None:
        return None
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=DEMO_MEMBER_LOGIN)
        user.role, user.organisation, user.member = Role.MEMBER, member.organisation, member
        user.is_staff = user.is_superuser = False
        user.set_password(DEMO_PASSWORD)
        user.save()
    credential = Credential.objects.filter(member=member).order_by("-issued_at").first()
    if credential is None:
        credential = credential_issue(actor=None, member=member)
    return EcardDemo(DEMO_MEMBER_LOGIN, member.full_name, credential.card_number)
