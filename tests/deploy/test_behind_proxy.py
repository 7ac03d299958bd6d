"""The production settings behind the documented TLS-terminating proxy, through a real nginx.

The app runs under granian with ``partycard.settings.prod`` and ``PARTYCARD_TRUSTED_PROXIES=1``; nginx
(Debian's) terminates TLS in front of it with ``deploy/nginx/proxy.conf``. Two clients connect from two
loopback addresses (127.0.0.2 and 127.0.0.3: the whole 127.0.0.0/8 is this machine), so nginx sees two
real client addresses, as it would two offices on the internet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .servers import Client, app_server, nginx_binary, nginx_in_front, partycard, production_env

PASSWORD = "mat-khau-dai-1"
ADDRESS_A, ADDRESS_B = "127.0.0.2", "127.0.0.3"


@dataclass(frozen=True)
class Deployment:
    proxy_port: int
    app_port: int
    certificate: Path

    def client(self, source: str) -> Client:
        """A client of the proxy (HTTPS) from ``source``."""
        return Client(self.proxy_port, source=source, certificate=self.certificate)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    nginx_binary()  # skip (or fail in CI) before any set-up
    base = tmp_path_factory.mktemp("behind-proxy")
    var = base / "var"
    var.mkdir()
    env = production_env(var, PARTYCARD_TRUSTED_PROXIES="1")
    partycard(env, "migrate", "--no-input", "-v", "0")
    partycard(env, "collectstatic", "--no-input", "-v", "0")  # the pages name the manifest's hashed files
    partycard(env, "shell", "-c", (
        "from partycard.accounts.models import Role, User; "
        f"User.objects.create_user('tinh', password='{PASSWORD}', role=Role.COMMITTEE_OFFICER)"
    ))  # fmt: skip
    with (
        app_server(env=env, log=base / "granian.log") as app_port,
        nginx_in_front(app_port=app_port, directory=base / "nginx") as (proxy_port, certificate),
    ):
        yield Deployment(proxy_port, app_port, certificate)


def test_https_through_the_proxy_serves_the_page_instead_of_redirecting(deployment: Deployment) -> None:
    client = deployment.client(ADDRESS_A)
    page = client.request("GET", "/dang-nhap/")
    # Without SECURE_PROXY_SSL_HEADER the app sees plain HTTP and answers 301 to the same https URL: forever.
    assert page.status == 200, (page.status, page.headers.get("Location"))
    assert 'name="csrfmiddlewaretoken"' in page.body
    assert "max-age=31536000" in (page.headers.get("Strict-Transport-Security") or "")  # a secure request
    home = client.request("GET", "/")
    assert home.status == 302 and home.headers["Location"].startswith("/dang-nhap/"), home.headers


def test_plain_http_to_the_app_redirects_to_https(deployment: Deployment) -> None:
    direct = Client(deployment.app_port).request("GET", "/dang-nhap/")
    assert direct.status == 301
    assert direct.headers["Location"] == f"https://127.0.0.1:{deployment.app_port}/dang-nhap/"


def test_lock_out_is_per_user_and_real_address_and_a_forged_header_does_not_move_it(
    deployment: Deployment,
) -> None:
    attacker, officer = deployment.client(ADDRESS_A), deployment.client(ADDRESS_B)
    # The attacker at A tries to lock the officer at B out, naming B's address in X-Forwarded-For: nginx
    # appends A, the app counts A (a client-written entry is the left-most one, never read).
    for attempt in range(1, 5):
        assert attacker.login("tinh", "sai", forwarded_for=ADDRESS_B).status == 200, attempt
    locked = attacker.login("tinh", "sai", forwarded_for=ADDRESS_B)  # the 5th failure
    assert locked.status == 429
    assert "Tài khoản bị khóa" in locked.body  # the lock-out page speaks Vietnamese
    assert attacker.login("tinh", PASSWORD).status == 429  # (tinh, A) is locked, even with the password

    # The officer, from B, is not locked out by what A did.
    signed_in = officer.login("tinh", PASSWORD)
    assert signed_in.status == 302, signed_in.body[:500]
    assert not signed_in.headers["Location"].startswith("/dang-nhap/?"), signed_in.headers["Location"]
    assert "sessionid" in officer.cookies

    # Nor does a forged header let A out of its own lock-out, whatever address it names.
    for forged in (ADDRESS_B, "203.0.113.7", f"{ADDRESS_B}, 198.51.100.1"):
        escaped = deployment.client(ADDRESS_A).login("tinh", PASSWORD, forwarded_for=forged)
        assert escaped.status == 429, forged
