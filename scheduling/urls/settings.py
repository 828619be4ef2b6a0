"""Routes of the Scheduling tab's settings (inside the "scheduling" namespace, under /dashboard/scheduling/):
rooms and devices, appointment types, availability and closures."""

from django.urls import path

from scheduling.views import settings as settings_views

urlpatterns = [
    path("rooms/", settings_views.room_list, name="room_list"),
    path("rooms/new/", settings_views.room_create, name="room_create"),
    path("rooms/<int:pk>/", settings_views.room_edit, name="room_edit"),
    path("types/", settings_views.type_list, name="type_list"),
    path("types/new/", settings_views.type_create, name="type_create"),
    path("types/<int:pk>/", settings_views.type_edit, name="type_edit"),
    path("types/<int:pk>/active/", settings_views.type_activate, name="type_activate"),
    path("availability/", settings_views.availability, name="availability"),
    path("availability/<int:pk>/", settings_views.availability_provider, name="availability_provider"),
    path("availability/<int:pk>/hours/", settings_views.rule_add, name="rule_add"),
    path("availability/hours/<int:pk>/remove/", settings_views.rule_remove, name="rule_remove"),
    path("availability/<int:pk>/overrides/", settings_views.override_add, name="override_add"),
    path("availability/overrides/<int:pk>/remove/", settings_views.override_remove, name="override_remove"),
    path("closures/", settings_views.closures, name="closures"),
    path("closures/<int:pk>/remove/", settings_views.closure_remove, name="closure_remove"),
]
