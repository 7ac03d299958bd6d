"""The import page: upload a roster, see every bad row first, then confirm; all rows or none are written.

The uploaded file waits under ``VAR_DIR/uploads`` between the preview and the confirmation; the session
holds its name, so a user can confirm only their own upload. Confirming validates again (the registry may
have changed meanwhile) and writes in one transaction.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.registry import selectors
from partycard.registry.forms import ImportUploadForm
from partycard.registry.importing import import_roster
from partycard.registry.models import Organisation
from partycard.registry.roster import ParseError

SESSION_KEY = "partycard_import_upload"


def _upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    scope = selectors.scope_root(request.user, Action.IMPORT_MEMBER)
    if scope is None:
        raise Http404(_("No such record."))
    if request.method == "POST" and request.POST.get("confirm"):
        return _confirm(request, scope)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form, "scope": scope}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
        stored = _upload_dir() / f"{uuid.uuid4().hex}{suffix}"
        with stored.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        _forget(request)
        try:
            result = import_roster(stored, actor=request.user, scope=scope, dry_run=True)
        except ParseError as e:
            stored.unlink(missing_ok=True)
            form.add_error("file", str(e))
        else:
            if result.ok:
                request.session[SESSION_KEY] = {"file": stored.name, "name": upload.name}
            else:
                stored.unlink(missing_ok=True)
            context.update(result=result, filename=upload.name)
    return render(request, "registry/import.html", context)


def _confirm(request: HttpRequest, scope: Organisation) -> HttpResponse:
    pending = request.session.get(SESSION_KEY)
    stored = _upload_dir() / Path(pending["file"]).name if pending else None
    if pending is None or stored is None or not stored.exists():
        messages.error(request, _("The uploaded file is no longer available; please upload it again."))
        return redirect("registry:import")
    result = import_roster(stored, actor=request.user, scope=scope)
    _forget(request)
    if not result.ok:
        form = ImportUploadForm()
        context = {"form": form, "scope": scope, "result": result, "filename": pending["name"]}
        return render(request, "registry/import.html", context)
    messages.success(request, _("Imported %(n)d members.") % {"n": result.created})
    return redirect("registry:member_list")


def _forget(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        (_upload_dir() / Path(pending["file"]).name).unlink(missing_ok=True)
