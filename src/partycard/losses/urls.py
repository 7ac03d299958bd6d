"""The losses pages, under ``/cap-lai-the/``."""

from django.urls import path

from . import views

app_name = "losses"
urlpatterns = [
    path("", views.home, name="home"),
    path("bao-mat/<int:member_id>/", views.report_page, name="report"),
    path("<int:report_id>/", views.detail, name="detail"),
    path("<int:report_id>/buoc/<str:step>/", views.step, name="step"),
    path("<int:report_id>/anh/<int:photo_id>/", views.photo, name="photo"),
    path("bieu-mau/<str:form>/", views.form_pdf, name="form_pdf"),
    path("thu-hoi/", views.recoveries, name="recoveries"),
    path("thu-hoi/<int:member_id>/", views.recovery_page, name="recovery"),
]
