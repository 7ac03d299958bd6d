"""A production batch: the cards of one province sent to the manufacturer in one sealed file, and the
files that went back and forth for it (docs/production.md).

What the database keeps per card is small (``BatchCard``: the chip's serial, its key's fingerprint, the
data groups' hashes): the batch files, photos included, live on disk under ``PRODUCTION_DIR`` and only
their SHA-256 is stored here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager

__all__ = ["Batch", "BatchCard", "LayoutApproval", "ManufacturerFile"]


class Batch(models.Model):
    """One batch of one province's accepted cards, from planning to the manufacturer's final report."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        BUILDING = "building", _("Being built")
        SEALED = "sealed", _("Sealed, to the manufacturer")
        KEYS_IMPORTED = "keys", _("Chip keys received")
        SOD_SEALED = "sod", _("Signed chip data sealed, to the manufacturer")
        CLOSED = "closed", _("Reconciled")

    code = models.CharField(_("batch code"), max_length=32, unique=True)
    province = models.ForeignKey(
        "registry.Organisation", verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True)  # the province's path: the scope filter's
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNED)
    layout = models.CharField(_("card layout"), max_length=16)
    card_count = models.PositiveIntegerField(_("cards"), default=0)
    produced = models.PositiveIntegerField(_("produced"), default=0)
    spoiled = models.PositiveIntegerField(_("spoiled"), default=0)
    signer_label = models.CharField(_("document signer key"), max_length=64, blank=True)
    batch_sha256 = models.CharField(_("SHA-256 of the batch file"), max_length=64, blank=True)
    keys_sha256 = models.CharField(_("SHA-256 of the key report"), max_length=64, blank=True)
    sod_sha256 = models.CharField(_("SHA-256 of the SOD file"), max_length=64, blank=True)
    report_sha256 = models.CharField(_("SHA-256 of the production report"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)

    objects = ScopedManager["Batch"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("production batch")
        verbose_name_plural = _("production batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.code


class BatchCard(models.Model):
    """One card in one batch (a spoiled card is made again in a later batch: a new row there)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("With the manufacturer")
        PERSONALISED = "personalised", _("Chip personalised, waiting for its signed data")
        PRODUCED = "produced", _("Produced")
        SPOILED = "spoiled", _("Spoiled")
        REFUSED = "refused", _("Left out: its data cannot go on a card")

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="cards")
    card = models.ForeignKey("cards.Card", on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()  # its place in the batch file (0-based)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    # SHA-256 of DG1, DG2, DG13 (if any) and DG14 as put in the batch: number (1 byte) + hash (32) each.
    # A batch /2 (issue 18) puts no DG14 in the batch: its hash is added from the key report (the DG14
    # the factory built from the chip's own chip-authentication key).
    dg_hashes = models.BinaryField(blank=True, default=b"")
    # The card access number (6 digits, chip/can.py) drawn for a batch /2 card: printed on it and written
    # to its chip; empty for a batch /1 card (read in plain). Not a secret like a PIN (it is on the
    # card's face), but never logged nor audited.
    can = models.CharField(max_length=6, blank=True, default="", db_default="")
    chip_serial = models.CharField(max_length=40, blank=True)
    aa_fingerprint = models.CharField(max_length=64, blank=True)  # SHA-256 hex of the DG15 the chip reported
    dg15 = models.BinaryField(blank=True, default=b"")  # 91 bytes: what the SOD is signed over, pass two
    sod_sha256 = models.CharField(max_length=64, blank=True)  # the SOD signed for it (pass two)

    class Meta:
        # Two indexes besides the key: a batch's cards in order (its chunks), and a card's open row (planning
        # asks whether a batch holds it). The second is the rule itself: a card is with the manufacturer in
        # at most one batch at a time (a spoiled one's row is closed, so it can be planned again).
        constraints = [
            models.UniqueConstraint(fields=["batch", "seq"], name="production_seq_once_per_batch"),
            models.UniqueConstraint(
                fields=["card"],
                condition=models.Q(outcome__in=["pending", "personalised"]),
                name="production_card_in_one_open_batch",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.seq}"


class ManufacturerFile(models.Model):
    """A file the manufacturer sent back, imported or refused: a report id is accepted once (replays)."""

    class Kind(models.TextChoices):
        KEYS = "keys", _("Key report")
        REPORT = "report", _("Production report")

    batch = models.ForeignKey(Batch, null=True, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    report_id = models.CharField(max_length=64, unique=True)
    sha256 = models.CharField(max_length=64, unique=True)
    lines = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list)  # what was listed (not refused): [{"number", "code"}]
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField()

    objects = ScopedManager["ManufacturerFile"]()
    scope_path = "batch__path"
    scope_own = None

    def __str__(self) -> str:
        return f"{self.kind} {self.report_id}"


class LayoutApproval(models.Model):
    """The Centre approved the proof of a card layout version: only then are batches in it released."""

    layout = models.CharField(_("card layout"), max_length=16, unique=True)
    proof_sha256 = models.CharField(max_length=64)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"))

    def __str__(self) -> str:
        return self.layout
