"""The client address the lock-out counts by: the right-most untrusted X-Forwarded-For entry, never one
the client chose (MDN, X-Forwarded-For, "Selecting an IP address": trusted proxy count)."""

from __future__ import annotations

from typing import Any

import pytest
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

from partycard.core.client_address import client_address
from partycard.settings.base import _trusted_proxies


def _request(remote: str = "10.0.0.5", forwarded: str | None = None) -> Any:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def _proxies(hops: int) -> Any:
    return override_settings(PARTYCARD={**settings.PARTYCARD, "TRUSTED_PROXIES": hops})


def test_without_a_trusted_proxy_the_header_is_ignored() -> None:
    with _proxies(0):
        assert client_address(_request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),  # one nginx: it appended the address it saw
        (1, "192.0.2.66, 203.0.113.9", "203.0.113.9"),  # a forged left-most entry is skipped
        (1, "192.0.2.66 ,203.0.113.9 ", "203.0.113.9"),
        (2, "192.0.2.66, 203.0.113.9, 10.1.2.3", "203.0.113.9"),  # a load balancer, then nginx
        (1, "2001:DB8:0::1", "2001:db8::1"),  # one spelling per address: one lock-out per client
    ],
)
def test_the_client_is_the_entry_the_outermost_trusted_proxy_wrote(
    hops: int, forwarded: str, expected: str
) -> None:
    with _proxies(hops):
        assert client_address(_request(forwarded=forwarded)) == expected


@pytest.mark.parametrize("forwarded", [None, "", "203.0.113.9", "not-an-address, 10.1.2.3", "10.1.2.3, ,"])
def test_a_request_that_did_not_pass_every_trusted_proxy_counts_as_the_peer(forwarded: str | None) -> None:
    with _proxies(2):
        assert client_address(_request("10.0.0.5", forwarded)) == "10.0.0.5"


def test_axes_asks_this_function() -> None:
    with _proxies(1):
        assert get_client_ip_address(_request("127.0.0.1", "192.0.2.66, 203.0.113.9")) == "203.0.113.9"


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "１", ""])
def test_the_proxy_count_is_a_plain_number(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="PARTYCARD_TRUSTED_PROXIES"):
        _trusted_proxies(value)
    assert _trusted_proxies(" 2 ") == 2
