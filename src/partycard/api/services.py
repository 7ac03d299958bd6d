"""Writes to API tokens: issue and revoke (audited), the revocation of a disabled account's tokens, and the
throttled "last used" stamp.

The plaintext exists only in ``token_issue``'s return value; the audit log records the token's id, name,
prefix, owner and expiry, never the plaintext or its hash.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from partycard.accounts.roles import Role
from partycard.api import tokens
from partycard.api.models import ApiToken
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.errors import DomainError, ErrorCode

__all__ = [
    "LAST_USED_RESOLUTION",
    "token_issue",
    "token_mark_used",
    "token_revoke",
    "tokens_revoke_of_disabled",
]

# ``last_used_at`` is rewritten at most this often per token: a write per request would double the load.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def _may_manage(actor: Any, user: Any) -> bool:
    """The owner manages their own tokens; ``actor=None`` is the operator's CLI."""
    return actor is None or actor.pk == user.pk


@transaction.atomic
def token_issue(
    *, actor: Any, user: Any, name: str, expires_at: dt.datetime | None = None, at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a token acting as ``user``; return it with its plaintext, which is shown once and not kept.

    Only the user themselves (web page) or the operator (CLI, ``actor=None``) may: whoever sees the
    plaintext can act as the user.

    Raises:
        DomainError: not allowed, inactive user, empty name, or an expiry not in the future.
    """
    at = at or clock.now()
    if not _may_manage(actor, user):
        raise DomainError(_("You can only issue tokens for yourself."), code=ErrorCode.INVALID, field="user")
    if not user.is_active:
        raise DomainError(_("This account is disabled."), field="user")
    if user.role == Role.MEMBER and not (user.is_staff or user.is_superuser):
        # Members use the member's app (/so-tay/, its /api/v1/me/ routes, with their session): a token
        # would be a second, long-lived way into a member's account that skips the SMS code.
        raise DomainError(
            _("Members do not get API tokens: use the member's app."), code=ErrorCode.FORBIDDEN, field="user"
        )
    if expires_at is not None and expires_at <= at:
        raise DomainError(_("The expiry must be in the future."), field="expires_at")
    plaintext = tokens.new_token()
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=tokens.display_prefix(plaintext),
        key_hash=tokens.key_hash(plaintext),
        created_at=at,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    audit_record(
        actor=actor,
        action="create",
        obj=token,
        changes={
            "user_id": [None, user.pk],
            "name": [None, token.name],
            "prefix": [None, token.prefix],
            "expires_at": [None, expires_at.isoformat() if expires_at else None],
        },
    )
    return token, plaintext


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken, at: dt.datetime | None = None) -> ApiToken:
    """Revoke ``token`` now (idempotent: revoking a revoked token changes and audits nothing).

    Raises:
        DomainError: the actor is neither the owner, a superuser, nor the CLI.
    """
    at = at or clock.now()
    if not (_may_manage(actor, token.user) or getattr(actor, "is_superuser", False)):
        raise DomainError(_("You can only revoke your own tokens."), code=ErrorCode.INVALID)
    current = ApiToken.objects.select_for_update().get(pk=token.pk)
    if current.revoked_at is not None:
        return current
    current.revoked_at = at
    current.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="revoke", obj=current, changes={"revoked_at": [None, at.isoformat()]})
    return current


@transaction.atomic
def tokens_revoke_of_disabled(user: Any, *, actor: Any, at: dt.datetime | None = None) -> list[int]:
    """Revoke every live token of ``user``, whose account ``actor`` has just disabled; the ids revoked.

    Called by ``accounts.hooks.user_disabled`` in the transaction that disables the account (registered in
    ``ApiConfig.ready``): whoever may disable the account may end its tokens, and enabling it again does
    not bring them back. Each revocation is audited ``revoke`` with the cause ``account_disabled``.
    """
    at = at or clock.now()
    revoked = []
    for token in (
        ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True).order_by("pk")
    ):
        token.revoked_at = at
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, action="revoke", obj=token,
            changes={"revoked_at": [None, at.isoformat()], "cause": [None, "account_disabled"]},
        )  # fmt: skip
        revoked.append(token.pk)
    return revoked


def token_mark_used(*, token: ApiToken, at: dt.datetime) -> None:
    """Stamp ``last_used_at`` unless it was stamped within the last minute (usage is not audited).

    One conditional UPDATE: concurrent requests of the same token write at most once per minute.
    """
    if token.last_used_at is not None and at - token.last_used_at < LAST_USED_RESOLUTION:
        return
    stale = ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=at - LAST_USED_RESOLUTION)
    if stale.update(last_used_at=at):
        token.last_used_at = at
