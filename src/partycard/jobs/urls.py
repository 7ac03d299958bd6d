from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/tien-do/", views.job_progress, name="job_progress"),
    path("<int:pk>/tiep-tuc/", views.job_resume, name="job_resume"),
    path("<int:pk>/tai-ve/", views.job_download, name="job_download"),
]
