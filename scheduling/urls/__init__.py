from django.urls import include, path

from scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("", views.home, name="home"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<int:pk>/", views.location_edit, name="location_edit"),
    path("", include("scheduling.urls.settings")),  # appointment types, rooms, availability, booking links
    path("", include("scheduling.urls.calendar")),  # the admin's calendar and appointments
    path("notifications/", include("scheduling.urls.notifications")),
]
