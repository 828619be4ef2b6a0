from django.urls import path

from gfe import views

app_name = "gfe"
urlpatterns = [
    path("", views.home, name="home"),
]
