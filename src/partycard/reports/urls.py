"""The report pages, under /bao-cao/ (báo cáo: report): the overview, an organisation's report, its
slowest organisations (chậm tiến độ) and its export (xuất); the completeness of the member data (đầy đủ dữ
liệu, issue 17)."""

from django.urls import path

from partycard.reports import completeness_views, views

app_name = "reports"
urlpatterns = [
    path("", views.overview, name="overview"),
    # The completeness of the member data (issue 17), before ``<code>/``, which would take its prefix.
    path("day-du-du-lieu/", completeness_views.completeness, name="completeness"),
    path("day-du-du-lieu/<str:code>/", completeness_views.completeness, name="completeness_detail"),
    path(
        "day-du-du-lieu/<str:code>/xuat/",
        completeness_views.completeness_download,
        name="completeness_export",
    ),
    path(
        "day-du-du-lieu/<str:code>/<str:problem>/",
        completeness_views.completeness_list,
        name="completeness_list",
    ),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/cham-tien-do/", views.lagging, name="lagging"),
    path("<str:code>/xuat/<str:fmt>/", views.export, name="export"),
]
