"""Credentials (the e-card issued to a member) and the status lists that revoke or suspend them.

A status list belongs to one document signer and holds ``size`` entries of ``bits`` bits (the IETF
Token Status List layout: entry *i* at bits ``i*bits…``, least significant first in its byte). A
credential owns one index in one list for its whole life; revoking it flips that entry, bumps the
list's ``version`` and the signed token is made again on the next fetch. Rows are locked while an
index is taken or an entry flipped, so two writers never share an index or lose a flip.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager

__all__ = ["Credential", "CredentialStatus", "StatusListRecord"]


class CredentialStatus(models.IntegerChoices):
    """The status list values (draft-ietf-oauth-status-list §7.1)."""

    VALID = 0, _("Valid")
    REVOKED = 1, _("Revoked")
    SUSPENDED = 2, _("Suspended")


class StatusListRecord(models.Model):
    """One signer's status list: the packed entries, the next free index, a version for caching."""

    signer_label = models.CharField(_("document signer key"), max_length=64)
    bits = models.PositiveSmallIntegerField(_("bits per entry"), default=2)
    size = models.PositiveIntegerField(_("entries"))
    packed = models.BinaryField(_("packed entries"))
    next_index = models.PositiveIntegerField(_("next free index"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")

    def __str__(self) -> str:
        return f"status list {self.pk} ({self.signer_label}, {self.next_index}/{self.size})"

    @property
    def full(self) -> bool:
        return self.next_index >= self.size


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
