"""The review pages, under ``/ra-soat/``; the volunteers' assignments have their own module."""

from django.urls import URLPattern, path

from partycard.review import views
from partycard.review.assignments_urls import urlpatterns as assignment_urls

app_name = "review"
urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("to-chuc/<str:code>/bang-tinh/", views.workbook, name="workbook"),
    path("to-chuc/<str:code>/phieu-giay/", views.paper, name="paper"),
    path("nop-lai/", views.upload, name="upload"),
    path("<int:import_id>/", views.proposal, name="proposal"),
    path("<int:import_id>/ap-dung/", views.apply, name="apply"),
    *assignment_urls,
]
