"""The population pages, under ``/doi-soat-dan-cu/``."""

from django.urls import path

from . import views

app_name = "population"
urlpatterns = [
    path("", views.home, name="home"),
    path("bat-dau/", views.start, name="start"),
    path("lan/<int:run_id>/", views.run_page, name="run"),
    path("viec/", views.tasks, name="tasks"),
    path("viec/<int:task_id>/", views.task_page, name="task"),
    path("viec/<int:task_id>/sua/", views.task_correct, name="task_correct"),
    path("viec/<int:task_id>/xac-nhan/", views.task_confirm, name="task_confirm"),
]
