"""The API, version 1: the Ninja instance, its OpenAPI schema and its URL patterns (mounted at /api/v1/).

Every route needs a bearer token (``auth.TokenAuth``) and is rate-limited per token
(``throttling.TokenRateThrottle``); every error is problem+json (``problems``), and the OpenAPI schema says
so: error responses are declared as ``application/problem+json``, 401 with ``WWW-Authenticate`` and 429
with ``Retry-After``. The interactive docs (/api/v1/docs) are Swagger UI served from Ninja's own static
files (``ninja`` in INSTALLED_APPS), so they work offline and under the strict CSP.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema

from partycard.api.auth import TokenAuth
from partycard.api.problems import MEDIA_TYPE, install_handlers, not_found_view, with_problem_405
from partycard.api.routers.assignments import router as assignments_router
from partycard.api.routers.cases import router as cases_router
from partycard.api.routers.credentials import router as credentials_router
from partycard.api.routers.dues import router as dues_router
from partycard.api.routers.jobs import router as jobs_router
from partycard.api.routers.losses import router as losses_router
from partycard.api.routers.me import router as me_router
from partycard.api.routers.meetings import router as meetings_router
from partycard.api.routers.partysync import router as partysync_router
from partycard.api.routers.population import router as population_router
from partycard.api.routers.registry import router as registry_router
from partycard.api.routers.review import router as review_router
from partycard.api.routers.transfers import router as transfers_router
from partycard.api.throttling import TokenRateThrottle

__all__ = ["api", "urls"]

_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer challenge (RFC 6750).", "schema": {"type": "string"}}},
    429: {
        "Retry-After": {
            "description": "Seconds to wait: until the rate-limit window ends, or 60 for the bound on jobs.",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


class PartycardAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Ninja's schema with the error responses declared as problem+json, with their headers; every
        route may answer 400 (a NUL character in the URL, refused before any route), and every route
        with a body 413 (a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                statuses = {int(status) for status in responses}
                if 400 not in statuses:
                    responses[400] = _problem("Bad Request (a NUL character in the path or query string)")
                if "requestBody" in operation and 413 not in statuses:
                    responses[413] = _problem("Content Too Large (the body is over the server's limit)")
                for status, response in operation.get("responses", {}).items():
                    if int(status) < 400:
                        continue
                    content = response.get("content", {})
                    if "application/json" in content:
                        content[MEDIA_TYPE] = content.pop("application/json")
                    if int(status) in _HEADERS:
                        response["headers"] = _HEADERS[int(status)]
        return schema


api = PartycardAPI(
    title="partycard API",
    version="1",
    description="The party member registry and the card exchange, scoped like the web UI. See docs/api.md.",
    urls_namespace="api-v1",
    auth=TokenAuth(),
    throttle=TokenRateThrottle(),
    docs=Swagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_handlers(api)
api.add_router("/", registry_router)
api.add_router("/", cases_router)
api.add_router("/", jobs_router)
api.add_router("/", credentials_router)
api.add_router("/", transfers_router)
api.add_router("/", meetings_router)
api.add_router("/", dues_router)
api.add_router("/", losses_router)
api.add_router("/", me_router)
api.add_router("/", population_router)
api.add_router("/", partysync_router)
api.add_router("/", review_router)
api.add_router("/", assignments_router)


def urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """Ninja's URL patterns, with its plain 405 as a problem and a problem 404 for the bare root (Ninja's
    raises an HTML 404) and for any other path."""
    patterns, app_name, namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for p in patterns:
        if isinstance(p, URLPattern):
            view = not_found_view if p.name == "api-root" else with_problem_405(p.callback)
            p = URLPattern(p.pattern, view, p.default_args, p.name)
        wrapped.append(p)
    wrapped.append(re_path(r"^.*$", not_found_view))
    return wrapped, app_name, namespace
