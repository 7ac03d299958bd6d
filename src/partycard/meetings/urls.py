"""The meetings pages, under ``/hop-chi-bo/``."""

from django.urls import path

from partycard.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.home, name="home"),
    path("mo/", views.open_page, name="open"),
    path("thong-ke/", views.stats, name="stats"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("<int:cell_meeting_id>/", views.detail, name="detail"),
    path("<int:cell_meeting_id>/diem-danh/", views.checkin_page, name="checkin"),
    path("<int:cell_meeting_id>/co-mat/", views.present, name="present"),
    path("<int:cell_meeting_id>/vang-co-ly-do/", views.excuse, name="excuse"),
    path("<int:cell_meeting_id>/dong/", views.close, name="close"),
]
