"""Forms of the exchange pages: input shape only. Whether a case may move is ``workflow.check``'s to say,
in the services; the bulk form asks the same function about its own input (a reason, a return level) so
that bad input is refused on the form, in the workflow's words, before a job is made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from partycard.exchange.models.case import LEVEL_CHOICES
from partycard.exchange.wording import problems_worded, transition_label
from partycard.exchange.workflow import (
    IRREVERSIBLE,
    RANK,
    RESUBMITTED_TO,
    TRANSITIONS,
    Level,
    Problem,
    State,
    Transition,
    check,
    queue_states,
)

__all__ = [
    "INPUT_CODES",
    "BulkTransitionForm",
    "CaseTransitionForm",
    "ProposeForm",
    "input_problems",
    "return_levels",
]

# The problems ``check`` finds in the officer's input rather than in the case.
INPUT_CODES = frozenset({"reason_required", "return_level"})
_LEVEL_LABELS = dict(LEVEL_CHOICES)


def return_levels(top: Level | None) -> list[tuple[str, str]]:
    """The levels below ``top`` a case may be returned to, as choices (lowest first)."""
    if top is None or top not in RANK:
        return []
    return [(lv.value, str(_LEVEL_LABELS[lv])) for lv in RESUBMITTED_TO if RANK[lv] < RANK[top]]


def input_problems(
    transition: Transition, level: Level, *, reason: str, return_to: Level | None
) -> list[Problem]:
    """What is wrong with the input of ``transition`` made at ``level`` (a missing reason, a return to a level
    not below), by the workflow's own rule, checked as if on a case waiting for that level."""
    spec = TRANSITIONS[transition]
    sources = sorted(s for s in spec.sources if s is not None)
    waiting = [s for s in sources if s in queue_states(level)] or sources
    if not waiting:
        return []
    problems = check(
        transition,
        state=State(waiting[0]),
        actor_levels=frozenset({level}),
        eligible=True,
        reason=reason,
        returned_to=level,
        return_to=return_to,
    )
    return [p for p in problems if p.code in INPUT_CODES]


class ProposeForm(forms.Form):
    """The members of one cell the secretary ticks to propose."""

    members = forms.TypedMultipleChoiceField(
        label=_("Members to propose"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, member_ids: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(pk, str(pk)) for pk in member_ids]
        field.error_messages["required"] = _("Tick at least one member to propose.")


class IdListField(forms.Field):
    """A list of record ids from checkboxes of one name (the queue page's rows)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as e:
            raise forms.ValidationError(_("The selection is not valid."), code="invalid") from e


class CaseTransitionForm(forms.Form):
    """One transition of one case (the case page's buttons): the service checks everything else.

    A transition that cannot be undone (``workflow.IRREVERSIBLE``: accept, reject, cancel) needs
    ``confirmed`` ticked; the page's box is ``required``, and this check holds without the browser's help.
    """

    transition = forms.ChoiceField(label=_("Action"))
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
    return_to = forms.ChoiceField(label=_("Return to"), required=False)
    confirmed = forms.BooleanField(label=_("I confirm: this cannot be undone."), required=False)
    #: Whether ``clean`` refuses an irreversible transition not yet confirmed (the bulk form asks on a page).
    confirm_on_form = True

    def __init__(
        self, *args: Any, transitions: Sequence[Transition], top: Level | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["transition"].choices = [(t.value, transition_label(t)) for t in transitions]  # type: ignore[attr-defined]
        self.fields["return_to"].choices = [("", "—"), *return_levels(top)]  # type: ignore[attr-defined]

    def clean_transition(self) -> Transition:
        return Transition(self.cleaned_data["transition"])

    def clean_return_to(self) -> Level | None:
        value = self.cleaned_data.get("return_to")
        return Level(value) if value else None

    def clean_reason(self) -> str:
        return str(self.cleaned_data.get("reason", "")).strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.confirm_on_form and self.needs_confirmation(data):
            action = transition_label(data["transition"])
            self.add_error(
                "confirmed",
                _("Tick the box to confirm “%(action)s”: it cannot be undone.") % {"action": action},
            )
        return data

    @staticmethod
    def needs_confirmation(data: dict[str, Any]) -> bool:
        """An irreversible transition the officer has not confirmed yet."""
        return data.get("transition") in IRREVERSIBLE and not data.get("confirmed")


class BulkTransitionForm(CaseTransitionForm):
    """The queue page's bulk action: the ticked cases (or the whole filtered queue), one transition.

    ``level`` is the officer's home level: the transitions offered are that level's, and the input is
    checked by the workflow's rules for it (a reason where one is needed, a return to a level below).
    """

    cases = IdListField(label=_("Cases"), required=False)
    all_in_queue = forms.BooleanField(label=_("Select every case in the queue"), required=False)
    confirm_on_form = False  # the queue page asks on a page of its own, naming the number of cases

    def __init__(self, *args: Any, level: Level, transitions: Sequence[Transition], **kwargs: Any) -> None:
        super().__init__(*args, transitions=transitions, top=level, **kwargs)
        self.level = level

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("cases") and not data.get("all_in_queue"):
            self.add_error("cases", _("Tick at least one case, or select every case in the queue."))
        transition = data.get("transition")
        if not isinstance(transition, Transition):
            return data
        if transition is not Transition.RETURN:
            data["return_to"] = None
        for p in problems_worded(
            input_problems(
                transition, self.level, reason=data.get("reason", ""), return_to=data.get("return_to")
            )
        ):
            field = "reason" if p.code == "reason_required" else "return_to"
            if field not in self.errors:  # a field error of its own (too long, not a choice) says it already
                self.add_error(field, p.message_vi)
        return data
