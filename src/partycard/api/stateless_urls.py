"""The URLconf of the stateless routes (partycard.core.handlers, ``PARTYCARD["STATELESS_ROUTES"]``): the
public verifier routes of the API alone, so that resolving ``/api/v1/verify`` does not walk the site's
forty page patterns and the API's sixty operations first (~8 % of a verification)."""

from django.urls import URLPattern, URLResolver, path

from partycard.api import v1 as api_v1

__all__ = ["ROUTES", "urlpatterns"]

#: The operations served there (their Ninja ``operation_id``s, which name their URL patterns).
ROUTES = frozenset({"verify", "trust_list_get", "status_list_get"})

_patterns, _app_name, _namespace = api_v1.urls()
_public: list[URLPattern | URLResolver] = [p for p in _patterns if getattr(p, "name", None) in ROUTES]
urlpatterns = [path("api/v1/", (_public + _patterns[-1:], _app_name, _namespace))]  # + the problem 404
