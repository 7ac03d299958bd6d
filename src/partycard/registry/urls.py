from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("organisations/", views.organisation_tree, name="organisation_tree"),
    path("organisations/<str:code>/children/", views.organisation_children, name="organisation_children"),
    path("members/", views.member_list_page, name="member_list"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/export/", views.member_export, name="member_export"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("import/", views.import_page, name="import"),
]
