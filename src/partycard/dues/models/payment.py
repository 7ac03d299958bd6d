"""One member's party dues for one month, as the cell keeps it, and the record of a month closed.

The payment belongs to the cell that collected it (``cell``, ``path``: its scope), so a member's later
transfer does not move the old cell's books; the member themselves sees it through ``scope_own``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager
from partycard.dues.choices import PaymentStatus

__all__ = ["MonthClose", "Payment"]

# Beyond any month's dues (1% of a salary of a billion đồng): a typing slip, not a payment.
MAX_AMOUNT = 10_000_000


class Payment(models.Model):
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    cell = models.ForeignKey(
        "registry.Organisation", verbose_name=_("party cell"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255)  # the cell's, for the scope (core.scope)
    month = models.DateField(_("month"))  # its first day
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)
    refusal_reason = models.CharField(_("reason for refusing"), max_length=300, blank=True)

    objects = ScopedManager["Payment"]()
    scope_path = "path"
    scope_own = "member_id"

    class Meta:
        verbose_name = _("dues payment")
        verbose_name_plural = _("dues payments")
        ordering = ["-month", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="dues_payment_once_a_month"),
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentStatus.values), name="dues_payment_status"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="dues_payment_amount"),
            models.CheckConstraint(
                condition=~models.Q(status=PaymentStatus.REFUSED) | ~models.Q(refusal_reason=""),
                name="dues_payment_refusal_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["path", "month"], name="dues_payment_path_month"),
            models.Index(fields=["cell", "month"], name="dues_payment_cell_month"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%m/%Y}"

    def clean(self) -> None:
        """A month is stored as its first day; an amount is a whole number of đồng within reason; a refusal
        says why."""
        super().clean()
        errors: dict[str, list[str]] = {}
        if self.month and self.month.day != 1:
            errors["month"] = [str(_("A dues month is stored as its first day."))]
        if self.amount is not None and not 0 < self.amount <= MAX_AMOUNT:
            errors["amount"] = [str(_("Give the amount paid, in đồng (more than 0, at most 10.000.000)."))]
        if self.status == PaymentStatus.REFUSED and not self.refusal_reason.strip():
            errors["refusal_reason"] = [str(_("Say why the declared payment is refused."))]
        if errors:
            raise ValidationError(errors)


class MonthClose(models.Model):
    """A month closed (``jobs.month_close_start``): its arrears written into the member records of a subtree.
    One row a month and subtree; closing again re-checks the same month (idempotent) and updates the row."""

    month = models.DateField(_("month"))
    path = models.CharField(max_length=255, blank=True)  # the subtree closed ("": the whole tree)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"))

    class Meta:
        verbose_name = _("closed dues month")
        verbose_name_plural = _("closed dues months")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["month", "path"], name="dues_month_closed_once")]

    def __str__(self) -> str:
        return f"{self.month:%m/%Y}"
