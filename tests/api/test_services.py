"""Issuing and revoking tokens: only the hash is stored, both are audited, the plaintext never is."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from partycard.accounts.models import Role
from partycard.api import services, tokens
from partycard.api.models import ApiToken
from partycard.audit.models import AuditEvent
from partycard.core import clock
from partycard.core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_issue_stores_only_the_hash_and_audits_without_the_secret(officer) -> None:
    token, plaintext = services.token_issue(actor=officer, user=officer, name="báo cáo")
    row = ApiToken.objects.get(pk=token.pk)
    assert row.key_hash == tokens.key_hash(plaintext) and row.prefix == plaintext[:11]
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert plaintext not in stored and plaintext[11:] not in stored
    event = AuditEvent.objects.get(object_type="api.apitoken", object_id=str(token.pk))
    assert event.action == "create" and event.actor_id == officer.pk
    assert plaintext[11:] not in json.dumps(event.changes) and row.key_hash not in json.dumps(event.changes)


def test_only_the_owner_or_the_cli_issues(officer, make_user) -> None:
    other = make_user("other", Role.INSPECTOR)
    with pytest.raises(DomainError):
        services.token_issue(actor=other, user=officer, name="x")
    services.token_issue(actor=None, user=officer, name="cli")
    officer.is_active = False
    with pytest.raises(DomainError):
        services.token_issue(actor=None, user=officer, name="disabled")
    with pytest.raises(DomainError):
        services.token_issue(actor=None, user=other, name="past", expires_at=clock.now() - dt.timedelta(1))


def test_revoke_is_audited_once_and_idempotent(officer) -> None:
    token, _ = services.token_issue(actor=officer, user=officer, name="x")
    services.token_revoke(actor=officer, token=token)
    services.token_revoke(actor=officer, token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action="revoke", object_id=str(token.pk)).count() == 1


def test_last_used_is_written_at_most_once_a_minute(officer) -> None:
    token, _ = services.token_issue(actor=officer, user=officer, name="x")
    t0 = clock.now()
    services.token_mark_used(token=token, at=t0)
    stale = ApiToken.objects.get(pk=token.pk)  # another request's copy, loaded before the stamp
    services.token_mark_used(token=ApiToken.objects.get(pk=token.pk), at=t0 + dt.timedelta(seconds=30))
    stale.last_used_at = None
    services.token_mark_used(token=stale, at=t0 + dt.timedelta(seconds=40))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == t0
    services.token_mark_used(token=token, at=t0 + dt.timedelta(seconds=61))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == t0 + dt.timedelta(seconds=61)
