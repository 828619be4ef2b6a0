"""Routes of the Scheduling tab's settings (inside the "scheduling" namespace, under /dashboard/scheduling/):
rooms and devices, appointment types, availability and closures."""

from django.urls import path

from scheduling import views_settings

urlpatterns = [
    path("rooms/", views_settings.room_list, name="room_list"),
    path("rooms/new/", views_settings.room_create, name="room_create"),
    path("rooms/<int:pk>/", views_settings.room_edit, name="room_edit"),
    path("types/", views_settings.type_list, name="type_list"),
    path("types/new/", views_settings.type_create, name="type_create"),
    path("types/<int:pk>/", views_settings.type_edit, name="type_edit"),
    path("types/<int:pk>/active/", views_settings.type_activate, name="type_activate"),
    path("availability/", views_settings.availability, name="availability"),
    path("availability/<int:pk>/", views_settings.availability_provider, name="availability_provider"),
    path("availability/<int:pk>/hours/", views_settings.rule_add, name="rule_add"),
    path("availability/hours/<int:pk>/remove/", views_settings.rule_remove, name="rule_remove"),
    path("availability/<int:pk>/overrides/", views_settings.override_add, name="override_add"),
    path("availability/overrides/<int:pk>/remove/", views_settings.override_remove, name="override_remove"),
    path("closures/", views_settings.closures, name="closures"),
    path("closures/<int:pk>/remove/", views_settings.closure_remove, name="closure_remove"),
]
