"""The meetings pages, under ``/hop-chi-bo/``."""

from django.urls import URLPattern

app_name = "meetings"
urlpatterns: list[URLPattern] = []
