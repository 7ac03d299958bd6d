"""A member's exchange case in a campaign, its event history, and the stored eligibility verdicts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager
from partycard.exchange.workflow import FINAL_STATES, Level, State, Transition

STATE_CHOICES = [
    (State.PROPOSED.value, _("Proposed by the cell")),
    (State.CONFIRMED.value, _("Confirmed by the grassroots committee")),
    (State.DECIDED.value, _("Decided by the upper committee")),
    (State.FORWARDED.value, _("Forwarded by the committee directly under the Centre")),
    (State.ACCEPTED.value, _("Accepted by the Centre")),
    (State.RETURNED.value, _("Returned for correction")),
    (State.REJECTED.value, _("Rejected")),
    (State.ON_HOLD.value, _("On hold")),
    (State.CANCELLED.value, _("Cancelled")),
]
LEVEL_CHOICES = [
    (Level.CELL.value, _("Party cell")),
    (Level.GRASSROOTS.value, _("Grassroots committee")),
    (Level.UPPER.value, _("Upper committee")),
    (Level.PROVINCE.value, _("Committee directly under the Centre")),
    (Level.CENTRE.value, _("Centre")),
    (Level.SYSTEM.value, _("System")),
]


class Eligibility(models.Model):
    """The last verdict of ``eligibility.evaluate`` for a member in a campaign (codes only; the messages
    are worded again when shown). Kept by the member-change hook and the whole-country job."""

    campaign = models.ForeignKey("exchange.Campaign", on_delete=models.CASCADE, db_index=False)
    member = models.ForeignKey("registry.Member", on_delete=models.CASCADE, related_name="eligibilities")
    eligible = models.BooleanField()
    postponed = models.BooleanField(default=False)
    codes = models.CharField(max_length=255, blank=True)  # comma-separated ReasonCode values
    evaluated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="exchange_eligibility_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.member_id}: {self.eligible}"


class Case(models.Model):
    """One case per member per campaign (a constraint, not a convention)."""

    campaign = models.ForeignKey("exchange.Campaign", on_delete=models.PROTECT, related_name="cases")
    member = models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="cases")
    # The member's cell when proposed, and its path: the scope filter reads it without a join.
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("party cell"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True)
    state = models.CharField(_("state"), max_length=20, choices=STATE_CHOICES)
    returned_to = models.CharField(_("returned to"), max_length=12, choices=LEVEL_CHOICES, blank=True)
    held_from = models.CharField(_("held from"), max_length=20, choices=STATE_CHOICES, blank=True)
    note = models.CharField(_("last reason"), max_length=500, blank=True)
    card_number = models.CharField(  # noqa: DJ001 - NULL until the Centre accepts; unique once set
        _("card number"), max_length=10, null=True, blank=True
    )
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedManager["Case"]()
    scope_path = "path"
    scope_own = "member_id"

    class Meta:
        verbose_name = _("exchange case")
        verbose_name_plural = _("exchange cases")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="exchange_case_one_per_member"),
            models.UniqueConstraint(fields=["card_number"], name="exchange_case_card_number_unique"),
        ]
        indexes = [models.Index(fields=["campaign", "state", "path"], name="exchange_case_queue")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.member_id}: {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state not in FINAL_STATES


class CaseEvent(models.Model):
    """One transition of a case: the member page's timeline (the audit log holds the same, chained)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    transition = models.CharField(max_length=20, choices=[(t.value, t.value) for t in Transition])
    from_state = models.CharField(max_length=20, choices=STATE_CHOICES, blank=True)
    to_state = models.CharField(max_length=20, choices=STATE_CHOICES)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="exchange_event_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.transition}"
