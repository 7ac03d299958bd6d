"""Party organisations as one tree with a materialised path.

``path`` is the chain of stable codes from the Centre, each followed by a dot ("TW.P01.P01-0001."), so a
subtree is a prefix: ``path LIKE 'TW.P01.%'`` uses a plain b-tree on both databases (Django adds the
``varchar_pattern_ops`` index on PostgreSQL). Codes are restricted to ``[A-Z0-9-]`` so that they never
contain a LIKE wildcard or the separator. Moving a subtree rewrites the prefix of every path in it, in
one statement (``services.organisation_move``).
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partycard.core import clock
from partycard.core.scope import ScopedManager
from partycard.registry.choices import MEMBER_HOLDING_LEVELS, OrgLevel

CODE_VALIDATOR = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]{0,19}$",
    _("Code must be 1–20 capital letters, digits or hyphens, starting with a letter or digit."),
)
PATH_SEPARATOR = "."
# The Communist Party of Vietnam was founded on 3 February 1930: no organisation of it ended before that.
PARTY_FOUNDED = dt.date(1930, 2, 3)
_CODE_WHOLE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,19}")


class Organisation(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    name_search = models.CharField(max_length=200, editable=False, db_index=True)
    level = models.PositiveSmallIntegerField(
        _("level"),
        choices=OrgLevel.choices,
        help_text=_(
            "The committee directly above the grassroots is a commune, ward or special-zone committee, or "
            "an upper-grassroots committee; in the Army and Public Security one may sit under another."
        ),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    # Probationary + official members directly in this organisation, kept by the registry services so
    # that a province's count is a sum over its organisations, not a scan of its members.
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)
    # Probationary + official members in this organisation's whole subtree, kept for the commune-level
    # committees only (level 2; 0 elsewhere) by the same services (``services.member_counts_adjust``):
    # the organisation tree sums a province's or the Centre's members from these few thousand rows
    # instead of every cell of the country, and no row above a commune is written on every member write.
    # A database default, so that bulk loaders (the seed) need not name it.
    subtree_members = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["member_count", "subtree_members", "name_search", "updated_at"]
    )

    objects = ScopedManager["Organisation"]()
    scope_path = "path"
    scope_own = None

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        ordering = ["path"]
        indexes = [models.Index(fields=["level", "path"], name="registry_org_level_path")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level=OrgLevel.CENTRE, parent__isnull=True)
                | (~models.Q(level=OrgLevel.CENTRE) & models.Q(parent__isnull=False)),
                name="registry_org_only_centre_is_root",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        """The name must hold no invisible or direction-changing character (``rules.name_issue``); the code
        must match whole (the validator's ``$`` also accepts a trailing newline); a dissolution date is a
        real day of the Party's history: not before its founding (a ``0`` read as 1 January 1970 is caught
        by the API's date type), not in the future."""
        from partycard.registry.rules import name_issue

        super().clean()
        errors: dict[str, list[str]] = {}
        problem = name_issue(self.name or "")
        if problem:
            errors["name"] = [str(_("The name %(problem)s.")) % {"problem": problem}]
        if self.code and not _CODE_WHOLE.fullmatch(self.code):
            errors["code"] = [str(CODE_VALIDATOR.message)]
        if self.dissolved_on is not None and not PARTY_FOUNDED <= self.dissolved_on <= clock.today():
            errors["dissolved_on"] = [
                str(_("The dissolution date must be between %(first)s and today."))
                % {"first": PARTY_FOUNDED.strftime("%d/%m/%Y")}
            ]
        if errors:
            raise ValidationError(errors)

    @property
    def depth(self) -> int:
        """0 for the Centre, 1 for a committee directly under it, …"""
        return self.path.count(PATH_SEPARATOR) - 1

    @property
    def holds_members(self) -> bool:
        return self.level in MEMBER_HOLDING_LEVELS
