"""The stateless routes' URLconf for bench/verify_nginx_bench.py: the project's, plus the no-op view."""

from django.urls import path

from partycard.api.stateless_urls import urlpatterns as stateless_urlpatterns
from verify_load_urls import noop

urlpatterns = [path("bench-noop-lean/", noop), *stateless_urlpatterns]
