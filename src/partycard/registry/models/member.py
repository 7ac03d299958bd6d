"""The party member record: the fields of member form 2-HSĐV and roster 7-HSĐV (DOMAIN.md)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partycard.core import clock
from partycard.core.scope import ScopedManager
from partycard.registry.choices import Gender, MemberStatus, Qualification, Religion
from partycard.registry.rules import MemberFacts, configured_member_issues, month_list_issue

# The member fields that hold recorded months ("YYYY-MM"): Charter Art. 8(2)'s dues and activities.
MONTH_LIST_FIELDS = ("dues_unpaid_months", "activities_skipped_months")


class Member(models.Model):
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("party cell"),
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,  # covered by registry_member_org_name
    )
    full_name = models.CharField(_("full name"), max_length=100)
    birth_name = models.CharField(_("name at birth"), max_length=100, blank=True)
    alias = models.CharField(_("alias"), max_length=100, blank=True)
    # fold(full_name): what accent-insensitive search matches (trigram-indexed on PostgreSQL).
    name_search = models.CharField(max_length=100, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    date_of_birth = models.DateField(_("date of birth"))
    place_of_birth = models.CharField(_("place of birth"), max_length=200, blank=True)
    home_town = models.CharField(_("home town"), max_length=200, blank=True)
    permanent_address = models.CharField(_("permanent address"), max_length=255, blank=True)
    temporary_address = models.CharField(_("temporary address"), max_length=255, blank=True)
    ethnicity = models.ForeignKey(
        "registry.Ethnicity",
        verbose_name=_("ethnicity"),
        on_delete=models.PROTECT,
        default=1,
        db_index=False,  # 54 values; nothing looks members up by ethnicity alone
    )
    religion = models.CharField(_("religion"), max_length=20, choices=Religion.choices, default=Religion.NONE)
    general_education = models.CharField(_("general education"), max_length=10, blank=True)
    qualification = models.CharField(
        _("qualification"), max_length=20, choices=Qualification.choices, blank=True
    )
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    # Unique through Meta.constraints (not unique=True, which also adds a useless LIKE index on PostgreSQL).
    # NULL = not recorded yet; the exchange's eligibility rules treat a missing citizen ID as incomplete data.
    citizen_id = models.CharField(  # noqa: DJ001 - NULL = not recorded; unique among recorded values
        _("citizen ID"),
        max_length=12,
        null=True,
        blank=True,
        error_messages={"unique": _("Another member already has this citizen ID.")},
    )
    file_number = models.CharField(  # noqa: DJ001 - NULL = not recorded; unique among recorded values
        _("file number"),
        max_length=10,
        null=True,
        blank=True,
        error_messages={"unique": _("Another member already has this file number.")},
    )
    old_card_number = models.CharField(  # noqa: DJ001 - NULL = not recorded; unique among recorded values
        _("old card number"),
        max_length=8,
        null=True,
        blank=True,
        error_messages={"unique": _("Another member already has this old card number.")},
    )
    date_admitted = models.DateField(_("date admitted"))
    date_official = models.DateField(_("date made official"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=MemberStatus.choices, default=MemberStatus.PROBATIONARY
    )
    status_changed_on = models.DateField(_("status changed on"), null=True, blank=True)
    # Standing, as the exchange's eligibility rules need it (exchange/eligibility.py). Kept by the cell: the
    # disciplinary, inspection, dues and transfer records themselves live in their own systems. Database
    # defaults too, so that bulk loaders (the seed's COPY) need not name them.
    under_discipline = models.BooleanField(_("under disciplinary review"), default=False, db_default=False)
    under_inspection = models.BooleanField(
        _("under inspection or complaint review"), default=False, db_default=False
    )
    # Charter Art. 8(2): a member who, without good reason, skips party activities or does not pay dues for
    # three months within a year is considered by the cell for removal. The cell records the months
    # themselves ("YYYY-MM"), not a count, so that "within a year" is the rolling year before the day the
    # rules are applied, and a month recorded long ago stops counting on its own (docs/exchange.md).
    dues_unpaid_months = models.JSONField(
        _("months of dues unpaid"),
        default=list,
        db_default=[],
        blank=True,
        help_text=_(
            "The months (MM/YYYY) the member did not pay dues; those within the last 12 months count."
        ),
    )
    dues_unpaid_good_reason = models.BooleanField(
        _("good reason for the unpaid dues"), default=False, db_default=False
    )
    activities_skipped_months = models.JSONField(
        _("months of party activities skipped"),
        default=list,
        db_default=[],
        blank=True,
        help_text=_(
            "The months (MM/YYYY) the member skipped party activities; those within the last 12 months count."
        ),
    )
    activities_skipped_good_reason = models.BooleanField(
        _("good reason for the skipped activities"), default=False, db_default=False
    )
    activities_suspended = models.BooleanField(
        _("party activities suspended"), default=False, db_default=False
    )
    transfer_in_progress = models.BooleanField(
        _("membership transfer in progress"), default=False, db_default=False
    )
    # DOMAIN.md: being abroad does not change a member's standing; the campaign names who holds the card.
    abroad = models.BooleanField(
        _("abroad (card held by the committee the campaign names)"), default=False, db_default=False
    )
    photo = models.ImageField(_("photo"), upload_to="photos/%Y/", blank=True)
    phone = models.CharField(_("phone"), max_length=15, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["name_search", "updated_at"])

    objects = ScopedManager["Member"]()
    scope_path = "organisation__path"
    scope_own = "pk"

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        indexes = [
            models.Index(fields=["organisation", "name_search", "id"], name="registry_member_org_name"),
            models.Index(fields=["name_search", "id"], name="registry_member_name"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen_id"],
                name="registry_member_citizen_id_unique",
            ),
            models.UniqueConstraint(
                fields=["file_number"],
                name="registry_member_file_number_unique",
            ),
            models.UniqueConstraint(
                fields=["old_card_number"],
                name="registry_member_old_card_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(date_official__isnull=True)
                | models.Q(date_official__gte=models.F("date_admitted")),
                name="registry_member_official_after_admitted",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MemberStatus.values), name="registry_member_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} (#{self.pk})"

    def facts(self) -> MemberFacts:
        return MemberFacts(
            full_name=self.full_name,
            gender=self.gender,
            date_of_birth=self.date_of_birth,
            citizen_id=self.citizen_id or None,
            date_admitted=self.date_admitted,
            date_official=self.date_official,
            status=self.status,
            file_number=self.file_number or None,
            old_card_number=self.old_card_number or None,
            phone=self.phone or None,
            birth_name=self.birth_name,
            alias=self.alias,
        )

    def clean(self) -> None:
        """Single-record rules (:func:`configured_member_issues`); the recorded months are months up to
        now; the organisation must be a cell."""
        errors: dict[str, list[str]] = {}
        for issue in configured_member_issues(self.facts()):
            errors.setdefault(issue.field, []).append(issue.message)
        today = clock.today()
        for name in MONTH_LIST_FIELDS:
            problem = month_list_issue(getattr(self, name), today=today)
            if problem:
                errors.setdefault(name, []).append(problem)
        if self.organisation_id is not None and not self.organisation.holds_members:
            errors.setdefault("organisation", []).append(
                str(_("Members belong to a party cell or a grassroots cell, not to %(name)s."))
                % {"name": self.organisation.name}
            )
        if errors:
            raise ValidationError(errors)
