from django.urls import include, path

from scheduling.views import locations

app_name = "scheduling"
urlpatterns = [
    path("", locations.home, name="home"),
    path("locations/new/", locations.location_create, name="location_create"),
    path("locations/<int:pk>/", locations.location_edit, name="location_edit"),
    path("", include("scheduling.urls.settings")),  # appointment types, rooms, availability, booking links
    path("", include("scheduling.urls.calendar")),  # the admin's calendar and appointments
    path("notifications/", include("scheduling.urls.notifications")),
]
