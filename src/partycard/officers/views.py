"""The officer pages (``/can-bo/``): the list of the subtree's officer accounts, create, detail, edit,
password reset, two-factor reset, disable and enable, unlock. Thin: parse, one selector or service call,
render. A temporary password is rendered once in the answer to the POST that made it (never stored in the
session or a message, never cached)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from partycard.accounts.models import User
from partycard.accounts.password_reset import NoAddress
from partycard.accounts.roles import Action, allowed
from partycard.accounts.sender import SendFailed
from partycard.core.scope import role_of
from partycard.officers import rules, selectors, services
from partycard.officers.errors import OfficerError
from partycard.officers.forms import OfficerForm, PasswordResetForm, service_errors_show
from partycard.officers.services import Delivery

__all__ = [
    "officer_create",
    "officer_detail",
    "officer_disable",
    "officer_edit",
    "officer_enable",
    "officer_list_page",
    "officer_password_reset",
    "officer_two_factor_reset",
    "officer_unlock",
]

PAGE_SIZE = 50
_REFUSALS = (ValidationError, OfficerError, NoAddress, SendFailed)


def _require(request: HttpRequest, action: Action) -> None:
    """A role that may not do ``action`` anywhere sees the 404 of a missing page."""
    if not allowed(role_of(request.user) or "", action):
        raise Http404(_("No such record."))


def _changeable(actor: Any, officer_id: int) -> User:
    """The account, if the actor may change it at all (its scope); else the 404 of a missing one."""
    officer = selectors.officers_scoped(actor, Action.CHANGE_OFFICER).filter(pk=officer_id).first()
    if officer is None:
        raise Http404(_("No such record."))
    return officer


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _refusal(error: Exception) -> str:
    if isinstance(error, SendFailed):
        return _("The message could not be sent; nothing was changed. Try again later or choose another way.")
    return str(getattr(error, "message", error))


@login_required
def officer_list_page(request: HttpRequest) -> HttpResponse:
    """One keyset page of the subtree's officers (by username); an htmx request gets the results only."""
    _require(request, Action.VIEW_OFFICER)
    get = request.GET
    role = get.get("role", "")
    filters = selectors.OfficerFilters(
        q=get.get("q", "").strip()[:100],
        role=role if role in rules.OFFICER_ROLES else "",
        state=get.get("state", ""),
    )
    after = get.get("after", "")[:150]
    rows = selectors.officer_list(request.user, filters, after=after, limit=PAGE_SIZE + 1)
    page, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    query = get.copy()
    query.pop("after", None)
    first_query = query.urlencode() if after else None
    next_query = None
    if more:
        query["after"] = page[-1].username
        next_query = query.urlencode()
    context = {
        "officers": page,
        "filters": filters,
        "roles": [(r.value, r.label) for r in rules.OFFICER_ROLES],
        "next_query": next_query,
        "first_query": first_query,
        "can_create": bool(rules.grantable_roles(request.user)),
    }
    template = "officers/_results.html" if request.headers.get("HX-Request") else "officers/list.html"
    return render(request, template, context)


def _issued(request: HttpRequest, officer: User, password: str, *, created: bool) -> HttpResponse:
    """The one page that shows a temporary password (the answer to the POST; ``never_cache``)."""
    return render(
        request,
        "officers/password_issued.html",
        {"officer": officer, "password": password, "created": created},
    )


@never_cache
@login_required
def officer_create(request: HttpRequest) -> HttpResponse:
    _require(request, Action.CHANGE_OFFICER)
    form = OfficerForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.officer_create(
                actor=request.user,
                username=form.cleaned_data["username"],
                details=form.details(),
                delivery=Delivery(form.cleaned_data["delivery"]),
                base_url=_base_url(request),
            )
        except SendFailed as e:
            form.add_error(None, _refusal(e))
        except _REFUSALS as e:
            service_errors_show(form, e)
        else:
            if issued.temporary_password is not None:
                return _issued(request, issued.officer, issued.temporary_password, created=True)
            messages.success(
                request, _("The account was created and the link to choose a password was sent.")
            )
            return redirect("officers:detail", officer_id=issued.officer.pk)
    return render(request, "officers/form.html", {"form": form, "officer": None})


@login_required
def officer_detail(request: HttpRequest, officer_id: int) -> HttpResponse:
    _require(request, Action.VIEW_OFFICER)
    officer = selectors.officer_get(request.user, officer_id)
    changeable = selectors.officers_scoped(request.user, Action.CHANGE_OFFICER).filter(pk=officer_id).exists()
    context = {
        "officer": officer,
        "can_change": changeable
        and officer.pk != request.user.pk
        and rules.holds_no_more_rights(request.user, officer),
        "is_self": officer.pk == request.user.pk,
    }
    return render(request, "officers/detail.html", context)


@login_required
def officer_edit(request: HttpRequest, officer_id: int) -> HttpResponse:
    _require(request, Action.CHANGE_OFFICER)
    officer = _changeable(request.user, officer_id)
    form = OfficerForm(request.POST or None, actor=request.user, officer=officer)
    if request.method == "POST" and form.is_valid():
        try:
            services.officer_update(actor=request.user, officer=officer, details=form.details())
        except _REFUSALS as e:
            service_errors_show(form, e)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("officers:detail", officer_id=officer_id)
    return render(request, "officers/form.html", {"form": form, "officer": officer})


@never_cache
@login_required
def officer_password_reset(request: HttpRequest, officer_id: int) -> HttpResponse:
    _require(request, Action.CHANGE_OFFICER)
    officer = _changeable(request.user, officer_id)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password = services.officer_password_reset(
                actor=request.user,
                officer=officer,
                delivery=Delivery(form.cleaned_data["delivery"]),
                base_url=_base_url(request),
            )
        except _REFUSALS as e:
            form.add_error(None, _refusal(e))
        else:
            if password is not None:
                return _issued(request, officer, password, created=False)
            messages.success(request, _("The link to choose a new password was sent."))
            return redirect("officers:detail", officer_id=officer_id)
    return render(request, "officers/password_reset.html", {"form": form, "officer": officer})


@dataclass(frozen=True)
class _Step:
    """One confirmed action of the detail page: its service, its words and what it is done."""

    service: Callable[..., Any]
    title: Any
    explanation: Any
    button: Any
    done: Any


_STEPS = {
    "two_factor_reset": _Step(
        services.officer_two_factor_reset,
        gettext_lazy("Reset two-step verification"),
        gettext_lazy(
            "The officer's authenticator app stops working for this account and their sessions end. At "
            "their next login, after the password, they set up the app again."
        ),
        gettext_lazy("Reset two-step verification"),
        gettext_lazy("Two-step verification was reset: the officer sets it up again at the next login."),
    ),
    "disable": _Step(
        services.officer_disable,
        gettext_lazy("Disable the account"),
        gettext_lazy(
            "The officer can no longer log in; their open sessions end and their API tokens are refused. "
            "You can enable the account again later."
        ),
        gettext_lazy("Disable"),
        gettext_lazy("The account was disabled."),
    ),
    "enable": _Step(
        services.officer_enable,
        gettext_lazy("Enable the account"),
        gettext_lazy("The officer can log in again with their password and authenticator app."),
        gettext_lazy("Enable"),
        gettext_lazy("The account was enabled."),
    ),
    "unlock": _Step(
        services.officer_unlock,
        gettext_lazy("Unlock the login"),
        gettext_lazy(
            "The account was locked after too many wrong passwords. Unlock it once you know it was the "
            "officer who mistyped, not someone guessing."
        ),
        gettext_lazy("Unlock"),
        gettext_lazy("The login was unlocked."),
    ),
}


def _confirmed(request: HttpRequest, officer_id: int, step: str) -> HttpResponse:
    """GET: what the step does, and a button; POST: do it, then back to the detail page."""
    _require(request, Action.CHANGE_OFFICER)
    officer = _changeable(request.user, officer_id)
    spec = _STEPS[step]
    if request.method == "POST":
        spec.service(actor=request.user, officer=officer)  # a refusal is the core middleware's page
        messages.success(request, str(spec.done))
        return redirect("officers:detail", officer_id=officer_id)
    return render(request, "officers/confirm.html", {"officer": officer, "step": spec})


@login_required
def officer_two_factor_reset(request: HttpRequest, officer_id: int) -> HttpResponse:
    return _confirmed(request, officer_id, "two_factor_reset")


@login_required
def officer_disable(request: HttpRequest, officer_id: int) -> HttpResponse:
    return _confirmed(request, officer_id, "disable")


@login_required
def officer_enable(request: HttpRequest, officer_id: int) -> HttpResponse:
    return _confirmed(request, officer_id, "enable")


@login_required
def officer_unlock(request: HttpRequest, officer_id: int) -> HttpResponse:
    return _confirmed(request, officer_id, "unlock")
