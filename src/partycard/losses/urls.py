"""The losses pages, under ``/cap-lai-the/``."""

from django.urls import URLPattern

app_name = "losses"
urlpatterns: list[URLPattern] = []
