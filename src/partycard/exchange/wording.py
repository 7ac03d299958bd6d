"""The workflow's words in the user's language: transition labels and problems are English msgids in the
pure ``workflow.py``; here they go through the translation catalogue (locale/vi) like every other string."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import translation
from django.utils.translation import gettext

from partycard.exchange.workflow import TRANSITIONS, Problem, Transition

__all__ = ["problem_worded", "problems_worded", "transition_label"]


def transition_label(transition: Transition | str) -> str:
    """The transition's label in the active language."""
    return gettext(TRANSITIONS[Transition(transition)].label)


def _fill(message: str, params: dict[str, str]) -> str:
    return message % params if params else message


def problem_worded(problem: Problem) -> Problem:
    """``problem`` with its English and Vietnamese messages filled in (the labels it names translated)."""
    if problem.message_vi:
        return problem
    params = dict(problem.params)
    with translation.override("vi"):
        vietnamese = {k: gettext(v) if k == "action" else v for k, v in params.items()}  # a label
        message_vi = _fill(gettext(problem.message_en), vietnamese)
    return Problem(problem.code, _fill(problem.message_en, params), (), message_vi)


def problems_worded(problems: Iterable[Problem]) -> list[Problem]:
    return [problem_worded(p) for p in problems]
