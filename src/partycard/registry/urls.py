from django.urls import path

from . import views

app_name = "registry"
# Vietnamese paths, as the rest of the site (/doi-the/, /the-dang-vien/); the English paths of issue 2
# redirect here (``legacy_urlpatterns``, included from the root URLconf).
urlpatterns = [
    path("to-chuc/", views.organisation_tree, name="organisation_tree"),
    path("to-chuc/<str:code>/cap-duoi/", views.organisation_children, name="organisation_children"),
    path("dang-vien/", views.member_list_page, name="member_list"),
    path("dang-vien/them/", views.member_create, name="member_create"),
    path("dang-vien/xuat/", views.member_export, name="member_export"),
    path("dang-vien/<int:pk>/", views.member_detail, name="member_detail"),
    path("dang-vien/<int:pk>/sua/", views.member_edit, name="member_edit"),
    path("nhap-du-lieu/", views.import_page, name="import"),
]
