"""Bearer authentication: unknown, revoked, expired tokens and disabled users are a 401 problem."""

from __future__ import annotations

import datetime as dt

import pytest

from partycard.api import services
from partycard.api.models import ApiToken
from partycard.core import clock

from .conftest import Api

pytestmark = pytest.mark.django_db


def _is_401(response) -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["type"] == "urn:partycard:problem:invalid-token" and body["detail"]


def test_a_valid_token_acts_as_its_user(api: Api, officer) -> None:
    response = api.get("/organisations/HN")
    assert response.status_code == 200 and response.json()["code"] == "HN"
    assert ApiToken.objects.get(user=officer).last_used_at is not None


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer pc_nope", "Basic abc", "Bearer " + "x" * 500])
def test_missing_or_unknown_tokens_are_refused(client, tree, header) -> None:
    _is_401(client.get("/api/v1/organisations", headers={"Authorization": header} if header else {}))


def test_revoked_token_is_refused(client, officer) -> None:
    token, plaintext = services.token_issue(actor=None, user=officer, name="x")
    api = Api(client, plaintext)
    assert api.get("/organisations").status_code == 200
    services.token_revoke(actor=officer, token=token)
    _is_401(api.get("/organisations"))


def test_expired_token_is_refused(client, officer) -> None:
    token, plaintext = services.token_issue(
        actor=None, user=officer, name="x", expires_at=clock.now() + dt.timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    _is_401(Api(client, plaintext).get("/organisations"))


def test_disabled_user_is_refused(client, officer, issue) -> None:
    api = Api(client, issue(officer))
    officer.is_active = False
    officer.save()
    _is_401(api.get("/organisations"))
