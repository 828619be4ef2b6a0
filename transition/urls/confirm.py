"""The provider's emailed confirmation link of the OpenPhone release, included at /transition/confirm/
(namespace "transition_confirm"): outside the dashboards, for the signed-in person the link was sent to."""

from django.urls import path

from transition.views import confirm

app_name = "transition_confirm"

urlpatterns = [
    path("<str:token>/", confirm.confirm, name="confirm"),
]
