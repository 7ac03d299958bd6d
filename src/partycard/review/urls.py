"""The review pages."""

from django.urls import URLPattern

app_name = "review"
urlpatterns: list[URLPattern] = []
