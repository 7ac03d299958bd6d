from django.urls import path

from . import views

app_name = "distribution"
urlpatterns = [
    path("", views.home, name="home"),
    path("gui/", views.send, name="send"),
    path("nhan/", views.receive_page, name="receive"),
    path("lo/<str:shipment_code>/", views.shipment_detail, name="shipment_detail"),
    path("lo/<str:shipment_code>/nhan.pdf", views.label_pdf, name="label_pdf"),
    path("chuyen-huong/<str:number>/", views.reroute, name="reroute"),
    path("hop-chi-bo/", views.meeting_page, name="meeting"),
    path("hop-chi-bo/<int:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("hop-chi-bo/<int:meeting_id>/danh-sach-nhan-the.pdf", views.meeting_receipt, name="meeting_receipt"),
    path("the-cua-toi/", views.my_cards, name="my_cards"),
    path("so-phat-the/", views.register_page, name="register"),
    path("so-phat-the/<int:register_id>/<str:fmt>/", views.register_download, name="register_download"),
    path("huy-the/", views.destruction_page, name="destruction"),
    path("huy-the/<int:record_id>/bien-ban.pdf", views.minutes_download, name="minutes_download"),
]
