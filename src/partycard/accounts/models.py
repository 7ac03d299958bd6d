"""A user works for one party organisation; everything they see is that organisation's subtree."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CENTRAL_ADMIN = "central_admin", _("Central administrator")
    COMMITTEE_OFFICER = "committee_officer", _("Committee officer")
    GRASSROOTS_OFFICER = "grassroots_officer", _("Grassroots officer")
    CELL_SECRETARY = "cell_secretary", _("Cell secretary")
    INSPECTOR = "inspector", _("Inspector")
    MEMBER = "member", _("Member")


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

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
