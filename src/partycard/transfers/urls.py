"""The transfers pages, under ``/chuyen-sinh-hoat/``."""

from django.urls import path

from . import views

app_name = "transfers"
urlpatterns = [
    path("", views.home, name="home"),
    path("tao/", views.create, name="create"),
    path("kiem-tra-giay/", views.letter_check, name="letter_check"),
    path("<int:transfer_id>/", views.detail, name="detail"),
    path("<int:transfer_id>/phat-hanh/", views.issue, name="issue"),
    path("<int:transfer_id>/tiep-nhan/", views.receive, name="receive"),
    path("<int:transfer_id>/hoan-tat/", views.complete, name="complete"),
    path("<int:transfer_id>/huy/", views.cancel, name="cancel"),
    path("<int:transfer_id>/tu-choi/", views.refuse, name="refuse"),
    path("<int:transfer_id>/giay-gioi-thieu.pdf", views.letter_pdf, name="letter_pdf"),
    path("<int:transfer_id>/giay-gioi-thieu.p7s", views.letter_signature, name="letter_signature"),
]
