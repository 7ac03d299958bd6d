"""The officer pages, under ``/can-bo/``."""

from django.urls import path

from . import views

app_name = "officers"
urlpatterns = [
    path("", views.officer_list_page, name="list"),
    path("them/", views.officer_create, name="create"),
    path("<int:officer_id>/", views.officer_detail, name="detail"),
    path("<int:officer_id>/sua/", views.officer_edit, name="edit"),
    path("<int:officer_id>/dat-lai-mat-khau/", views.officer_password_reset, name="password_reset"),
    path("<int:officer_id>/dat-lai-xac-thuc/", views.officer_two_factor_reset, name="two_factor_reset"),
    path("<int:officer_id>/vo-hieu-hoa/", views.officer_disable, name="disable"),
    path("<int:officer_id>/kich-hoat/", views.officer_enable, name="enable"),
    path("<int:officer_id>/mo-khoa/", views.officer_unlock, name="unlock"),
]
