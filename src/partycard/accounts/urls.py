"""The TOTP pages, mounted under the login page's path (``/dang-nhap/``)."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("xac-thuc/", views.otp_verify, name="otp_verify"),
    path("thiet-lap-xac-thuc/", views.otp_enrol, name="otp_enrol"),
]
