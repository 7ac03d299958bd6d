"""The partysync pages."""

from django.urls import URLPattern

app_name = "partysync"
urlpatterns: list[URLPattern] = []
