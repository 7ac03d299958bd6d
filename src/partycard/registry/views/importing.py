"""The import page: upload a roster, see every bad row first, then confirm; all rows or none are written.

The uploaded file waits under ``VAR_DIR/uploads`` between the preview and the confirmation; the session
holds its name, so a user can confirm only their own upload. Confirming validates again (the registry may
have changed meanwhile) and writes in one transaction. A file the preview refuses, or that cannot be
read, is removed at once.

A file larger than ``IMPORT_INLINE_BYTES`` is not read in the request: a background job checks it
(``registry.jobs``), its page shows the problems, and its starter confirms there, which starts the job
that writes.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.core.scope import get_scoped_or_404
from partycard.jobs.models import Job
from partycard.registry import selectors
from partycard.registry.forms import ImportUploadForm
from partycard.registry.importing import import_roster
from partycard.registry.jobs import confirmable, start_import, upload_dir, upload_path
from partycard.registry.models import Organisation
from partycard.registry.roster import ParseError

__all__ = ["SESSION_KEY", "import_page"]

SESSION_KEY = "partycard_import_upload"


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    scope = selectors.scope_root(request.user, Action.IMPORT_MEMBER)
    if scope is None:
        raise Http404(_("No such record."))
    if request.method == "POST" and request.POST.get("confirm_job"):
        return _confirm_job(request, scope)
    if request.method == "POST" and request.POST.get("confirm"):
        return _confirm(request, scope)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {
        "form": form,
        "scope": scope,
        "inline_kb": settings.PARTYCARD["IMPORT_INLINE_BYTES"] // 1024,
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
        stored = upload_dir() / f"{uuid.uuid4().hex}{suffix}"
        _forget(request)
        keep = False
        try:
            with stored.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            if upload.size > settings.PARTYCARD["IMPORT_INLINE_BYTES"]:
                job = start_import(
                    actor=request.user, scope=scope, file=stored.name, name=upload.name, write=False
                )
                keep = True
                return redirect("jobs:job_detail", pk=job.pk)
            result = import_roster(stored, actor=request.user, scope=scope, dry_run=True)
        except ParseError as e:
            form.add_error("file", str(e))
        else:
            if result.ok:
                request.session[SESSION_KEY] = {"file": stored.name, "name": upload.name}
                keep = True
            context.update(result=result, filename=upload.name)
        finally:
            if not keep:  # refused, unreadable, or an error: the upload does not stay
                stored.unlink(missing_ok=True)
    return render(request, "registry/import.html", context)


def _confirm(request: HttpRequest, scope: Organisation) -> HttpResponse:
    pending = request.session.get(SESSION_KEY)
    stored = upload_path(pending["file"]) if pending else None
    if pending is None or stored is None or not stored.exists():
        messages.error(request, _("The uploaded file is no longer available; please upload it again."))
        return redirect("registry:import")
    try:
        result = import_roster(stored, actor=request.user, scope=scope)
    except ParseError as e:
        messages.error(request, str(e))
        return redirect("registry:import")
    finally:
        _forget(request)
    if not result.ok:
        form = ImportUploadForm()
        context = {"form": form, "scope": scope, "result": result, "filename": pending["name"]}
        return render(request, "registry/import.html", context)
    messages.success(request, _("Imported %(n)d members.") % {"n": result.created})
    return redirect("registry:member_list")


def _confirm_job(request: HttpRequest, scope: Organisation) -> HttpResponse:
    pk = request.POST.get("confirm_job", "")
    if not (pk.isascii() and pk.isdigit()):
        raise Http404(_("No such record."))
    check = get_scoped_or_404(Job, request.user, Action.VIEW_JOB, pk=int(pk))
    if not confirmable(request.user, check):
        messages.error(request, _("The uploaded file is no longer available; please upload it again."))
        return redirect("registry:import")
    job = start_import(
        actor=request.user, scope=scope, file=check.params["file"], name=check.params["name"], write=True
    )
    return redirect("jobs:job_detail", pk=job.pk)


def _forget(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        upload_path(pending["file"]).unlink(missing_ok=True)
