"""The client's real address behind the reverse proxies we trust, for the login lock-out (django-axes).

Behind a proxy ``REMOTE_ADDR`` is the proxy: every client would share one address, and five wrong
passwords from anyone would lock an officer out for everyone. Each trusted proxy appends the address it
saw to ``X-Forwarded-For`` (nginx: ``$proxy_add_x_forwarded_for``), so with N trusted hops the client is
the N-th entry **from the right**. Entries further left were written by the client and prove nothing (a
client sends any ``X-Forwarded-For`` it likes); taking the left-most one lets an attacker pick the address
that is locked out. This is the rule of Werkzeug's ``ProxyFix(x_for=N)`` and of MDN's X-Forwarded-For
page ("Selecting an IP address": the right-most entry after skipping the trusted proxies).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

__all__ = ["client_address"]


def client_address(request: HttpRequest) -> str | None:
    """The address of the client that reached our first trusted proxy, in canonical form.

    ``settings.PARTYCARD["TRUSTED_PROXIES"]`` (``PARTYCARD_TRUSTED_PROXIES``) is the number of proxies in
    front of the app, each appending to ``X-Forwarded-For``. With none, or when the header has fewer
    entries than there are trusted hops (the request did not come through them all) or the entry is not an
    address, the answer is ``REMOTE_ADDR``: never a value the client chose.
    """
    remote = request.META.get("REMOTE_ADDR")
    hops = int(settings.PARTYCARD.get("TRUSTED_PROXIES", 0))
    if hops <= 0:
        return remote
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    entries = [e for e in entries if e]
    if len(entries) < hops:
        return remote
    try:
        # Canonical form: 2001:DB8::1 and 2001:db8:0::1 are one client, one lock-out.
        return str(ipaddress.ip_address(entries[-hops]))
    except ValueError:
        return remote
