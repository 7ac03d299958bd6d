"""How much a member pays: the guidance shown beside the amounts, from settings with a documented default.

DOMAIN.md [C]: "Dues (đảng phí): 1% of salary." The Party's regulation on dues sets other rates for others
(pensioners, members without a salary, members abroad); those are not in DOMAIN.md, so they are not
written here: ``settings.PARTYCARD["DUES_GUIDANCE"]`` lists the lines a deployment adds, each a dict with a
``label`` and either a ``percent`` (of what ``of`` names) or a fixed ``amount`` in đồng. The default is the
one sourced line. The amounts the cell records are whatever it collected: the guidance never refuses one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _

__all__ = ["DEFAULT_GUIDANCE", "GuidanceLine", "guidance", "percent_of"]

# DOMAIN.md: "Dues (đảng phí): 1% of salary."
DEFAULT_GUIDANCE: tuple[dict[str, object], ...] = (
    {"label": "Đảng viên hưởng lương", "percent": 1, "of": "tiền lương hằng tháng"},
)


@dataclass(frozen=True)
class GuidanceLine:
    label: str
    percent: float | None = None
    of: str = ""
    amount: int | None = None

    def text(self) -> str:
        if self.percent is not None:
            return _("%(label)s: %(percent)s%% of %(of)s") % {
                "label": self.label, "percent": _percent(self.percent), "of": self.of or _("salary"),
            }  # fmt: skip
        return _("%(label)s: %(amount)s đồng a month") % {
            "label": self.label, "amount": number_format(self.amount or 0, force_grouping=True),
        }  # fmt: skip


def _percent(value: float) -> str:
    """1 as "1", 0.5 as "0,5" (the locale's decimal mark), never "1,0"."""
    return str(int(value)) if value == int(value) else number_format(value)


def guidance() -> list[GuidanceLine]:
    """The configured lines (``DUES_GUIDANCE``), or the default."""
    lines = settings.PARTYCARD.get("DUES_GUIDANCE") or DEFAULT_GUIDANCE
    out = []
    for line in lines:
        percent = line.get("percent")
        amount = line.get("amount")
        out.append(
            GuidanceLine(
                label=str(line.get("label", "")),
                percent=float(str(percent)) if percent is not None else None,
                of=str(line.get("of", "")),
                amount=int(str(amount)) if amount is not None else None,
            )
        )
    return out


def percent_of(base: int, percent: float) -> int:
    """``percent`` of ``base`` đồng, rounded to the đồng (half up): 1% of 8.350.000 is 83.500."""
    return int((base * percent + 50) // 100)
