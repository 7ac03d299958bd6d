"""Production's pages (the Centre's): batches, their files and reports, and the card layout's proof.

Thin: parse, one selector or service call, render. A batch outside the viewer's scope is the same 404 as
a missing one; a refused step shows every reason.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action
from partycard.core.scope import OutOfScope, get_scoped_or_404
from partycard.jobs.models import Job
from partycard.printing.layout import layout_versions
from partycard.production import selectors, services
from partycard.production.errors import ProductionError
from partycard.production.forms import PlanForm, ReportUploadForm
from partycard.production.models import Batch
from partycard.production.services.building import batch_file_path
from partycard.production.services.common import centre_require
from partycard.production.services.reconciling import MAX_REPORT_BYTES, listed_message, sod_file_path

__all__ = ["batch_act", "batch_detail", "batch_download", "batch_list", "layout_proof"]


def _may_run(request: HttpRequest) -> bool:
    try:
        centre_require(request.user)
    except ProductionError:
        return False
    return True


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None, layouts=layout_versions())
    if request.method == "POST":
        if not _may_run(request):
            raise Http404(_("No such record."))
        if form.is_valid():
            try:
                made = services.batches_plan(
                    actor=request.user, layout=form.cleaned_data["layout"], size=form.cleaned_data["size"]
                )
            except ProductionError as e:
                messages.error(request, e.message)
            else:
                messages.success(request, _("%(n)s batches planned.") % {"n": len(made)})
            return redirect("production:batches")
    context = {
        "batches": selectors.batch_list(request.user)[:200],
        "form": form,
        "may_run": _may_run(request),
        "layouts": layout_versions(),
        "approvals": selectors.layout_approvals(),
    }
    return render(request, "production/batch_list.html", context)


@login_required
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_scoped_or_404(Batch, request.user, Action.VIEW_BATCH, pk=batch_id)
    jobs = Job.objects.scoped(request.user, Action.VIEW_JOB).filter(
        kind__startswith="production.", params__batch=batch.pk
    )
    context = {
        "batch": batch,
        "outcomes": selectors.batch_outcome_counts(batch),
        "files": selectors.batch_files(batch),
        "jobs": jobs,
        "may_run": _may_run(request),
        "upload": ReportUploadForm(),
    }
    return render(request, "production/batch_detail.html", context)


@login_required
@require_POST
def batch_act(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Release a planned batch, or import a report of the manufacturer for it."""
    batch = get_scoped_or_404(Batch, request.user, Action.CHANGE_BATCH, pk=batch_id)
    back = reverse("production:batch", args=[batch.pk])
    step = request.POST.get("step", "")
    try:
        if step == "release":
            job = services.batch_release(actor=request.user, batch=batch)
            return redirect("jobs:job_detail", job.pk)
        if step in ("keys", "report"):
            form = ReportUploadForm(request.POST, request.FILES)
            if not form.is_valid():
                messages.error(request, _("Choose the manufacturer's file."))
                return redirect(back)
            upload = form.cleaned_data["file"]
            if upload.size > MAX_REPORT_BYTES:
                messages.error(request, _("The file is too large to be a report."))
                return redirect(back)
            data = upload.read()
            if step == "keys":
                record = services.keys_import(actor=request.user, data=data)
            else:
                record = services.report_import(actor=request.user, data=data)
            messages.success(request, _("Report imported: %(n)s lines.") % {"n": record.lines})
            for listed in record.problems[:50]:
                messages.warning(request, f"{listed['number']}: {listed_message(listed['code'])}")
        else:
            messages.error(request, _("Choose a step from the list."))
    except ProductionError as e:
        for p in e.problems[:50]:
            messages.error(request, f"{p.number}: {p.message}" if p.number else p.message)
    except OutOfScope:
        raise Http404(_("No such record.")) from None
    return redirect(back)


@login_required
def batch_download(request: HttpRequest, batch_id: int, kind: str) -> FileResponse:
    """The sealed file for the manufacturer (the batch, or its signed chip data): encrypted, safe to carry."""
    batch = get_scoped_or_404(Batch, request.user, Action.CHANGE_BATCH, pk=batch_id)
    path = {"batch": batch_file_path(batch), "sod": sod_file_path(batch)}.get(kind)
    if path is None or not path.exists():
        raise Http404(_("No such record."))
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


@login_required
def layout_proof(request: HttpRequest, layout: str) -> HttpResponse:
    """GET: the proof page of a layout (PDF). POST: approve it (the Centre), naming the proof it saw."""
    if layout not in layout_versions():
        raise Http404(_("No such record."))
    if request.method == "POST":
        try:
            services.layout_approve(
                actor=request.user, layout=layout, proof_sha256=request.POST.get("proof_sha256", "")
            )
        except ProductionError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("The card layout %(v)s is approved.") % {"v": layout})
        return redirect("production:batches")
    pdf = services.layout_proof(layout)
    if request.GET.get("xem") == "1":
        return render(
            request,
            "production/layout_proof.html",
            {"layout": layout, "sha256": hashlib.sha256(pdf).hexdigest(), "may_run": _may_run(request)},
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="mau-the-{layout}.pdf"'
    return response
