"""The request id (ops/middleware.py): made here, or taken from a trusted proxy, echoed and logged."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from partycard.ops.logs import JsonFormatter, request_id, request_id_var
from partycard.ops.middleware import RequestIdMiddleware

NGINX_ID = "5f0e1d2c3b4a59687766554433221100"  # nginx's $request_id: 32 hex digits


def _through(settings: Any, **headers: str) -> tuple[HttpResponse, list[str]]:
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request_id())
        return HttpResponse("ok")

    try:
        response = RequestIdMiddleware(view)(RequestFactory().get("/", **headers))
    finally:
        request_id_var.set("")  # what request_finished does after a real response
    return response, seen


def test_without_a_trusted_proxy_a_new_id_is_made_and_echoed(settings: Any) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "TRUSTED_PROXIES": 0}
    response, seen = _through(settings, HTTP_X_REQUEST_ID=NGINX_ID)  # a client's header: ignored
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"]) and response["X-Request-ID"] != NGINX_ID
    assert seen == [response["X-Request-ID"]]


def test_behind_a_trusted_proxy_its_id_is_kept(settings: Any) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "TRUSTED_PROXIES": 1}
    response, seen = _through(settings, HTTP_X_REQUEST_ID=NGINX_ID)
    assert response["X-Request-ID"] == NGINX_ID and seen == [NGINX_ID]


@pytest.mark.parametrize("forged", ["short", "x" * 65, "abc def 0123456789", '0123456789abcdef"}\n{"level"'])
def test_a_malformed_proxy_id_is_replaced(settings: Any, forged: str) -> None:
    settings.PARTYCARD = {**settings.PARTYCARD, "TRUSTED_PROXIES": 1}
    response, _ = _through(settings, HTTP_X_REQUEST_ID=forged)
    assert response["X-Request-ID"] != forged and re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_every_log_line_of_a_request_carries_its_id(client: Any, settings: Any) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = client.get("/no-such-page/")
    finally:
        logger.removeHandler(handler)
    (line,) = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert response.status_code == 404 and line["request_id"] == response["X-Request-ID"]
    assert request_id() == ""  # cleared once the response was closed
