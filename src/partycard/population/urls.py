"""The population pages."""

from django.urls import URLPattern

app_name = "population"
urlpatterns: list[URLPattern] = []
