from django.urls import path

from . import views

app_name = "production"
urlpatterns = [
    path("", views.batch_list, name="batches"),
    path("lo/<int:batch_id>/", views.batch_detail, name="batch"),
    path("lo/<int:batch_id>/buoc/", views.batch_act, name="batch_act"),
    path("lo/<int:batch_id>/tep/<str:kind>/", views.batch_download, name="batch_download"),
    path("mau-the/<str:layout>/", views.layout_proof, name="layout_proof"),
]
