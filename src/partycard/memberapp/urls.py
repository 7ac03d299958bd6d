"""The memberapp pages, under ``/so-tay/``: the app, its service worker and manifest, and revoking a
device from a member's page."""

from django.urls import path

from partycard.memberapp import views

app_name = "memberapp"
urlpatterns = [
    path("", views.app_page, name="app"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("thiet-bi/<int:pk>/thu-hoi/", views.device_revoke, name="device_revoke"),
]
