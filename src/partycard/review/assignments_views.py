"""The volunteers' assignment pages (``/ra-soat/tinh-nguyen-vien/``): the assignments in scope, the form
that assigns a volunteer to cells for a period, and revocation. A volunteer sees their own assignments.

Thin: parse, one selector or service call, render. Outside the scope everything is the same 404 as a
missing record.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.models import User
from partycard.accounts.roles import Action
from partycard.core import clock
from partycard.core.errors import DomainError
from partycard.core.scope import OutOfScope, actor_may
from partycard.review import assignments_selectors as selectors
from partycard.review import assignments_services as services
from partycard.review.assignments_forms import AssignmentForm, RevokeForm

__all__ = ["assignment_revoke", "assignments"]


def _refuse_unless(request: HttpRequest, action: str) -> None:
    if not actor_may(request.user, action):
        raise Http404(_("No such record."))


@login_required
def assignments(request: HttpRequest) -> HttpResponse:
    """The list (``?trang_thai=active|upcoming|ended|all``) and, for a committee, the form; a POST assigns."""
    _refuse_unless(request, Action.VIEW_ASSIGNMENT)
    may_assign = actor_may(request.user, Action.ASSIGN_VOLUNTEER)
    form = None
    if may_assign:
        form = AssignmentForm(request.POST if request.method == "POST" else None, actor=request.user)
    elif request.method == "POST":
        raise Http404(_("No such record."))
    if form is not None and request.method == "POST" and form.is_valid():
        volunteer = User.objects.filter(pk=form.cleaned_data["volunteer"]).first()
        try:
            if volunteer is None:
                raise OutOfScope("volunteer")
            made = services.assignment_create(
                actor=request.user, volunteer=volunteer, cells=form.cleaned_data["organisations"],
                starts_on=form.cleaned_data["starts_on"], ends_on=form.cleaned_data["ends_on"],
                note=form.cleaned_data["note"],
            )  # fmt: skip
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, _("Assigned to %(count)d cell(s).") % {"count": len(made)})
            return redirect("review:assignments")
    state = request.GET.get("trang_thai", "active")
    state = state if state in selectors.STATES else "active"
    context = {
        "rows": list(selectors.assignment_list(request.user, state=state)[:500]),
        "state": state,
        "form": form,
        "may_assign": may_assign,
        "max_days": services.max_days(),
        "revoke_form": RevokeForm(),
        "today": clock.today(),
    }
    return render(request, "review/assignments.html", context, status=400 if form and form.errors else 200)


@login_required
@require_POST
def assignment_revoke(request: HttpRequest, assignment_id: int) -> HttpResponse:
    _refuse_unless(request, Action.ASSIGN_VOLUNTEER)
    assignment = selectors.assignment_get(request.user, assignment_id, Action.ASSIGN_VOLUNTEER)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.assignment_revoke(actor=request.user, assignment=assignment, reason=reason)
    except DomainError as e:
        if e.http_status == 404:
            raise Http404(e.message) from e
        messages.error(request, e.message)
    else:
        messages.success(request, _("The assignment has been revoked."))
    return redirect("review:assignments")
