"""The probe and metrics paths, at the root (what load balancers and Prometheus expect)."""

from django.urls import path

from partycard.ops import views

app_name = "ops"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
]
