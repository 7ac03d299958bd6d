"""The rows of a progress report, laid out once for the page, the .xlsx, the PDF and the command line.

The issue lists what a report shows, in this order: members; eligible; not eligible by reason; proposed,
confirmed, decided, forwarded by the province, accepted; in production, produced, in transit, received,
handed over; old cards recovered and destroyed; lost and reissued, "absolute numbers and percentages".
A stage row counts the members who have *reached* the stage (``Progress.reached``; a case now accepted was
also proposed) and says how many are at that step now; a state row (in transit, returned…) counts the
current state only. Percentages are of the eligible members (of the members for the eligibility rows),
as ``Progress.share`` defines them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from partycard.reports.progress import Metric, Progress, Stage

__all__ = [
    "CHILD_COLUMNS",
    "REASON_LABELS",
    "SECTIONS",
    "STAGE_LABELS",
    "ChildColumn",
    "Figure",
    "child_values",
    "figures",
    "metric_label",
]

M = Metric

# The not-eligible reasons, short enough for a table row (exchange.eligibility.ReasonCode values).
REASON_LABELS: dict[str, Promise] = {
    "not_official": _("Not yet an official member"),
    "no_current_card": _("Holds no card to exchange"),
    "deceased": _("Deceased"),
    "removed": _("Removed from the Party"),
    "expelled": _("Expelled"),
    "left": _("Left the Party"),
    "under_discipline": _("Under disciplinary review"),
    "under_inspection": _("Under inspection"),
    "dues_unpaid": _("Dues unpaid"),
    "activities_skipped": _("Party activities skipped"),
    "activities_suspended": _("Party activities suspended"),
    "transfer_in_progress": _("Transfer in progress"),
    "data_incomplete": _("Citizen ID missing or invalid"),
    "data_inconsistent": _("Data inconsistent"),
}

# The funnel's stages as the charts and the tables name them.
STAGE_LABELS: dict[Stage, Promise] = {
    Stage.MEMBERS: _("Party members"),
    Stage.ELIGIBLE: _("Eligible"),
    Stage.PROPOSED: _("Proposed by the cell"),
    Stage.CONFIRMED: _("Confirmed by the grassroots committee"),
    Stage.DECIDED: _("Decided by the upper committee"),
    Stage.FORWARDED: _("Forwarded by the committee directly under the Centre"),
    Stage.ACCEPTED: _("Accepted by the Centre"),
    Stage.PRODUCED: _("Card produced"),
    Stage.DELIVERED: _("Card received by the cell"),
    Stage.HANDED_OVER: _("Card handed over"),
    Stage.OLD_RECOVERED: _("Old card recovered"),
}

# Current states, where a row counts the state itself (cases stuck, cards on their way, old cards).
_STATE_LABELS: dict[Metric, Promise] = {
    M.CASE_PROPOSED: _("Proposed by the cell"),
    M.CASE_CONFIRMED: _("Confirmed by the grassroots committee"),
    M.CASE_DECIDED: _("Decided by the upper committee"),
    M.CASE_FORWARDED: _("Forwarded by the committee directly under the Centre"),
    M.CASE_ACCEPTED: _("Accepted by the Centre"),
    M.CASE_RETURNED: _("Returned for correction"),
    M.CASE_ON_HOLD: _("On hold"),
    M.CASE_REJECTED: _("Rejected"),
    M.CASE_CANCELLED: _("Cancelled"),
    M.CARD_ALLOCATED: _("Card numbered, waiting for production"),
    M.CARD_IN_PRODUCTION: _("In production"),
    M.CARD_PRODUCED: _("Produced"),
    M.CARD_IN_TRANSIT: _("In transit"),
    M.CARD_RECEIVED: _("Received"),
    M.CARD_ACTIVE: _("Handed over, in use"),
    M.CARD_LOST: _("New card lost"),
    M.OLD_RECOVERED: _("Old card recovered"),
    M.OLD_DESTROYED: _("Old card destroyed"),
    M.ELIGIBLE: _("Eligible"),
    M.NOT_ELIGIBLE: _("Not eligible"),
    M.POSTPONED: _("Postponed"),
    M.REISSUED: _("Card reissued"),
}

SECTIONS: dict[str, Promise] = {
    "members": _("Members and eligibility"),
    "cases": _("Exchange cases"),
    "cards": _("New cards"),
    "old": _("Old cards, lost and reissued cards"),
}


def metric_label(value: str) -> str:
    """The label of a metric or a case/card state value (the lagging view's "stuck at"); the value itself
    when unknown, so that a new state shows rather than breaks the page."""
    for metric, label in _STATE_LABELS.items():
        if value in (metric.value, metric.value.partition("_")[2]):
            return str(label)
    return value


@dataclass(frozen=True)
class Figure:
    """One row of the report: ``count`` and its ``share`` (None: the row is the base itself), ``now`` the
    members at this step today (stage rows only), ``depth`` 1 for a reason under "not eligible"."""

    section: str
    key: str
    label: str
    count: int
    share: float | None
    now: int | None = None
    depth: int = 0


def _of(count: int, base: int) -> float:
    return count / base if base else 0.0


def figures(p: Progress) -> list[Figure]:
    """Every row of ``p``'s report, in the issue's order; labels in the active language."""
    members, eligible = p.members, p.reached(Stage.ELIGIBLE)
    postponed, refused = p.count(M.POSTPONED), p.count(M.NOT_ELIGIBLE)
    rows = [
        Figure("members", "members", str(_("Party members")), members, None),
        Figure("members", "eligible", str(_("Eligible")), eligible, _of(eligible, members)),
        Figure("members", "postponed", str(_("Postponed")), postponed, _of(postponed, members)),
        Figure("members", "not_eligible", str(_("Not eligible")), refused, _of(refused, members)),
    ]
    for code, n in sorted(p.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        label = str(REASON_LABELS.get(code, code))
        rows.append(Figure("members", f"reason:{code}", label, n, _of(n, members), depth=1))

    def stage(section: str, s: Stage, now: Metric) -> Figure:
        return Figure(section, s.value, str(STAGE_LABELS[s]), p.reached(s), p.share(s), p.count(now))

    def state(section: str, m: Metric) -> Figure:
        return Figure(section, m.value, str(_STATE_LABELS[m]), p.count(m), _of(p.count(m), eligible))

    rows += [
        stage("cases", Stage.PROPOSED, M.CASE_PROPOSED),
        stage("cases", Stage.CONFIRMED, M.CASE_CONFIRMED),
        stage("cases", Stage.DECIDED, M.CASE_DECIDED),
        stage("cases", Stage.FORWARDED, M.CASE_FORWARDED),
        stage("cases", Stage.ACCEPTED, M.CASE_ACCEPTED),
        state("cases", M.CASE_RETURNED),
        state("cases", M.CASE_ON_HOLD),
        state("cases", M.CASE_REJECTED),
        state("cards", M.CARD_ALLOCATED),
        state("cards", M.CARD_IN_PRODUCTION),
        stage("cards", Stage.PRODUCED, M.CARD_PRODUCED),
        state("cards", M.CARD_IN_TRANSIT),
        stage("cards", Stage.DELIVERED, M.CARD_RECEIVED),
        stage("cards", Stage.HANDED_OVER, M.CARD_ACTIVE),
        stage("old", Stage.OLD_RECOVERED, M.OLD_RECOVERED),
        state("old", M.OLD_DESTROYED),
        state("old", M.CARD_LOST),
        state("old", M.REISSUED),
    ]
    return rows


@dataclass(frozen=True)
class ChildColumn:
    """A column of the children's table: a stage's count, or its share of the eligible (``share``);
    ``phone`` False: left out on a narrow screen, where the table must fit without scrolling far."""

    key: str
    label: Promise
    stage: Stage
    share: bool = False
    phone: bool = True


# The organisations' table (page, .xlsx, PDF): few enough columns for a portrait A4 page and a phone.
CHILD_COLUMNS: tuple[ChildColumn, ...] = (
    ChildColumn("members", _("Members"), Stage.MEMBERS),
    ChildColumn("eligible", _("Eligible"), Stage.ELIGIBLE, phone=False),
    ChildColumn("proposed", _("Proposed"), Stage.PROPOSED, phone=False),
    ChildColumn("accepted", _("Accepted"), Stage.ACCEPTED),
    ChildColumn("delivered", _("Received"), Stage.DELIVERED, phone=False),
    ChildColumn("handed_over", _("Handed over"), Stage.HANDED_OVER, phone=False),
    ChildColumn("handed_over_share", _("Share handed over"), Stage.HANDED_OVER, share=True),
    ChildColumn("old_recovered", _("Old cards recovered"), Stage.OLD_RECOVERED, phone=False),
)


def child_values(p: Progress) -> list[int | float]:
    """``p``'s cells in the organisations' table, in ``CHILD_COLUMNS`` order (shares as fractions)."""
    return [p.share(c.stage) if c.share else p.reached(c.stage) for c in CHILD_COLUMNS]
