"""The dues pages, under ``/dang-phi/``."""

from django.urls import path

from partycard.dues import views

app_name = "dues"
urlpatterns = [
    path("", views.home, name="home"),
    path("khoan/<int:payment_id>/xac-nhan/", views.confirm, name="confirm"),
    path("khoan/<int:payment_id>/tu-choi/", views.refuse, name="refuse"),
    path("<str:code>/<str:month>/", views.month_page, name="month"),
    path("<str:code>/<str:month>/xlsx/", views.month_xlsx, name="month_xlsx"),
]
