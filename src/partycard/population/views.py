"""The population check's pages: the overview (runs, their progress, counts by reason per organisation,
the start form), the tasks of the viewer's scope with filters, and a task's page to correct the record
(pre-filled with the population database's values) or confirm it with a note.

Thin: parse, one selector or service call, render. Outside the viewer's scope everything is the same 404
as a missing record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action, allowed
from partycard.core.errors import DomainError
from partycard.core.scope import get_scoped_or_404, role_of
from partycard.population import selectors, services
from partycard.population.forms import ConfirmForm, CorrectForm, StartForm, TaskFilterForm
from partycard.population.models import DataTask, TaskReason, TaskStatus
from partycard.registry.models import Organisation

__all__ = ["home", "run_page", "start", "task_confirm", "task_correct", "task_page", "tasks"]

PAGE = 100
REASON_LABELS = dict(TaskReason.choices)


def _refuse_unless(request: HttpRequest, action: Action) -> None:
    if not allowed(role_of(request.user) or "", action):
        raise Http404(_("No such record."))


def _may(request: HttpRequest, action: Action) -> bool:
    return allowed(role_of(request.user) or "", action)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_POPULATION_CHECK)
    actor = request.user
    own = getattr(actor, "organisation", None)
    context = {
        "runs": [(r, selectors.run_summary(actor, r)) for r in selectors.run_list(actor)[:20]],
        "open_tasks": selectors.task_list(actor).count(),
        "may_start": _may(request, Action.RUN_POPULATION_CHECK),
        "form": StartForm(initial={"organisation": own.code if own else ""}),
    }
    return render(request, "population/home.html", context)


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.RUN_POPULATION_CHECK)
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the code of an organisation."))
        return redirect("population:home")
    root = get_scoped_or_404(
        Organisation,
        request.user,
        Action.RUN_POPULATION_CHECK,
        code=form.cleaned_data["organisation"].strip(),
    )
    try:
        run = services.check_start(actor=request.user, root=root)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("population:home")
    messages.success(request, _("The check has started: it runs in the background."))
    return redirect("population:run", run_id=run.pk)


@login_required
def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_POPULATION_CHECK)
    run = selectors.run_get(request.user, run_id)
    if run is None:
        raise Http404(_("No such record."))
    parent = selectors.run_view_root(request.user, run)
    code = request.GET.get("to_chuc", "").strip()
    if code:
        parent = get_scoped_or_404(
            Organisation,
            request.user,
            Action.VIEW_POPULATION_CHECK,
            code=code,
            path__startswith=run.root.path,
        )
    rows = selectors.run_counts_by_child(request.user, run, parent)
    columns = ["checked", "agreed", "differed", *(r.value for r in TaskReason)]
    context = {
        "run": run,
        "summary": selectors.run_summary(request.user, run),
        "parent": parent,
        "total": [rows[0].counts[c] for c in columns],
        "rows": [(r.organisation, [r.counts[c] for c in columns]) for r in rows[1:]],
        "reasons": [r.label for r in TaskReason],
        "job_url": reverse("jobs:job_detail", args=[run.job_id]) if run.job_id else "",
    }
    return render(request, "population/run.html", context)


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_POPULATION_CHECK)
    form = TaskFilterForm(request.GET or {"trang_thai": TaskStatus.OPEN})
    filters: dict[str, Any] = {"status": TaskStatus.OPEN}
    organisation = None
    if form.is_valid():
        code = form.cleaned_data["to_chuc"].strip()
        if code:
            organisation = get_scoped_or_404(
                Organisation, request.user, Action.VIEW_POPULATION_CHECK, code=code
            )
        filters = {
            "status": form.cleaned_data["trang_thai"] or None,
            "reason": form.cleaned_data["ly_do"] or None,
        }
    listed = selectors.task_list(request.user, organisation=organisation, **filters)
    page = Paginator(listed, PAGE).get_page(request.GET.get("trang"))
    query = request.GET.copy()
    query.pop("trang", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "reason_labels": REASON_LABELS,
        "may_resolve": _may(request, Action.RESOLVE_DATA_TASK),
    }
    return render(request, "population/tasks.html", context)


def _task(request: HttpRequest, task_id: int, action: Action) -> DataTask:
    task = selectors.task_get(request.user, task_id, action)
    if task is None:
        raise Http404(_("No such record."))
    return task


def _found_initial(task: DataTask) -> dict[str, Any]:
    """The correction form pre-filled: the record, with the population database's values over it."""
    m = task.member
    initial: dict[str, Any] = {
        "full_name": m.full_name,
        "date_of_birth": m.date_of_birth.strftime("%d/%m/%Y"),
        "gender": m.gender,
        "citizen_id": m.citizen_id or "",
    }
    found = task.found or {}
    if "full_name" in found:
        initial["full_name"] = found["full_name"]
    if "date_of_birth" in found:
        initial["date_of_birth"] = dt.date.fromisoformat(found["date_of_birth"]).strftime("%d/%m/%Y")
    if "gender" in found:
        initial["gender"] = found["gender"]
    return initial


def _render_task(
    request: HttpRequest,
    task: DataTask,
    *,
    correct: CorrectForm | None = None,
    confirm: ConfirmForm | None = None,
) -> HttpResponse:
    context = {
        "task": task,
        "member": task.member,
        "reasons": [REASON_LABELS.get(r, r) for r in task.reasons],
        "found": task.found or {},
        "may_resolve": task.status == TaskStatus.OPEN and _may(request, Action.RESOLVE_DATA_TASK),
        "correct": correct or CorrectForm(initial=_found_initial(task)),
        "confirm": confirm or ConfirmForm(),
    }
    return render(request, "population/task.html", context, status=400 if correct or confirm else 200)


@login_required
def task_page(request: HttpRequest, task_id: int) -> HttpResponse:
    _refuse_unless(request, Action.VIEW_POPULATION_CHECK)
    return _render_task(request, _task(request, task_id, Action.VIEW_POPULATION_CHECK))


@login_required
@require_POST
def task_correct(request: HttpRequest, task_id: int) -> HttpResponse:
    _refuse_unless(request, Action.RESOLVE_DATA_TASK)
    task = _task(request, task_id, Action.RESOLVE_DATA_TASK)
    form = CorrectForm(request.POST)
    if not form.is_valid():
        return _render_task(request, task, correct=form)
    data = dict(form.cleaned_data)
    note = data.pop("note", "")
    data["citizen_id"] = data["citizen_id"].strip() or task.member.citizen_id
    try:
        services.task_correct(actor=request.user, task=task, changes=data, note=note)
    except DomainError as e:
        form.add_error(e.field if e.field in form.fields else None, e.message)
        return _render_task(request, task, correct=form)
    messages.success(request, _("The record was corrected and the task closed."))
    return redirect("population:tasks")


@login_required
@require_POST
def task_confirm(request: HttpRequest, task_id: int) -> HttpResponse:
    _refuse_unless(request, Action.RESOLVE_DATA_TASK)
    task = _task(request, task_id, Action.RESOLVE_DATA_TASK)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _render_task(request, task, confirm=form)
    try:
        services.task_confirm(actor=request.user, task=task, note=form.cleaned_data["note"])
    except DomainError as e:
        form.add_error("note" if e.field == "note" else None, e.message)
        return _render_task(request, task, confirm=form)
    messages.success(request, _("The record was confirmed with your note and the task closed."))
    return redirect("population:tasks")
