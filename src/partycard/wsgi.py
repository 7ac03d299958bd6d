"""WSGI entry point for production servers: the app, with the public verifier routes on a short path
(partycard.core.handlers)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from partycard.core.handlers import with_stateless_routes

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.prod")
application = with_stateless_routes(get_wsgi_application())
# Django imports the URLconf, and with it every view module, on the first request: ~1 s per worker on an
# idle machine, several under load, paid by whichever client came first (deploy sizing measured 6 s). Import
# it now, while the server starts (granian listens once the app is loaded), and fail here on a broken import.
get_resolver().url_patterns  # noqa: B018 - the import is the point
