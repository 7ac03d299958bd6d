"""Credentials: the e-card issued to a member, for their card in use.

A credential owns one index in one status list for its whole life (the lists are the cards app's:
``cards.models.StatusListRecord``, shared with the chip cards); revoking it flips that entry.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.cards.models import StatusListRecord
from partycard.core.scope import ScopedManager

__all__ = ["Credential", "CredentialStatus", "StatusListRecord"]


class CredentialStatus(models.IntegerChoices):
    """The status list values (draft-ietf-oauth-status-list §7.1)."""

    VALID = 0, _("Valid")
    REVOKED = 1, _("Revoked")
    SUSPENDED = 2, _("Suspended")


class Credential(models.Model):
    """An electronic party card issued to a member: the signed QR credential and the SD-JWT VC."""

    member = models.ForeignKey(
        "registry.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="credentials"
    )
    card_number = models.CharField(_("card number"), max_length=10)
    signer_label = models.CharField(_("document signer key"), max_length=64)
    kid = models.CharField(_("key identifier"), max_length=16)  # hex of ecard.keys.kid_of
    status_list = models.ForeignKey(
        StatusListRecord, verbose_name=_("status list"), on_delete=models.PROTECT, related_name="credentials"
    )
    status_index = models.PositiveIntegerField(_("status list index"))
    status = models.PositiveSmallIntegerField(
        _("status"), choices=CredentialStatus.choices, default=CredentialStatus.VALID
    )
    status_reason = models.CharField(_("reason"), max_length=32, blank=True)
    device_key = models.BinaryField(_("device public key"), null=True, blank=True)  # SPKI DER
    qr = models.TextField(_("QR credential"))
    sd_jwt = models.TextField(_("SD-JWT VC"))  # as issued: every disclosure; the holder chooses
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))

    objects = ScopedManager["Credential"]()
    scope_path = "member__organisation__path"
    scope_own = "member_id"

    class Meta:
        verbose_name = _("electronic party card")
        verbose_name_plural = _("electronic party cards")
        constraints = [
            models.UniqueConstraint(
                fields=["status_list", "status_index"], name="credentials_one_index_each"
            ),
        ]
        indexes = [models.Index(fields=["member", "-issued_at"], name="credentials_member_latest")]

    def __str__(self) -> str:
        return f"{self.card_number} ({self.get_status_display()})"
