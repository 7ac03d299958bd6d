"""The volunteers' assignment pages, under the review app's prefix (``/ra-soat/``)."""

from django.urls import URLPattern, path

from partycard.review import assignments_views as views

__all__ = ["urlpatterns"]

urlpatterns: list[URLPattern] = [
    path("tinh-nguyen-vien/", views.assignments, name="assignments"),
    path("tinh-nguyen-vien/<int:assignment_id>/thu-hoi/", views.assignment_revoke, name="assignment_revoke"),
]
