"""Who gets a new card, as one pure, explained rule set (Directive 51-CT/TW; the Party Charter; DOMAIN.md).

Only an official member who already holds a card and is in full standing gets one. ``evaluate`` answers
eligible or not with **every** reason that applies (not the first), each a stable code and an English
message that is also the msgid of the translation catalogue: the apps translate it (Django's gettext),
this module only marks it. Some reasons only postpone the exchange (under discipline, under inspection,
activities suspended, transfer in progress): the case waits until they are resolved. Some end it (death,
removal, expulsion, leaving the Party). The others refuse.

What DOMAIN.md marks [U] (inferred) is a setting of the campaign (``Rules``), not a constant here. Pure
Python, no Django: the apps map a member to ``Facts`` and store ``Rules`` on the campaign.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "ENDING",
    "POSTPONING",
    "YEAR_MONTHS",
    "Facts",
    "Reason",
    "ReasonCode",
    "Rules",
    "Verdict",
    "evaluate",
    "gettext_noop",
    "months_within_year",
]


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the translation catalogue and return it unchanged.

    Named as Django's own no-op marker because ``makemessages`` extracts the arguments of calls to
    ``gettext_noop`` (one of the xgettext keywords it passes); this module may not import Django.
    """
    return message


class ReasonCode(StrEnum):
    NOT_OFFICIAL = "not_official"
    NO_CURRENT_CARD = "no_current_card"
    DECEASED = "deceased"
    REMOVED = "removed"
    EXPELLED = "expelled"
    LEFT = "left"  # left the Party at own request (a transfer is not leaving: DOMAIN.md)
    UNDER_DISCIPLINE = "under_discipline"
    UNDER_INSPECTION = "under_inspection"
    DUES_UNPAID = "dues_unpaid"
    ACTIVITIES_SKIPPED = "activities_skipped"
    ACTIVITIES_SUSPENDED = "activities_suspended"
    TRANSFER_IN_PROGRESS = "transfer_in_progress"
    DATA_INCOMPLETE = "data_incomplete"
    DATA_INCONSISTENT = "data_inconsistent"


# Reasons that postpone rather than refuse: the member may get the card once they are resolved (the case
# waits on hold). DOMAIN.md: discipline and investigation postpone [U, a campaign setting]; "a member whose
# activities are suspended (đình chỉ sinh hoạt) waits"; only a transfer *in progress* postpones.
POSTPONING = frozenset(
    {
        ReasonCode.UNDER_DISCIPLINE,
        ReasonCode.UNDER_INSPECTION,
        ReasonCode.ACTIVITIES_SUSPENDED,
        ReasonCode.TRANSFER_IN_PROGRESS,
    }
)
# Reasons that end membership, and with it the case (DOMAIN.md "Card management rules": death, expulsion,
# removal; leaving at own request). Not a transfer: "a transfer is not leaving the Party".
ENDING = frozenset({ReasonCode.DECEASED, ReasonCode.REMOVED, ReasonCode.EXPELLED, ReasonCode.LEFT})

# The English message of each reason, marked for the catalogue (the Vietnamese is in the .po file).
_MESSAGES: dict[ReasonCode, str] = {
    ReasonCode.NOT_OFFICIAL: gettext_noop("Not an official member on the campaign's cut-off date."),
    ReasonCode.NO_CURRENT_CARD: gettext_noop("Holds no party member card to exchange."),
    ReasonCode.DECEASED: gettext_noop("The member has died."),
    ReasonCode.REMOVED: gettext_noop("The member was removed from the Party."),
    ReasonCode.EXPELLED: gettext_noop("The member was expelled."),
    ReasonCode.LEFT: gettext_noop("The member left the Party at their own request."),
    ReasonCode.UNDER_DISCIPLINE: gettext_noop(
        "Under disciplinary review: the exchange waits for the decision."
    ),
    ReasonCode.UNDER_INSPECTION: gettext_noop(
        "Under inspection or complaint review: the exchange waits for the outcome."
    ),
    ReasonCode.DUES_UNPAID: gettext_noop(
        "Dues unpaid for %(months)d months within the last 12 without good reason "
        "(Charter Art. 8(2): %(limit)d months lead to removal)."
    ),
    ReasonCode.ACTIVITIES_SKIPPED: gettext_noop(
        "Party activities skipped for %(months)d months within the last 12 without good reason "
        "(Charter Art. 8(2): %(limit)d months lead to removal)."
    ),
    ReasonCode.ACTIVITIES_SUSPENDED: gettext_noop(
        "The member's party activities are suspended: the exchange waits until they resume."
    ),
    ReasonCode.TRANSFER_IN_PROGRESS: gettext_noop(
        "A membership transfer is in progress: the card is exchanged where the member goes."
    ),
    ReasonCode.DATA_INCOMPLETE: gettext_noop("Citizen ID missing or invalid: %(what)s."),
    ReasonCode.DATA_INCONSISTENT: gettext_noop("Data inconsistent: %(what)s."),
}

# Statuses that end membership (registry MemberStatus values). A transfer is none of them: in a national
# registry it is a change of cell (DOMAIN.md "Transfer of membership").
_STATUS_REASON = {
    "deceased": ReasonCode.DECEASED,
    "removed": ReasonCode.REMOVED,
    "expelled": ReasonCode.EXPELLED,
    "resigned": ReasonCode.LEFT,
}

# Charter Art. 8(2): "three months within a year": a rolling year, the month of evaluation and the eleven
# before it.
YEAR_MONTHS = 12


@dataclass(frozen=True)
class Rules:
    """A campaign's settings ([U] items of DOMAIN.md are choices, not facts)."""

    cut_off: dt.date
    # Charter Art. 8(2): a member who, without good reason, skips party activities or does not pay dues
    # for three months within a year is considered by the cell for removal. Three months refuse (>=).
    removal_months: int = 3
    postpone_under_discipline: bool = True
    postpone_under_inspection: bool = True
    postpone_transfer_in_progress: bool = True
    require_citizen_id: bool = True


@dataclass(frozen=True)
class Facts:
    """What the registry knows of one member, as the rules need it.

    ``dues_unpaid_months`` and ``activities_skipped_months`` are the months the cell recorded (any day of
    a month stands for that month); the rules count those within the year before the day of evaluation.
    """

    status: str  # registry MemberStatus value: "official", "probationary", "deceased", …
    date_official: dt.date | None
    has_current_card: bool
    citizen_id_problem: str | None = None  # None = present and valid; else what is wrong, already worded
    under_discipline: bool = False
    under_inspection: bool = False
    dues_unpaid_months: tuple[dt.date, ...] = ()
    dues_unpaid_good_reason: bool = False
    activities_skipped_months: tuple[dt.date, ...] = ()
    activities_skipped_good_reason: bool = False
    activities_suspended: bool = False
    transfer_in_progress: bool = False
    data_problems: tuple[str, ...] = ()  # other single-record rule failures, already worded


def _same(message: str) -> str:
    return message


@dataclass(frozen=True)
class Reason:
    """One reason: its code, its English message (the catalogue's msgid) and the values it is filled
    with. :meth:`message` words it through a translation function; ``message_en`` is the English."""

    code: ReasonCode
    text: str
    values: tuple[tuple[str, object], ...] = ()

    def message(self, translate: Callable[[str], str] = _same) -> str:
        """The message through ``translate`` (e.g. Django's ``gettext``), filled with its values."""
        translated = translate(self.text)
        return translated % dict(self.values) if self.values else translated

    @property
    def message_en(self) -> str:
        return self.message()

    @property
    def postpones(self) -> bool:
        return self.code in POSTPONING

    @property
    def ends(self) -> bool:
        return self.code in ENDING


@dataclass(frozen=True)
class Verdict:
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def postponed(self) -> bool:
        """Not eligible now, but only for reasons that resolve (the case waits on hold)."""
        return bool(self.reasons) and all(r.postpones for r in self.reasons)

    @property
    def ended(self) -> bool:
        """Membership ended: death, removal, expulsion, leaving (the case is cancelled)."""
        return any(r.ends for r in self.reasons)

    @property
    def codes(self) -> frozenset[ReasonCode]:
        return frozenset(r.code for r in self.reasons)


def _reason(code: ReasonCode, **values: object) -> Reason:
    return Reason(code, _MESSAGES[code], tuple(sorted(values.items())))


def months_within_year(months: Iterable[dt.date], today: dt.date) -> int:
    """How many distinct months of ``months`` fall in the rolling year that ends with ``today``'s month
    (that month and the eleven before it; a later month does not count)."""
    now = today.year * 12 + today.month - 1
    return len({m.year * 12 + m.month - 1 for m in months} & set(range(now - YEAR_MONTHS + 1, now + 1)))


def evaluate(facts: Facts, rules: Rules, *, today: dt.date) -> Verdict:
    """Eligible, or every reason why not (in a fixed order: standing, card, conduct, data).

    Official standing is judged on the campaign's cut-off date; conduct (dues, activities) over the year
    that ends on ``today``, the day of evaluation.
    """
    reasons: list[Reason] = []
    left = _STATUS_REASON.get(facts.status)
    if left is not None:
        reasons.append(_reason(left))
    elif facts.status != "official" or facts.date_official is None or facts.date_official > rules.cut_off:
        reasons.append(_reason(ReasonCode.NOT_OFFICIAL))
    if not facts.has_current_card:
        reasons.append(_reason(ReasonCode.NO_CURRENT_CARD))
    if facts.under_discipline and rules.postpone_under_discipline:
        reasons.append(_reason(ReasonCode.UNDER_DISCIPLINE))
    if facts.under_inspection and rules.postpone_under_inspection:
        reasons.append(_reason(ReasonCode.UNDER_INSPECTION))
    # Charter Art. 8(2): "does not pay dues for three months within a year" "without good reason".
    unpaid = months_within_year(facts.dues_unpaid_months, today)
    if unpaid >= rules.removal_months and not facts.dues_unpaid_good_reason:
        reasons.append(_reason(ReasonCode.DUES_UNPAID, months=unpaid, limit=rules.removal_months))
    # Charter Art. 8(2): "skips party activities ... for three months within a year" "without good reason".
    skipped = months_within_year(facts.activities_skipped_months, today)
    if skipped >= rules.removal_months and not facts.activities_skipped_good_reason:
        reasons.append(_reason(ReasonCode.ACTIVITIES_SKIPPED, months=skipped, limit=rules.removal_months))
    # DOMAIN.md: "A member whose activities are suspended (đình chỉ sinh hoạt) waits."
    if facts.activities_suspended:
        reasons.append(_reason(ReasonCode.ACTIVITIES_SUSPENDED))
    if facts.transfer_in_progress and rules.postpone_transfer_in_progress:
        reasons.append(_reason(ReasonCode.TRANSFER_IN_PROGRESS))
    # Being abroad is not here: DOMAIN.md "being abroad does not change a member's standing" (the campaign
    # names who holds the card).
    if rules.require_citizen_id and facts.citizen_id_problem:
        reasons.append(_reason(ReasonCode.DATA_INCOMPLETE, what=facts.citizen_id_problem))
    for problem in facts.data_problems:
        reasons.append(_reason(ReasonCode.DATA_INCONSISTENT, what=problem))
    return Verdict(tuple(reasons))
