from django.urls import path

from . import views

app_name = "inspections"
urlpatterns = [
    path("", views.home, name="home"),
    path("mo/", views.open_page, name="open"),
    path("<int:inspection_id>/", views.detail, name="detail"),
    path("<int:inspection_id>/chon-mau/", views.sample, name="sample"),
    path("<int:inspection_id>/ho-so/<int:case_id>/", views.finding_page, name="finding"),
    path("<int:inspection_id>/ket-luan/", views.conclude, name="conclude"),
    path("<int:inspection_id>/bao-cao-khac-phuc/", views.respond, name="respond"),
    path("<int:inspection_id>/dong/", views.close, name="close"),
    path("<int:inspection_id>/thong-bao-ket-luan.pdf", views.conclusion_pdf, name="conclusion_pdf"),
]
