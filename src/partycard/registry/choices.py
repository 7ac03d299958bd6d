"""Enumerations of the registry: organisation levels and the rules between them, member status, gender."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "ACTIVE_STATUSES",
    "ALLOWED_CHILDREN",
    "MEMBER_HOLDING_LEVELS",
    "Gender",
    "MemberStatus",
    "OrgLevel",
    "Qualification",
    "Religion",
]


class OrgLevel(models.IntegerChoices):
    """Kinds of party organisation, top to bottom (DOMAIN.md "Scale and hierarchy"; no district level).

    ``COMMUNE`` is the committee directly above the grassroots organisation (the commune, ward or special
    zone committee in a province; an upper-grassroots committee in the Army, Public Security and the
    central blocks). Those branches have several such tiers (a military region above divisions above
    regiments), so a ``COMMUNE`` may sit under another; the committee *directly* above a grassroots
    organisation is then its **nearest** ``COMMUNE`` ancestor.
    """

    CENTRE = 0, _("Centre")
    CENTRAL_COMMITTEE = 1, _("Committee directly under the Centre")
    # The directive's words: "cấp ủy cấp trên trực tiếp của tổ chức cơ sở đảng".
    COMMUNE = 2, _("Committee directly above the grassroots party organisation")
    GRASSROOTS_COMMITTEE = 3, _("Grassroots party committee")
    GRASSROOTS_CELL = 4, _("Grassroots party cell")
    SUB_COMMITTEE = 5, _("Sub-committee")
    CELL = 6, _("Party cell")


# Which kinds may sit directly under which. A grassroots cell and a cell hold members and nothing else.
# DOMAIN.md "Scale and hierarchy": the Army and Public Security have several tiers between the committee
# directly under the Centre and the grassroots, so a commune-level committee may hold another.
ALLOWED_CHILDREN: dict[int, frozenset[int]] = {
    OrgLevel.CENTRE: frozenset({OrgLevel.CENTRAL_COMMITTEE}),
    OrgLevel.CENTRAL_COMMITTEE: frozenset({OrgLevel.COMMUNE}),
    OrgLevel.COMMUNE: frozenset({OrgLevel.COMMUNE, OrgLevel.GRASSROOTS_COMMITTEE, OrgLevel.GRASSROOTS_CELL}),
    OrgLevel.GRASSROOTS_COMMITTEE: frozenset({OrgLevel.SUB_COMMITTEE, OrgLevel.CELL}),
    OrgLevel.SUB_COMMITTEE: frozenset({OrgLevel.CELL}),
    OrgLevel.GRASSROOTS_CELL: frozenset(),
    OrgLevel.CELL: frozenset(),
}

# Members belong to a cell: a cell of a grassroots committee or sub-committee, or a grassroots cell.
MEMBER_HOLDING_LEVELS: frozenset[int] = frozenset({OrgLevel.GRASSROOTS_CELL, OrgLevel.CELL})


class MemberStatus(models.TextChoices):
    """A member's standing in the Party. A transfer (chuyển sinh hoạt đảng) is not one: in a national
    registry it is a change of cell (DOMAIN.md), recorded by ``services.member_transfer``."""

    PROBATIONARY = "probationary", _("Probationary member")
    OFFICIAL = "official", _("Official member")
    DECEASED = "deceased", _("Deceased")
    REMOVED = "removed", _("Removed from the Party")
    EXPELLED = "expelled", _("Expelled")
    RESIGNED = "resigned", _("Left the Party at own request")


# Members who count in their cell today (probationary and official members).
ACTIVE_STATUSES: frozenset[str] = frozenset({MemberStatus.PROBATIONARY, MemberStatus.OFFICIAL})


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Religion(models.TextChoices):
    NONE = "none", _("None")
    BUDDHISM = "buddhism", _("Buddhism")
    CATHOLICISM = "catholicism", _("Catholicism")
    PROTESTANTISM = "protestantism", _("Protestantism")
    CAO_DAI = "cao_dai", _("Cao Dai")
    HOA_HAO = "hoa_hao", _("Hoa Hao Buddhism")
    ISLAM = "islam", _("Islam")
    OTHER = "other", _("Other")


class Qualification(models.TextChoices):
    """Highest professional qualification (roster 7-HSĐV, "trình độ chuyên môn")."""

    NONE = "none", _("None")
    VOCATIONAL = "vocational", _("Vocational")
    COLLEGE = "college", _("College")
    BACHELOR = "bachelor", _("University")
    MASTER = "master", _("Master")
    DOCTOR = "doctor", _("Doctorate")
