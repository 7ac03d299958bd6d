"""The problem document (RFC 9457) as the OpenAPI schema declares it, and the responses each route lists."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field

__all__ = ["FieldProblem", "Problem", "WorkflowProblem", "problems"]


class FieldProblem(Schema):
    field: str | None = Field(description="The input field refused; null for the record as a whole.")
    reason: str


class WorkflowProblem(Schema):
    code: str = Field(description="A stable code: wrong_state, wrong_level, not_eligible, reason_required, …")
    message_vi: str
    message_en: str


class Problem(Schema):
    type: str = Field(description="A URI naming the kind of problem; about:blank for a plain HTTP status.")
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = Field(
        default=None, description="Each refused field (validation problems only)."
    )
    problems: list[WorkflowProblem] | None = Field(
        default=None, description="Every reason a case transition was refused (exchange routes only)."
    )


def problems(*statuses: int) -> dict[int, Any]:
    """``{status: Problem}`` for ``statuses`` plus the two every authenticated route can answer (401, 429)."""
    return dict.fromkeys(sorted({401, 429, *statuses}), Problem)
