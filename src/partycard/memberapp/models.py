"""A member's phone: the P-256 public key its app made (non-extractable, in WebCrypto) and the e-card
issued bound to it. Revoking the device revokes that e-card."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager

__all__ = ["Device"]


class Device(models.Model):
    """One registered phone (or browser) of a member. ``fingerprint`` is the hex SHA-256 of the SPKI."""

    member = models.ForeignKey(
        "registry.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="devices"
    )
    spki = models.BinaryField(_("public key (SPKI)"))
    fingerprint = models.CharField(_("key fingerprint"), max_length=64)
    label = models.CharField(_("label"), max_length=100, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    credential = models.OneToOneField(
        "credentials.Credential",
        verbose_name=_("electronic party card"),
        on_delete=models.PROTECT,
        related_name="device",
    )
    created_at = models.DateTimeField(_("registered at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager["Device"]()
    scope_path = "member__organisation__path"
    scope_own = "member_id"

    class Meta:
        verbose_name = _("member's device")
        verbose_name_plural = _("members' devices")
        constraints = [
            # One key is registered once while in use: a second registration of the same key is refused.
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=models.Q(revoked_at__isnull=True),
                name="memberapp_device_key_once",
            ),
        ]
        indexes = [models.Index(fields=["member", "-created_at"], name="memberapp_device_member")]

    def __str__(self) -> str:
        return f"{self.label or self.fingerprint[:16]} ({self.member_id})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
