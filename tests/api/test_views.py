"""The token page: list, create (plaintext shown once), revoke — the signed-in user's own tokens only."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from partycard.accounts.models import Role
from partycard.api import services, tokens
from partycard.api.models import ApiToken

from .conftest import Api

pytestmark = pytest.mark.django_db

PAGE = "/tai-khoan/api/"


@pytest.fixture
def signed_in(client: Client, officer, login) -> Client:
    login(client, officer)
    return client


def test_anonymous_users_are_sent_to_login(client: Client, db) -> None:
    assert client.get(PAGE).status_code == 302


def test_create_shows_the_plaintext_once_and_it_works(signed_in: Client, officer) -> None:
    response = signed_in.post(PAGE, {"name": "Báo cáo tỉnh", "lifetime": "30"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    plaintext = re.search(r'id="new-token">(pc_[A-Za-z0-9_-]+)<', page).group(1)
    token = ApiToken.objects.get(user=officer)
    assert token.key_hash == tokens.key_hash(plaintext) and token.expires_at is not None
    later = signed_in.get(PAGE).content.decode()
    assert plaintext not in later and token.prefix in later and "Báo cáo tỉnh" in later
    assert Api(Client(), plaintext).get("/organisations").status_code == 200


def test_revoke_works_and_only_for_the_owner(signed_in: Client, officer, make_user) -> None:
    mine, plaintext = services.token_issue(actor=officer, user=officer, name="mine")
    other = make_user("other", Role.INSPECTOR)
    theirs, _ = services.token_issue(actor=other, user=other, name="theirs")
    assert "theirs" not in signed_in.get(PAGE).content.decode()
    assert signed_in.post(f"{PAGE}{theirs.pk}/thu-hoi/").status_code == 404
    assert signed_in.get(f"{PAGE}{mine.pk}/thu-hoi/").status_code == 405
    assert signed_in.post(f"{PAGE}{mine.pk}/thu-hoi/").status_code == 302
    assert ApiToken.objects.get(pk=mine.pk).revoked_at is not None
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert Api(Client(), plaintext).get("/organisations").status_code == 401


def test_posts_need_the_csrf_token(officer, login) -> None:
    client = Client(enforce_csrf_checks=True)
    login(client, officer)
    assert client.post(PAGE, {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_post_to_an_unknown_api_path_is_a_404_problem_not_a_csrf_page() -> None:
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/nowhere/", "{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
