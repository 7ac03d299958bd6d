from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.queue_page, name="queue"),
    path("chi-bo/", views.cell_page, name="cell"),
    path("ho-so/<int:pk>/", views.case_detail, name="case_detail"),
    path("ho-so/<int:pk>/chuyen/", views.case_act, name="case_act"),
]
