from django.urls import path

from providers import views_earnings

urlpatterns = [
    path("provider/earnings/", views_earnings.earnings, name="earnings"),
    path("dashboard/earnings/", views_earnings.admin_earnings, name="admin_earnings"),
]
