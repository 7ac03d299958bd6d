"""Documents kept on disk, with their hash in the database: the issuance register and the destruction
minutes. The files are the documents; the rows say whose, when, and how to check a file is unchanged."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager

__all__ = ["DestroyedCard", "DestructionRecord", "IssuanceRegister"]


class IssuanceRegister(models.Model):
    """The card issuance register (sổ phát thẻ đảng viên) of a deciding committee, as generated once."""

    committee = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=255, db_index=True)
    rows = models.PositiveIntegerField(_("cards"), default=0)
    pdf_file = models.CharField(max_length=255, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    xlsx_file = models.CharField(max_length=255, blank=True)
    xlsx_sha256 = models.CharField(max_length=64, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = ScopedManager["IssuanceRegister"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("card issuance register")
        verbose_name_plural = _("card issuance registers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.committee_id} {self.created_at:%d/%m/%Y}"


class DestructionRecord(models.Model):
    """A destruction of recovered cards by a committee (biên bản hủy thẻ đảng viên): the council, the date,
    and, once its job is done, the minutes on disk (their SHA-256 here)."""

    committee = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=255, db_index=True)
    destroyed_on = models.DateField(_("destroyed on"))
    council = models.TextField(_("members of the destruction council"))
    count = models.PositiveIntegerField(_("cards destroyed"), default=0)
    file = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = ScopedManager["DestructionRecord"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("card destruction minutes")
        verbose_name_plural = _("card destruction minutes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.committee_id} {self.destroyed_on:%d/%m/%Y}"


class DestroyedCard(models.Model):
    """A card destroyed under a record: the minutes' table. A card is destroyed once, under one record."""

    record = models.ForeignKey(DestructionRecord, on_delete=models.CASCADE, related_name="cards")
    card = models.OneToOneField("cards.Card", on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.record_id}: {self.card_id}"
