"""Settings for bench/verify_nginx_bench.py: the production settings behind nginx as deployed (HTTPS redirect
on, PARTYCARD_TRUSTED_PROXIES=1 from the environment: nginx's X-Forwarded-Proto says https), plus the bench's
no-op views: ``/bench-noop/`` through the whole middleware, ``/bench-noop-lean/`` on the stateless routes'
short path (partycard.core.handlers)."""

from verify_load_settings import *  # noqa: F403

SECURE_SSL_REDIRECT = True
PARTYCARD["STATELESS_ROUTES"] += "|/bench-noop-lean/"  # noqa: F405
PARTYCARD["STATELESS_URLCONF"] = "verify_nginx_urls"  # noqa: F405
