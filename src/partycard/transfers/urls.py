"""The transfers pages, under ``/chuyen-sinh-hoat/``."""

from django.urls import URLPattern

app_name = "transfers"
urlpatterns: list[URLPattern] = []
