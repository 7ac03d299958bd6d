"""The offline web verifier (PWA), included at ``kiem-tra/``: the page, its service worker (scope
``/kiem-tra/``) and its manifest."""

from __future__ import annotations

from django.urls import path

from partycard.credentials import verifier_views

app_name = "verifier"

urlpatterns = [
    path("", verifier_views.verifier_page, name="page"),
    path("sw.js", verifier_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", verifier_views.manifest, name="manifest"),
]
