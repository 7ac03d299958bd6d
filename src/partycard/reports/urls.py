"""The report pages, under /bao-cao/ (báo cáo: report): the overview, an organisation's report, its
slowest organisations (chậm tiến độ) and its export (xuất)."""

from django.urls import path

from partycard.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/cham-tien-do/", views.lagging, name="lagging"),
    path("<str:code>/xuat/<str:fmt>/", views.export, name="export"),
]
