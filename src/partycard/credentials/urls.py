"""The member's own electronic card."""

from __future__ import annotations

from django.urls import path

from partycard.credentials import views

app_name = "credentials"

urlpatterns = [
    path("", views.my_card, name="my_card"),
    path("sd-jwt/", views.my_card_sd_jwt, name="my_card_sd_jwt"),
]
