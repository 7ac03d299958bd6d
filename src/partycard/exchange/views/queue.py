"""The queue page: cases by state in the actor's scope, the cases waiting for the actor's level (paged,
filtered), and the bulk form, which makes a background job and sends the officer to its progress page.

The bulk form offers only the actions that fit a case of the queue shown, and is not shown on an empty
queue; an action that cannot be undone (reject, accept) is confirmed on a second page, which works
without JavaScript."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action, allowed
from partycard.core.scope import role_of, scope_path
from partycard.exchange import selectors
from partycard.exchange.forms import BulkTransitionForm
from partycard.exchange.jobs import MAX_BULK, start_transition
from partycard.exchange.models.case import STATE_CHOICES
from partycard.exchange.views.common import tone, transitions_fitting
from partycard.exchange.wording import transition_label
from partycard.exchange.workflow import State
from partycard.registry.models import Organisation

__all__ = ["PAGE_SIZE", "queue_page"]

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[str, str, list[str]]:
    """``trang_thai`` (a state) and ``to_chuc`` (an organisation code in scope), with what was wrong."""
    problems: list[str] = []
    state = request.GET.get("trang_thai", "").strip()
    if state and state not in {s.value for s in State}:
        problems.append(_("Unknown state; showing the cases waiting for you to act."))
        state = ""
    code = request.GET.get("to_chuc", "").strip().upper()
    if code and not Organisation.objects.scoped(request.user, Action.VIEW_CASE).filter(code=code).exists():
        problems.append(_("No organisation in your scope has code '%(code)s'.") % {"code": code})
    return state, code, problems


def _link(query: QueryDict, **values: Any) -> str:
    q = query.copy()
    for key, value in values.items():
        q.pop(key, None)
        if value:
            q[key] = str(value)
    return f"?{q.urlencode()}"


@login_required
def queue_page(request: HttpRequest) -> HttpResponse:
    """GET: counts, filters, one page of the queue. POST: the bulk form → a job → its progress page; an
    action that cannot be undone is first confirmed on a page of its own (``exchange/bulk_confirm.html``)."""
    user = request.user
    role = role_of(user) or ""
    if not allowed(role, Action.VIEW_CASE) or scope_path(user) is None:
        raise Http404(_("No such record."))
    campaign = selectors.campaign_current()
    level = selectors.home_level(user)
    transitions = selectors.level_transitions(level)
    can_change = level is not None and bool(transitions) and allowed(role, Action.CHANGE_CASE)
    if request.method == "POST" and not can_change:
        raise Http404(_("No such record."))
    state, code, problems = _filters(request)
    context: dict[str, Any] = {
        "campaign": campaign,
        "state": state,
        "code": code,
        "problems": problems,
        "code_example": selectors.organisation_code_example(user),
    }
    if campaign is None:
        return render(request, "exchange/queue.html", context)
    queue = selectors.queue_for(user, campaign, state=state or None, organisation_code=code or None)
    counts = selectors.state_counts(user, campaign)
    form = None
    if can_change:
        assert level is not None
        # Only the actions that fit a case of this queue; none (and no form) on an empty queue.
        offered = transitions_fitting(level, transitions, selectors.queue_states_present(queue, counts))
        if offered or request.method == "POST":
            form = BulkTransitionForm(request.POST or None, level=level, transitions=offered or transitions)
        if request.method == "POST" and form is not None and form.is_valid():
            data = form.cleaned_data
            targets = data["cases"]
            if data["all_in_queue"]:
                targets = list(queue.values_list("pk", flat=True)[: MAX_BULK + 1])
            if len(targets) > MAX_BULK:
                many = f"{MAX_BULK:,}".replace(",", ".")  # Vietnamese groups thousands with dots
                form.add_error(
                    None, _("At most %(n)s cases at a time: filter the queue by organisation.") % {"n": many}
                )
            elif not targets:
                form.add_error("cases", _("There is no case in the queue."))
            elif form.needs_confirmation(data):
                return render(request, "exchange/bulk_confirm.html", _confirmation(request, data, targets))
            else:
                job = start_transition(
                    actor=user,
                    transition=data["transition"],
                    targets=targets,
                    reason=data["reason"],
                    return_to=data["return_to"],
                    campaign=campaign,
                )
                return redirect("jobs:job_detail", pk=job.pk)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("trang"))
    if form is not None and not form.is_bound and not page.paginator.count:
        form = None
    query = request.GET.copy()
    ticked = set(form.cleaned_data.get("cases", [])) if form is not None and form.is_bound else set()
    context.update(
        counts=[(value, label, counts.get(value, 0)) for value, label in STATE_CHOICES],
        total=sum(counts.values()),
        level=level,
        page=page,
        ticked=ticked,
        form=form,
        states=STATE_CHOICES,
        first_url=_link(query, trang=None) if page.number > 1 else None,
        previous_url=_link(query, trang=page.previous_page_number()) if page.has_previous() else None,
        next_url=_link(query, trang=page.next_page_number()) if page.has_next() else None,
        last_url=_link(query, trang=page.paginator.num_pages)
        if page.number < page.paginator.num_pages
        else None,
    )
    return render(request, "exchange/queue.html", context)


def _confirmation(request: HttpRequest, data: dict[str, Any], targets: list[int]) -> dict[str, Any]:
    """What the confirmation page shows and posts again: the same fields, with ``confirmed`` ticked."""
    transition = data["transition"]
    return {
        "action": transition_label(transition),
        "transition": transition,
        "tone": tone(transition),
        "n": len(targets),
        "reason": data["reason"],
        "return_to": data["return_to"].value if data["return_to"] else "",
        "cases": [] if data["all_in_queue"] else targets,
        "all_in_queue": data["all_in_queue"],
        "post_to": request.get_full_path(),
        "back": request.get_full_path(),
    }
