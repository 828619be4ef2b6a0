"""Portrait's transition pages (Portrait staff only), included at /transitions/ with the namespace
"transition_staff"."""

from django.urls import path

from transition.views import staff

urlpatterns = [
    path("", staff.transition_list, name="list"),
    path("new/", staff.transition_new, name="new"),
    path("coordinator-leaves/", staff.coordinator_leaves_new, name="coordinator_leaves"),
    path("<int:pk>/", staff.transition_detail, name="detail"),
    path("<int:pk>/approve/", staff.approve, name="approve"),
    path("<int:pk>/decline/", staff.decline, name="decline"),
    path("<int:pk>/cancel/", staff.cancel, name="cancel"),
    path("<int:pk>/confirm/", staff.portrait_confirm, name="confirm"),
    path("<int:pk>/tools/", staff.tools, name="tools"),
    path("steps/<int:pk>/retry/", staff.step_retry, name="step_retry"),
    path("steps/<int:pk>/done/", staff.step_done, name="step_done"),
    path("acuity/<int:pk>/resolve/", staff.booking_resolve, name="booking_resolve"),
]
