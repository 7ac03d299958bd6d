"""The token page: the signed-in user lists, creates and revokes their own API tokens.

Thin views (STYLE.md rule 8). A new token's plaintext is in the POST's response only, which is marked
``no-store``; it is never put in the session, a message or a redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partycard.accounts.roles import Role
from partycard.api import selectors, services
from partycard.api.forms import TokenForm
from partycard.core import clock
from partycard.core.errors import DomainError

__all__ = ["token_revoke", "tokens_page"]


@login_required
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    """The user's tokens; a valid POST issues one and shows its plaintext this once. A member gets none
    (``services.token_issue`` refuses them): they are sent to the member's app."""
    if request.user.role == Role.MEMBER and not (request.user.is_staff or request.user.is_superuser):  # type: ignore[union-attr]
        messages.info(request, _("Members do not get API tokens: use the member's app."))
        return redirect("memberapp:app")
    now = clock.now()
    form = TokenForm(request.POST if request.method == "POST" else None)
    issued = None
    if form.is_bound and form.is_valid():
        try:
            _token, issued = services.token_issue(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(now),
                at=now,
            )
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            form = TokenForm()
    context = {"form": form, "tokens": selectors.token_list(owner=request.user), "issued": issued, "now": now}
    response = render(request, "api/tokens.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's tokens (anyone else's is a 404)."""
    token = selectors.token_get(owner=request.user, pk=pk)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token %(prefix)s… was revoked.") % {"prefix": token.prefix})
    return redirect("apitokens:tokens")
