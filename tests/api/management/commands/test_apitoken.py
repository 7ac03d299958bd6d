"""``partycard apitoken``: issue prints the token once, list shows prefixes, revoke by prefix."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from partycard.api import tokens
from partycard.api.models import ApiToken
from partycard.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("apitoken", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_issue_list_revoke(officer) -> None:
    plaintext = _run("issue", officer.username, "--name", "nightly sync", "--expires-days", "7")
    token = ApiToken.objects.get(user=officer)
    assert token.key_hash == tokens.key_hash(plaintext) and token.expires_at is not None
    listing = _run("list", officer.username)
    assert token.prefix in listing and "active" in listing and plaintext not in listing
    _run("revoke", token.prefix)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert "revoked" in _run("list", officer.username)
    assert [e.actor for e in AuditEvent.objects.filter(object_type="api.apitoken")] == ["system", "system"]


def test_unknown_user_or_prefix_fails(officer) -> None:
    with pytest.raises(CommandError):
        _run("issue", "nobody", "--name", "x")
    with pytest.raises(CommandError):
        _run("revoke", "pc_nothing")
