"""The medspa admin's transition page, included at /dashboard/settings/transition/ (namespace
"transition")."""

from django.urls import path

from transition.views import page

app_name = "transition"

urlpatterns = [
    path("", page.page, name="page"),
    path("steps/", page.steps, name="steps"),
    path("request/", page.request_transition, name="request"),
    path("coordinator-leaves/", page.coordinator_leaves, name="coordinator_leaves"),
    path("openphone/account/", page.openphone_account, name="openphone_account"),
    path("openphone/acknowledge/", page.openphone_acknowledge, name="openphone_acknowledge"),
    path("acuity/<int:pk>/resolve/", page.booking_resolve, name="booking_resolve"),
    path("acuity/import-again/", page.import_again, name="import_again"),
]
