from django.urls import path

from . import views

app_name = "cards"
urlpatterns = [
    path("<str:number>/", views.card_detail, name="card_detail"),
    path("<str:number>/buoc/", views.card_act, name="card_act"),
]
