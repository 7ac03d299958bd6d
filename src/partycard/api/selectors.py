"""Reads of the API app: tokens by owner or by key."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from partycard.api import tokens
from partycard.api.models import ApiToken

__all__ = ["token_by_key", "token_get", "token_list"]


def token_list(*, owner: Any) -> QuerySet[ApiToken]:
    """The owner's tokens, newest first (revoked and expired ones included, marked as such)."""
    return ApiToken.objects.filter(user=owner).order_by("-created_at", "-id")


def token_get(*, owner: Any, pk: int) -> ApiToken:
    """One of the owner's tokens; anyone else's is the same 404 as a missing one."""
    token = ApiToken.objects.filter(user=owner, pk=pk).first()
    if token is None:
        raise Http404(_("No such record."))
    return token


def token_by_key(plaintext: str) -> ApiToken | None:
    """The token whose hash matches ``plaintext`` (any state), with its user and organisation loaded."""
    if not plaintext.startswith(tokens.TOKEN_PREFIX) or len(plaintext) > 100:
        return None
    return (
        ApiToken.objects.select_related("user", "user__organisation", "user__member")
        .filter(key_hash=tokens.key_hash(plaintext))
        .first()
    )
