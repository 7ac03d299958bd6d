"""A bearer token of the API: it acts as its user, with the user's role and scope at each request.

Only the SHA-256 of the token is stored (``api.tokens``); ``prefix`` is what lists show. Revoking and
expiring keep the row, so the audit log's references stay meaningful.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core import clock


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=clock.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    # Not a ScopedManager: tokens belong to a user, not to the organisation tree (selectors filter by owner).
    objects = models.Manager["ApiToken"]()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    def usable_at(self, at: dt.datetime) -> bool:
        """Neither revoked nor expired at ``at`` (the user's own state is checked by the caller)."""
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)
