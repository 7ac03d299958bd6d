"""A cell's meeting, the members who checked in at it, the absences the secretary excused, and the record
of each month closed for the Charter's rule on skipped activities.

Scope: a meeting and its rows carry the cell's path (``path``), so the cell's secretary and the committees
above see them and a sibling province does not; a member sees their own cell's meetings
(``scope_own = "cell__members"``) and their own attendance only.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from partycard.core.scope import ScopedManager
from partycard.meetings.choices import CheckinMethod, MeetingKind, MeetingState

__all__ = ["Attendance", "Excuse", "Meeting", "MonthClose"]


class Meeting(models.Model):
    cell = models.ForeignKey(
        "registry.Organisation", verbose_name=_("party cell"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True)  # the cell's, for the scope
    kind = models.CharField(
        _("kind"), max_length=16, choices=MeetingKind.choices, default=MeetingKind.REGULAR
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=MeetingState.choices, default=MeetingState.OPEN
    )
    # The cell's members in good standing when the meeting opened: the base of its attendance rate.
    roster_size = models.PositiveIntegerField(_("members expected"), default=0)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = ScopedManager["Meeting"]()
    scope_path = "path"
    scope_own = "cell__members"  # a member: the meetings of their own cell

    class Meta:
        verbose_name = _("cell meeting")
        verbose_name_plural = _("cell meetings")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in MeetingState]), name="meetings_state"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in MeetingKind]), name="meetings_kind"
            ),
        ]
        indexes = [models.Index(fields=["path", "starts_at"], name="meetings_path_starts")]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%d/%m/%Y})"

    def clean(self) -> None:
        super().clean()
        if not str(self.title or "").strip():
            raise ValidationError({"title": [str(_("This field is required."))]})


class Attendance(models.Model):
    """One member present at one meeting: once, however many times the phone syncs (the constraints)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendances")
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True)  # the meeting's cell's
    method = models.CharField(_("method"), max_length=8, choices=CheckinMethod.choices)
    checked_at = models.DateTimeField(_("checked in at"))  # the scan's time, as the device recorded it
    device = models.CharField(_("device"), max_length=120, blank=True)
    client_uuid = models.UUIDField(_("check-in identifier"), unique=True)
    qr = models.TextField(_("QR as scanned"), blank=True)  # kept: the server re-verified exactly this
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = ScopedManager["Attendance"]()
    scope_path = "path"
    scope_own = "member_id"

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["checked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="meetings_attend_once"),
            models.CheckConstraint(
                condition=models.Q(method__in=[m.value for m in CheckinMethod]), name="meetings_method"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.meeting_id}"


class Excuse(models.Model):
    """An absence the secretary excused, with its reason: a "good reason" in the Charter's words."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="excuses")
    member = models.ForeignKey(
        "registry.Member", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, db_index=True)
    reason = models.CharField(_("reason"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = ScopedManager["Excuse"]()
    scope_path = "path"
    scope_own = "member_id"

    class Meta:
        verbose_name = _("excused absence")
        verbose_name_plural = _("excused absences")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="meetings_excuse_once")]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.meeting_id}: {self.reason}"

    def clean(self) -> None:
        super().clean()
        if not str(self.reason or "").strip():
            raise ValidationError({"reason": [str(_("Give the reason for the absence."))]})


class MonthClose(models.Model):
    """A month closed for Charter Art. 8(2), cell by cell in order of id: resumable where it stopped."""

    month = models.CharField(_("month"), max_length=7, unique=True)  # "YYYY-MM"
    started_at = models.DateTimeField()
    last_cell_id = models.PositiveBigIntegerField(default=0)  # cells up to this id are done
    cells_done = models.PositiveIntegerField(default=0)
    months_recorded = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("month closed")
        verbose_name_plural = _("months closed")

    def __str__(self) -> str:
        return self.month
