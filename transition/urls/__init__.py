"""The medspa admin's transition page, included at /dashboard/settings/transition/ (namespace
"transition")."""

from django.urls import path

from transition import views

app_name = "transition"

urlpatterns = [
    path("", views.page, name="page"),
    path("steps/", views.steps, name="steps"),
    path("request/", views.request_transition, name="request"),
    path("coordinator-leaves/", views.coordinator_leaves, name="coordinator_leaves"),
    path("openphone/account/", views.openphone_account, name="openphone_account"),
    path("openphone/acknowledge/", views.openphone_acknowledge, name="openphone_acknowledge"),
    path("acuity/<int:pk>/resolve/", views.booking_resolve, name="booking_resolve"),
    path("acuity/import-again/", views.import_again, name="import_again"),
]
