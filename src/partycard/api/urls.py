"""The token page of the signed-in user (mounted at /tai-khoan/api/)."""

from django.urls import path

from . import views

app_name = "apitokens"
urlpatterns = [
    path("", views.tokens_page, name="tokens"),
    path("<int:pk>/thu-hoi/", views.token_revoke, name="revoke"),
]
