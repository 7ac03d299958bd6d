"""The partysync pages (``/dong-bo/``)."""

from django.urls import path

from . import views

app_name = "partysync"
urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("<int:run_id>/", views.run_detail, name="run_detail"),
    path("<int:run_id>/quyet-dinh/", views.run_decide, name="run_decide"),
    path("<int:run_id>/ap-dung/", views.run_apply, name="run_apply"),
]
