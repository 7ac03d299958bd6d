"""A transfer of party activity, its events, and the numbering of the introduction letters.

A transfer is seen from two sides (DOMAIN.md: "visible to both sides within their scope"): ``path`` is the
sending cell's path and ``to_path`` the receiving cell's, copied at creation, and the scope filter reads
either (:class:`TwoSidedQuerySet`). Which side may take which step is ``workflow.STEPS``'s to say.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager, ScopedQuerySet, scope_path
from partycard.transfers.choices import STATE_CHOICES, Kind
from partycard.transfers.workflow import State, Step

__all__ = ["LetterCounter", "Transfer", "TransferEvent", "TwoSidedManager", "TwoSidedQuerySet"]


class TwoSidedQuerySet(ScopedQuerySet[Any]):
    """``core.scope``'s filter on the sending side's path, widened to the receiving side's
    (``to_scope_path``): the role table and the member's own scope are core's, unchanged; only an officer's
    subtree is also matched against the other side."""

    def scoped(self, actor: Any, action: str) -> ScopedQuerySet[Any]:
        sending = super().scoped(actor, action)
        prefix = scope_path(actor)
        if not prefix or sending.query.is_empty():
            return sending  # refused, the member's own, or the whole tree: nothing to widen
        return self.filter(
            Q(**{f"{self.model.scope_path}__startswith": prefix})
            | Q(**{f"{self.model.to_scope_path}__startswith": prefix})
        )


class TwoSidedManager(ScopedManager[Any]):
    def get_queryset(self) -> TwoSidedQuerySet:
        return TwoSidedQuerySet(self.model, using=self._db)


class Transfer(models.Model):
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="transfers"
    )
    kind = models.CharField(_("kind of transfer"), max_length=12, choices=Kind.choices)
    from_cell = models.ForeignKey(
        "registry.Organisation", verbose_name=_("from cell"), on_delete=models.PROTECT, related_name="+"
    )
    to_cell = models.ForeignKey(
        "registry.Organisation", verbose_name=_("to cell"), on_delete=models.PROTECT, related_name="+"
    )
    # The committee that introduces the member out and signs the letter (services._sending_committee).
    committee = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("sending committee"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, db_index=True)  # the sending cell's
    to_path = models.CharField(max_length=255, db_index=True)  # the receiving cell's
    state = models.CharField(_("state"), max_length=12, choices=STATE_CHOICES, default=State.DRAFTED.value)
    reason = models.CharField(_("reason for the transfer"), max_length=300)
    decided_on = models.DateField(_("date of the decision"))
    start_deadline = models.DateField(_("issue the letter by"))
    until = models.DateField(_("temporary until"), null=True, blank=True)
    # The introduction letter: its number (per committee and year, numbering.py), the PDF and its signature.
    letter_year = models.PositiveSmallIntegerField(null=True, blank=True)
    letter_seq = models.PositiveIntegerField(null=True, blank=True)
    number = models.CharField(_("letter number"), max_length=40, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    present_deadline = models.DateField(_("present the letter by"), null=True, blank=True)
    letter_pdf = models.BinaryField(null=True, blank=True)
    letter_signature = models.BinaryField(null=True, blank=True)  # CMS SignedData over the letter's manifest
    letter_sha256 = models.CharField(max_length=64, blank=True)
    card_number = models.CharField(_("card number presented"), max_length=10, blank=True)
    closing_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    objects = TwoSidedManager()
    scope_path = "path"
    to_scope_path = "to_path"
    scope_own = "member"

    class Meta:
        verbose_name = _("transfer of party activity")
        verbose_name_plural = _("transfers of party activity")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=[s.value for s in State]), name="transfers_state"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="transfers_kind"),
            models.CheckConstraint(condition=~Q(from_cell=models.F("to_cell")), name="transfers_other_cell"),
            models.UniqueConstraint(
                fields=["committee", "letter_year", "letter_seq"], name="transfers_letter_number_once"
            ),
            # One open transfer per member at a time.
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state__in=["drafted", "issued", "received"]),
                name="transfers_one_open_per_member",
            ),
        ]
        indexes = [
            models.Index(fields=["path", "state"], name="transfers_path_state"),
            models.Index(fields=["to_path", "state"], name="transfers_to_path_state"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class TransferEvent(models.Model):
    """One step taken on a transfer: by whom, on which side, when, with the note (the reason, the card)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="events")
    step = models.CharField(_("step"), max_length=12)
    state_from = models.CharField(max_length=12, blank=True)
    state_to = models.CharField(max_length=12)
    side = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=255, db_index=True)  # the transfer's
    to_path = models.CharField(max_length=255, db_index=True)

    objects = TwoSidedManager()
    scope_path = "path"
    to_scope_path = "to_path"
    scope_own = "transfer__member"

    class Meta:
        verbose_name = _("transfer step")
        verbose_name_plural = _("transfer steps")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(step__in=[*(s.value for s in Step), "create"]), name="transfers_event_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}: {self.step}"


class LetterCounter(models.Model):
    """The last number given to an introduction letter of ``committee`` in ``year`` (numbering.py)."""

    committee = models.ForeignKey("registry.Organisation", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["committee", "year"], name="transfers_counter_once")]

    def __str__(self) -> str:
        return f"{self.committee_id}/{self.year}: {self.last}"
