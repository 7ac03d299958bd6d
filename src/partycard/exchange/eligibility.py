"""Who gets a new card, as one pure, explained rule set (Directive 51-CT/TW; DOMAIN.md).

Only an official member who already holds a card and is in full standing gets one. ``evaluate`` answers
eligible or not with **every** reason that applies (not the first), each a stable code, a Vietnamese
message for the officer and an English one for the API. Some reasons only postpone the exchange (under
discipline, under inspection, transfer in progress): the case waits until they are resolved.

What DOMAIN.md marks [U] (inferred) is a setting of the campaign (``Rules``), not a constant here. Pure
Python, no Django: the apps map a member to ``Facts`` and store ``Rules`` on the campaign.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Facts", "Reason", "ReasonCode", "Rules", "Verdict", "evaluate"]


class ReasonCode(StrEnum):
    NOT_OFFICIAL = "not_official"
    NO_CURRENT_CARD = "no_current_card"
    DECEASED = "deceased"
    REMOVED = "removed"
    EXPELLED = "expelled"
    LEFT = "left"  # left at own request, or transferred out of this registry
    UNDER_DISCIPLINE = "under_discipline"
    UNDER_INSPECTION = "under_inspection"
    DUES_UNPAID = "dues_unpaid"
    TRANSFER_IN_PROGRESS = "transfer_in_progress"
    ABROAD = "abroad"
    DATA_INCOMPLETE = "data_incomplete"
    DATA_INCONSISTENT = "data_inconsistent"


# Reasons that postpone rather than refuse: the member may get the card once they are resolved.
POSTPONING = frozenset(
    {ReasonCode.UNDER_DISCIPLINE, ReasonCode.UNDER_INSPECTION, ReasonCode.TRANSFER_IN_PROGRESS}
)

_MESSAGES: dict[ReasonCode, tuple[str, str]] = {
    ReasonCode.NOT_OFFICIAL: (
        "Chưa là đảng viên chính thức tại ngày chốt của đợt đổi thẻ.",
        "Not an official member on the campaign's cut-off date.",
    ),
    ReasonCode.NO_CURRENT_CARD: ("Chưa có thẻ đảng viên để đổi.", "Holds no party card to exchange."),
    ReasonCode.DECEASED: ("Đảng viên đã từ trần.", "The member has died."),
    ReasonCode.REMOVED: ("Đảng viên đã bị xóa tên.", "The member was removed from the Party."),
    ReasonCode.EXPELLED: ("Đảng viên đã bị khai trừ.", "The member was expelled."),
    ReasonCode.LEFT: (
        "Đảng viên không còn sinh hoạt trong tổ chức này (xin ra khỏi Đảng hoặc đã chuyển đi).",
        "The member is no longer in this registry (left the Party or transferred out).",
    ),
    ReasonCode.UNDER_DISCIPLINE: (
        "Đang trong thời gian xem xét kỷ luật: hoãn đổi thẻ đến khi có kết luận.",
        "Under disciplinary review: the exchange waits for the decision.",
    ),
    ReasonCode.UNDER_INSPECTION: (
        "Đang bị kiểm tra hoặc giải quyết khiếu nại: hoãn đổi thẻ đến khi có kết luận.",
        "Under inspection or complaint review: the exchange waits for the outcome.",
    ),
    ReasonCode.DUES_UNPAID: (
        "Chưa đóng đảng phí {months} tháng (giới hạn {limit} tháng).",
        "Dues unpaid for {months} months (limit {limit}).",
    ),
    ReasonCode.TRANSFER_IN_PROGRESS: (
        "Đang làm thủ tục chuyển sinh hoạt đảng: đổi thẻ ở nơi sinh hoạt mới.",
        "A membership transfer is in progress: the card is exchanged where the member goes.",
    ),
    ReasonCode.ABROAD: (
        "Đang ở nước ngoài: thẻ do Đảng ủy Ngoài nước quản lý.",
        "Abroad: the card is held by the Foreign Affairs party committee.",
    ),
    ReasonCode.DATA_INCOMPLETE: (
        "Số CCCD thiếu hoặc không hợp lệ: {what}.",
        "Citizen ID missing or invalid: {what}.",
    ),
    ReasonCode.DATA_INCONSISTENT: ("Dữ liệu không nhất quán: {what}.", "Data inconsistent: {what}."),
}

_STATUS_REASON = {
    "deceased": ReasonCode.DECEASED,
    "removed": ReasonCode.REMOVED,
    "expelled": ReasonCode.EXPELLED,
    "resigned": ReasonCode.LEFT,
    "transferred_out": ReasonCode.LEFT,
}


@dataclass(frozen=True)
class Rules:
    """A campaign's settings ([U] items of DOMAIN.md are choices, not facts)."""

    cut_off: dt.date
    max_dues_months_unpaid: int = 3  # Party Charter: 3 months a year without reason leads to removal
    postpone_under_discipline: bool = True
    postpone_under_inspection: bool = True
    postpone_transfer_in_progress: bool = True
    require_citizen_id: bool = True


@dataclass(frozen=True)
class Facts:
    """What the registry knows of one member, as the rules need it."""

    status: str  # registry MemberStatus value: "official", "probationary", "deceased", …
    date_official: dt.date | None
    has_current_card: bool
    citizen_id_problem: str | None = None  # None = present and valid; else what is wrong, already worded
    under_discipline: bool = False
    under_inspection: bool = False
    dues_months_unpaid: int = 0
    transfer_in_progress: bool = False
    abroad: bool = False
    data_problems: tuple[str, ...] = ()  # other single-record rule failures, already worded


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    message_vi: str
    message_en: str

    @property
    def postpones(self) -> bool:
        return self.code in POSTPONING


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
    def codes(self) -> frozenset[ReasonCode]:
        return frozenset(r.code for r in self.reasons)


def _reason(code: ReasonCode, **values: object) -> Reason:
    vi, en = _MESSAGES[code]
    return Reason(code, vi.format(**values), en.format(**values))


def evaluate(facts: Facts, rules: Rules) -> Verdict:
    """Eligible, or every reason why not (in a fixed order: standing, card, conduct, data)."""
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
    if facts.dues_months_unpaid > rules.max_dues_months_unpaid:
        reasons.append(
            _reason(
                ReasonCode.DUES_UNPAID, months=facts.dues_months_unpaid, limit=rules.max_dues_months_unpaid
            )
        )
    if facts.transfer_in_progress and rules.postpone_transfer_in_progress:
        reasons.append(_reason(ReasonCode.TRANSFER_IN_PROGRESS))
    if facts.abroad:
        reasons.append(_reason(ReasonCode.ABROAD))
    if rules.require_citizen_id and facts.citizen_id_problem:
        reasons.append(_reason(ReasonCode.DATA_INCOMPLETE, what=facts.citizen_id_problem))
    for problem in facts.data_problems:
        reasons.append(_reason(ReasonCode.DATA_INCONSISTENT, what=problem))
    return Verdict(tuple(reasons))
