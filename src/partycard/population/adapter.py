"""The population database partycard asks: the HTTP client of ``partycard.nationalid`` configured from
``PARTYCARD["POPULATION_API"]``, one per process and configuration, so that its token bucket paces every
chunk of a job (not each chunk afresh) and its connections are kept alive between chunks."""

from __future__ import annotations

import threading

from django.conf import settings

from partycard.nationalid.client import HttpPopulationRegistry

__all__ = ["population_registry"]

_lock = threading.Lock()
_clients: dict[tuple[object, ...], HttpPopulationRegistry] = {}


def population_registry() -> HttpPopulationRegistry:
    """The client for the configured API (settings read at each call: tests point it at their stand-in)."""
    api = settings.PARTYCARD["POPULATION_API"]
    key = tuple(sorted((k, str(v)) for k, v in api.items()))
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = HttpPopulationRegistry(
                str(api["url"]),
                token=str(api.get("token") or "") or None,
                rate=float(api["rate"]),
                batch=int(api["batch"]),
                timeout=float(api["timeout"]),
                max_retries=int(api["max_retries"]),
            )
            _clients[key] = client
        return client
