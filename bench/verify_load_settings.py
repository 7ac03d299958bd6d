"""Settings for bench/verify_load_bench.py only: production settings (DEBUG off, the production middleware,
PostgreSQL from DATABASE_URL, persistent connections) plus a bench URLconf with a no-op JSON view.

One change from production: no HTTPS redirect. Production terminates TLS at the reverse proxy
(docs/ecard.md); the bench talks plain HTTP on loopback straight to granian, where SECURE_SSL_REDIRECT
would answer every request with a 301.
"""

from partycard.settings.prod import *  # noqa: F403

SECURE_SSL_REDIRECT = False
ROOT_URLCONF = "verify_load_urls"  # bench/verify_load_urls.py (bench/ is on PYTHONPATH)
