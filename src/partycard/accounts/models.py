"""A user works for one party organisation; everything they see is that organisation's subtree."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.accounts.roles import Role

__all__ = ["Role", "User"]


class User(AbstractUser):
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.MEMBER)
    # For the member role: the user's own record, the only one they may see.
    member = models.OneToOneField(
        "registry.Member", verbose_name=_("member record"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="user",
    )  # fmt: skip

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
