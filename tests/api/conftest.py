"""API fixtures: users of each role on the shared tree, real tokens for them, a bearer-token client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from partycard.accounts.models import Role, User
from partycard.api import services


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """The LocMem cache outlives a test; rate-limit counters must not."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(tree: Any) -> Callable[..., User]:
    def make(username: str, role: str, org: Any = None, **extra: Any) -> User:
        return User.objects.create_user(
            username, password="mat-khau-dai-1", role=role, organisation=org or tree.hanoi, **extra
        )

    return make


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    """A committee officer of Hà Nội."""
    return make_user("hn-officer", Role.COMMITTEE_OFFICER)


@pytest.fixture
def issue() -> Callable[[User], str]:
    """``issue(user)``: the plaintext of a fresh token for ``user`` (for a member, one made before members
    were refused tokens: the API refuses it)."""

    def do(user: User, **kwargs: Any) -> str:
        if user.role == Role.MEMBER:  # refused by the service: a member's token from before that rule
            from tests.conftest import _legacy_token

            return _legacy_token(user)
        return services.token_issue(actor=None, user=user, name="test", **kwargs)[1]

    return do


class Api:
    """A test client that sends a bearer token and JSON, against /api/v1."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client, self.token = client, token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers())

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            f"/api/v1{path}", body, content_type="application/json", headers=self._headers()
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}", body, content_type="application/json", headers=self._headers()
        )


@pytest.fixture
def api_as(client: Client, issue: Callable[[User], str]) -> Callable[[User], Api]:
    """``api_as(user)``: an API client authenticated with a new token of ``user``."""
    return lambda user: Api(client, issue(user))


@pytest.fixture
def api(api_as: Callable[[User], Api], officer: User) -> Api:
    """The API as Hà Nội's committee officer."""
    return api_as(officer)
