"""WSGI entry point for production servers: the app, with the public verifier routes on a short path
(partycard.core.handlers)."""

import os

from django.core.wsgi import get_wsgi_application

from partycard.core.handlers import with_stateless_routes

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.prod")
application = with_stateless_routes(get_wsgi_application())
