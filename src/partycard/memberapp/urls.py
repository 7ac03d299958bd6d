"""The memberapp pages, under ``/so-tay/``."""

from django.urls import URLPattern

app_name = "memberapp"
urlpatterns: list[URLPattern] = []
