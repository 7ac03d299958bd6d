"""The login steps, mounted under the login page's path (``/dang-nhap/``): the TOTP pages, the password
change and the "forgot password" pages."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("xac-thuc/", views.otp_verify, name="otp_verify"),
    path("ma-sms/", views.sms_verify, name="sms_verify"),
    path("thiet-lap-xac-thuc/", views.otp_enrol, name="otp_enrol"),
    path("doi-mat-khau/", views.PasswordChangeView.as_view(), name="password_change"),
    path("doi-mat-khau/xong/", views.password_change_done, name="password_change_done"),
    path("quen-mat-khau/", views.forgot_password, name="password_reset"),
    path("quen-mat-khau/da-gui/", views.forgot_password_sent, name="password_reset_sent"),
    path(
        "dat-lai-mat-khau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("dat-lai-mat-khau/xong/", views.password_reset_complete, name="password_reset_complete"),
]
