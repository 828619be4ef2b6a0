from django.urls import path

from scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("", views.home, name="home"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<int:pk>/", views.location_edit, name="location_edit"),
]
