from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("members/", views.member_search_page, name="member_search"),
]
