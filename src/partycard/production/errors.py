"""Production's refusals: one error with every reason, each a code and a message in the user's language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from partycard.core.errors import DomainError, ErrorCode

__all__ = ["ProductionError", "ProductionProblem"]


@dataclass(frozen=True)
class ProductionProblem:
    code: str  # e.g. replayed, wrong_batch, signature, extra_card (docs/production.md lists them)
    message: str  # translated
    number: str = ""  # the card it is about, if one


class ProductionError(DomainError):
    """A production step refused (nothing written); ``problems`` says every reason."""

    http_status = 409

    def __init__(
        self, problems: Sequence[ProductionProblem], *, code: ErrorCode = ErrorCode.CONFLICT
    ) -> None:
        self.problems = list(problems)
        text = " ".join(f"{p.number}: {p.message}" if p.number else p.message for p in self.problems[:20])
        if len(self.problems) > 20:
            text += f" (+{len(self.problems) - 20})"
        super().__init__(text, code=code)

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]
