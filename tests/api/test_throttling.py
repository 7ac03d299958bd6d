"""The per-token rate limit: 429 problem with Retry-After past the quota, counted per token."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from partycard.api.throttling import Rate, parse_rate

from .conftest import Api

pytestmark = pytest.mark.django_db


def test_rates_parse() -> None:
    assert parse_rate("600/minute") == Rate(600, 60)
    assert parse_rate("10/s") == Rate(10, 1) and parse_rate("1000/5m") == Rate(1000, 300)
    with pytest.raises(ImproperlyConfigured):
        parse_rate("lots")


@override_settings(PARTYCARD={"API_RATE_LIMIT": "3/hour"})
def test_past_the_quota_is_429_with_retry_after_per_token(api: Api, api_as, officer) -> None:
    assert [api.get("/organisations").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/organisations")
    assert refused.status_code == 429 and refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["type"] == "urn:partycard:problem:rate-limited"
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert api_as(officer).get("/organisations").status_code == 200  # another token has its own quota
