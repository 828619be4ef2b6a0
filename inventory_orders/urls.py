from django.urls import path

from inventory_orders import views

app_name = "inventory_orders"
urlpatterns = [
    path("", views.home, name="home"),
]
