"""The error answers of the whole site, in one place: a Vietnamese page, or problem+json under /api/.

Django calls these for an exception no view handled (``handler400`` … in ``urls.py``); the API's own
routes map their errors themselves (``api/problems.py``), so here the API only meets what happens before
its routes run (a NUL in the URL, ``core.middleware``). A request body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``
(Django raises ``RequestDataTooBig`` as it is read, a 400 by default) is answered 413, Payload Too Large.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext
from django.views.decorators.csrf import requires_csrf_token

from partycard.api.problems import problem_response

__all__ = ["bad_request", "csrf_failure", "page_not_found", "permission_denied", "server_error"]

API_PREFIX = "/api/"


def _answer(
    request: HttpRequest, status: int, detail: str, *, use_request: bool = True, message: str = ""
) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem_response(status, detail)
    template = loader.get_template(f"{status}.html")
    # The 400 and 500 pages render without the request: whatever broke may be in it (its session, its user).
    context = {"message": message} if message else None
    return HttpResponse(template.render(context, request=request if use_request else None), status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return _answer(
            request, 413, "The request body is larger than this server accepts.", use_request=False
        )
    return _answer(request, 400, "The request could not be read.", use_request=False)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _answer(request, 403, "You may not do this.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent from a page too old (the session ended, a new login since), or
    from elsewhere. Django's own page is English and speaks of cookies and the Referer header."""
    message = gettext(
        "The form was sent from a page that is no longer valid (the session has ended, or you logged in "
        "again since). Open the page again and repeat the action."
    )
    return _answer(request, 403, "CSRF verification failed.", message=message)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _answer(request, 404, "No such record.")


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    return _answer(request, 500, "An unexpected error occurred. It has been logged.", use_request=False)
